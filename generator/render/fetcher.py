"""The only URL fetcher WeasyPrint is ever given: fiches are untrusted.

HTML built from a fiche may name any URL (an image path, a stylesheet, an attachment). A
URL is served only when it is
  - a local file inside the project folder or one of the extra roots (the layout's
    folder, the fonts folder), symbolic links resolved first, so a link pointing out
    is refused;
  - a `data:` URL below a size bound;
  - an `http`/`https` URL when the publication allows remote resources, then with a
    timeout, a size cap, and redirects only to `http`/`https`.
A raster image over MAX_PIXELS is refused whatever its origin. Everything else is refused: `warn` gets a message naming the URL and WeasyPrint gets an
ordinary exception, which it logs before skipping the resource; the render goes on.
"""

from __future__ import annotations

import contextlib
import mimetypes
import stat
import zlib
from pathlib import Path
from typing import Callable
from urllib import parse, request

from weasyprint.urls import URLFetcher, URLFetcherResponse

from generator.context import FetchRules
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
    ):
        super().__init__(timeout=timeout, allow_redirects=False, fail_on_errors=False)
        self.roots = [Path(r).resolve() for r in roots]
        self.allow_remote = allow_remote
        self.max_bytes = max_bytes
        self._warn = warn
        self._warned: set[str] = set()
        self._http = request.build_opener(_HTTPOnlyRedirects)

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
        message = f"{_shown(url)} not read: {why}"
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
        return self._response(url, real.as_uri(), real.read_bytes(), {"Content-Type": mime})

    def _response(self, url: str, final_url: str, body: bytes, headers: dict, status: int = 200):
        pixels = pixel_count(body)
        if pixels is not None and pixels > MAX_PIXELS:
            self._refuse(url, f"image of {pixels / 1e6:.0f} megapixels, over the {MAX_PIXELS // 1_000_000} allowed")
        return URLFetcherResponse(final_url, body, headers, status)

    def _remote(self, url: str) -> URLFetcherResponse:
        req = request.Request(url, headers={**self._http_headers, "Accept-Encoding": "gzip, deflate"})
        try:
            response = self._http.open(req, timeout=self._timeout)
        except RefusedURL as refused:
            self._refuse(url, str(refused))
        except (OSError, ValueError) as failure:  # HTTP errors, timeouts, bad hosts
            self._refuse(url, f"could not be fetched ({failure})")
        with response:
            scheme = parse.urlsplit(response.url).scheme.lower()
            if scheme not in ("http", "https"):
                self._refuse(url, "redirected away from http(s)")
            body = self._read_capped(url, response, response.headers.get("Content-Encoding"))
            headers = {k: v for k, v in response.headers.items() if k.lower() != "content-encoding"}
            return self._response(url, response.url, body, headers, response.status)

    def _read_capped(self, url: str, response, encoding: str | None) -> bytes:
        # Both the transfer and the decompressed size are capped: a small gzip bomb is
        # as harmful as a huge file.
        encoding = (encoding or "identity").strip().lower()
        if encoding in ("gzip", "x-gzip", "deflate"):
            inflater = zlib.decompressobj(47 if encoding != "deflate" else 15)
        elif encoding == "identity":
            inflater = None
        else:
            self._refuse(url, f"unknown content encoding '{encoding}'")
        chunks, size, raw = [], 0, 0
        while chunk := response.read(65536):
            raw += len(chunk)
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
) -> SafeFetcher:
    """The url_fetcher for `weasyprint.HTML(..., url_fetcher=...)` and `CSS(...)`.

    `warn(message)` is called once per refused URL, with a message naming it.
    """
    return SafeFetcher([project_root, *extra_roots], allow_remote, warn, timeout, max_bytes)


def fetcher_for(rules: FetchRules, warn: Callable[[str], None] | None = None) -> SafeFetcher:
    """The fetcher a build's `FetchRules` describe (a fetcher cannot cross processes;
    the rules can)."""
    return make_fetcher(rules.project_root, list(rules.roots), allow_remote=rules.allow_remote, warn=warn)


__all__ = ["fetcher_for", "make_fetcher", "is_allowed_path", "pixel_count", "RefusedURL", "SafeFetcher", "DATA_URL_MAX", "MAX_PIXELS"]
