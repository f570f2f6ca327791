"""One WeasyPrint document rendered in a worker process: a part of the booklet (some
fiches, the front matter, the indexes, page furniture) or a handout.

Why parts: WeasyPrint's time and memory grow faster than the page count on one big
document; many small documents, laid out in parallel, grow linearly.

A render depends on its job only (`PdfJob`): its HTML, the stylesheet its kind of
document shares, the files they reference, the PDF options, Recueil's and WeasyPrint's
versions. `job_key` hashes all of that, so a cache can reuse a fiche wherever it lands
in the booklet (but not after the project moved: WeasyPrint names images after their
paths).

A booklet part comes back "font-stripped" (`strip_faces`, see booklet/fontmerge.py):
every font dictionary of a vendored face is replaced by a small dictionary naming the
face (the sha256 of its file) and carrying its widths and Unicode map as data. The
booklet then has one font dictionary and one font program per face, whatever the number
of parts. A handout keeps its fonts.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import io
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from generator.context import FetchRules

# What a render's PDF is written with unless its job says otherwise; part of every key.
PDF_OPTIONS = {"pdf_identifier": b"recueil-part"}
RENDERER = "weasy 9"  # bump when a render's bytes, or what its entry holds, would change for the same job


@dataclass
class Rendered:
    pdf: bytes
    pages: int
    anchors: dict[str, int] = field(default_factory=dict)  # HTML id -> 0-based page in the part
    warnings: list[str] = field(default_factory=list)
    # What the render's fetcher served: [real path, sha256] of each file, [URL, None] of
    # each remote resource; and the URL of each refusal, by its warning.
    reads: list[list] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)

    @property
    def remote(self) -> bool:
        return any(sha is None for _, sha in self.reads)

    def meta(self) -> dict:
        return {"pages": self.pages, "anchors": self.anchors, "warnings": self.warnings, "reads": self.reads,
                "refused": self.refused}

    @classmethod
    def from_cache(cls, payload: bytes, meta: dict) -> Rendered:
        return cls(payload, int(meta["pages"]), dict(meta.get("anchors") or {}), list(meta.get("warnings") or []),
                   [list(r) for r in meta.get("reads") or []], dict(meta.get("refused") or {}))


@dataclass(frozen=True)
class PdfJob:
    """Everything a render is made of; `render(job)` runs it."""

    html: str
    base_url: str
    fetch: FetchRules
    anchors: tuple[str, ...] = ()  # the HTML ids whose page is wanted
    stylesheet: str = ""  # the CSS every document of its kind shares: parsed once per worker
    faces: tuple[tuple[str, str], ...] = ()  # (font file name, sha256) of the vendored faces
    strip_faces: bool = False  # a booklet part: fonts stripped, joined by booklet/fontmerge.py
    pdf_options: tuple[tuple[str, object], ...] = ()  # for write_pdf: (("pdf_identifier", b"..."),...)
    # Tagged (PDF/UA): "part", a booklet part whose tree the booklet merges (tags/part.py);
    # "document", a handout finished as PDF/UA-1 on its own (tags/ua.py); "" untagged.
    tags: str = ""
    lang: str | None = None  # a "document"'s article language, when not the document's
    # Rendered in a child of the worker (pool.isolated), which takes its memory with it:
    # a long document (a catalogue's contents, its indexes).
    isolated: bool = False
    # Laid out, not written: its pages and anchors alone are wanted (a provisional part).
    layout_only: bool = False


# --- cache keys ------------------------------------------------------------------------

_URL = re.compile(r"""(?:\bsrc\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')\s]+)["']?\s*\))""", re.I)


def job_key(job: PdfJob, digest) -> str | None:
    """The cache key of a render: its HTML and stylesheet, the sha256 of every file they
    name, the fetch rules, the renderer's versions. None when the part reads something a
    key cannot describe (a remote resource, or a local file that is missing).

    The files a render reads without its HTML or stylesheet naming them (an SVG's own
    images) cannot be known before it is made: its cache entry lists every file its
    fetcher served, and booklet/parts.py uses an entry only while they are unchanged.

    Paths stay in the key as they are: WeasyPrint names an image in the PDF after its
    URL, so a project moved elsewhere must not reuse the parts made where it was."""
    from generator.cache import key

    files = []
    for text, remember in ((job.html, False), (job.stylesheet, True)):
        found = _files(text, job.base_url, digest, remember)
        if found is None:
            return None
        files += found
    from generator.render.tags import VERSION as TAGS

    return key(RENDERER, _weasyprint_version(), job.base_url, job.html, job.stylesheet, sorted(files),
               list(job.anchors), str(job.fetch), job.strip_faces, repr(job.pdf_options),
               sorted(PDF_OPTIONS.items()), job.tags, job.lang, TAGS if job.tags else None, job.layout_only)


@functools.lru_cache(maxsize=1)
def _weasyprint_version() -> str:
    from importlib import (
        metadata,  # not `import weasyprint`: the main process need not load it
    )

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


@atexit.register
def _forget_fonts() -> None:
    """Let the font configuration go while the interpreter is whole: WeasyPrint deletes
    its copies of the fonts when it is collected, which at shutdown fails (its module's
    names already cleared) and leaves them in /tmp. (A worker ends by os._exit: its
    temporary folder is the pool's, see pool.py.)"""
    global _font_config
    _stylesheets.clear()
    _font_config = None


def _shared_stylesheet(css: str, base_url: str, fetcher) -> tuple[object, list]:
    global _font_config, _unsettled
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    if _font_config is None:
        _font_config = FontConfiguration()
    k = hashlib.sha256((base_url + "\0" + css).encode()).hexdigest()
    if k not in _stylesheets:
        if len(_stylesheets) > 8:
            _stylesheets.clear()
        _stylesheets[k] = weasyprint.CSS(string=css, base_url=base_url, url_fetcher=fetcher, font_config=_font_config)
        _unsettled = True
    return _font_config, [_stylesheets[k]]


# A stylesheet was parsed: once the render that uses it first is done, what it leaves
# (the stylesheet, WeasyPrint's caches of fonts and text) lasts as long as the worker;
# the next render settles it.
_unsettled = False


def _settle() -> None:
    """A worker's lasting objects (WeasyPrint, its fonts, the stylesheets and caches) out
    of the garbage collector's passes, which each layout sets off (memory.py)."""
    from generator.memory import settle
    from generator.pool import in_worker

    if in_worker():
        settle()


def drawing_holders(pdf):
    """(holder, resources) for every page, form XObject and tiling pattern of `pdf`: what
    has a content stream, each once. Walking these is much cheaper than walking every
    object of a tagged render, most of which are structure elements."""
    import pikepdf

    seen: set = set()

    def visit(holder, resources):
        yield holder, resources
        if not isinstance(resources, pikepdf.Dictionary):
            return
        if resources.objgen != (0, 0):
            if resources.objgen in seen:  # a dictionary the pages share: its forms are done
                return
            seen.add(resources.objgen)
        for key in ("/XObject", "/Pattern"):
            found = resources.get(key)
            if not isinstance(found, pikepdf.Dictionary):
                continue
            for name in found.keys():
                x = found[name]
                if (isinstance(x, pikepdf.Stream) and (key == "/Pattern" or x.get("/Subtype") == pikepdf.Name.Form)
                        and x.objgen not in seen):
                    seen.add(x.objgen)
                    yield from visit(x, x.get("/Resources"))

    for page in pdf.pages:
        yield from visit(page.obj, page.obj.get("/Resources"))


def _name_images_by_content(pdf, holders: list) -> None:
    """Each image's resource name made from the image itself.

    WeasyPrint names an image after its URL, which holds the project's folder: the same
    project built elsewhere (an archivist's clone) would give other bytes. The /ID is
    made from the content again for the same reason (the save's deterministic_id)."""
    import pikepdf

    renamed: dict[str, str] = {}
    drawing: list = []  # holders that draw a renamed image
    for holder, resources in holders:
        xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
        if not isinstance(xobjects, pikepdf.Dictionary):
            continue
        for name in list(xobjects.keys()):
            image = xobjects[name]
            if image.get("/Subtype") == pikepdf.Name.Image:
                new = renamed.setdefault(name, "/Im" + hashlib.sha256(
                    image.read_raw_bytes() + repr(sorted(image.keys())).encode()).hexdigest()[:24])
                if new != name:
                    xobjects[new] = image
                    del xobjects[name]
        if any(renamed.get(old) in xobjects for old in renamed):
            drawing.append(holder)
    for holder in drawing:
        _rename_drawn(pdf, holder, renamed)


_PLAIN_NAME = re.compile(r"/[A-Za-z0-9_.-]+")


def _rename_drawn(pdf, holder, renamed: dict[str, str]) -> None:
    """Rewrite `Do` operands of a page's or form's content after its images were renamed:
    on the bytes (WeasyPrint writes `/name Do`), or through pikepdf's parser when a name
    holds characters a content stream would escape."""
    import pikepdf

    if all(_PLAIN_NAME.fullmatch(name) for name in renamed):
        pattern = re.compile(rb"(?<![A-Za-z0-9_.#-])(" + b"|".join(re.escape(n.encode()) for n in renamed)
                             + rb")(?=\s+Do\b)")
        if isinstance(holder, pikepdf.Stream):
            data = holder.read_bytes()
        else:
            contents = holder.get("/Contents")
            streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents] if contents is not None else []
            data = b"\n".join(c.read_bytes() for c in streams)
        new, count = pattern.subn(lambda m: renamed[m.group(1).decode()].encode(), data)
        if not count:
            return
    else:
        instructions = pikepdf.parse_content_stream(holder)
        count = 0
        for i, ins in enumerate(instructions):
            if str(ins.operator) == "Do" and str(ins.operands[0]) in renamed:
                instructions[i] = pikepdf.ContentStreamInstruction([pikepdf.Name(renamed[str(ins.operands[0])])],
                                                                   ins.operator)
                count += 1
        if not count:
            return
        new = pikepdf.unparse_content_stream(instructions)
    if isinstance(holder, pikepdf.Stream):
        holder.write(new)
    else:
        holder.Contents = pdf.make_stream(new)


def warm_up() -> None:
    """What a worker does first, while the project is being read: WeasyPrint and what
    finishes a part imported, its font configuration made."""
    global _font_config
    from weasyprint.text.fonts import FontConfiguration

    import generator.render.booklet.fontmerge  # noqa: F401
    import generator.render.faces  # noqa: F401  (quietens fontTools about Lato's dates)
    import generator.render.tags.part  # noqa: F401

    if _font_config is None:
        _font_config = FontConfiguration()
    _settle()


def render(job: PdfJob) -> Rendered:
    """Lay out and write one document; `job.anchors` are the HTML ids whose page is
    wanted. The shared stylesheet is applied after the document's own <style>, which
    holds only what is particular to it."""
    if job.isolated:
        from generator.pool import isolated

        return isolated(_render, job)
    return _render(job)


def _render(job: PdfJob) -> Rendered:
    import weasyprint

    from generator.render.fetcher import fetcher_for

    global _unsettled
    if _unsettled:  # at the next render, not at the end of the first: an edit's one render waits for nothing
        _unsettled = False
        _settle()

    warnings: list[str] = []
    fetcher = fetcher_for(job.fetch, warnings.append)
    font_config, stylesheets = (_shared_stylesheet(job.stylesheet, job.base_url, fetcher)
                                if job.stylesheet else (None, []))
    document = weasyprint.HTML(string=job.html, base_url=job.base_url, url_fetcher=fetcher).render(
        stylesheets=stylesheets, font_config=font_config)
    found, wanted = {}, set(job.anchors)
    for number, page in enumerate(document.pages):
        for name in page.anchors:
            if name in wanted and name not in found:
                found[name] = number
    pages = len(document.pages)
    if job.layout_only:
        return Rendered(b"", pages, found, warnings, [list(r) for r in sorted(fetcher.served.items())],
                        dict(fetcher.refused))
    # Streams compressed here, in parallel: the booklet copies them as they are.
    options = {**PDF_OPTIONS, **dict(job.pdf_options)}
    if job.tags:
        options["pdf_tags"] = True
    finished = bool(job.tags or job.strip_faces)
    if finished:  # compressed once, by pikepdf's save in _finish, and not first by WeasyPrint:
        options["uncompressed_pdf"] = True  # _finish reads and rewrites most content streams
    raw = document.write_pdf(**options)
    del document  # its boxes and their tags: the heap given back below holds them
    if finished or b"/Image" in raw:
        raw = _finish(raw, job)
    # No malloc_trim here: the next render would fault in again, page by page, what it
    # gave back (some 6 % more time a render, measured); the long documents, whose
    # memory is worth giving back, are laid out in a child of the worker (isolated).
    return Rendered(raw, pages, found, warnings, [list(r) for r in sorted(fetcher.served.items())],
                    dict(fetcher.refused))


def _finish(raw: bytes, job: PdfJob) -> bytes:
    """What a render needs besides WeasyPrint's output, in one pikepdf pass (opening and
    saving a part costs as much as most of the steps): images named by their content,
    the tags tidied (tags/part.py) or the handout finished as PDF/UA-1 (tags/ua.py), the
    fonts of a booklet part stripped (booklet/fontmerge.py)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(raw)) as pdf:
        holders = list(drawing_holders(pdf))
        if b"/Image" in raw:
            _name_images_by_content(pdf, holders)
        tagged = "/StructTreeRoot" in pdf.Root
        if job.tags == "part" and tagged:
            from generator.render.tags.part import finish_part

            # IDs prefixed by a digest of the render: unique in any booklet.
            finish_part(pdf, hashlib.sha256(raw).hexdigest()[:8] + "-")
        pending = None
        if job.tags == "document" and tagged:
            from generator.render.tags.ua import PDF_VERSION, finish_document

            pending = finish_document(pdf, job.lang)
        if job.strip_faces:
            from generator.render.booklet.fontmerge import strip_fonts_in

            fonts = [f for _, r in holders if isinstance(r, pikepdf.Dictionary)
                     for f in (r.get("/Font") or {}).values()]
            strip_fonts_in(pdf, dict(job.faces), fonts)
        out = io.BytesIO()
        if job.tags == "document":  # a file users get: compact, and PDF 1.7 as PDF/UA-1 is
            pdf.save(out, deterministic_id=True, min_version=PDF_VERSION, compress_streams=True,
                     object_stream_mode=pikepdf.ObjectStreamMode.generate)
        else:  # a part: its streams are copied into the booklet, objects one by one
            pdf.save(out, deterministic_id=True, compress_streams=True,
                     object_stream_mode=pikepdf.ObjectStreamMode.disable)
    # A document's tree is written after it (tags/append.py), as the booklet's is.
    return out.getvalue() if pending is None else pending.append(out.getvalue())
