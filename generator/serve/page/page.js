// The live preview: listens to the server's events and swaps the page's regions in
// place when something changed. Nothing else: every word comes from the page itself
// (data- attributes of <body>), every request goes to this page's own server.
"use strict";

(() => {
  const body = document.body;
  const REGIONS = ["sommaire", "problemes", "fiche", "livret"];
  let version = Number(body.dataset.version);
  let edits = Number(body.dataset.edits);
  let tick = Number(body.dataset.tick); // the newest change the status line shows
  let busy = false;
  let again = null; // a refresh asked for while one was running: {follow}

  function setStatus(phase, message) {
    const status = document.getElementById("etat");
    if (!status) return;
    status.dataset.phase = phase;
    const span = status.querySelector(".status-text");
    if (span.textContent !== message) span.textContent = message;
  }

  // Waits until every image of `root` is decoded, so that a swap never shows a blank
  // page while a new picture loads.
  function decoded(root) {
    const images = Array.from(root.querySelectorAll("#fiche img"));
    return Promise.all(images.map((img) => {
      const probe = new Image();
      probe.src = img.getAttribute("src");
      return probe.decode().catch(() => null);
    }));
  }

  function swap(fresh) {
    for (const id of REGIONS) {
      const now = document.getElementById(id);
      const next = fresh.getElementById(id);
      if (!now || !next) continue;
      // <details> keep the state the reader gave them.
      for (const details of next.querySelectorAll("details[id]")) {
        const old = document.getElementById(details.id);
        if (old) details.open = old.open;
      }
      if (now.innerHTML !== next.innerHTML) {
        // The live region itself stays in place: only what it holds changes, so that
        // screen readers announce the new problems.
        now.replaceChildren(...Array.from(next.childNodes).map((n) => document.importNode(n, true)));
      }
    }
    const status = fresh.getElementById("etat");
    const freshTick = Number(fresh.body.dataset.tick);
    if (status && freshTick >= tick) { // an event that came during the fetch may be newer
      tick = freshTick;
      setStatus(status.dataset.phase, status.querySelector(".status-text").textContent);
    }
    document.title = fresh.title;
    for (const key of ["version", "edits", "fiche", "follow"]) body.dataset[key] = fresh.body.dataset[key];
    body.dataset.tick = String(tick);
  }

  async function refresh(follow) {
    if (busy) {
      again = {follow: follow || (again && again.follow)};
      return;
    }
    busy = true;
    try {
      const url = follow ? "/" : location.pathname + location.search;
      const answer = await fetch(url, {cache: "no-store", credentials: "same-origin"});
      if (!answer.ok) throw new Error(String(answer.status));
      const fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
      await decoded(fresh);
      swap(fresh);
      version = Number(fresh.body.dataset.version);
      edits = Number(fresh.body.dataset.edits);
      if (follow && location.search) history.replaceState(null, "", "/");
    } catch (error) {
      // The next event tries again.
    } finally {
      busy = false;
      if (again) {
        const next = again;
        again = null;
        refresh(next.follow);
      }
    }
  }

  if (!window.EventSource) return;
  const events = new EventSource("/_recueil/evenements");
  events.onmessage = (message) => {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch (error) {
      return;
    }
    if (event.tick >= tick) {
      tick = event.tick;
      setStatus(event.phase, event.status);
    }
    if (event.version === version) return;
    // A fiche was saved since this page was made: show it, as the page does first.
    refresh(event.edits !== edits);
  };
  events.onerror = () => {
    setStatus("offline", events.readyState === EventSource.CLOSED ? body.dataset.offline : body.dataset.reconnecting);
  };
})();
