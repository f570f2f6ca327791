"""The preview page, rendered on the server from a snapshot of the state.

One template (page/page.html) makes the whole page; the page's script fetches it again
when the state changes and swaps its regions in place, so the page works without
script too (it is then as fresh as its last load). Everything shown goes through
Jinja2's autoescaping: titles and messages come from fiches, which are untrusted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from generator.serve.pages import FICHE_SCALE, SIZES
from generator.serve.state import Snapshot
from generator.serve.strings import TEXTS, count, text

PAGE_DIR = Path(__file__).resolve().parent / "page"
THUMB_WIDTH = 150  # CSS pixels of a booklet thumbnail
FRONT_MAX, BACK_MAX = 12, 24  # thumbnails of the cover and contents, of the indexes


@lru_cache(maxsize=1)
def _env():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(PAGE_DIR)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    return env


@lru_cache(maxsize=1)
def asset_version() -> str:
    """Changes when the page's CSS or script does: part of their URLs."""
    import hashlib

    h = hashlib.sha256()
    for name in ("page.css", "page.js"):
        h.update((PAGE_DIR / name).read_bytes())
    return h.hexdigest()[:12]


@dataclass
class Problem:
    level: str  # "error" | "warning"
    label: str
    where: str
    message: str
    href: str | None = None  # the fiche it is about, when it is one


@dataclass
class Image:
    src: str
    width: int
    height: int
    alt: str
    href: str | None = None
    label: str = ""


@dataclass
class FicheView:
    id: str
    rel: str
    title: str
    eyebrow: str
    where: str
    images: list[Image] = field(default_factory=list)
    notices: list[tuple[str, str]] = field(default_factory=list)  # (kind, text)
    downloads: list[tuple[str, str]] = field(default_factory=list)  # (href, label)


def _hm(t: float | None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(t or time.time()))


def _problem(d, rels: dict[str, str]) -> Problem:
    where = f"{d.path}:{d.line}" if d.line else (d.path or text("where_project"))
    fiche_id = rels.get(d.path)
    return Problem(d.level, text("level_error" if d.level == "error" else "level_warning"), where, d.message,
                   f"/?fiche={fiche_id}" if fiche_id else None)


def _booklet_image(snap: Snapshot, n: int, size: str) -> Image:
    booklet = snap.booklet
    w_pt, h_pt = booklet.sizes[n - 1]
    scale = SIZES[size]
    return Image(f"/_recueil/livret/{booklet.version}-{n}-{size}.png", round(w_pt * scale), round(h_pt * scale),
                 text("page_alt", n=n), href=f"/output/booklet.pdf#page={n}" if "booklet.pdf" in snap.outputs else None,
                 label=str(n))


def render(snap: Snapshot, chosen: str | None, selecting: bool) -> str:
    ids = {rel: fiche_id for rel, fiche_id in snap.fiche_rels.items()}
    rel_of = {fiche_id: rel for rel, fiche_id in ids.items()}
    booklet = snap.booklet
    pages = booklet.pages if booklet else {}

    def newer_preview(fiche_id: str):
        p = snap.previews.get(fiche_id)
        if p is None:
            return None
        if booklet is None or fiche_id not in pages or p.generation > booklet.generation:
            return p
        return None

    # Which fiche the page shows: one chosen in the contents, else the one last saved,
    # else the first of the edition.
    shown_rel, why = None, "first"
    if chosen and chosen in rel_of:
        shown_rel, why = rel_of[chosen], "chosen"
    elif snap.current:
        shown_rel, why = snap.current, "edited"
    elif snap.sections and any(entries for _, entries in snap.sections):
        shown_rel = next(entries[0].rel for _, entries in snap.sections if entries)
    fiche = _fiche_view(snap, shown_rel, why, ids, newer_preview, selecting) if shown_rel else None

    # The contents: every fiche of the edition, and the ones previewed outside it.
    problem_counts: dict[str, tuple[int, int]] = {}
    for path, items in snap.problems.items():
        errors = sum(d.level == "error" for d in items)
        problem_counts[path] = (errors, len(items) - errors)
    sections = []
    listed = set()
    for title, entries in snap.sections:
        rows = []
        for e in entries:
            listed.add(e.id)
            rows.append(_row(e.id, e.rel, e.title, pages, newer_preview, problem_counts, shown_rel))
        sections.append((title, rows))
    outside = [p for p in snap.previews.values() if p.id not in listed]
    if outside:
        sections.append((TEXTS["outside"], [_row(p.id, p.rel, p.title, pages, newer_preview, problem_counts, shown_rel)
                                            for p in sorted(outside, key=lambda p: p.rel)]))
    n_fiches = len(listed)

    # Problems: every error, and the shown fiche's warnings, at the top; the other
    # warnings folded below them.
    top, others = [], []
    for path in sorted(snap.problems, key=lambda p: (p != shown_rel, p)):
        for d in sorted(snap.problems[path], key=lambda d: (d.level != "error", d.line or 0)):
            view = _problem(d, ids)
            (top if d.level == "error" or path == shown_rel else others).append(view)
    top.sort(key=lambda p: p.level != "error")

    booklet_view = None
    if booklet is not None:
        fiche_pages = sorted(pages.values())
        front_end = (fiche_pages[0][0] - 1) if fiche_pages else booklet.page_count
        back_start = (fiche_pages[-1][1] + 1) if fiche_pages else booklet.page_count + 1
        front = [_booklet_image(snap, n, "p") for n in range(1, min(front_end, FRONT_MAX) + 1)]
        back = [_booklet_image(snap, n, "p") for n in range(back_start, min(booklet.page_count, back_start + BACK_MAX - 1) + 1)]
        everything = [_booklet_image(snap, n, "p") for n in range(1, booklet.page_count + 1)]
        downloads = [(f"/output/{rel}", TEXTS[label]) for rel, label in
                     (("booklet.pdf", "download_booklet_pdf"), ("booklet.docx", "download_booklet_docx"))
                     if rel in snap.outputs]
        booklet_view = {"pages": count("pages_n", booklet.page_count), "built": text("built_at", time=_hm(booklet.built_at)),
                        "front": front, "back": back, "all": everything, "downloads": downloads,
                        "all_label": text("all_pages", n=booklet.page_count)}

    total_pages = count("pages_n", booklet.page_count) if booklet else ""
    return _env().get_template("page.html").render(
        t=TEXTS, snap=snap, fiche=fiche, sections=sections, top=top, others=others,
        others_label=text("problems_elsewhere", count=count("warnings_n", len(others))),
        booklet=booklet_view, contents_count=" · ".join(x for x in (count("fiches_n", n_fiches), total_pages) if x),
        page_title=text("page_title", title=snap.title or TEXTS["app"]), asset=asset_version(),
        thumb_width=THUMB_WIDTH, follow="0" if why == "chosen" else "1")


def _row(fiche_id, rel, title, pages, newer_preview, problem_counts, shown_rel) -> dict:
    preview = newer_preview(fiche_id)
    first_last = pages.get(fiche_id)
    if first_last:
        where = text("page_short" if first_last[0] == first_last[1] else "pages_short", first=first_last[0], last=first_last[1])
    else:
        where = ""
    errors, warnings = problem_counts.get(rel, (0, 0))
    return {"id": fiche_id, "rel": rel, "title": preview.title if preview else title, "where": where,
            "errors": errors, "warnings": warnings, "current": rel == shown_rel,
            "errors_label": count("errors_n", errors), "warnings_label": count("warnings_n", warnings)}


def _fiche_view(snap: Snapshot, rel: str, why: str, ids: dict[str, str], newer_preview, selecting: bool) -> FicheView:
    fiche_id = ids.get(rel) or Path(rel).stem
    booklet = snap.booklet
    pages = booklet.pages.get(fiche_id) if booklet else None
    preview = newer_preview(fiche_id)
    entry_title = next((e.title for _, entries in snap.sections for e in entries if e.id == fiche_id), None)
    title = preview.title if preview else (entry_title or (snap.previews[fiche_id].title if fiche_id in snap.previews else fiche_id))
    if pages:
        where = text("in_booklet_one" if pages[0] == pages[1] else "in_booklet", first=pages[0], last=pages[1])
    else:
        where = text("not_in_booklet")
    eyebrow = {"edited": text("fiche_edited", time=_hm(snap.current_at)), "chosen": text("fiche_chosen"),
               "first": text("fiche_first")}[why]
    view = FicheView(fiche_id, rel, title, eyebrow, where)
    if preview is not None:
        total = len(preview.pages)
        view.images = [Image(f"/_recueil/apercu/{name}", w, h, text("fiche_page_alt", title=title, n=i, total=total))
                       for i, (name, w, h) in enumerate(preview.pages, 1)]
    elif pages:
        total = pages[1] - pages[0] + 1
        view.images = [_booklet_image(snap, n, "g") for n in range(pages[0], pages[1] + 1)]
        for i, image in enumerate(view.images, 1):
            image.alt = text("fiche_page_alt", title=title, n=i, total=total)
            image.href = None
    if rel in snap.broken:
        view.notices.append(("error", TEXTS["last_good"] if view.images else TEXTS["no_preview"]))
    if preview is not None:
        if preview.draft:
            view.notices.append(("info", TEXTS["draft"]))
        elif not preview.in_edition and selecting:
            view.notices.append(("info", TEXTS["not_selected"]))
        elif view.images:
            view.notices.append(("info", TEXTS["preview_ahead"]))
    for rel_out, label in ((f"fiches/{fiche_id}.pdf", "download_handout"), (f"fiches/{fiche_id}.docx", "download_docx")):
        if rel_out in snap.outputs:
            view.downloads.append((f"/output/{rel_out}", TEXTS[label]))
    return view


__all__ = ["render", "asset_version", "FICHE_SCALE"]
