"""Word fiches: one .docx per fiche, styled by the layout's reference.docx.

Trainers and partners receive fiches as Word documents, edit them and reuse them: every
paragraph carries a named Word style taken from the layout's reference.docx (restyle them
all by editing that one file), lists are real Word lists, footnotes real footnotes, and
the vendored fonts travel inside the file. See docs/word.md.

Cost: the reference document is read once per process, the fonts subset, obfuscated and
compressed once per build, the parts every fiche shares compressed once per edition; a
fiche then costs its own XML and a zip made of ready parts (see docx_package).
"""

from __future__ import annotations

import dataclasses
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Callable

from generator.cache import Cache, FileDigests, code_digest, key
from generator.context import BuildContext
from generator.diagnostics import InputError, Report
from generator.edition.indexes import themes_in_order
from generator.model import Edition, Fiche, Publication
from generator.modeldata import canonical
from generator.render import faces
from generator.render.filters import date_label
from generator.render.word.booklet import booklet_package
from generator.render.word.fiche import SharedParts, fiche_package, shared_parts
from generator.render.word.fonts import EmbeddedFonts, prepare_fonts
from generator.render.word.reference import (
    Reference,
    ReferenceError,
    load_reference,
    reference_path,
)
from generator.write.staging import existing_sha, write_synced

BOOKLET = "booklet.docx"
# Fiches. A fiche costs ~2 ms once the shared parts exist; below this, starting workers
# and sending them the fiches costs more than it saves (measured on 2 cores).
PARALLEL_FROM = 100

__all__ = ["render_docx", "render_fiche_docx", "prepare_docx", "load_reference", "prepare_fonts"]


def prepare_docx(edition: Edition, layout, cache=None, chars: str | None = None) -> tuple[Reference, EmbeddedFonts]:
    """What every fiche of the edition shares: the reference styles and the embedded fonts
    (cut to `chars`, by default faces.edition_chars(edition))."""
    reference = checked_reference(layout, edition.project.root)
    chars = faces.edition_chars(edition) if chars is None else chars
    return reference, prepare_fonts(chars, cache=cache, design=layout_design(layout))


def layout_design(layout):
    """The layout's design tokens (a stand-in layout without them: the defaults)."""
    found = getattr(layout, "design", None)
    if found is None:
        from generator import design

        found = design.resolve(getattr(layout, "settings", {}) or {}, None, [])
    return found


def checked_reference(layout, project_root: Path) -> Reference:
    """The reference document: the layout's own reference.docx, as it is, when it ships
    one; else the one made from its design tokens. `recueil check` and the build both ask.

    Raises diagnostics.InputError, naming the file, when it is not a Word document."""
    path = reference_path(layout)
    if path is None:
        from generator.render.word.design_reference import reference_for

        data = reference_for(layout_design(layout))
        return _made_reference(hashlib.sha256(data).hexdigest(), data)
    try:
        return _reference(path)
    except ReferenceError as e:
        report = Report()
        try:
            where = path.resolve().relative_to(project_root.resolve()).as_posix()
        except ValueError:
            where = str(path)
        report.error(where, None, str(e))
        raise InputError(report) from None


def render_fiche_docx(fiche: Fiche, edition: Edition, reference: Reference, fonts: EmbeddedFonts,
                      labels: dict[str, str] | None = None, epoch: int = 0, page: tuple | None = None) -> bytes:
    """The .docx of one fiche, as bytes: same inputs, same bytes. `epoch`: the build's
    date (context.build_epoch), for its core properties."""
    pub = edition.publication
    use_fallback(fonts)
    return fiche_package(fiche, pub, reference, _shared(reference, fonts, _pub_key(pub, epoch, page),
                                                        _labels_key(labels)))


def render_docx(edition: Edition, layout, ctx: BuildContext) -> list[str]:
    """Write fiches/ID.docx for every fiche of the edition; return the paths written."""
    return start_docx(edition, layout, ctx)()


def start_docx(edition: Edition, layout, ctx: BuildContext) -> Callable[[], list[str]]:
    """Start writing the edition's Word files; the function returned waits for them and
    returns the paths written. With the build's workers running, the fiches are written
    there, in their free time, while the caller goes on (the booklet's HTML, in a build)."""
    fiches = edition.fiches
    out, stage, cache = ctx.out, ctx.stage, ctx.cache
    reference, fonts = prepare_docx(edition, layout, cache, ctx.edition_chars(edition))
    labels = _layout_labels(layout, edition.publication)
    page = page_twips(layout_design(layout))
    tasks = [(fiche, str(stage.path(f"fiches/{fiche.id}.docx")), _final(out, f"fiches/{fiche.id}.docx"))
             for fiche in fiches]
    store = None
    if cache.enabled:
        # The publication less its sections and its file's bytes: adding a fiche to a
        # section does not change the other fiches' documents.
        pub = dataclasses.replace(edition.publication, sections=[], raw=None)
        store = (str(cache.root), key("docx", code_digest(), reference.digest, fonts.digest, canonical(pub),
                                      _pub_key(pub, ctx.epoch, page), _labels_key(labels)))
    state = (reference, fonts, edition.publication, labels, ctx.epoch, store, page)
    booklet = (str(stage.path(BOOKLET)), _final(out, BOOKLET), themes_in_order(edition))
    written = [f"fiches/{fiche.id}.docx" for fiche in fiches] + [BOOKLET]
    if ctx.pool.parallel and len(fiches) >= PARALLEL_FROM:
        # The booklet's renders go before these (see Pool.trickle): chunks small enough
        # that a render waits for one at most ~0.1 s; booklet.docx, a second's work that
        # nothing needs before the end, last.
        size = max(8, min(25, len(tasks) // (ctx.pool.jobs * 4)))
        chunks = [("fiches", state, tasks[i:i + size]) for i in range(0, len(tasks), size)]
        chunks.append(("booklet", state, edition, booklet))
        wait = ctx.pool.trickle(_write_chunk, chunks)
    else:
        done = _write_chunk(("fiches", state, tasks)) + _write_chunk(("booklet", state, edition, booklet))
        wait = lambda: [done]  # noqa: E731

    def finish() -> list[str]:
        for chunk in wait():
            for how, path, digest in chunk:
                (stage.keep if how == "kept" else stage.synced)(path, digest)
        return written
    return finish


def _final(out, rel: str) -> str | None:
    return str(Path(out) / rel) if out else None


# per process ------------------------------------------------------------------------
_WORKER: dict = {}


def _start_worker(reference: Reference, fonts: EmbeddedFonts, pub: Publication, labels, epoch: int,
                  store: tuple[str, str] | None = None, page: tuple | None = None) -> None:
    use_fallback(fonts)
    _WORKER.update(reference=reference, pub=pub, store=store,
                   shared=_shared(reference, fonts, _pub_key(pub, epoch, page), _labels_key(labels)))


def use_fallback(fonts: EmbeddedFonts) -> None:
    """Runs holding characters the edition's typefaces lack name the fallback face that
    has them (runs.py), as the PDF draws them."""
    from generator.render.word import runs

    runs.FALLBACK = dict(fonts.fallback)


def page_twips(design) -> tuple[int, int]:
    """The page's width and height in twips, from the design tokens."""
    from generator.render.word.design_reference import TWIPS_PER_MM

    return round(design.page[1] * TWIPS_PER_MM), round(design.page[2] * TWIPS_PER_MM)


def _write_chunk(task: tuple) -> list[tuple[str, str, str]]:
    """A worker's task: ("fiches", state, [(fiche, path, final)...]) or ("booklet",
    state, edition, (path, final, keywords)), `path` in the staging folder, `final` in OUT.
    Returns what _output does for each file."""
    kind, state, *rest = task
    _start_worker(*state)
    if kind == "booklet":
        edition, (path, final, keywords) = rest
        labels = state[3]
        return [_output(path, final, edition, [f.images() for f in edition.fiches], lambda: booklet_package(
            edition, _WORKER["reference"], _WORKER["shared"], keywords, labels.get("contents")))]
    return [_write(t) for t in rest[0]]


def _write(task: tuple[Fiche, str, str | None]) -> tuple[str, str, str]:
    fiche, path, final = task
    return _output(path, final, fiche, [fiche.images()], lambda: fiche_package(
        fiche, _WORKER["pub"], _WORKER["reference"], _WORKER["shared"]))


def _output(path: str, final: str | None, model, images: list[list[Path]],
            make: Callable[[], bytes]) -> tuple[str, str, str]:
    """The Word file of `model` (a fiche, or the edition for booklet.docx): ("kept",
    final, sha256) when the file in OUT already holds it, else ("synced", path, sha256)
    once written to `path`, on disk. make() runs only when the cache has no entry for
    the same model, images and shared state (see start_docx); the model is keyed whole
    (modeldata.canonical): all it holds goes into its document."""
    store = _WORKER.get("store")
    if store is None:
        data = make()
        return write_synced(path, data, hashlib.sha256(data).hexdigest())
    root, state_key = store
    files = [(str(p), _digests(p)) for group in images for p in group]
    k = key(state_key, canonical(model), files)
    cache = Cache(Path(root))
    recorded = cache.recorded_sha("docx", k)
    if recorded is not None and final is not None and existing_sha(final) == recorded:
        return "kept", final, recorded
    found = cache.lookup("docx", k)
    if found is not None:
        return write_synced(path, found[0], found[2])
    data = make()
    return write_synced(path, data, cache.put("docx", k, data))


_digests = FileDigests()


@lru_cache(maxsize=8)
def _reference(path: Path) -> Reference:
    return load_reference(path)


@lru_cache(maxsize=8)
def _made_reference(digest: str, data: bytes) -> Reference:
    return load_reference(Path("reference.docx"), data)


def _pub_key(pub: Publication, epoch: int, page: tuple | None = None) -> tuple:
    return (pub.title, pub.lang, pub.page_size, epoch or None, page)


def _labels_key(labels: dict[str, str] | None) -> tuple:
    return tuple(sorted((labels or {}).items()))


@lru_cache(maxsize=8)
def _shared(reference: Reference, fonts: EmbeddedFonts, pub_key: tuple, labels: tuple) -> SharedParts:
    title, lang, page_size, epoch, page = pub_key
    pub = Publication(title=title, lang=lang, page_size=page_size)
    return shared_parts(reference, fonts, pub, epoch, dict(labels), page=page)


def _layout_labels(layout, pub: Publication) -> dict[str, str]:
    """The layout's printed words (« Partenaires », « La fiche en ligne »), and the
    publication's date in words (« mars 2027 »)."""
    words = layout.labels(pub.lang)
    found = {k: words[k] for k in ("partners", "contact", "source", "contents") if isinstance(words.get(k), str)}
    date = date_label(pub.date, pub.lang, words.get("months") or [])
    return {**found, "date": date} if date else found
