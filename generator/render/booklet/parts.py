"""Rendering one part of the booklet (a fiche, the front matter, the indexes, page
furniture) as an independent WeasyPrint document, in a worker process or not.

Why parts: WeasyPrint's time and memory grow faster than the page count on one big
document; many small documents, laid out in parallel, grow linearly.

Each part comes back "font-stripped" (see fontinfo.py): every font dictionary of a
vendored face is replaced by a small dictionary naming the face (the sha256 of its file)
and carrying its widths and Unicode map as data. The booklet then has one font
dictionary and one font program per face, whatever the number of parts.

A part depends on its job only (`PartJob`): its HTML, the stylesheet every part shares,
the files they reference, Recueil's and WeasyPrint's versions. `part_key` hashes all of
that, so a cache can reuse a fiche wherever it lands in the booklet (but not after the
project moved: WeasyPrint names images after their paths).
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from generator.render.booklet.fontmerge import strip_fonts

# A fiche part is the fiche alone: running heads, folios and crop marks are drawn by the
# furniture part and laid under it, so that the fiche's layout never depends on the page
# number it lands on. !important wins over every @page rule of any layout.
_BOXES = ("top-left-corner", "top-left", "top-center", "top-right", "top-right-corner",
          "bottom-left-corner", "bottom-left", "bottom-center", "bottom-right", "bottom-right-corner",
          "left-top", "left-middle", "left-bottom", "right-top", "right-middle", "right-bottom")
CONTENT_ONLY_CSS = "@page { marks: none !important; %s }" % " ".join(
    "@%s { content: none !important; }" % box for box in _BOXES)
# And the furniture part is the page alone: no crop marks twice.
FURNITURE_CSS = "@page { marks: none !important; }"

# What a part's PDF is written with; part of every part's cache key.
PART_PDF_OPTIONS = {"pdf_identifier": b"recueil-part"}
RENDERER = "parts 5"  # bump when a part's bytes would change for the same inputs


def offset_css(first_page: int) -> str:
    """CSS that makes a part's first page number `first_page`, on the matching side."""
    side = "right" if first_page % 2 else "left"
    return "html { break-before: %s; } @page :first { counter-reset: page %d; }" % (side, first_page)


@dataclass(frozen=True)
class FetchSpec:
    """How a worker rebuilds the safe fetcher (a fetcher cannot cross processes)."""

    project_root: Path
    extra_roots: tuple[Path, ...]
    allow_remote: bool

    def make(self, warnings: list[str]):
        from generator.render.fetcher import make_fetcher  # WeasyPrint's: only where parts are rendered

        return make_fetcher(self.project_root, list(self.extra_roots), allow_remote=self.allow_remote,
                            warn=warnings.append)


@dataclass
class FetchRules:
    """What the booklet asks of the safe fetcher (generator.render.fetcher) when only workers
    render: its roots, its rule on remote files, where its warnings go. Has no fetching
    of its own, and needs no WeasyPrint."""

    roots: list[Path]
    allow_remote: bool
    _warn: Callable[[str], None] | None = None

    def __post_init__(self):
        self.roots = [Path(r).resolve() for r in self.roots]  # as SafeFetcher keeps them


@dataclass
class Part:
    pdf: bytes  # font-stripped PDF
    pages: int
    anchors: dict[str, int] = field(default_factory=dict)  # HTML id -> 0-based page in the part
    warnings: list[str] = field(default_factory=list)

    def meta(self) -> dict:
        return {"pages": self.pages, "anchors": self.anchors, "warnings": self.warnings}

    @classmethod
    def from_cache(cls, payload: bytes, meta: dict) -> Part:
        return cls(payload, int(meta["pages"]), dict(meta.get("anchors") or {}), list(meta.get("warnings") or []))


@dataclass(frozen=True)
class PartJob:
    """Everything a part is made of; `render_part(job)` runs it."""

    html: str
    base_url: str
    fetch: FetchSpec
    anchors: tuple[str, ...] = ()
    stylesheet: str = ""  # the CSS every part shares: parsed once per worker process
    faces: tuple[tuple[str, str], ...] = ()  # (font file name, sha256) of the vendored faces


# --- cache keys ------------------------------------------------------------------------

_URL = re.compile(r"""(?:\bsrc\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')\s]+)["']?\s*\))""", re.I)


def part_key(job: PartJob, digest) -> str | None:
    """The cache key of a part: its HTML and stylesheet, the sha256 of every file they
    name, the fetch rules, the renderer's versions. None when the part reads something a
    key cannot describe (a remote resource, or a local file that is missing).

    Paths stay in the key as they are: WeasyPrint names an image in the PDF after its
    URL, so a project moved elsewhere must not reuse the parts made where it was."""
    from generator.cache import key

    files = []
    for text, remember in ((job.html, False), (job.stylesheet, True)):
        found = _files(text, job.base_url, digest, remember)
        if found is None:
            return None
        files += found
    return key(RENDERER, _weasyprint_version(), job.base_url, job.html, job.stylesheet, sorted(files),
               list(job.anchors), str(job.fetch), sorted(PART_PDF_OPTIONS.items()))


@functools.lru_cache(maxsize=1)
def _weasyprint_version() -> str:
    from importlib import metadata  # not `import weasyprint`: the main process need not load it

    return metadata.version("weasyprint")


_scanned: dict[tuple[str, str], tuple] = {}


def _files(text: str, base_url: str, digest, remember: bool = False) -> list[tuple[str, str]] | None:
    """(URL, sha256) of every file `text` names; None if one is remote or missing.
    `remember`: the stylesheet, the same for every part, is scanned once (the files'
    digests are memoised by `digest` itself)."""
    urls = _scanned.get((base_url, text)) if remember else None
    if urls is None:
        urls = tuple(urllib.parse.urljoin(base_url, m.group(1) or m.group(2)) for m in _URL.finditer(text))
        if remember:
            _scanned.clear()  # one stylesheet a build: keep the last one only
            _scanned[(base_url, text)] = urls
    out = []
    for url in urls:
        scheme = urllib.parse.urlsplit(url).scheme
        if scheme == "data":
            continue
        if scheme != "file":
            return None
        sha = digest(Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path)))
        if sha is None:
            return None
        out.append((url, sha))
    return out


# --- rendering (in workers) -----------------------------------------------------------

# Per worker process: one font configuration (registering the @font-face fonts costs as
# much as laying out a short fiche) and the shared stylesheet parsed once.
_font_config = None
_stylesheets: dict[str, object] = {}


def _shared_stylesheet(css: str, base_url: str, fetcher) -> tuple[object, list]:
    global _font_config
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    if _font_config is None:
        _font_config = FontConfiguration()
    k = hashlib.sha256((base_url + "\0" + css).encode()).hexdigest()
    if k not in _stylesheets:
        if len(_stylesheets) > 8:
            _stylesheets.clear()
        _stylesheets[k] = weasyprint.CSS(string=css, base_url=base_url, url_fetcher=fetcher, font_config=_font_config)
    return _font_config, [_stylesheets[k]]


class _Widths(dict):
    """A font's /W widths, each glyph's advance from the font file itself.

    WeasyPrint stores the width of a glyph as first measured, rounded at whatever size
    it first met it: two parts could then disagree by one unit and need two font
    dictionaries in the booklet. Every real glyph reads here its advance from the font
    file (WeasyPrint's kerning adjustments still place each glyph exactly), so all parts
    agree and the booklet keeps one dictionary per face."""

    def __init__(self, advances: list[int]):
        super().__init__()
        self.advances = advances
        self.drawing = True  # until WeasyPrint lists the widths for /W: then a plain dict

    def __contains__(self, gid) -> bool:
        return dict.__contains__(self, gid) or (self.drawing and 0 <= gid < len(self.advances))

    def __iter__(self):
        self.drawing = False
        return dict.__iter__(self)

    def __missing__(self, gid):
        self[gid] = self.advances[gid]
        return self[gid]


_advances: dict[str, list[int]] = {}


def _canonical_widths() -> None:
    """Make WeasyPrint's fonts of the vendored faces use _Widths (once per process)."""
    from fontTools.ttLib import TTFont
    from weasyprint.pdf import fonts

    if getattr(fonts.Font, "_recueil", False):
        return
    init = fonts.Font.__init__

    def patched(self, *args, **kwargs):
        init(self, *args, **kwargs)
        if not _known_faces:  # outside render_part (a handout, the single document): as WeasyPrint does
            return
        digest = self.recueil_sha256 = hashlib.sha256(self.file_content).hexdigest()  # for _face_digests
        if digest not in _known_faces:
            return
        if digest not in _advances:
            font = TTFont(io.BytesIO(self.file_content), lazy=True)
            upem = font["head"].unitsPerEm
            metrics = font["hmtx"].metrics
            _advances[digest] = [round(metrics[name][0] * 1000 / upem) for name in font.getGlyphOrder()]
        self.widths = _Widths(_advances[digest])

    fonts.Font.__init__ = patched
    fonts.Font._recueil = True


_known_faces: set[str] = set()


def warm_up() -> None:
    """What a worker process does first, while the project is being read: WeasyPrint
    imported, its font configuration made, its fonts patched."""
    global _font_config
    from weasyprint.text.fonts import FontConfiguration

    import generator.render.faces  # noqa: F401  (quietens fontTools about Lato's dates)

    if _font_config is None:
        _font_config = FontConfiguration()
    try:
        _canonical_widths()
    except Exception:  # another WeasyPrint: see render_part
        pass


def render_part(job: PartJob) -> Part:
    """Lay out and write one part; `job.anchors` are the HTML ids whose page is wanted.

    The shared stylesheet is applied after the document's own <style>, which holds only
    what is particular to the part."""
    # A part carries no date (the booklet's come from its metadata), whichever process
    # renders it and whenever that process was started; fontTools would stamp the clock.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    try:
        _canonical_widths()
    except Exception:  # another WeasyPrint: parts may need a few more font dictionaries
        pass
    _known_faces.update(sha for _, sha in job.faces)
    try:
        return _render_part(job)
    finally:
        _known_faces.clear()
        if epoch is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = epoch


def _render_part(job: PartJob) -> Part:
    import weasyprint

    warnings: list[str] = []
    fetcher = job.fetch.make(warnings)
    font_config, stylesheets = (_shared_stylesheet(job.stylesheet, job.base_url, fetcher)
                                if job.stylesheet else (None, []))
    document = weasyprint.HTML(string=job.html, base_url=job.base_url, url_fetcher=fetcher).render(
        stylesheets=stylesheets, font_config=font_config)
    found = {}
    for number, page in enumerate(document.pages):
        for name in page.anchors:
            if name in job.anchors and name not in found:
                found[name] = number
    # Streams compressed here, in parallel: the booklet copies them as they are.
    raw = document.write_pdf(**PART_PDF_OPTIONS)
    return Part(strip_fonts(raw, _face_digests(document, dict(job.faces))), len(document.pages), found, warnings)


def _face_digests(document, faces: dict[str, str]) -> dict[str, str]:
    """PDF font name -> sha256 of the vendored font file it was made from.

    WeasyPrint subsets each font per document but keeps glyph ids (HarfBuzz's
    RETAIN_GIDS), so the vendored file it started from can stand in for any part's
    subset once cut to the glyphs the whole booklet uses."""
    known = set(faces.values())
    out = {}
    try:
        from weasyprint.text.fonts import get_hb_object_data

        for font in document.fonts.values():
            digest = getattr(font, "recueil_sha256", None)  # set by _canonical_widths, same bytes
            if digest is None:
                digest = hashlib.sha256(get_hb_object_data(font.hb_face)).hexdigest()
            if digest in known:
                out[font.name.decode("latin-1").lstrip("/")] = digest
    except Exception:  # another WeasyPrint: keep each part's own fonts
        return {}
    return out
