"""`recueil serve`: the edition in a browser, following every save.

    recueil serve [DIR] [--port N] [--host ADDR] [--open] [--select KEY=VALUE]... [--layout NAME] [--drafts]

Builds once, then watches the project (watch.py) and, for every batch of saves, lays out
the saved fiche alone for the page at once, then rebuilds through the build cache, as
`recueil build` would, into DIR/output (session.py). The page (page.py, page/) lists the
edition's fiches with their pages and problems, shows the fiche being edited as its
pages, then the booklet, and refreshes itself on server-sent events (server.py).

The pieces:
  watch.py     watchdog, which files count, bursts of saves made into one batch
  session.py   the builds (main thread) and the fiche previews (a thread)
  builder.py   each build in a child process (a fork server's), asked to stop on Ctrl-C
  pages.py     the preview process (WeasyPrint kept warm) and booklet pages as PNG
  state.py     what the page shows, versioned, shared by the threads
  server.py    the HTTP server: Host checks, path checks, the event stream
  page.py      the page's HTML from a snapshot of the state; page/ its template,
               CSS, script and icon; strings.py every French word of it
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path

from generator.i18n import _

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

_PREVIEW_NAME = re.compile(r"^fiche-\d+-\d+\.png$")
_BOOKLET_NAME = re.compile(r"^(\d+)-(\d+)-([a-z])\.png$")


class App:
    """What the HTTP server answers with: the page, the files it may serve."""

    def __init__(self, state, session, selecting: bool):
        self.state = state
        self.session = session
        self.folder = session.folder
        self.out = Path(session.options.out)
        self.selecting = selecting

    def page(self, chosen: str | None) -> str:
        from generator.serve import page

        return page.render(self.state.snapshot(), chosen, self.selecting)

    def outputs(self) -> set[str]:
        return self.state.outputs  # replaced whole by each build, never changed in place

    def preview_file_known(self, name: str) -> bool:
        if not _PREVIEW_NAME.match(name):
            return False
        if name in self.session.retired:
            return True
        return any(name == page[0] for p in list(self.state.previews.values()) for page in p.pages)

    def booklet_page(self, name: str) -> Path | None:
        m = _BOOKLET_NAME.match(name)
        if m is None:
            return None
        return self.session.booklet_pages.file(int(m.group(1)), int(m.group(2)), m.group(3))

    def internal_error(self, error: BaseException) -> None:
        self.session.internal_error(error)


def _address(host: str, port: int) -> str:
    """The address to open: a wildcard address is reached through the loopback one."""
    from generator.serve.server import is_wildcard

    if is_wildcard(host):
        host = "::1" if ":" in host else "127.0.0.1"
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def serve(root: Path, options, host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False) -> int:
    """Run the preview until Ctrl-C or SIGTERM: 130 then, 1 for a folder that is not
    there, 2 for a port in use. Call it from the main thread (it handles the signals)."""
    from generator.serve.server import PortInUse, Server, is_loopback
    from generator.serve.session import Log, Session
    from generator.serve.state import State
    from generator.serve.watch import Stopped, Watcher

    root = Path(root)
    if not root.is_dir():
        print(f"{root}: {_('error')}: " + _("no such folder: give the folder that holds publication.yaml and fiches/"),
              file=sys.stderr)
        return EXIT_INPUT
    folder = Path(tempfile.mkdtemp(prefix="recueil-apercu-"))
    state = State()
    log = Log()
    session = Session(root, options, state, folder, log)
    app = App(state, session, bool(options.selects))
    server = thread = watcher = caught = None
    code = EXIT_OK
    try:
        try:
            server = Server(host, port, app)
        except PortInUse as e:
            print(_("recueil serve: error: {problem}", problem=e), file=sys.stderr)
            return EXIT_USAGE
        session.start()  # before any thread: it starts the preview process and the builds' fork server
        caught = _catch_signals(session)
        watcher = Watcher(root, session.changed)
        try:
            watcher.start()
        except OSError as e:
            print(_("recueil serve: error: cannot watch {folder} ({reason}): on Linux, raise "
                    "fs.inotify.max_user_watches", folder=root, reason=e.strerror or e), file=sys.stderr)
            return EXIT_INPUT
        thread = threading.Thread(target=server.serve, name="recueil-http", daemon=True)
        thread.start()
        address = _address(host, server.port)
        if not is_loopback(host):
            print(_("recueil serve: warning: listening on {host}: other machines on the network can see "
                    "this preview and download its outputs", host=host), file=sys.stderr)
        print(_("recueil serve: previewing {folder} at {address} (Ctrl-C to stop)", folder=root.resolve(),
                address=address), flush=True)
        if open_browser:
            _open(address)
        session.run()
    except (KeyboardInterrupt, Stopped):
        code = EXIT_INTERRUPTED
    finally:
        if caught is not None:  # stopping must not be stopped: a second Ctrl-C waits for the first
            for sig in caught:
                signal.signal(sig, signal.SIG_IGN)
        if watcher is not None:
            watcher.stop()
        if server is not None:
            server.stop()
        session.stop()
        if thread is not None:
            thread.join(timeout=5)
        if server is not None:
            server.server_close()
        shutil.rmtree(folder, ignore_errors=True)
        if caught is not None:
            for sig, handler in caught.items():
                signal.signal(sig, handler)
    if code == EXIT_INTERRUPTED:
        print(_("recueil serve: stopped; output/ holds the last complete build"), file=sys.stderr)
    return code


def _catch_signals(session) -> dict:
    """Ctrl-C and SIGTERM ask the session to stop (Session.request_stop) instead of
    raising KeyboardInterrupt wherever the main thread happens to be. Returns the
    handlers to restore."""
    def handler(signum, frame):
        session.request_stop()

    return {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}


def _open(address: str) -> None:
    """Open the page in the user's browser, if this machine has a screen to show it on."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        print(_("recueil serve: --open: no graphical session here; open the address in a browser"), file=sys.stderr)
        return
    import webbrowser

    threading.Thread(target=webbrowser.open, args=(address,), daemon=True).start()


def run(args, parser: argparse.ArgumentParser) -> int:
    """The `recueil serve` command, from its parsed arguments."""
    from generator.build import BuildOptions
    from generator.context import parse_selects

    selects = parse_selects(args.select, parser.error)
    root = Path(args.dir)
    options = BuildOptions(out=root / "output", layout=args.layout, selects=selects, drafts=args.drafts)
    return serve(root, options, host=args.host, port=args.port, open_browser=args.open)
