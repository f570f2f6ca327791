"""The brochure as a designer checks it, read back from the PDF and from the laid-out
pages: the colophon on the last (left-hand) page, a fiche's facts (partners, contact,
the fiche online) kept on one page, no heading left at a page foot, no paragraph split
into a single line, the cover's parts apart from each other, French typography."""

from __future__ import annotations

import re

import pypdf
import pytest
import weasyprint

from generator.render import html as H
from tests.catalogue import make_catalogue
from tests.test_booklet import flat, render

N = 12


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = make_catalogue(tmp_path_factory.mktemp("design") / "projet", N, seed=5, colophon={
        "legal": "Dépôt légal : mars 2024", "printer": "Imprimerie du Centre, Moulins"})
    edition, info, path, warnings = render(root, root / "output")
    texts = [page.extract_text() for page in pypdf.PdfReader(path).pages]
    return {"root": root, "edition": edition, "info": info, "path": path, "texts": texts}


@pytest.fixture(scope="module")
def laid_out(built):
    """booklet.html laid out as one document (it paginates as booklet.pdf does)."""
    html = (built["root"] / "output" / "booklet.html").read_text(encoding="utf-8")
    return weasyprint.HTML(string=html, base_url=(built["root"] / "output").as_uri() + "/").render()


def test_colophon_is_the_last_page_a_left_hand_one_without_folio(built):
    info, texts = built["info"], built["texts"]
    last = texts[-1]
    assert info.page_count == len(texts) and len(texts) % 2 == 0, "the colophon is on a verso"
    for words in ("Imprimerie du Centre, Moulins", "Dépôt légal", "Impression", "Mentions légales",
                  flat(built["edition"].publication.title)):
        assert flat(words).upper() in flat(last).upper(), words
    assert str(len(texts)) not in [line.strip() for line in last.splitlines()], "no folio on the colophon"
    assert all("Imprimerie du Centre" not in t for t in texts[:-1])
    # The indexes keep their own pages: the colophon comes after the last one.
    assert max(info.index_pages.values()) < len(texts)


def test_colophon_on_the_back_of_the_cover_without_indexes(tmp_path):
    root = make_catalogue(tmp_path / "sans-index", 3, seed=2, indexes=[], colophon={"printer": "Atelier Typo"})
    _, info, path, _ = render(root, tmp_path / "out")
    texts = [page.extract_text() for page in pypdf.PdfReader(path).pages]
    assert "Atelier Typo" in texts[1]
    assert info.page_count == len(texts)


def test_contact_and_source_stay_with_the_partners(built):
    info, texts, edition = built["info"], built["texts"], built["edition"]
    checked = 0
    for fiche in edition.fiches:
        first, last = info.pages[fiche.id]
        pages = {n: flat(texts[n - 1]) for n in range(first, last + 1)}
        partners = [n for n, t in pages.items() if "PARTENAIRES" in t]  # the card's title, in capitals
        assert len(partners) == 1, (fiche.id, partners)
        if fiche.contact:
            contact = [n for n, t in pages.items() if fiche.contact.email and fiche.contact.email in t]
            assert contact == partners, f"{fiche.id}: contact on {contact}, partners on {partners}"
            checked += 1
        if fiche.source:
            source = [n for n, t in pages.items() if fiche.source in t.replace(" ", "")]
            assert source == partners, f"{fiche.id}: source on {source}, partners on {partners}"
    assert checked >= N // 2


def _boxes(box, parent=None):
    """Every box under `box`, with its parent box; absolutely placed boxes included."""
    if type(box).__name__ == "AbsolutePlaceholder":
        box = box._box
    yield box, parent
    for child in getattr(box, "children", ()) or ():
        yield from _boxes(child, box)


def _class(box) -> list[str]:
    element = getattr(box, "element", None)
    return (element.get("class") or "").split() if element is not None else []


def _lines(box) -> int:
    return sum(1 for b, _ in _boxes(box) if type(b).__name__ == "LineBox")


def test_no_heading_at_a_page_foot_and_no_single_line_of_a_split_paragraph(laid_out):
    fragments: dict[int, dict[int, int]] = {}  # paragraph -> page -> lines on it
    headings_checked = 0
    for page in laid_out.pages:
        flow = [(b, parent) for b, parent in _boxes(page._page_box)
                if type(b).__name__ == "BlockBox" and b.element_tag in ("h2", "h3", "h4", "p", "li", "table", "aside", "figure")]
        body = [b for b, parent in _boxes(page._page_box) if "fiche-body" in _class(parent)
                and getattr(b, "element_tag", None) and type(b).__name__ != "TextBox"]
        if body:
            last = max(body, key=lambda b: b.position_y)
            assert last.element_tag not in ("h2", "h3", "h4"), f"heading « {last.element.text} » alone at a page foot"
            headings_checked += 1
        for b, parent in flow:
            if b.element_tag == "p" and getattr(parent, "element", None) is not b.element:
                fragments.setdefault(id(b.element), {})[page.page_number if hasattr(page, "page_number") else id(page)] = _lines(b)
    assert headings_checked > N
    for by_page in fragments.values():
        counts = list(by_page.values())
        if len(counts) > 1:
            assert min(counts) >= 2, f"a paragraph split {counts}: widows and orphans are 2 lines at least"


def test_cover_parts_do_not_overlap(laid_out):
    cover = laid_out.pages[0]
    found = {}
    for b, _ in _boxes(cover._page_box):
        for name in ("cover-head", "cover-main", "cover-foot"):
            if name in _class(b) and name not in found and type(b).__name__ == "BlockBox":
                found[name] = (b.position_y, b.position_y + b.margin_height())
    assert set(found) == {"cover-head", "cover-main", "cover-foot"}
    assert found["cover-head"][1] <= found["cover-main"][0]
    assert found["cover-main"][1] < found["cover-foot"][0], "title and subtitle clear of the foot"
    assert found["cover-foot"][1] > cover.height * 0.85, "the foot at the foot of the cover"


def test_french_typography_in_print(built, laid_out):
    text = "\n".join(built["texts"])
    assert re.search("\u202f[?!;]", text) and re.search("\u00a0:", text)
    html = (built["root"] / "output" / "booklet.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in html
    # Hyphenation is on: some justified line of a fiche ends with a hyphen.
    hyphenated = [line for t in built["texts"] for line in t.splitlines() if re.search(r"[a-zà-ÿ][\u2010-]$", line)]
    assert hyphenated, "no hyphenated line anywhere: is hyphenation active?"


def test_adjacent_footnote_calls_are_separated():
    from generator.read.markdown import parse

    node, _ = parse("Voir le site[^1][^2] et m<sup>2</sup>[^1].\n\n[^1]: Une.\n[^2]: Deux.\n", 1)
    out = str(H.body_html(node))
    assert '<span class="footnote">Une.</span><span class="footnote footnote-next">Deux.</span>' in out
    assert '<sup>2</sup><sup class="footnote-again footnote-next">1</sup>' in out


def _by_class(laid_out, name):
    for page in laid_out.pages:
        for box, parent in _boxes(page._page_box):
            if name in _class(box):
                yield page, box


def test_index_entries_stay_in_their_column(laid_out):
    """A long list of pages wraps under the entry: kept on one line (white-space: nowrap)
    it ran across the column gap and over the next column's entries."""
    checked = 0
    for _, li in _by_class(laid_out, "index-entry"):
        right = li.content_box_x() + li.width + 0.5
        for box, _ in _boxes(li):
            if type(box).__name__ == "TextBox":
                assert box.position_x + box.width <= right, (box.text, box.position_x + box.width, right)
                checked += 1
    assert checked


def test_key_figures_sit_beside_the_chapo_and_contact_level_with_source(laid_out):
    """The lede: key figures in a column on the chapô's right, starting at its top (no band
    of their own). In the facts card, contact and « la fiche en ligne » start level."""
    ledes = 0
    for _, lede in _by_class(laid_out, "lede-figures"):
        parts = {}
        for b, _ in _boxes(lede):  # the outermost box of each (its text boxes share the class)
            for c in _class(b):
                parts.setdefault(c, b)
        chapo, figures = parts["chapo"], parts["key-figures"]
        assert figures.position_x > chapo.position_x + chapo.width - 1
        assert abs(figures.position_y - chapo.position_y) < 1
        ledes += 1
    assert ledes
    level = 0
    for _, facts in _by_class(laid_out, "fiche-facts"):
        tops = {}
        for b, _ in _boxes(facts):
            for c in _class(b):
                if c in ("contact", "source"):
                    tops.setdefault(c, b.content_box_y())
        if len(tops) == 2:
            assert abs(tops["contact"] - tops["source"]) < 1, tops
            level += 1
    assert level


def test_every_colour_that_carries_text_reads_at_aa(built, page):
    """The palette's light colours (an ochre gives 2.9:1 on white) are darkened where
    they are text, and a chip's text is the ink that reads on its colour: axe-core's
    contrast rule, in a browser, on booklet.html (the same CSS as the PDF)."""
    from browser import audit

    page.goto((built["root"] / "output" / "booklet.html").as_uri())
    chips = page.evaluate("[...document.querySelectorAll('.chip')].map(c => getComputedStyle(c).backgroundColor)")
    assert "rgb(196, 138, 18)" in chips, "the catalogue shows the palette's ochre"
    assert [v for v in audit(page) if v["id"] == "color-contrast"] == []
