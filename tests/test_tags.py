"""Every PDF a build writes is tagged (PDF/UA-1), the archive PDF/A-3a as well: the
structure trees read back with pikepdf, and with poppler's `pdfinfo -struct-text`, which
reads a tree with its text the way assistive technology does.

One catalogue, built three ways (the default build, --archive, --print --impose): long
fiches split across pages, tables, footnotes, QR codes, front-matter images, a fiche in
English and one with a decorative image.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import pikepdf
import pytest
from conftest import fiche_text, minimal_front, run_recueil

from generator.verify.pdf import verify
from tests.catalogue import load_edition, make_catalogue

N = 9


def flat(text: str) -> str:
    return re.sub(r"[\s\u00a0\u202f]+", " ", text).strip()


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = make_catalogue(tmp_path_factory.mktemp("tags") / "projet", N, seed=5)
    (root / "fiches" / "zz-deco.md").write_text(fiche_text(
        minimal_front("Une fresque décorée", image={"file": "../images/photo-0.png", "decorative": True},
                      partners=["Mission locale"]),
        "Un paragraphe.\n\n| Poste | Montant |\n|:---|---:|\n| Local | 10 € |\n| Outils | 20 € |\n\n"
        "![Le plan de la fresque](../images/photo-1.png)\n"), encoding="utf-8")
    (root / "fiches" / "zz-english.md").write_text(fiche_text(
        minimal_front("A shared garden in Moulins", lang="en", summary="A short standfirst, in English."),
        "Neighbourhood associations maintain the garden throughout the year.\n"), encoding="utf-8")
    return root


def _build(project: Path, out: Path, *options: str) -> Path:
    result = run_recueil("build", str(project), "--out", str(out), *options)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def built(project, tmp_path_factory) -> Path:
    return _build(project, tmp_path_factory.mktemp("out"))


@pytest.fixture(scope="module")
def archived(project, tmp_path_factory) -> Path:
    return _build(project, tmp_path_factory.mktemp("archive"), "--archive", "--format", "pdf")


@pytest.fixture(scope="module")
def printed(project, tmp_path_factory) -> Path:
    return _build(project, tmp_path_factory.mktemp("print"), "--print", "--impose", "--format", "pdf")


@pytest.fixture(scope="module")
def edition(project):
    return load_edition(project)


# --- poppler's reading of the tree -------------------------------------------------------

class Node:
    def __init__(self, kind: str, depth: int):
        self.kind, self.depth, self.texts, self.children = kind, depth, [], []

    def text(self) -> str:
        return flat(" ".join(self.texts + [c.text() for c in self.children]))

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()


def struct_text(path: Path) -> Node:
    """The tree as `pdfinfo -struct-text` reads it: elements with the text they hold."""
    out = subprocess.run(["pdfinfo", "-struct-text", str(path)], capture_output=True, text=True, check=True).stdout
    root, stack = Node("root", -1), []
    for line in out.splitlines():
        stripped = line.lstrip(" ")
        depth = (len(line) - len(stripped)) // 2
        while stack and stack[-1].depth >= depth:
            stack.pop()
        parent = stack[-1] if stack else root
        if stripped.startswith('"'):
            parent.texts.append(stripped[1:-1])
        elif stripped and not stripped.startswith(("Object ", "/")):  # not an annotation, not an attribute
            node = Node(stripped.split()[0].rstrip(":"), depth)
            parent.children.append(node)
            stack.append(node)
    return root


# --- the booklet ---------------------------------------------------------------------------

def test_booklet_passes_the_preflight(built):
    assert verify(built / "booklet.pdf", ua=True).problems == []


def test_h1s_come_in_the_fiches_order(built, edition):
    tree = struct_text(built / "booklet.pdf")
    h1 = [n.text() for n in tree.walk() if n.kind == "H1"]
    titles = [flat(f.title) for f in edition.fiches]
    pub = flat(edition.publication.title)
    assert h1[:2] == [pub, "Sommaire"]
    assert h1[2:2 + len(titles)] == titles
    assert h1[2 + len(titles):] == ["Index des partenaires", "Index des thèmes", "Index des territoires"]


def test_one_art_per_fiche_and_the_document_s_parts(built, edition):
    tree = struct_text(built / "booklet.pdf")
    document = tree.children[0]
    assert document.kind == "Document"
    kinds = [c.kind for c in document.children]
    assert kinds.count("Art") == len(edition.fiches)
    assert kinds.count("Index") == 3 and "TOC" in [n.kind for n in document.children[1].walk()]
    # An Art holds one fiche: its H1 is the only one inside it, whatever its page count.
    for art in (c for c in document.children if c.kind == "Art"):
        assert [n.kind for n in art.walk()].count("H1") == 1


def _marked(page) -> list[int]:
    """MCIDs the page's content marks (forms included)."""
    found = []

    def scan(holder, resources):
        props = (resources or {}).get("/Properties") or {}
        xobjects = (resources or {}).get("/XObject") or {}
        for ins in pikepdf.parse_content_stream(holder, "BDC Do"):
            if str(ins.operator) == "BDC":
                p = ins.operands[1]
                p = props.get(p) if isinstance(p, pikepdf.Name) else p
                if isinstance(p, pikepdf.Dictionary) and "/MCID" in p:
                    found.append(int(p.MCID))
            else:
                x = xobjects.get(ins.operands[0])
                if isinstance(x, pikepdf.Stream) and x.get("/Subtype") == "/Form":
                    scan(x, x.get("/Resources") or resources)

    scan(page.obj, page.obj.get("/Resources"))
    return found


def _claims(pdf) -> Counter:
    """(page objgen, MCID) -> how many elements claim it; every element visited once."""
    claims: Counter = Counter()
    seen = set()

    def visit(e, pg):
        if e.objgen in seen:
            raise AssertionError("an element is reached twice in the tree")
        seen.add(e.objgen)
        pg = e.get("/Pg", pg)
        k = e.get("/K")
        for kid in [] if k is None else list(k) if isinstance(k, pikepdf.Array) else [k]:
            if isinstance(kid, int):
                claims[pg.objgen, int(kid)] += 1
            elif isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                visit(kid, pg)
            elif isinstance(kid, pikepdf.Dictionary) and "/MCID" in kid:
                claims[kid.get("/Pg", pg).objgen, int(kid.MCID)] += 1

    for top in _tops(pdf):
        visit(top, None)
    return claims


def _tops(pdf) -> list:
    k = pdf.Root.StructTreeRoot.K
    return list(k) if isinstance(k, pikepdf.Array) else [k]


@pytest.mark.parametrize("name", ["booklet.pdf", "fiches/zz-deco.pdf", "fiches/f0003.pdf"])
def test_every_mcid_is_claimed_once_and_every_claim_is_drawn(built, name):
    with pikepdf.open(built / name) as pdf:
        drawn = Counter((page.obj.objgen, m) for page in pdf.pages for m in _marked(page))
        claims = _claims(pdf)
        assert all(n == 1 for n in drawn.values()), "an MCID marked twice on a page"
        assert set(drawn) == set(claims), "content nobody claims, or claims of content that is not there"
        assert all(n == 1 for n in claims.values()), "an MCID claimed by two elements"


def test_every_figure_has_alt_text_and_the_decorative_image_is_an_artifact(built, edition):
    with pikepdf.open(built / "booklet.pdf") as pdf:
        figures = [e for e in _elements(pdf) if e.S == "/Figure"]
        assert figures and all(str(e.get("/Alt", "")).strip() for e in figures)
        alts = [str(e.Alt) for e in figures]
        assert "Le plan de la fresque" in alts
        with_image = [f for f in edition.fiches if f.image and not f.image.decorative]
        assert alts.count("Une photo du projet") == len(with_image)
    # The decorative image is drawn inside an artifact, on the deco fiche's first page.
    tree = struct_text(built / "booklet.pdf")
    art = next(a for a in tree.children[0].children if a.kind == "Art" and "fresque décorée" in a.text())
    assert [n.kind for n in art.walk()].count("Figure") == 1


def _elements(pdf):
    stack = _tops(pdf)
    while stack:
        e = stack.pop()
        yield e
        k = e.get("/K")
        stack += [c for c in ([] if k is None else list(k) if isinstance(k, pikepdf.Array) else [k])
                  if isinstance(c, pikepdf.Dictionary) and "/S" in c]


def test_contents_is_a_toc_of_links_described_by_page_and_title(built, edition):
    tree = struct_text(built / "booklet.pdf")
    tocis = [n for n in tree.walk() if n.kind == "TOCI"]
    sections = [s for s in edition.sections if s.title and s.fiches]
    assert len(tocis) == len(edition.fiches) + len(sections) + 3
    assert all(any(n.kind == "Link" for n in t.walk()) for t in tocis)
    with pikepdf.open(built / "booklet.pdf") as pdf:
        described = [str(a.Contents) for a in pdf.pages[1].obj.Annots]
        assert pdf.pages[1].obj.Tabs == "/S"
    first = edition.fiches[0]
    assert f"page 3\u00a0: {first.title}" in described
    assert all(re.fullmatch(r"page \d+\u00a0: .+", d) for d in described), described


def test_links_everywhere_are_described_and_tagged(built):
    with pikepdf.open(built / "booklet.pdf") as pdf:
        parents = pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree)
        for page in pdf.pages:
            for annot in page.obj.get("/Annots") or []:
                assert str(annot.get("/Contents", "")).strip()
                assert parents[int(annot.StructParent)].S == "/Link"
                if "/Dest" in annot:
                    assert re.match(r"page \d+", str(annot.Contents))


def test_contents_text_reads_title_then_page(built, edition, tmp_path):
    text = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(built / "booklet.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    lines = [flat(line) for line in text.splitlines() if line.strip()]
    for fiche in edition.fiches:
        title = flat(fiche.title)
        line = next((line for line in lines if line.startswith(title)), None)
        assert line is not None and re.fullmatch(re.escape(title) + r" ?(?:\. ?)+\d+", line), (title, lines)


def test_a_fiche_reads_in_the_order_it_is_printed(built, edition):
    fiche = next(f for f in edition.fiches if f.subtitle and f.key_figures and f.partners)
    tree = struct_text(built / "booklet.pdf")
    art = next(a for a in tree.children[0].children if a.kind == "Art" and flat(fiche.title) in a.text())
    text = art.text().upper()  # what the CSS capitalises is read in capitals
    order = [fiche.territory.place, fiche.themes[0], fiche.title, fiche.subtitle, fiche.summary[:40],
             fiche.key_figures[0].label, "Le contexte", "Partenaires", fiche.partners[0].name]
    at = 0
    for piece in order:  # each after the one before
        found = text.find(flat(piece).upper(), at)
        assert found >= at, (piece, text[at:at + 300])
        at = found + len(flat(piece))


def test_a_fiche_in_english_says_so(built):
    with pikepdf.open(built / "booklet.pdf") as pdf:
        arts = [e for e in _elements(pdf) if e.S == "/Art"]
        langs = {str(e.get("/Lang", "")) for e in arts}
        assert langs == {"", "en"}
        assert str(pdf.Root.Lang) == "fr"
    with pikepdf.open(built / "fiches" / "zz-english.pdf") as pdf:
        assert [str(e.get("/Lang", "")) for e in _elements(pdf) if e.S == "/Art"] == ["en"]
    xml = zipfile.ZipFile(built / "fiches" / "zz-english.docx").read("word/document.xml").decode()
    assert '<w:lang w:val="en-GB"/>' in xml


def test_tables_keep_their_header_row(built):
    with pikepdf.open(built / "booklet.pdf") as pdf:
        headers = [e for e in _elements(pdf) if e.S == "/TH"]
        assert headers and all(str(e.A.Scope) in ("/Column", "/Row") for e in headers)
        ids = [str(e.ID) for e in headers]
        assert len(ids) == len(set(ids))
    xml = zipfile.ZipFile(built / "fiches" / "zz-deco.docx").read("word/document.xml").decode()
    assert "<w:tblHeader/>" in xml
    assert 'descr="Le plan de la fresque"' in xml
    assert "adec:decorative" in xml and 'descr=""' in xml


def test_furniture_and_margin_boxes_are_artifacts(built, edition):
    # Running heads and folios are drawn (pdftotext reads them) but not in the tree: no
    # fiche's Art holds the publication's title, which every left-hand page prints.
    pub = flat(edition.publication.title).upper()
    assert pub in subprocess.run(["pdftotext", "-f", "4", "-l", "4", str(built / "booklet.pdf"), "-"],
                                 capture_output=True, text=True).stdout.upper().replace("\u00a0", " ")
    tree = struct_text(built / "booklet.pdf")
    arts = [a for a in tree.children[0].children if a.kind == "Art"]
    assert arts and not any(pub in a.text().upper() for a in arts)
    with pikepdf.open(built / "booklet.pdf") as pdf:
        ops = pikepdf.parse_content_stream(pdf.pages[2].obj, "BDC")
        assert ops[0].operands[0] == "/Artifact" and ops[0].operands[1].Type == "/Pagination"


def test_pdf_ua_identification(built):
    for name in ["booklet.pdf", "fiches/f0001.pdf"]:
        with pikepdf.open(built / name) as pdf:
            meta = pdf.open_metadata()
            assert meta.get("pdfuaid:part") == "1" and meta.get("dc:title")
            assert pdf.Root.ViewerPreferences.DisplayDocTitle and pdf.Root.MarkInfo.Marked
            assert pdf.pdf_version >= "1.7"


# --- handouts, the archive, the printer's edition, the imposed booklet ------------------

def test_every_handout_passes_the_preflight(built, edition):
    for fiche in edition.fiches:
        assert verify(built / "fiches" / f"{fiche.id}.pdf", ua=True).problems == [], fiche.id


def test_handout_qr_code_and_folio_are_artifacts(built):
    path = built / "fiches" / "f0003.pdf"  # long: « 1 / 3 »...
    tree = struct_text(path)
    assert "Figure" not in [n.kind for n in tree.walk()]  # its only image is the QR code
    assert not re.search(r"\b1 / \d\b", tree.text())
    with pikepdf.open(path) as pdf:
        assert len(pdf.pages) > 1
        assert [e.S for e in _elements(pdf)].count("/Art") == 1


def test_archive_is_pdfa_and_pdfua(archived):
    assert verify(archived / "booklet.pdf", ua=True, pdfa=True).problems == []
    with pikepdf.open(archived / "booklet.pdf") as pdf:
        meta = pdf.open_metadata()
        assert (meta.get("pdfaid:part"), meta.get("pdfaid:conformance"), meta.get("pdfuaid:part")) == ("3", "A", "1")
        assert "build.json" in pdf.attachments


def test_printers_edition_stays_tagged_and_imposed_sheets_drop_tags(printed):
    assert verify(printed / "booklet.pdf", ua=True, print_boxes=True).problems == []
    with pikepdf.open(printed / "booklet-imposed.pdf") as pdf:
        assert "/StructTreeRoot" not in pdf.Root and "/MarkInfo" not in pdf.Root
        assert not pdf.open_metadata().get("pdfuaid:part")


def test_without_indexes_the_contents_follows_the_colophon(tmp_path):
    # The colophon takes the back of the cover: the contents is page 3, and its bookmark,
    # its region in the tree and its links say so.
    root = make_catalogue(tmp_path / "projet", 2, seed=2, indexes=[])
    out = _build(root, tmp_path / "out", "--format", "pdf")
    assert verify(out / "booklet.pdf", ua=True).problems == []
    with pikepdf.open(out / "booklet.pdf") as pdf:
        numbers = {p.objgen: n for n, p in enumerate(pdf.pages, 1)}
        with pdf.open_outline() as outline:
            first = list(outline.root)[0]
            assert first.title == "Sommaire" and numbers[first.destination[0].objgen] == 3
        assert pdf.pages[2].obj.get("/Annots")
    tree = struct_text(out / "booklet.pdf")
    with_toc = [i for i, c in enumerate(tree.children[0].children) if "TOC" in [n.kind for n in c.walk()]]
    assert with_toc == [2]  # cover, colophon, contents


def test_the_tree_is_written_after_the_booklet_and_reads_back(built):
    # The tree is an incremental update (tags/append.py): a second cross-reference
    # section whose /Prev is the document's own. pikepdf reads it, rewrites it whole,
    # and finds the same tree; saved.py read the object numbers it needed from the
    # first section's bytes, as pikepdf does.
    from generator.render.tags.saved import Reader, ref

    data = (built / "booklet.pdf").read_bytes()
    assert data.count(b"startxref") == 2 and data.rstrip().endswith(b"%%EOF")
    first = data[:data.index(b"%%EOF") + 5]
    reader = Reader(lambda at, size: first[at:at + size], first[-64:])
    with pikepdf.open(built / "booklet.pdf") as pdf:
        assert reader.object(ref(reader.trailer, b"/Root")).startswith(b"<<")
        assert not [k for k in pdf.Root.keys() if k.startswith("/Recueil")]  # the update's catalog
        rewritten = built.parent / "rewritten.pdf"
        pdf.save(rewritten)
    assert verify(rewritten, ua=True).problems == []
