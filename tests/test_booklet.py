"""The PDF booklet, read back from the PDF: page numbers, links, outline, fonts, metadata,
determinism, and the single-document render of booklet.html."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pikepdf
import pypdf
import pytest
import yaml
from conftest import renderer_context

from benchmarks.naive import render_single
from generator.edition.indexes import build_indexes
from generator.read.layouts import load_layout
from generator.render import booklet as pdf
from generator.verify.pdf import verify
from tests.catalogue import load_edition, make_catalogue

N = 30


def render(root: Path, out: Path, single: bool = False, **options):
    edition = load_edition(root)
    layout = load_layout(edition.project, edition.publication.layout)
    render_fn = render_single if single else pdf.render_booklet
    with renderer_context(edition, layout, out, **{"jobs": 2, **options}) as ctx:
        info = render_fn(edition, layout, ctx)
    warnings = [d.message for d in ctx.report.warnings]
    return edition, info, out / "booklet.pdf", warnings


def flat(text: str) -> str:
    """Text with every kind of space as one plain space, for matching titles."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", text).strip()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = make_catalogue(tmp_path_factory.mktemp("cat") / "projet", N)
    edition, info, path, warnings = render(root, root / "output")
    reader = pypdf.PdfReader(path)
    texts = [page.extract_text() for page in reader.pages]
    return {"root": root, "edition": edition, "info": info, "path": path, "texts": texts, "warnings": warnings}


def test_page_count_and_fiche_ranges(built):
    info, texts = built["info"], built["texts"]
    assert info.page_count == len(texts)
    previous_last = info.contents_pages[1]
    for fiche in built["edition"].fiches:
        first, last = info.pages[fiche.id]
        assert first == previous_last + 1 and last >= first
        previous_last = last
    long_ones = [f for f in built["edition"].fiches if info.pages[f.id][1] - info.pages[f.id][0] >= 2]
    assert long_ones, "the catalogue has fiches of 3+ pages"
    assert built["warnings"] == []


# A contents line: the title, a dotted leader (dots, spaced or not), the page number.
LEADER = r" ?(?:\. ?){3,}(\d+)"


def test_every_contents_line_points_at_its_fiche(built):
    info, texts = built["info"], built["texts"]
    first, last = info.contents_pages
    contents = flat(" ".join(texts[first - 1:last]))
    for fiche in built["edition"].fiches:
        m = re.search(re.escape(flat(fiche.title)) + LEADER, contents)
        assert m, f"no contents line for {fiche.title!r}"
        printed = int(m.group(1))
        assert printed == info.pages[fiche.id][0]
        assert flat(fiche.title) in flat(texts[printed - 1]), f"{fiche.title!r} not on page {printed}"
    for kind, title in (("partners", "Index des partenaires"), ("themes", "Index des thèmes"),
                        ("territories", "Index des territoires")):
        printed = re.search(re.escape(title) + LEADER, contents)
        assert printed and int(printed.group(1)) == info.index_pages[kind]
        assert title in texts[info.index_pages[kind] - 1]


def test_every_fiche_page_has_folio_and_running_head(built):
    info, texts, edition = built["info"], built["texts"], built["edition"]
    for fiche in edition.fiches:
        first, last = info.pages[fiche.id]
        for number in range(first, last + 1):
            lines = [flat(line) for line in texts[number - 1].splitlines() if line.strip()]
            assert str(number) in lines, f"page {number} has no folio"
    section = edition.sections[0]
    odd = [n for f in section.fiches for n in range(info.pages[f.id][0], info.pages[f.id][1] + 1) if n % 2]
    even = [n for f in section.fiches for n in range(info.pages[f.id][0], info.pages[f.id][1] + 1) if n % 2 == 0]
    assert flat(section.title).upper() in flat(texts[odd[0] - 1]).upper()
    assert flat(edition.publication.title).upper() in flat(texts[even[0] - 1]).upper()
    assert "1" not in [line.strip() for line in texts[0].splitlines()], "the cover shows no folio"


def _index_text(built, kind: str) -> str:
    info, texts = built["info"], built["texts"]
    kinds = list(info.index_pages)
    start = info.index_pages[kind]
    following = [info.index_pages[k] for k in kinds if info.index_pages[k] > start]
    end = min(following) - 1 if following else info.page_count
    return flat(" ".join(texts[start - 1:end]))


def test_every_index_entry_lists_first_pages_ascending(built):
    info, edition = built["info"], built["edition"]
    indexes = build_indexes(edition)
    checked = 0
    for kind, index in indexes.items():
        text = _index_text(built, kind)
        for entry in index.entries:
            if entry.see:
                assert re.search(re.escape(flat(entry.label)) + r", voir " + re.escape(flat(entry.see)), text), entry
                continue
            m = re.search(r"(?:^| )" + re.escape(flat(entry.label)) + r" ((?:\d+, )*\d+)", text)
            assert m, f"{kind}: no entry {entry.label!r}"
            printed = [int(n) for n in m.group(1).split(", ")]
            assert printed == sorted({info.pages[f][0] for f in entry.fiches}), entry.label
            checked += 1
    assert checked > 20


def test_shared_partner_and_alias_in_partners_index(built):
    text = _index_text(built, "partners")
    assert "CAF 03, voir Caisse d’allocations familiales de l’Allier" in text
    canonical = "Caisse d’allocations familiales de l’Allier"
    m = re.search(re.escape(canonical) + r" ((?:\d+, )*\d+)", text)
    assert m and len(m.group(1).split(", ")) >= N // 2


def _link_targets(pdf_file: pikepdf.Pdf, page_numbers) -> list[int]:
    """Targets of the GoTo links on those pages, one per link: WeasyPrint writes one
    annotation per box of a link (each line, the leader), merged here when they touch."""
    index = {p.objgen: n for n, p in enumerate(pdf_file.pages, 1)}
    out, last = [], None
    for number in page_numbers:
        for annot in pdf_file.pages[number - 1].obj.get("/Annots", []):
            if "/Dest" not in annot:
                continue
            target = index[annot.Dest[0].objgen]
            y0, y1 = sorted(float(v) for v in (annot.Rect[1], annot.Rect[3]))
            if last and last[0] == (number, target) and y0 <= last[2] + 3 and y1 >= last[1] - 3:
                last = (last[0], min(y0, last[1]), max(y1, last[2]))
                continue
            out.append(target)
            last = ((number, target), y0, y1)
    return out


def test_contents_and_index_links_go_to_the_right_pages(built):
    info, edition = built["info"], built["edition"]
    with pikepdf.open(built["path"]) as doc:
        expected = []
        for section in edition.sections:
            expected.append(info.pages[section.fiches[0].id][0])
            expected += [info.pages[f.id][0] for f in section.fiches]
        expected += list(info.index_pages.values())
        first, last = info.contents_pages
        assert _link_targets(doc, range(first, last + 1)) == expected
        index_links = _link_targets(doc, range(min(info.index_pages.values()), info.page_count + 1))
        starts = {first for first, _ in info.pages.values()}
        assert index_links and set(index_links) <= starts
        for page in doc.pages:  # no placeholder URL survives
            for annot in page.obj.get("/Annots", []):
                assert "recueil.invalid" not in str(annot.get("/A", {}).get("/URI", ""))


def test_outline_points_at_sections_fiches_and_indexes(built):
    info, edition = built["info"], built["edition"]
    with pikepdf.open(built["path"]) as doc:
        index = {p.objgen: n for n, p in enumerate(doc.pages, 1)}

        def page_of(item):
            return index[item.destination[0].objgen]

        with doc.open_outline() as outline:
            top = list(outline.root)
            titled = {flat(i.title): i for i in top}
            for section in edition.sections:
                item = titled[flat(section.title)]
                assert page_of(item) == info.pages[section.fiches[0].id][0]
                assert [flat(c.title) for c in item.children] == [flat(f.title) for f in section.fiches]
                assert [page_of(c) for c in item.children] == [info.pages[f.id][0] for f in section.fiches]
            assert page_of(titled["Index des territoires"]) == info.index_pages["territories"]


def _fonts(doc: pikepdf.Pdf):
    """(font name, descriptor) of every font of every page and form: one entry per
    font dictionary, not per name (parts of the booklet name a face alike)."""
    seen = {}

    def walk(resources):
        for font in (resources.get("/Font") or {}).values():
            for f in [font, *list(font.get("/DescendantFonts") or [])]:
                fd = f.get("/FontDescriptor")
                if fd is not None:
                    seen[f.objgen] = (str(f.BaseFont), fd)
        for xobj in (resources.get("/XObject") or {}).values():
            if xobj.get("/Subtype") == "/Form" and "/Resources" in xobj:
                walk(xobj.Resources)

    for page in doc.pages:
        walk(page.obj.Resources)
    return seen


def test_only_vendored_fonts_embedded_once(built):
    with pikepdf.open(built["path"]) as doc:
        fonts = _fonts(doc)
        assert fonts
        for name, fd in fonts.values():
            assert re.fullmatch(r"/[A-Z]{6}\+Recueil-(Vollkorn|Lato)(-[A-Za-z-]+)?", name), name
            assert "/FontFile2" in fd, f"{name} not embedded"
        programs = {fd.FontFile2.objgen for _, fd in fonts.values()}
        assert len(programs) <= 9, "one font program per face, shared by every part"
        assert len(fonts) <= 9, "one font dictionary per face"


def test_widths_are_the_embedded_programs_advances(built):
    """Every width the booklet's merged fonts declare is the advance of that glyph in the
    font program they embed (read by fontTools): a reader lays text out by /W."""
    from fontTools.ttLib import TTFont

    with pikepdf.open(built["path"]) as doc:
        checked = 0
        for name, fd in _fonts(doc).values():
            program = TTFont(io.BytesIO(fd.FontFile2.read_bytes()))
            upem, hmtx, order = program["head"].unitsPerEm, program["hmtx"].metrics, program.getGlyphOrder()
            cid_font = next(f for page in doc.pages for font in page.obj.Resources.Font.values()
                            for f in font.get("/DescendantFonts") or [] if f.FontDescriptor.objgen == fd.objgen)
            w = list(cid_font.W)
            for start, widths in zip(w[::2], w[1::2]):
                for gid, width in enumerate(widths, int(start)):
                    assert int(width) == round(hmtx[order[gid]][0] * 1000 / upem), (name, gid)
                    checked += 1
        assert checked > 100


def test_french_spaces_survive(built):
    fiche = built["edition"].fiches[0]
    first, last = built["info"].pages[fiche.id]
    text = " ".join(built["texts"][first - 1:last])
    assert "\u202f?" in text or "\u202f!" in text
    assert "\u00a0:" in text or "\u202f;" in text


def test_template_syntax_in_fiche_is_printed(built):
    fiche = next(f for f in built["edition"].fiches if f.subtitle and "{{" in f.subtitle)
    page = built["texts"][built["info"].pages[fiche.id][0] - 1]
    assert "{{ 7*7 }}" in page and "<b>du HTML</b>" in page


def test_metadata(built):
    pub = built["edition"].publication
    with pikepdf.open(built["path"]) as doc:
        assert str(doc.docinfo.Title) == pub.title
        assert str(doc.docinfo.Author) == pub.publisher
        assert str(doc.Root.Lang) == "fr"
        assert str(doc.docinfo.CreationDate).startswith("D:20240315")
        assert len(doc.trailer.ID) == 2
        meta = doc.open_metadata()
        assert meta["dc:title"] == pub.title
        assert "2024-03-15" in meta["xmp:CreateDate"]


def test_two_renders_are_byte_identical(built):
    again = built["root"] / "output-again"  # same depth: booklet.html links images relatively
    _, info, path, _ = render(built["root"], again)
    assert info.pages == built["info"].pages
    assert path.read_bytes() == built["path"].read_bytes()
    assert (again / "booklet.html").read_bytes() == (built["root"] / "output" / "booklet.html").read_bytes()


def test_booklet_html_is_one_document_with_the_same_numbers(built):
    html = (built["root"] / "output" / "booklet.html").read_text(encoding="utf-8")
    assert html.count("<article") == N
    assert "@font-face" in html and "data:font/ttf;base64," in html
    assert 'src="../images/photo-1.png"' in html
    fiche = built["edition"].fiches[3]
    assert f'data-page="{built["info"].pages[fiche.id][0]}"' in html


# --- smaller editions -----------------------------------------------------------------

def _small(tmp_path, n=6, layout_yaml: dict | None = None, **publication):
    root = make_catalogue(tmp_path / "petit", n, seed=3, **publication)
    if layout_yaml:
        folder = root / "layouts" / "brochure"
        folder.mkdir(parents=True)
        (folder / "layout.yaml").write_text(yaml.safe_dump(layout_yaml), encoding="utf-8")
    return root


def test_single_document_paginates_the_same(tmp_path):
    root = _small(tmp_path, 7, {"fiche_starts_on": "right"})
    _, parts_info, parts_pdf, _ = render(root, tmp_path / "parts")
    edition, single_info, single_pdf, _ = render(root, tmp_path / "single", single=True)
    assert single_info.pages == parts_info.pages
    a = [flat(p.extract_text()) for p in pypdf.PdfReader(parts_pdf).pages]
    b = [flat(p.extract_text()) for p in pypdf.PdfReader(single_pdf).pages]
    assert len(a) == len(b)
    for fiche in edition.fiches:
        first = parts_info.pages[fiche.id][0]
        assert flat(fiche.title) in a[first - 1] and flat(fiche.title) in b[first - 1]


def test_fiches_start_on_right_hand_pages_after_bare_blanks(tmp_path):
    root = _small(tmp_path, 7, {"fiche_starts_on": "right"})
    edition, info, path, _ = render(root, tmp_path / "out")
    texts = [p.extract_text() for p in pypdf.PdfReader(path).pages]
    assert all(first % 2 == 1 for first, _ in info.pages.values())
    assert info.blank_pages
    for number in info.blank_pages:
        assert texts[number - 1].strip() == "", "a blank page carries no folio"


def test_print_edition_has_bleed_and_trim_boxes(tmp_path):
    root = _small(tmp_path, 3)
    _, info, path, _ = render(root, tmp_path / "out", print_edition=True)
    with pikepdf.open(path) as doc:
        for page in doc.pages:
            trim = [float(v) for v in page.obj.TrimBox]
            bleed = [float(v) for v in page.obj.BleedBox]
            media = [float(v) for v in page.obj.MediaBox]
            assert bleed[0] < trim[0] and bleed[2] > trim[2]
            assert abs((trim[2] - trim[0]) - 595.28) < 1
            assert media[2] - media[0] >= bleed[2] - bleed[0]


def test_a5_english_edition(tmp_path):
    root = _small(tmp_path, 3, page_size="A5", lang="en")
    edition, info, path, _ = render(root, tmp_path / "out")
    reader = pypdf.PdfReader(path)
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 419.53) < 1 and abs(float(box.height) - 595.28) < 1
    texts = [p.extract_text() for p in reader.pages]
    assert "Contents" in texts[1]
    assert "Index of partners" in texts[info.index_pages["partners"] - 1]
    with pikepdf.open(path) as doc:
        assert str(doc.Root.Lang) == "en"


def test_the_provisional_contents_breaks_its_lines_as_the_real_one():
    # Laid out while the fiches are, for its length only: each leader() becomes the one
    # copy of its text a line is broken with, whatever way a layout writes it.
    from generator.render.booklet.parts import without_leaders

    css = ('a::after { content: "\\202F" leader(". ") "\\202F"; }\n'
           "b::after { content: LEADER( dotted ) } c::after { content: leader(space) }\n"
           "d::after { content: leader('x\\'y)') } e::after { content: leader(solid) }")
    assert without_leaders(css) == ('a::after { content: "\\202F" ". " "\\202F"; }\n'
                                    'b::after { content: ". " } c::after { content: " " }\n'
                                    "d::after { content: 'x\\'y)' } e::after { content: \"_\" }")
    brochure = (Path(pdf.__file__).parents[3] / "layouts" / "brochure" / "booklet.css").read_text()
    assert "leader(" in brochure and "leader(" not in without_leaders(brochure)


def test_the_workers_lay_out_the_booklet_one_process_lays_out(tmp_path):
    # The order the parts are laid out in depends on the workers; the booklet does not.
    root = make_catalogue(tmp_path / "projet", 8)
    books = [render(root, tmp_path / "out" / name, jobs=jobs, cache=False)[2].read_bytes()
             for name, jobs in (("one", 1), ("two", 2))]
    assert books[0] == books[1]


@pytest.mark.parametrize("pieces_fit", [True, False])
def test_a_long_contents_is_laid_out_in_pieces_that_read_as_one(tmp_path, monkeypatch, pieces_fit):
    # Tall contents lines: a dozen fiches fill several pages of contents, which the
    # booklet lays out in pieces; its pages read as the single document's, and its tree
    # holds one contents with one heading and one TOC. When a piece does not fill the
    # pages the provisional layout gave it, the contents is laid out whole instead.
    from generator.render.booklet import pagination

    cuts = []
    real = pagination.contents_pieces
    monkeypatch.setattr(pagination, "contents_pieces", lambda *a: cuts.append(real(*a)) or cuts[-1])
    if not pieces_fit:
        expected = pagination.piece_pages
        monkeypatch.setattr(pagination, "piece_pages", lambda *a: [n + 1 for n in expected(*a)])
    asked = []

    class Parts(pagination.Parts):
        def get(self, job, *args, **kwargs):
            asked.append(job)
            return super().get(job, *args, **kwargs)

    monkeypatch.setattr(pagination, "Parts", Parts)
    root = _small(tmp_path, 12, {"stylesheets": ["booklet.css", "tall.css"]})
    (root / "layouts" / "brochure" / "tall.css").write_text(".toc-fiche { margin-bottom: 150mm; }")
    edition, info, path, warnings = render(root, tmp_path / "parts", cache=False)
    _, single_info, single_path, _ = render(root, tmp_path / "single", single=True, cache=False)
    assert cuts and cuts[0] and len(cuts[0]) >= 2, cuts
    last_piece = f'id="toc-{cuts[0][-1][0]}"'  # its first row
    laid_out = [j.html for j in asked if 'class="contents' in j.html and not j.layout_only]
    whole = [html for html in laid_out if "contents-title" in html and last_piece in html]
    assert bool(whole) != pieces_fit  # laid out whole only when a piece does not fit
    assert info.pages == single_info.pages and not warnings
    front = min(first for first, _ in info.pages.values()) - 1
    a = [flat(p.extract_text()) for p in pypdf.PdfReader(path).pages]
    b = [flat(p.extract_text()) for p in pypdf.PdfReader(single_path).pages]
    assert front >= 6 and a[:front] == b[:front]
    for fiche in edition.fiches:
        assert sum(flat(fiche.title) in page for page in a[:front]) == 1
    with pikepdf.open(path) as doc:
        def walk(e):
            yield e
            k = e.get("/K")
            for c in list(k) if isinstance(k, pikepdf.Array) else [k] if k is not None else []:
                if isinstance(c, pikepdf.Dictionary) and "/S" in c:
                    yield from walk(c)
        everything = list(walk(doc.Root.StructTreeRoot))[1:]
        tocs = [e for e in everything if e.S == "/TOC"]
        assert len(tocs) == 1
        contents = next(e for e in everything if e.S == "/Sect" and any(t.objgen == tocs[0].objgen for t in walk(e)))
        assert [e.S for e in walk(contents)].count("/H1") == 1
        sections = [s for s in edition.sections if s.title and s.fiches]
        items = [k for k in tocs[0].K if k.S == "/TOCI"]
        assert len(items) == len(edition.fiches) + len(sections) + 3
    assert verify(path, ua=True).problems == []
