"""Pages as pictures: a fiche laid out alone, and the pages of booklet.pdf.

A fiche's preview is laid out by WeasyPrint in a process of its own, started once with
the server and kept warm (its fonts registered, the layout's stylesheet parsed): a
save's pages are back in a tenth of a second, and they never wait for the booklet,
which builds meanwhile in the server's main thread and its workers. Two reasons for a
process rather than a thread: a build forks its workers from the server, and a fork
taken while a thread is inside WeasyPrint (fontconfig, Pango) would hand the workers
locks that nobody will release; and the build's own processes, started afresh each
time, must not wait behind a preview nor a preview behind them (the GIL).

The preview process is started with "spawn" (a fresh interpreter: nothing inherited
from a server that already runs threads), ignores Ctrl-C (the server stops it), and
ends when its pipe closes, so that it never outlives the server.

Pages are turned into PNG by PDFium (pypdfium2): the preview's in its process, the
booklet's in the server, one page at a time as the browser asks for it (under a lock:
PDFium is not thread-safe), kept in the preview folder until the booklet changes.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

from generator.i18n import _

FICHE_SCALE = 1.5  # 893 px for an A4 page: sharp on a screen that doubles pixels
SIZES = {"g": 1.5, "p": 0.5}  # the booklet's pages, large (a fiche) and small (thumbnails)


@dataclass(frozen=True)
class Job:
    """One fiche to lay out: its HTML document and what the booklet gives every part."""

    html: str
    base_url: str
    stylesheet: str  # the layout's CSS and the @font-face rules, shared by every job
    fetch: object  # generator.context.FetchRules
    folder: str  # where the PNG files go
    prefix: str  # their names: PREFIX-1.png, PREFIX-2.png...


# --- the preview process -----------------------------------------------------------------

def _png(bitmap_page, scale: float, path: Path) -> tuple[int, int]:
    image = bitmap_page.render(scale=scale).to_pil()
    image.save(path, "PNG", compress_level=1)  # speed first: the browser is on this machine
    return image.size


def _serve_jobs(conn) -> None:
    """The preview process's whole life: lay out each job it is sent, answer, repeat."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server, which stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    import pypdfium2 as pdfium
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    import generator.render.faces  # noqa: F401  (quietens fontTools about Lato's dates)
    from generator.render.fetcher import fetcher_for
    from generator.serve.session import release_memory

    styles: dict[tuple[str, str, object], tuple[object, object]] = {}
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            warnings: list[str] = []
            fetcher = fetcher_for(job.fetch, warnings.append)
            k = (job.stylesheet, job.base_url, job.fetch)
            if k not in styles:
                styles.clear()  # a new layout: forget the old one's fonts too
                fonts = FontConfiguration()
                styles[k] = (fonts, weasyprint.CSS(string=job.stylesheet, base_url=job.base_url,
                                                   url_fetcher=fetcher, font_config=fonts))
            fonts, css = styles[k]
            document = weasyprint.HTML(string=job.html, base_url=job.base_url, url_fetcher=fetcher).render(
                stylesheets=[css], font_config=fonts)
            pdf = pdfium.PdfDocument(document.write_pdf())
            pages = []
            try:
                for i in range(len(pdf)):
                    name = f"{job.prefix}-{i + 1}.png"
                    page = pdf[i]
                    width, height = _png(page, FICHE_SCALE, Path(job.folder) / name)
                    page.close()
                    pages.append((name, width, height))
            finally:
                pdf.close()
            conn.send({"pages": pages, "warnings": warnings})
        except Exception as e:  # noqa: BLE001 - a layout that breaks WeasyPrint: say so, go on
            conn.send({"error": f"{type(e).__name__}: {e}"})
        finally:
            document = pdf = None
            release_memory()


class PreviewProcess:
    """The server's side of the preview process: `render(job)` from one thread at a time."""

    def __init__(self):
        self._lock = threading.Lock()
        self._process = None
        self._conn = None

    def start(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        process = ctx.Process(target=_serve_jobs, args=(child,), name="recueil-preview", daemon=True)
        # Ignored from its very start (a signal ignored stays ignored across exec), so that
        # Ctrl-C during its imports prints nothing; the server stops it through the pipe.
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            process.start()
        finally:
            if main:
                signal.signal(signal.SIGINT, previous)
        child.close()
        self._process, self._conn = process, parent

    def render(self, job: Job) -> dict:
        """{"pages": [(name, width, height)], "warnings": [...]} or {"error": "..."}."""
        with self._lock:
            if self._process is None or not self._process.is_alive():
                self.start()  # it died (a crash in a library): once more, afresh
            try:
                self._conn.send(job)
                return self._conn.recv()
            except (EOFError, OSError) as e:
                self._process = None
                return {"error": _("the preview process stopped ({reason})", reason=e or type(e).__name__)}

    def stop(self) -> None:
        process, conn = self._process, self._conn
        self._process = None
        if conn is not None:
            try:
                conn.send(None)
            except (OSError, ValueError):
                pass
        if process is not None:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)
        if conn is not None:
            conn.close()


# --- the booklet's pages -------------------------------------------------------------------

class BookletPages:
    """booklet.pdf's pages as PNG files in `folder`, rendered when first asked for.

    The booklet before the newest stays open too, and its pictures on disk: a page made
    just before a build ended may still be asking for them."""

    KEPT = 2

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._lock = threading.Lock()
        self._pdfs: dict[int, object] = {}  # version -> open PdfDocument
        self._version = 0
        self._sha = None
        self._sizes: list[tuple[float, float]] = []

    def use(self, path: Path, sha256: str | None) -> tuple[int, list[tuple[float, float]]] | None:
        """Open the booklet a build just wrote (a new version when its bytes changed):
        (version, every page's size in points), or None when there is no booklet."""
        import pypdfium2 as pdfium

        with self._lock:
            if self._pdfs and sha256 is not None and sha256 == self._sha:
                return self._version, self._sizes
            try:
                pdf = pdfium.PdfDocument(str(path))
            except (OSError, pdfium.PdfiumError):
                return None
            self._version += 1
            self._pdfs[self._version] = pdf
            self._sha = sha256
            self._sizes = [tuple(pdf.get_page_size(i)) for i in range(len(pdf))]
            for version in sorted(self._pdfs)[:-self.KEPT]:
                self._pdfs.pop(version).close()
                for old in self.folder.glob(f"livret-{version}-*.png"):
                    old.unlink(missing_ok=True)
            return self._version, self._sizes

    def file(self, version: int, page: int, size: str) -> Path | None:
        """The PNG of page `page` (1-based) of booklet version `version`, or None."""
        path = self.folder / f"livret-{version}-{page}-{size}.png"
        if path.is_file():
            return path
        with self._lock:
            pdf = self._pdfs.get(version)
            if pdf is None or not 1 <= page <= len(pdf) or size not in SIZES:
                return None
            if not path.is_file():
                tmp = path.with_suffix(".tmp")
                pdf_page = pdf[page - 1]
                try:
                    _png(pdf_page, SIZES[size], tmp)
                finally:
                    pdf_page.close()
                os.replace(tmp, path)
        return path

    def close(self) -> None:
        with self._lock:
            for pdf in self._pdfs.values():
                pdf.close()
            self._pdfs.clear()


__all__ = ["Job", "PreviewProcess", "BookletPages", "FICHE_SCALE", "SIZES"]
