/* The home page's filter: narrows the list of fiches by theme, territory and partner.
   Progressive enhancement: without this script the form stays hidden and every fiche
   is listed. No network, no framework, no storage: it reads the cards' data-* keys
   (space-separated) and hides those that do not match. Works from file:// too.
   A link may preselect choices: index.html?theme=t-sante&territory=r-bretagne. */
(function () {
  "use strict";
  var form = document.getElementById("filter");
  if (!form || !form.querySelectorAll) {
    return;
  }
  var selects = Array.prototype.slice.call(form.querySelectorAll("select"));
  var cards = Array.prototype.slice.call(document.querySelectorAll("[data-card]"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("[data-section]"));
  var status = form.querySelector("[role=status]");
  var total = cards.length;

  function has(card, name, value) {
    var keys = " " + (card.getAttribute("data-" + name) || "") + " ";
    return keys.indexOf(" " + value + " ") !== -1;
  }

  function say(shown, filtered) {
    var text = "";
    if (filtered) {
      text = shown === 0 ? form.getAttribute("data-count-none")
        : form.getAttribute(shown === 1 ? "data-count-one" : "data-count-many");
      text = text.replace("{n}", String(shown)).replace("{total}", String(total));
    }
    if (status.textContent !== text) {
      status.textContent = text;
    }
  }

  function apply() {
    var chosen = selects.filter(function (s) { return s.value !== ""; });
    var shown = 0;
    cards.forEach(function (card) {
      var match = chosen.every(function (s) { return has(card, s.name, s.value); });
      card.hidden = !match;
      if (match) {
        shown += 1;
      }
    });
    sections.forEach(function (section) {
      section.hidden = !section.querySelector("[data-card]:not([hidden])");
    });
    say(shown, chosen.length > 0);
  }

  function decoded(text) {
    try {
      return decodeURIComponent(text.replace(/\+/g, " "));
    } catch (e) {
      return "";
    }
  }

  // Choices given in the address (?theme=...), when they name an option.
  window.location.search.replace(/^\?/, "").split("&").forEach(function (pair) {
    var parts = pair.split("=");
    var name = decoded(parts[0] || "");
    var value = decoded(parts[1] || "");
    selects.forEach(function (s) {
      var known = Array.prototype.some.call(s.options, function (o) { return o.value === value; });
      if (s.name === name && value && known) {
        s.value = value;
      }
    });
  });

  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  form.hidden = false;
  apply();
}());
