"""The only URL fetcher WeasyPrint is ever given: fiches are untrusted.

HTML built from a fiche may name any URL (an image path, a stylesheet, an attachment). A
URL is served only when it is
  - a local file inside the project folder or one of the extra roots (the layout's
    folder, the fonts folder), symbolic links resolved first, so a link pointing out
    is refused;
  - a `data:` URL below a size bound;
  - an `http`/`https` URL when the publication allows remote resources, then within
    the build's one deadline and byte budget (`RemoteBudget`: publication.yaml's
    remote_timeout and remote_max_bytes, shared by every render of the build, in every
    worker), a size cap per response, and redirects only to `http`/`https`. The
    deadline is a hard one: a server sending a byte every few seconds is cut off when
    it passes, not when a read times out.
A raster image over MAX_PIXELS is refused whatever its origin. Everything else is refused: `warn` gets a message naming the URL and WeasyPrint gets an
ordinary exception, which it logs before skipping the resource; the render goes on.

The fetcher records what it served (`served`: each local file's real path and the
sha256 of the bytes served, each remote URL with None) and what it refused
(`refused`: message -> URL): a render's cache entry is valid only while the files it
read are unchanged (an SVG's own images, fonts, stylesheets), and a refusal is
attributed to the fiche that led to it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import http.client
import mimetypes
import os
import socket
import stat
import threading
import time
import zlib
from pathlib import Path
from typing import Callable
from urllib import parse, request

from weasyprint.urls import URLFetcher, URLFetcherResponse

from generator.context import REMOTE_MAX_BYTES, REMOTE_TIMEOUT, FetchRules
from generator.read.pixels import MAX_PIXELS, pixel_count

DATA_URL_MAX = 2_000_000  # characters of the URL itself, about 1.5 MB once decoded
_SHOWN = 120  # characters of a URL quoted in a message: data: URLs can be huge


class RefusedURL(ValueError):
    """A URL the build may not read. A ValueError, so that WeasyPrint skips the
    resource with a log line instead of stopping the render."""


def is_allowed_path(path: Path | str, roots: list[Path]) -> bool:
    """Whether `path`, symbolic links resolved, is an existing regular file inside one
    of `roots`. The DOCX renderer can use it for the files it embeds."""
    try:
        real = Path(path).resolve(strict=True)
        if not stat.S_ISREG(real.stat().st_mode):  # a FIFO or a device would hang or leak
            return False
    except (OSError, RuntimeError, ValueError):  # missing, symlink loop, NUL in path
        return False
    return any(real.is_relative_to(root.resolve()) for root in roots)


def _shown(url: str) -> str:
    return url if len(url) <= _SHOWN else url[:_SHOWN] + "…"


class RemoteBudget:
    """What a build's remote fetches may still spend: time until `deadline` (on
    time.monotonic(), one clock for every process of the machine), and `max_bytes`,
    counted in the file `path` that the build's processes share (locked while counted),
    or in this object when there is no file."""

    def __init__(self, seconds: float, max_bytes: int, deadline: float | None = None, path: str | None = None):
        self.seconds = seconds
        self.max_bytes = max_bytes
        self.deadline = deadline if deadline is not None else time.monotonic() + seconds
        self.path = path
        self._used = 0

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def take(self, n: int) -> bool:
        """Count `n` more bytes; False (nothing counted) when that would pass the budget."""
        if self.path is None:
            if self._used + n > self.max_bytes:
                return False
            self._used += n
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.pread(fd, 32, 0)
            used = int(raw) if raw.strip().isdigit() else 0
            if used + n > self.max_bytes:
                return False
            os.pwrite(fd, str(used + n).encode().ljust(20), 0)
            return True
        finally:
            os.close(fd)  # releases the lock


class _Watch:
    """Shuts every socket of one fetch down when the deadline passes, so that a read
    blocked on a slow server returns at once."""

    def __init__(self, seconds: float):
        self._lock = threading.Lock()
        self._sockets: list = []
        self.expired = False
        self._timer = threading.Timer(max(0.0, seconds), self._expire)
        self._timer.daemon = True

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()

    def add(self, sock) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                self._shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                self._shut(sock)

    @staticmethod
    def _shut(sock) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _watched(base, watch: _Watch):
    class Connection(base):
        def connect(self):
            super().connect()
            watch.add(self.sock)
    return Connection


class _HTTPHandler(request.HTTPHandler):
    def __init__(self, watch: _Watch):
        super().__init__()
        self.watch = watch

    def http_open(self, req):
        return self.do_open(_watched(http.client.HTTPConnection, self.watch), req)


class _HTTPSHandler(request.HTTPSHandler):
    def __init__(self, watch: _Watch):
        super().__init__()
        self.watch = watch

    def https_open(self, req):
        return self.do_open(_watched(http.client.HTTPSConnection, self.watch), req, context=self._context)


class _HTTPOnlyRedirects(request.HTTPRedirectHandler):
    # urllib's own handler also follows redirects to ftp://; a redirect may only lead to
    # another http(s) URL, checked again by the size cap and timeout.
    max_redirections = 5

    def http_error_302(self, req, fp, code, msg, headers):
        target = headers.get("location") or headers.get("uri") or ""
        scheme = parse.urlsplit(parse.urljoin(req.full_url, target)).scheme.lower()
        if scheme not in ("http", "https"):
            raise RefusedURL(f"it redirects to {_shown(target)}")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


class SafeFetcher(URLFetcher):
    """A WeasyPrint 70 `URLFetcher` (WeasyPrint calls it and reads `_fail_on_errors`)."""

    def __init__(
        self,
        roots: list[Path],
        allow_remote: bool,
        warn: Callable[[str], None] | None,
        timeout: float,
        max_bytes: int,
        budget: RemoteBudget | None = None,
    ):
        super().__init__(timeout=timeout, allow_redirects=False, fail_on_errors=False)
        self.roots = [Path(r).resolve() for r in roots]
        self.allow_remote = allow_remote
        self.max_bytes = max_bytes
        self.budget = budget or RemoteBudget(REMOTE_TIMEOUT, REMOTE_MAX_BYTES)
        self._warn = warn
        self._warned: set[str] = set()
        self.served: dict[str, str | None] = {}  # real path -> sha256 served; remote URL -> None
        self.refused: dict[str, str] = {}  # message -> the URL refused

    # WeasyPrint calls fetcher(url); URLFetcher.__call__ forwards to fetch().
    def fetch(self, url, headers=None):
        if "://" not in url and not url.lower().startswith("data:"):
            return self._file(url, Path(url))  # a plain path, as a renderer may pass
        scheme = url.split(":", 1)[0].lower()
        if scheme == "file":
            return self._file(url, self._file_path(url))
        if scheme == "data":
            if len(url) > DATA_URL_MAX:
                self._refuse(url, f"embedded data over {DATA_URL_MAX // 1_000_000} MB")
            response = super().fetch(url, headers)
            with contextlib.closing(response):
                body = response.read(DATA_URL_MAX + 1)
            return self._response(url, url, body, {"Content-Type": response.headers.get("Content-Type", "")})
        if scheme in ("http", "https"):
            if not self.allow_remote:
                self._refuse(url, "remote resources are off (publication.yaml: allow_remote: true turns them on)")
            return self._remote(url)
        self._refuse(url, f"'{scheme}:' URLs are never read")

    def _refuse(self, url: str, why: str):
        message = f"{_shown(url)} not read: {' '.join(str(why).split())}"
        self.refused.setdefault(message, url)
        if self._warn and message not in self._warned:  # WeasyPrint may ask twice
            self._warned.add(message)
            self._warn(message)
        raise RefusedURL(message)

    def _file_path(self, url: str) -> Path:
        parts = parse.urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            self._refuse(url, "files on another machine are never read")
        return Path(request.url2pathname(parts.path))

    def _file(self, url: str, path: Path) -> URLFetcherResponse:
        if not is_allowed_path(path, self.roots):
            try:
                exists = path.exists()
            except (OSError, ValueError):
                exists = False
            self._refuse(url, "it leads outside the project folder" if exists else "no such file")
        real = path.resolve(strict=True)
        if real.stat().st_size > self.max_bytes:
            self._refuse(url, f"file over {self.max_bytes // 1_000_000} MB")
        mime = mimetypes.guess_type(real.name)[0] or "application/octet-stream"
        # Read from the resolved path, so a link swapped after the check is not followed.
        body = real.read_bytes()
        self.served[str(real)] = hashlib.sha256(body).hexdigest()
        return self._response(url, real.as_uri(), body, {"Content-Type": mime})

    def _response(self, url: str, final_url: str, body: bytes, headers: dict, status: int = 200):
        pixels = pixel_count(body)
        if pixels is not None and pixels > MAX_PIXELS:
            self._refuse(url, f"image of {pixels / 1e6:.0f} megapixels, over the {MAX_PIXELS // 1_000_000} allowed")
        return URLFetcherResponse(final_url, body, headers, status)

    def _remote(self, url: str) -> URLFetcherResponse:
        self.served[url] = None  # whatever comes of it: a render that asked is not cacheable
        budget = self.budget
        left = budget.left()
        if left <= 0:
            self._refuse(url, f"the build's time for remote files ran out (remote_timeout: {budget.seconds:g} s)")
        req = request.Request(url, headers={**self._http_headers, "Accept-Encoding": "gzip, deflate"})
        with _Watch(left) as watch:
            opener = request.build_opener(_HTTPOnlyRedirects, _HTTPHandler(watch), _HTTPSHandler(watch))
            try:
                response = opener.open(req, timeout=min(self._timeout, left))
            except RefusedURL as refused:
                self._refuse(url, str(refused))
            except (OSError, ValueError, http.client.HTTPException) as failure:  # HTTP errors, timeouts, bad hosts
                self._refuse(url, self._late(watch, budget) or f"could not be fetched ({failure})")
            with response:
                scheme = parse.urlsplit(response.url).scheme.lower()
                if scheme not in ("http", "https"):
                    self._refuse(url, "redirected away from http(s)")
                try:
                    body = self._read_capped(url, response, response.headers.get("Content-Encoding"), watch)
                except (OSError, http.client.HTTPException) as failure:
                    self._refuse(url, self._late(watch, budget) or f"could not be fetched ({failure})")
                headers = {k: v for k, v in response.headers.items() if k.lower() != "content-encoding"}
                return self._response(url, response.url, body, headers, response.status)

    @staticmethod
    def _late(watch: _Watch, budget: RemoteBudget) -> str | None:
        if watch.expired or budget.left() <= 0:
            return f"the build's time for remote files ran out (remote_timeout: {budget.seconds:g} s)"
        return None

    def _read_capped(self, url: str, response, encoding: str | None, watch: _Watch) -> bytes:
        # Both the transfer and the decompressed size are capped: a small gzip bomb is
        # as harmful as a huge file. What is transferred counts against the build's
        # budget, as it arrives.
        encoding = (encoding or "identity").strip().lower()
        if encoding in ("gzip", "x-gzip", "deflate"):
            inflater = zlib.decompressobj(47 if encoding != "deflate" else 15)
        elif encoding == "identity":
            inflater = None
        else:
            self._refuse(url, f"unknown content encoding '{encoding}'")
        read = getattr(response, "read1", response.read)  # what has arrived, without waiting for more
        chunks, size, raw = [], 0, 0
        while True:
            chunk = read(65536)
            if watch.expired or self.budget.left() <= 0:
                self._refuse(url, self._late(watch, self.budget) or "")
            if not chunk:
                break
            raw += len(chunk)
            if not self.budget.take(len(chunk)):
                self._refuse(url, f"the build's budget for remote files is spent (remote_max_bytes: "
                                  f"{self.budget.max_bytes} bytes)")
            if inflater is not None:
                try:
                    chunk = inflater.decompress(chunk, self.max_bytes + 1 - size)
                except zlib.error:
                    self._refuse(url, "corrupt compressed data")
            size += len(chunk)
            if size > self.max_bytes or raw > self.max_bytes:
                self._refuse(url, f"response over {self.max_bytes // 1_000_000} MB")
            chunks.append(chunk)
        if inflater is not None:
            tail = inflater.flush()
            if size + len(tail) > self.max_bytes:
                self._refuse(url, f"response over {self.max_bytes // 1_000_000} MB")
            chunks.append(tail)
        return b"".join(chunks)


def make_fetcher(
    project_root: Path,
    extra_roots: list[Path],
    allow_remote: bool = False,
    warn: Callable[[str], None] | None = None,
    timeout: float = 10,
    max_bytes: int = 20_000_000,
    budget: RemoteBudget | None = None,
) -> SafeFetcher:
    """The url_fetcher for `weasyprint.HTML(..., url_fetcher=...)` and `CSS(...)`.

    `warn(message)` is called once per refused URL, with a message naming it.
    `timeout` bounds each wait for the network, `budget` (default: REMOTE_TIMEOUT
    seconds and REMOTE_MAX_BYTES from now) what all remote fetches may spend.
    """
    return SafeFetcher([project_root, *extra_roots], allow_remote, warn, timeout, max_bytes, budget)


def fetcher_for(rules: FetchRules, warn: Callable[[str], None] | None = None) -> SafeFetcher:
    """The fetcher a build's `FetchRules` describe (a fetcher cannot cross processes;
    the rules can, with the build's deadline and the file counting its bytes)."""
    budget = RemoteBudget(rules.remote_timeout, rules.remote_max_bytes, rules.deadline, rules.budget_file)
    return make_fetcher(rules.project_root, list(rules.roots), allow_remote=rules.allow_remote, warn=warn,
                        timeout=min(10, rules.remote_timeout), budget=budget)


__all__ = ["fetcher_for", "make_fetcher", "is_allowed_path", "pixel_count", "RefusedURL", "RemoteBudget", "SafeFetcher",
           "DATA_URL_MAX", "MAX_PIXELS"]
