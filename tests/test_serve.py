"""`recueil serve`: the live preview, driven as a user drives it.

The server runs as `python -m generator serve` in a process group of its own, on a free
port, against a small project written for each test; Chromium (tests/browser.py) opens
its page. Waits are Playwright's (expect, wait_for) or polls with a deadline: no sleep
stands for a duration.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from browser import AXE
from conftest import REPO, fiche_text, minimal_front, write_project

from generator.serve.server import Refused, allowed_hosts, clean_path
from generator.serve.watch import Pending, kind_of

TIMEOUT = 90  # seconds: a first build on a loaded machine


# --- helpers --------------------------------------------------------------------------------

class Served:
    """A `recueil serve` process and what it printed."""

    def __init__(self, project: Path, *args: str):
        self.project = project
        self.err_path = project.parent / f"{project.name}-serve.err"
        self.err = open(self.err_path, "w")
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONFAULTHANDLER": "1"}  # stacks on SIGABRT
        env.pop("RECUEIL_DEBUG", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "generator", "serve", str(project), "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=self.err, text=True, env=env, start_new_session=True)
        ready, _, _ = select.select([self.process.stdout], [], [], TIMEOUT)
        line = self.process.stdout.readline() if ready else ""
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not found:
            self.kill()
            pytest.fail(f"the server did not start: {line!r}\n{self.stderr()}")
        self.port = int(found.group(1))
        self.url = f"http://127.0.0.1:{self.port}/"

    def stderr(self) -> str:
        if not self.err.closed:
            self.err.flush()
        return self.err_path.read_text(encoding="utf-8")

    def get(self, path: str, host: str | None = None, method: str = "GET", headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", host if host is not None else f"127.0.0.1:{self.port}")
            for k, v in (headers or {}).items():
                conn.putheader(k, v)
            conn.endheaders()
            answer = conn.getresponse()
            return answer.status, answer.read()
        finally:
            conn.close()

    def wait_ready(self, timeout: float = TIMEOUT) -> str:
        """The page once the server says « À jour » (a build ended well)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, body = self.get("/")
            html = body.decode("utf-8")
            if 'data-phase="ready"' in html:
                return html
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        pytest.fail(f"the server never said it was ready\n{self.stderr()}")

    def interrupt(self, sig=signal.SIGINT) -> int:
        self.process.send_signal(sig)
        try:
            return self.process.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGABRT)  # faulthandler writes every thread's stack
            self.process.wait(30)
            pytest.fail(f"the server did not stop on {sig!r}:\n{self.stderr()}")
        finally:
            self.err.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(30)
        if not self.err.closed:
            self.err.close()


def group_gone(pgid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def small(tmp_path):
    """A project of three fiches (one in a subfolder) and its publication."""
    return write_project(tmp_path / "projet", {
        "alpha": minimal_front("Une épicerie solidaire"),
        "beta": minimal_front("Un atelier vélo", themes=["Mobilité"]),
        "jeunesse/gamma": minimal_front("Une radio locale", territory="Vichy"),
    }, publication={"title": "Recueil d’essai", "date": "2025"})


@pytest.fixture
def served(small):
    s = Served(small)
    try:
        yield s
    finally:
        if s.process.poll() is None:
            s.interrupt()
        s.kill()


def audit_csp(page) -> list[dict]:
    """axe-core's violations. The page's CSP allows no inline script, so axe is run
    through the DevTools protocol (page.evaluate), not a <script> tag."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' '))}));
        }""")


# --- pieces -----------------------------------------------------------------------------------

@pytest.mark.parametrize("rel, kind", [
    ("fiches/a.md", "fiche"),
    ("fiches/sous/b.md", "fiche"),
    ("publication.yaml", "settings"),
    ("partners.yaml", "settings"),
    ("images/photo.JPG", "image"),
    ("fiches/photo.png", "image"),
    ("layouts/brochure/booklet.css", "layout"),
    ("fonts/Lato.ttf", "layout"),
    ("fiches/.a.md.swp", None),
    ("fiches/a.md~", None),
    ("fiches/4913", None),
    ("fiches/.#a.md", None),
    ("fiches/#a.md#", None),
    ("output/booklet.pdf", None),
    (".git/index", None),
    ("README.md", None),
    ("notes/todo.txt", None),
])
def test_which_saved_files_count(rel, kind):
    assert kind_of(rel) == kind


@pytest.mark.parametrize("raw", ["/../etc/passwd", "/%2e%2e/etc/passwd", "/output/../../x", "/output/%2E%2E/x",
                                 "//etc/passwd", "/output//etc/passwd", "http://evil/x", "/output/a%5cb",
                                 "/output/a%00b", "/./x", "/output/%ff"])
def test_paths_that_are_refused(raw):
    with pytest.raises(Refused):
        clean_path(raw)


def test_paths_that_are_served():
    assert clean_path("/") == []
    assert clean_path("/?fiche=x") == []
    assert clean_path("/output/fiches/caf%C3%A9.pdf") == ["output", "fiches", "café.pdf"]


def test_hosts_answered():
    hosts = allowed_hosts("127.0.0.1", 8000)
    assert {"127.0.0.1:8000", "localhost:8000", "[::1]:8000"} <= hosts
    assert "evil.example:8000" not in hosts and "127.0.0.1:8001" not in hosts and "localhost" not in hosts


def test_a_burst_of_saves_is_one_batch():
    pending = Pending()
    taken = []

    def consumer():
        taken.append(pending.take())

    thread = threading.Thread(target=consumer)
    thread.start()
    for i in range(10):  # an editor's swap files, a `git checkout`: within a few milliseconds
        pending.add(f"fiches/f{i}.md", "fiche", i + 1)
    pending.add("fiches/f3.md", "fiche", 11)  # saved again: once in the batch, newest last
    thread.join(10)
    assert len(taken) == 1
    generation, batch = taken[0]
    assert generation == 11 and len(batch) == 10 and list(batch)[-1] == "fiches/f3.md"
    pending.stop()


# --- the command line -------------------------------------------------------------------------

def test_help_is_a_manual_with_examples():
    from conftest import run_recueil

    result = run_recueil("serve", "--help")
    assert result.returncode == 0
    assert "examples:" in result.stdout and "recueil serve" in result.stdout and "127.0.0.1" in result.stdout
    assert "recueil serve" in run_recueil("--help").stdout


@pytest.mark.parametrize("args", [["--port", "huit"], ["--port", "70000"], ["--select", "couleur=rouge"],
                                  ["--select", "theme"]])
def test_usage_errors_are_status_2(args, small):
    from conftest import run_recueil

    result = run_recueil("serve", str(small), *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert not (small / "output").exists()


def test_a_port_in_use_is_one_line_and_status_2(small):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        result = subprocess.run([sys.executable, "-m", "generator", "serve", str(small), "--port", str(port)],
                                capture_output=True, text=True, env=env, timeout=TIMEOUT)
    assert result.returncode == 2
    assert result.stderr.strip() == f"recueil serve: error: port {port} is in use (try --port {port + 1})"
    assert not (small / "output" / "build.json").exists()  # nothing built


def test_a_missing_folder_is_an_error(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-m", "generator", "serve", str(tmp_path / "nulle-part"), "--port", "0"],
                            capture_output=True, text=True, env=env, timeout=TIMEOUT)
    assert result.returncode == 1 and "no such folder" in result.stderr and "Traceback" not in result.stderr


@pytest.fixture
def french(monkeypatch):
    """Recueil's messages in French for one test, as RECUEIL_LANG=fr asks (the others read
    them in English: conftest)."""
    from generator import i18n

    monkeypatch.setenv("RECUEIL_LANG", "fr")
    i18n.use(i18n.choose())
    try:
        yield
    finally:
        i18n.use("en")


def test_the_terminal_lines_are_in_the_language_asked_for(french, tmp_path):
    import io

    from generator import i18n
    from generator.serve.session import Log, _booklet_line

    nbsp = "\u00a0"
    stream = io.StringIO()
    log = Log(stream)
    log(_booklet_line(False, 1.54, 12, 2))
    log(_booklet_line(True, 0.0, None, 1))
    lines = stream.getvalue().splitlines()
    assert all(re.match(r"\d\d:\d\d:\d\d  ", line) for line in lines), lines  # the time as it was
    assert [line[10:] for line in lines] == [f"livret généré en 1,5 s, 12 pages (2 avertissements{nbsp}: voir la page)",
                                             f"livret à jour (1 avertissement{nbsp}: voir la page)"]
    # The command line's own lines, the folder's path as it was given.
    missing = tmp_path / "nulle-part"
    result = subprocess.run([sys.executable, "-m", "generator", "serve", str(missing), "--port", "0"],
                            capture_output=True, text=True, timeout=TIMEOUT,
                            env={**os.environ, "PYTHONPATH": str(REPO), "RECUEIL_LANG": "fr"})
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"{missing}: erreur: dossier introuvable{nbsp}: indiquez le dossier qui "
                                          "contient publication.yaml et fiches/"], result.stderr
    i18n.use("en")
    assert _booklet_line(False, 1.54, 12, 2) == "booklet built in 1.5 s, 12 pages (2 warnings: see the page)"


def test_a_builds_messages_are_in_the_language_of_the_server(french, tmp_path):
    """The builds' fork server starts before the language is chosen: each build is told."""
    from generator.build import BuildOptions
    from generator.serve.builder import Builder

    root = write_project(tmp_path / "p", {"a": {**minimal_front(), "themes": 3}})
    outcome = Builder().run(root, BuildOptions(out=root / "output"), lambda stage: None)
    assert outcome.kind == "failed", outcome
    assert [(d.path, d.message) for d in outcome.items] == [
        ("fiches/a.md", "'themes' doit être une liste (un élément par ligne, commençant par '- '), pas un nombre")]


def test_ctrl_c_stops_cleanly(served):
    served.wait_ready()
    pgid = served.process.pid
    code = served.interrupt(signal.SIGINT)
    assert code in (0, 130)
    err = served.stderr()
    assert "Traceback" not in err, err
    assert group_gone(pgid), "a process of the server's group is still running"


def test_ctrl_c_in_a_terminal_reaches_every_process_quietly(served, small):
    """A terminal sends SIGINT to the whole foreground group: the server, its preview
    process, a running build and the build's workers."""
    served.wait_ready()
    pgid = served.process.pid
    fiche = small / "fiches" / "beta.md"
    fiche.write_text(fiche_text(minimal_front("Un atelier vélo, autre version", themes=["Mobilité"])), encoding="utf-8")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # during the build, if it is slow enough to be seen
        if 'data-phase="booklet"' in served.get("/")[1].decode():
            break
        time.sleep(0.02)
    os.killpg(pgid, signal.SIGINT)
    try:
        code = served.process.wait(TIMEOUT)
    finally:
        served.err.close()
    assert code in (0, 130)
    err = served.stderr()
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert group_gone(pgid)


def test_a_build_interrupted_by_sigterm_leaves_output_whole(served, small):
    served.wait_ready()
    pgid = served.process.pid
    fiche = small / "fiches" / "alpha.md"
    fiche.write_text(fiche_text(minimal_front("Une épicerie solidaire, deuxième version")), encoding="utf-8")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # stop it while it works, if it is quick enough to see
        if re.search(r'data-phase="(fiche|booklet)"', served.get("/")[1].decode()):
            break
        time.sleep(0.02)
    code = served.interrupt(signal.SIGTERM)
    assert code in (0, 130)
    assert "Traceback" not in served.stderr()
    assert group_gone(pgid)
    manifest = json.loads((small / "output" / "build.json").read_text(encoding="utf-8"))
    from generator.write.manifest import sha256_file

    for output in manifest["outputs"]:  # the last complete build, whole
        assert sha256_file(small / "output" / output["path"]) == output["sha256"], output["path"]
    assert not list((small / "output").glob(".recueil-staging-*"))


def test_outputs_are_those_of_recueil_build(served, small):
    served.wait_ready()
    fiche = small / "fiches" / "beta.md"
    fiche.write_text(fiche_text(minimal_front("Un atelier vélo solidaire", themes=["Mobilité"])), encoding="utf-8")
    deadline = time.monotonic() + TIMEOUT
    while True:
        html = served.get("/")[1].decode()
        if "Un atelier vélo solidaire" in html and 'data-phase="ready"' in html:
            break
        assert time.monotonic() < deadline, served.stderr()
        time.sleep(0.1)
    served.interrupt()
    from_serve = (small / "output" / "build.json").read_bytes()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-m", "generator", "build", str(small), "--no-cache"],
                            capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    assert (small / "output" / "build.json").read_bytes() == from_serve  # every output's sha256 the same


def test_host_0000_warns(small):
    served = Served(small, "--host", "0.0.0.0")
    try:
        served.wait_ready()
        assert "warning: listening on 0.0.0.0" in served.stderr()
        assert served.get("/", host=f"localhost:{served.port}")[0] == 200
        assert served.get("/", host=f"evil.example:{served.port}")[0] == 403
    finally:
        served.interrupt()
        served.kill()


# --- what the server refuses ---------------------------------------------------------------------

def test_refused_paths_and_hosts(served, small, tmp_path):
    served.wait_ready()
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-DU-VOISIN", encoding="utf-8")
    out = small / "output"
    assert served.get("/")[0] == 200
    assert served.get("/output/booklet.pdf")[0] == 200
    for path in ["/../secret.txt", "/%2e%2e/secret.txt", "/output/../../secret.txt", "/output/%2e%2e/%2e%2e/secret.txt",
                 "/output/%252e%252e/secret.txt", f"/{secret}", f"/output/{secret}", f"/output/%2F{str(secret)[1:]}",
                 "/output/", "/output/fiches/", "/output", "/_recueil/", "/_recueil/apercu/", "/fiches/alpha.md",
                 "/publication.yaml", "/output/.recueil-cache/", "/output/.recueil.lock", "/_recueil/page.css/..",
                 "/_recueil/apercu/..%2f..%2fsecret.txt"]:
        status, body = served.get(path)
        assert status in (400, 403, 404), (path, status)
        assert b"SECRET" not in body and b"<li>" not in body, path
    # A symbolic link in OUT that leads out, under the name of a listed output.
    handout = out / "fiches" / "alpha.pdf"
    handout.unlink()
    handout.symlink_to(secret)
    status, body = served.get("/output/fiches/alpha.pdf")
    assert status == 403 and b"SECRET" not in body
    # An unlisted file in OUT is not served either.
    (out / "notes.txt").write_text("x", encoding="utf-8")
    assert served.get("/output/notes.txt")[0] == 404
    # DNS rebinding: a name that resolves here but is not ours.
    for host in ["evil.example:%d" % served.port, "evil.example", f"127.0.0.1:{served.port + 1}", "", "localhost"]:
        assert served.get("/", host=host)[0] == 403, host
    for host in [f"localhost:{served.port}", f"[::1]:{served.port}", f"127.0.0.1:{served.port}"]:
        assert served.get("/", host=host)[0] == 200, host
    # Another site's page, through the user's browser.
    assert served.get("/output/booklet.pdf", headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"})[0] == 403
    assert served.get("/", method="POST")[0] == 405


# --- in the browser -----------------------------------------------------------------------------

def test_an_edit_appears_in_the_page(served, small, page):
    from playwright.sync_api import expect

    served.wait_ready()
    page.goto(served.url)
    expect(page.locator("#etat")).to_have_attribute("data-phase", "ready", timeout=TIMEOUT * 1000)
    expect(page.locator("#sommaire")).to_contain_text("Un atelier vélo")
    expect(page.locator("#sommaire")).to_contain_text("Une radio locale")
    fiche = small / "fiches" / "jeunesse" / "gamma.md"
    fiche.write_text(fiche_text(minimal_front("Une radio associative", territory="Vichy")), encoding="utf-8")
    expect(page.locator("#titre-fiche")).to_have_text("Une radio associative", timeout=20_000)
    expect(page.locator("#fiche img").first).to_be_visible()
    expect(page.locator("#etat")).to_have_attribute("data-phase", "ready", timeout=TIMEOUT * 1000)
    expect(page.locator("#sommaire")).to_contain_text("Une radio associative")
    origin = served.url.rstrip("/")
    assert page.watched.requests and all(r.startswith(origin + "/") for r in page.watched.requests), \
        [r for r in page.watched.requests if not r.startswith(origin + "/")]
    assert page.watched.console_errors == []
    assert audit_csp(page) == []


def test_a_broken_fiche_shows_its_line_above_the_last_good_pages(served, small, page):
    from playwright.sync_api import expect

    served.wait_ready()
    page.goto(served.url)
    expect(page.locator("#etat")).to_have_attribute("data-phase", "ready", timeout=TIMEOUT * 1000)
    fiche = small / "fiches" / "beta.md"
    good = fiche.read_text(encoding="utf-8")
    fiche.write_text(good.replace("themes:", "themes: [Mobilité\nterritory2:", 1), encoding="utf-8")
    problem = page.locator("#problemes .problem-error")
    expect(problem.first).to_contain_text(re.compile(r"fiches/beta\.md:\d+"), timeout=20_000)
    expect(page.locator("#titre-fiche")).to_have_text("Un atelier vélo")
    expect(page.locator("#fiche img").first).to_be_visible()  # the last good pages, below the error
    expect(page.locator("#etat")).to_have_attribute("data-phase", "failed", timeout=TIMEOUT * 1000)
    assert audit_csp(page) == []
    fiche.write_text(good, encoding="utf-8")
    expect(page.locator("#problemes .problem-error")).to_have_count(0, timeout=20_000)
    expect(page.locator("#etat")).to_have_attribute("data-phase", "ready", timeout=TIMEOUT * 1000)
    assert page.watched.console_errors == []


def test_saves_in_a_burst_make_one_build(served, small):
    served.wait_ready()
    deadline = time.monotonic() + TIMEOUT
    while "booklet built" not in served.stderr():  # the log line follows the page's « À jour »
        assert time.monotonic() < deadline
        time.sleep(0.05)
    before = served.stderr().count("booklet built")
    for i in range(8):  # as fast as a `git checkout`
        name = ["alpha", "beta"][i % 2]
        (small / "fiches" / f"{name}.md").write_text(fiche_text(minimal_front(f"Version {i} de {name}")), encoding="utf-8")
    deadline = time.monotonic() + TIMEOUT
    while ("Version 7\u00a0de beta" not in served.get("/")[1].decode()  # French typography: a no-break space
           or served.stderr().count("booklet built") == before):
        assert time.monotonic() < deadline, served.stderr()
        time.sleep(0.1)
    served.wait_ready()
    assert served.stderr().count("booklet built") == before + 1, served.stderr()


def test_a_fiche_broken_from_the_start_does_not_stop_the_others_previews(small):
    (small / "fiches" / "beta.md").write_text("---\ntitle: [Un atelier\n---\n\nTexte.\n", encoding="utf-8")
    served = Served(small)
    try:
        deadline = time.monotonic() + TIMEOUT
        while 'data-phase="failed"' not in (html := served.get("/")[1].decode()):
            assert time.monotonic() < deadline, served.stderr()
            time.sleep(0.1)
        assert re.search(r"fiches/beta\.md:\d+", html)
        (small / "fiches" / "alpha.md").write_text(fiche_text(minimal_front("Une épicerie coopérative")), encoding="utf-8")
        while '<h2 id="titre-fiche">Une épicerie coopérative</h2>' not in (html := served.get("/")[1].decode()):
            assert time.monotonic() < deadline, served.stderr()
            time.sleep(0.1)
        assert re.search(r'<img src="/_recueil/apercu/fiche-\d+-1\.png"', html)  # its pages, laid out
        assert re.search(r"fiches/beta\.md:\d+", html)  # and the other's error, still listed
    finally:
        served.interrupt()
        served.kill()


def test_saves_during_a_build_make_one_more_build(served, small):
    served.wait_ready()
    deadline = time.monotonic() + TIMEOUT

    def builds() -> int:  # a build that finds its sources unchanged says « up to date »
        return len(re.findall(r"booklet (built|up to date)", served.stderr()))

    while "booklet" not in served.stderr():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    before = builds()
    alpha = small / "fiches" / "alpha.md"
    alpha.write_text(fiche_text(minimal_front("Première version")), encoding="utf-8")
    while 'data-phase="booklet"' not in served.get("/")[1].decode() and builds() == before:
        assert time.monotonic() < deadline, served.stderr()
        time.sleep(0.01)
    for title in ("Deuxième version", "Troisième version"):  # while that build runs (if it still does)
        alpha.write_text(fiche_text(minimal_front(title)), encoding="utf-8")
    while True:
        html = served.get("/")[1].decode()
        if "Troisième version" in html and 'data-phase="ready"' in html and builds() >= before + 2:
            break
        assert time.monotonic() < deadline, served.stderr()
        time.sleep(0.1)
    assert builds() == before + 2, served.stderr()  # one for the first save, one for the two during it
