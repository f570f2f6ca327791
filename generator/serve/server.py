"""The preview's HTTP server: the page, its assets, its event stream, the page images
and the build's outputs, and nothing else.

It runs on the user's machine, so it is careful like any server:
  - it answers only requests whose Host header names it (the bound address, localhost,
    127.0.0.1 or [::1], with its port): a page of another site cannot reach it through
    DNS rebinding, and a request another site's page makes from the browser
    (Sec-Fetch-Site: cross-site) is refused unless it is the user following a link;
  - paths are decoded once and checked before anything is looked up: `..`, `.`, empty
    segments (`//`, absolute paths), backslashes and NUL are refused; so is any hidden
    name (the build cache, its lock, its staging folders);
  - files come only from two places, each from a list: the preview folder (names this
    server made) and OUT, for the outputs the last build.json lists. Each path is
    resolved, symbolic links included, and must still be inside its folder;
  - no directory listing, GET and HEAD only, and every answer says what the browser may
    do with it (Content-Security-Policy, nosniff, same-origin resources, no referrer).

The serving loop waits in select() on the listening socket and a wake-up pipe, with no
timeout: no wake-up while nobody asks (socketserver's serve_forever looks twice a
second). The event stream holds one thread per open page, woken by the state when
something changes, and every 25 s to keep the connection alive.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import mimetypes
import os
import selectors
import socket
import urllib.parse
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from generator.i18n import _

PAGE_DIR = Path(__file__).resolve().parent / "page"
ASSETS = {"page.css": "text/css; charset=utf-8", "page.js": "text/javascript; charset=utf-8",
          "icone.svg": "image/svg+xml"}
FONTS = {"lato-regular.ttf": "Lato-Regular.ttf", "lato-bold.ttf": "Lato-Bold.ttf",
         "lato-italic.ttf": "Lato-Italic.ttf", "vollkorn-bold.ttf": "Vollkorn-Bold.ttf"}
KEEPALIVE = 25.0  # seconds between two comments on an idle event stream
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")

PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
            "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
# booklet.html, shown as the build wrote it: its styles and fonts are inline, its images
# are in the project (not served). It runs nothing.
OUTPUT_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data: 'self'"


class PortInUse(Exception):
    pass


class Refused(Exception):
    def __init__(self, status: HTTPStatus):
        super().__init__(status.phrase)
        self.status = status


def allowed_hosts(host: str, port: int) -> set[str]:
    """The Host headers this server answers: its address and the loopback names, with
    its port (without it too on port 80)."""
    names = set(LOOPBACK_NAMES)
    try:
        ip = ipaddress.ip_address(host)
        names.add(f"[{ip.compressed}]" if ip.version == 6 else ip.compressed)
    except ValueError:
        names.add(host.lower())
    hosts = {f"{n}:{port}" for n in names}
    if port == 80:
        hosts |= names
    return hosts


def is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clean_path(raw: str) -> list[str]:
    """The segments of a request's path, decoded once; Refused for anything that could
    name a file the server did not mean to serve."""
    if not raw.startswith("/") or raw.startswith("//"):
        raise Refused(HTTPStatus.BAD_REQUEST)  # absolute-form URLs, "//host/..."
    path = raw.split("?", 1)[0].split("#", 1)[0]
    try:
        decoded = urllib.parse.unquote(path, errors="strict")
    except UnicodeDecodeError:
        raise Refused(HTTPStatus.BAD_REQUEST) from None
    if "\\" in decoded or "\0" in decoded:
        raise Refused(HTTPStatus.BAD_REQUEST)
    segments = decoded.split("/")[1:]
    if segments == [""]:
        return []
    for s in segments:
        if s in ("", ".", "..") or s.startswith("."):
            raise Refused(HTTPStatus.BAD_REQUEST if s in ("", ".", "..") else HTTPStatus.NOT_FOUND)
    return segments


def inside(folder: Path, segments: list[str]) -> Path:
    """folder/segments, resolved: Refused when a symbolic link leads out of `folder`."""
    root = folder.resolve()
    path = root.joinpath(*segments)
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise Refused(HTTPStatus.NOT_FOUND) from None
    if not real.is_relative_to(root):
        raise Refused(HTTPStatus.FORBIDDEN)
    if not real.is_file():
        raise Refused(HTTPStatus.NOT_FOUND)
    return real


class Server(ThreadingHTTPServer):
    """A ThreadingHTTPServer bound at once (a port in use is known before any build)."""

    daemon_threads = True
    request_queue_size = 32

    def __init__(self, host: str, port: int, app):
        self.app = app  # what answers: generator.serve.Preview (page, files, events)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.address_family = family
        self._wake_r, self._wake_w = os.pipe()  # before binding: a failed bind closes them
        try:
            super().__init__((host, port), Handler)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise PortInUse(_("port {port} is in use (try --port {next})", port=port, next=port + 1)) from None
            if e.errno == errno.EACCES:
                raise PortInUse(_("port {port} needs administrator rights (try --port 8000)", port=port)) from None
            if e.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT) or isinstance(e, socket.gaierror):
                raise PortInUse(_("cannot listen on {host}: no such address on this machine", host=host)) from None
            raise
        self.port = self.server_address[1]
        self.hosts = allowed_hosts(host, self.port)
        self.open_to_all = is_wildcard(host)

    def serve(self) -> None:
        """Answer requests until stop(); sleeps in select() with no timeout."""
        with selectors.DefaultSelector() as selector:
            selector.register(self, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while True:
                for key, _mask in selector.select():
                    if key.fileobj == self._wake_r:
                        return
                    self._handle_request_noblock()

    def stop(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    def server_close(self) -> None:
        super().server_close()
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def handle_error(self, request, client_address) -> None:
        pass  # a browser that went away mid-answer; bugs are reported by the handler

    def host_allowed(self, header: str | None) -> bool:
        if not header:
            return False
        header = header.strip().lower()
        if header in self.hosts:
            return True
        if self.open_to_all:  # --host 0.0.0.0: any address of this machine, by number
            name, _colon, port = header.rpartition(":")
            if port == str(self.port):
                try:
                    ipaddress.ip_address(name.strip("[]"))
                    return True
                except ValueError:
                    return False
        return False


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"
    server_version = "Recueil"
    sys_version = ""
    timeout = 120  # an idle kept-alive connection frees its thread after this

    def log_message(self, format, *args) -> None:  # noqa: A002 - the terminal is for the user's fiches
        pass

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_GET(self) -> None:
        self._answer(head=False)

    def _not_allowed(self) -> None:
        self._plain(HTTPStatus.METHOD_NOT_ALLOWED, "GET et HEAD seulement.", extra={"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def _answer(self, head: bool) -> None:
        try:
            if not self.server.host_allowed(self.headers.get("Host")):
                raise Refused(HTTPStatus.FORBIDDEN)
            site = self.headers.get("Sec-Fetch-Site", "")
            if site == "cross-site" and self.headers.get("Sec-Fetch-Mode") != "navigate":
                raise Refused(HTTPStatus.FORBIDDEN)
            segments = clean_path(self.path)
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            self._route(segments, query, head)
        except Refused as e:
            self._plain(e.status, _REFUSALS.get(e.status, e.status.phrase))
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
        except Exception as e:  # noqa: BLE001 - a bug here: one line, and the server goes on
            self.server.app.internal_error(e)
            self.close_connection = True
            try:
                self._plain(HTTPStatus.INTERNAL_SERVER_ERROR, "Erreur interne de Recueil : voir le terminal.")
            except OSError:
                pass

    def _route(self, segments: list[str], query: dict, head: bool) -> None:
        app = self.server.app
        if not segments:
            chosen = (query.get("fiche") or [None])[0]
            html = app.page(chosen)
            self._send(HTTPStatus.OK, html.encode("utf-8"), "text/html; charset=utf-8", head,
                       {"Cache-Control": "no-store", "Content-Security-Policy": PAGE_CSP})
            return
        first, rest = segments[0], segments[1:]
        if first == "_recueil" and rest:
            self._own(rest, head)
            return
        if first == "output" and rest:
            rel = "/".join(rest)
            if rel not in app.outputs():
                raise Refused(HTTPStatus.NOT_FOUND)
            path = inside(app.out, rest)
            headers = {"Cache-Control": "no-cache"}
            if path.suffix == ".html":  # not on PDFs: Chromium shows no PDF in a sandbox
                headers["Content-Security-Policy"] = OUTPUT_CSP
            disposition = "inline" if path.suffix in (".pdf", ".html") else "attachment"
            headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{urllib.parse.quote(path.name)}"
            self._file(path, head, headers)
            return
        raise Refused(HTTPStatus.NOT_FOUND)

    def _own(self, rest: list[str], head: bool) -> None:
        app = self.server.app
        name = rest[0]
        if rest == ["evenements"]:
            self._events(head)
            return
        if len(rest) == 1 and name in ASSETS:
            self._file(PAGE_DIR / name, head, {"Cache-Control": "no-cache"}, ASSETS[name])
            return
        if len(rest) == 2 and name == "polices" and rest[1] in FONTS:
            from generator.paths import builtin_fonts

            self._file(builtin_fonts() / FONTS[rest[1]], head, {"Cache-Control": "max-age=86400"}, "font/ttf")
            return
        if len(rest) == 2 and name == "apercu":
            if not app.preview_file_known(rest[1]):
                raise Refused(HTTPStatus.NOT_FOUND)
            self._file(inside(app.folder, rest[1:]), head, {"Cache-Control": "max-age=3600, immutable"}, "image/png")
            return
        if len(rest) == 2 and name == "livret":
            path = app.booklet_page(rest[1])
            if path is None:
                raise Refused(HTTPStatus.NOT_FOUND)
            self._file(inside(app.folder, [path.name]), head, {"Cache-Control": "max-age=3600, immutable"}, "image/png")
            return
        raise Refused(HTTPStatus.NOT_FOUND)

    # --- answers --------------------------------------------------------------------
    def _common(self, extra: dict | None = None) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("X-Frame-Options", "DENY")
        for k, v in (extra or {}).items():
            self.send_header(k, v)

    def _send(self, status: HTTPStatus, body: bytes, content_type: str, head: bool, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self._common(extra)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _plain(self, status: HTTPStatus, message: str, extra: dict | None = None) -> None:
        self._send(status, (message + "\n").encode("utf-8"), "text/plain; charset=utf-8", self.command == "HEAD",
                   {"Cache-Control": "no-store", **(extra or {})})

    def _file(self, path: Path, head: bool, extra: dict, content_type: str | None = None) -> None:
        try:
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", content_type or _type(path))
                self.send_header("Content-Length", str(size))
                self._common(extra)
                self.end_headers()
                if not head:
                    while block := f.read(1 << 16):
                        self.wfile.write(block)
        except FileNotFoundError:
            raise Refused(HTTPStatus.NOT_FOUND) from None

    def _events(self, head: bool) -> None:
        """Server-sent events: one `data:` line per change of the state, as JSON."""
        state = self.server.app.state
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self._common({"Cache-Control": "no-store"})
        self.end_headers()
        self.close_connection = True  # a stream has no length: its end is the connection's
        if head:
            return
        self.wfile.write(b"retry: 1500\n\n")
        seen, closing = None, False
        while not closing:
            if seen is not None:
                version, closing = state.wait_change(seen, KEEPALIVE)
                if version == seen:
                    self.wfile.write(b": rien de neuf\n\n")  # a comment keeps the connection alive
                    continue
            event = state.event()
            seen = event["tick"]
            self.wfile.write(b"data: " + json.dumps(event, ensure_ascii=False).encode("utf-8") + b"\n\n")


_REFUSALS = {
    HTTPStatus.BAD_REQUEST: "Chemin refusé.",
    HTTPStatus.FORBIDDEN: "Accès refusé.",
    HTTPStatus.NOT_FOUND: "Introuvable.",
}


def _type(path: Path) -> str:
    known = {".pdf": "application/pdf", ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             ".html": "text/html; charset=utf-8", ".json": "application/json", ".png": "image/png"}
    return known.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
