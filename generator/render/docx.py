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

from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Callable

from generator import fonts as faces
from generator import workers as build_workers
from generator.cache import Cache
from generator.diagnostics import InputError, Report
from generator.model import Edition, Fiche, Publication
from generator.render.docx_booklet import booklet_package
from generator.render.docx_fiche import SharedParts, fiche_package, shared_parts
from generator.render.docx_fonts import EmbeddedFonts, prepare_fonts
from generator.render.docx_reference import Reference, ReferenceError, load_reference, reference_path

BOOKLET = "booklet.docx"
# Fiches. A fiche costs ~2 ms once the shared parts exist; below this, starting workers
# and sending them the fiches costs more than it saves (measured on 2 cores).
PARALLEL_FROM = 100

__all__ = ["render_docx", "render_fiche_docx", "prepare_docx", "load_reference", "prepare_fonts"]


def prepare_docx(edition: Edition, layout, cache=None) -> tuple[Reference, EmbeddedFonts]:
    """What every fiche of the edition shares: the reference styles and the embedded fonts."""
    reference = checked_reference(layout, edition.project.root)
    return reference, prepare_fonts(faces.edition_chars(edition), cache=cache)


def checked_reference(layout, project_root: Path) -> Reference:
    """The layout's reference.docx, loaded; `recueil check` and the build both ask.

    Raises diagnostics.InputError, naming the file, when it is not a Word document."""
    path = reference_path(layout)
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
                      labels: dict[str, str] | None = None) -> bytes:
    """The .docx of one fiche, as bytes: same inputs, same bytes."""
    pub = edition.publication
    return fiche_package(fiche, pub, reference, _shared(reference, fonts, _pub_key(pub), _labels_key(labels)))


def render_docx(edition: Edition, layout, stage, options) -> list[str]:
    """Write fiches/ID.docx for every fiche of the edition; return the paths written."""
    return start_docx(edition, layout, stage, options)()


def start_docx(edition: Edition, layout, stage, options) -> Callable[[], list[str]]:
    """Start writing the edition's Word files; the function returned waits for them and
    returns the paths written. With the build's workers running, the fiches are written
    there while the caller goes on (the booklet's HTML, in a build)."""
    workers = build_workers.count(options)
    if getattr(options, "jobs", None) is None:
        workers = min(workers, 8)  # a pool of its own, outside a build: more cost more to start
    fiches = edition.fiches
    out = getattr(options, "out", None)
    cache = Cache.for_output(out, getattr(options, "cache", True)) if out else None
    reference, fonts = prepare_docx(edition, layout, cache)
    labels = _layout_labels(layout, edition.publication.lang)
    tasks = [(fiche, str(stage.path(f"fiches/{fiche.id}.docx"))) for fiche in fiches]
    state = (reference, fonts, edition.publication, labels)
    pool = build_workers.shared()
    futures = []
    if workers == 1 or len(fiches) < PARALLEL_FROM:
        _write_chunk(state, tasks)
    elif pool is not None:  # each chunk brings the shared parts: the workers were started before them
        size = max(1, len(tasks) // (workers * 4))
        futures = [pool.submit(_write_chunk, state, tasks[i:i + size]) for i in range(0, len(tasks), size)]
    else:
        workers = min(workers, max(1, len(fiches) // 2))
        chunk = max(1, len(tasks) // (workers * 4))
        with ProcessPoolExecutor(workers, initializer=_start_worker, initargs=state) as own:
            list(own.map(_write, tasks, chunksize=chunk))
    if futures:
        futures.append(pool.submit(_write_booklet, state, edition, str(stage.path(BOOKLET))))
    else:
        _write_booklet(state, edition, str(stage.path(BOOKLET)))
    written = [f"fiches/{fiche.id}.docx" for fiche in fiches] + [BOOKLET]

    def finish() -> list[str]:
        for f in futures:
            f.result()
        return written
    return finish


# per process ------------------------------------------------------------------------
_WORKER: dict = {}


def _start_worker(reference: Reference, fonts: EmbeddedFonts, pub: Publication, labels) -> None:
    _WORKER.update(reference=reference, pub=pub,
                   shared=_shared(reference, fonts, _pub_key(pub), _labels_key(labels)))


def _write_chunk(state: tuple, tasks: list[tuple[Fiche, str]]) -> None:
    _start_worker(*state)
    for task in tasks:
        _write(task)


def _write_booklet(state: tuple, edition: Edition, path: str) -> None:
    reference, fonts, pub, labels = state
    shared = _shared(reference, fonts, _pub_key(pub), _labels_key(labels))
    Path(path).write_bytes(booklet_package(edition, reference, shared, labels.get("contents")))


def _write(task: tuple[Fiche, str]) -> None:
    fiche, path = task
    data = fiche_package(fiche, _WORKER["pub"], _WORKER["reference"], _WORKER["shared"])
    Path(path).write_bytes(data)


@lru_cache(maxsize=8)
def _reference(path: Path) -> Reference:
    return load_reference(path)


def _pub_key(pub: Publication) -> tuple:
    return (pub.title, pub.lang, pub.page_size, _epoch(pub.date))


def _labels_key(labels: dict[str, str] | None) -> tuple:
    return tuple(sorted((labels or {}).items()))


@lru_cache(maxsize=8)
def _shared(reference: Reference, fonts: EmbeddedFonts, pub_key: tuple, labels: tuple) -> SharedParts:
    title, lang, page_size, epoch = pub_key
    pub = Publication(title=title, lang=lang, page_size=page_size)
    return shared_parts(reference, fonts, pub, epoch, dict(labels))


def _epoch(date: str | None) -> int | None:
    """The publication's date (or SOURCE_DATE_EPOCH) for the core properties, never the
    clock; None when neither says anything."""
    from generator.build import source_date_epoch

    try:
        epoch = source_date_epoch(date)
    except (ValueError, OverflowError):
        return None
    return epoch or None


def _layout_labels(layout, lang: str) -> dict[str, str]:
    """The layout's printed words (« Partenaires », « La fiche en ligne »), when it has them."""
    found = {}
    if hasattr(layout, "labels"):
        try:
            found = {k: v for k, v in layout.labels(lang).items() if isinstance(v, str)}
        except Exception:  # noqa: BLE001 - a stand-in layout: our own words will do
            found = {}
    return {k: found[k] for k in ("partners", "contact", "source", "contents") if k in found}
