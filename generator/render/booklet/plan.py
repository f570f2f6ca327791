"""The booklet's plan: which physical page each fiche, blank page and index lands on,
from the fiches' page counts and the front matter's length; and what follows from it
(links, outline, the furniture's chunks, the BookletInfo a build reports)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from generator.model import Edition
from generator.render.booklet.join import SECTION, Bookmark, page_link


@dataclass
class BookletInfo:
    pages: dict[str, tuple[int, int]]  # fiche id -> (first, last) physical page
    page_count: int
    sections: list[tuple[str | None, int]] = field(default_factory=list)  # (title, first page)
    index_pages: dict[str, int] = field(default_factory=dict)  # index kind -> first page
    contents_pages: tuple[int, int] = (2, 2)
    blank_pages: list[int] = field(default_factory=list)


@dataclass
class Plan:
    front_pages: int
    pages: dict[str, tuple[int, int]]
    blank_before: set[str]
    back_start: int


def make_plan(edition: Edition, counts: dict[str, int], front_pages: int, starts_right: bool) -> Plan:
    page = front_pages + 1
    pages, blanks = {}, set()
    for fiche in edition.fiches:
        if starts_right and page % 2 == 0:
            blanks.add(fiche.id)
            page += 1
        pages[fiche.id] = (page, page + counts[fiche.id] - 1)
        page += counts[fiche.id]
    return Plan(front_pages, pages, blanks, page)


def page_href(plan: Plan, index_pages: dict[str, int]):
    """Link targets of the contents and indexes: placeholder URLs to physical pages."""
    def href(target: str) -> str:
        if target.startswith("index-"):
            return page_link(index_pages.get(target[6:], plan.back_start))
        if target.startswith("section:"):  # a section's line: to its first fiche, named apart
            return page_link(plan.pages[target[8:]][0], SECTION)
        return page_link(plan.pages[target][0])
    return href


def fiche_batches(fiches: list, average: int = 3, longest: int = 6) -> list[list]:
    """The fiches in consecutive runs laid out together, each run one WeasyPrint document.

    One document per fiche costs ~15 ms of setup a fiche (styles, fonts, PDF writing);
    about three a document halves that. Where a run ends depends on the fiche that ends it
    (a hash of its id), never on its position: adding, removing or moving a fiche changes
    the runs around it only, and every other run keeps its cache entry."""
    batches, current = [], []
    for fiche in fiches:
        current.append(fiche)
        ends_here = int.from_bytes(hashlib.sha256(fiche.id.encode()).digest()[:4], "big") % average == 0
        if ends_here or len(current) >= longest:
            batches.append(current)
            current = []
    if current:
        batches.append(current)
    return batches


# A furniture document's pages cost more the longer it is (measured: 5.3 ms a page in
# 120-page chunks, 5.9 ms in 350-page ones): long catalogues get more chunks instead.
FURNITURE_PAGES = 120


def furniture_chunks(edition: Edition, plan: Plan, jobs: int) -> list[list]:
    """The fiches in runs of about the same number of pages, a few per worker. A run
    boundary is a fiche boundary, so a run's document depends on its own fiches' pages
    and first page only."""
    total = plan.back_start - plan.front_pages - 1
    size = max(16, min(FURNITURE_PAGES, -(-total // (jobs * 3))))
    chunks, current, pages_in = [], [], 0
    for f in edition.fiches:
        current.append(f)
        pages_in += plan.pages[f.id][1] - plan.pages[f.id][0] + 1
        if pages_in >= size:
            chunks.append(current)
            current, pages_in = [], 0
    if current:
        chunks.append(current)
    return chunks


def chunk_first_page(chunk, plan: Plan) -> int:
    return plan.pages[chunk[0].id][0] - (1 if chunk[0].id in plan.blank_before else 0)


def outline(edition: Edition, labels: dict, indexes: dict, plan: Plan, index_pages: dict[str, int],
            contents_page: int = 2) -> list[Bookmark]:
    # The contents is page 2, or 3 when the colophon takes the back of the cover (an
    # edition without indexes): the page its anchor landed on.
    items = [Bookmark(labels.get("contents", "Contents"), contents_page)]
    for section in edition.sections:
        marks = [Bookmark(f.title, plan.pages[f.id][0]) for f in section.fiches]
        if section.title and marks:
            items.append(Bookmark(section.title, marks[0].page, marks))
        else:
            items += marks
    items += [Bookmark(ix.title, index_pages[k]) for k, ix in indexes.items()]
    return items


def info(edition: Edition, plan: Plan, front_pages: int, back_pages: int, index_pages,
         contents_first: int = 2) -> BookletInfo:
    return BookletInfo(
        pages=dict(plan.pages),
        page_count=plan.back_start - 1 + back_pages,
        sections=[(s.title, plan.pages[s.fiches[0].id][0]) for s in edition.sections if s.fiches],
        index_pages=dict(index_pages),
        contents_pages=(contents_first, front_pages),
        blank_pages=sorted(plan.pages[f][0] - 1 for f in plan.blank_before),
    )
