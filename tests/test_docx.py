"""Word fiches, read back: styles by name, real lists, footnotes, links, fonts, validity."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import docx as python_docx
import pytest
from conftest import (
    REPO,
    fiche_text,
    minimal_front,
    png_bytes,
    renderer_context,
    write_project,
)
from fontTools.ttLib import TTFont
from lxml import etree

from generator.diagnostics import InputError, Report
from generator.edition.select import make_edition
from generator.model import Territory
from generator.read import project
from generator.read.markdown import Node
from generator.render import word as docx
from generator.render.word.fonts import obfuscate

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PR = "http://schemas.openxmlformats.org/package/2006/relationships"
NS = {"w": W, "r": R}

BODY = """\
## Le contexte

Un **gras**, un *italique*, du `code`, un [lien](https://example.org/été?x=1&y=2), H<sub>2</sub>O et m<sup>2</sup>.
Ligne un<br>ligne deux.

Une note ici[^1]. Un [piège](javascript:alert(1)) désamorcé.

### Étapes

1. un
2. deux
   - sous-puce
   - sous-puce bis
3. trois

Suite de la liste :

5. cinq
6. six

- une puce

> Une citation.

| Poste | Montant |
|:--|--:|
| Action | 71 000 € |
| Emploi | 60 000 € |

#### Niveau quatre

![Une photo](../images/photo.png)

[^1]: Le texte de la note.
"""


def _png(path: Path, w: int = 60, h: int = 30) -> None:
    path.write_bytes(png_bytes(w, h))


class StandInLayout:
    """What render_docx needs of a layout: file(name) -> Path | None, and its words."""

    dirs: list[Path] = []

    def __init__(self, reference: Path | None = None):
        self.reference = reference

    def labels(self, lang: str) -> dict[str, str]:
        return {}

    def file(self, name: str):
        return self.reference if name == "reference.docx" else None


def render_word(edition, layout, out: Path, jobs: int = 1) -> list[str]:
    with renderer_context(edition, layout, out, jobs=jobs, cache=False) as ctx:
        return docx.render_docx(edition, layout, ctx)


def _edition(root: Path):
    report = Report()
    proj = project.read_project(root, report)
    assert proj is not None and not report.failed(), [str(d) for d in report.items]
    return make_edition(proj, [], report)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A small project with one rich fiche and one plain one, rendered once."""
    root = tmp_path_factory.mktemp("docx") / "projet"
    front = minimal_front(
        "Une épicerie solidaire {{ 7*7 }}", subtitle="Quand les habitants s’en mêlent",
        territory={"place": "Moulins", "department": "Allier", "region": "Auvergne-Rhône-Alpes"},
        themes=["Insertion", "Alimentation"],
        partners=[{"name": "Association Élan", "role": "Porteur", "type": "Association",
                   "url": "https://elan.example.org"}, "Mairie de Moulins"],
        key_figures=[{"value": "120", "label": "familles"}, {"value": "35 %", "label": "de bénévoles"}],
        contact={"name": "Camille Martin", "email": "camille@example.org", "phone": "04 70 00 00 00"},
        source="https://example.org/fiches/epicerie",
        image={"file": "../images/photo.png", "alt": "La boutique", "caption": "La boutique",
               "credit": "Photo : Élan"},
    )
    write_project(root, {"epicerie": fiche_text(front, BODY), "simple": minimal_front("Une fiche simple")},
                  publication={"title": "Initiatives solidaires", "publisher": "Réseau solidaire",
                               "date": "2024-03-15", "lang": "fr"})
    (root / "images").mkdir()
    _png(root / "images" / "photo.png")
    edition = _edition(root)
    out = root.parent / "out"
    written = render_word(edition, StandInLayout(), out)
    return {"edition": edition, "out": out, "written": written, "path": out / "fiches" / "epicerie.docx",
            "simple": out / "fiches" / "simple.docx"}


def _xml(path: Path, part: str):
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(part))


def _text(el) -> str:
    return "".join(el.itertext())


def _paragraph_styles(path: Path) -> list[tuple[str, str]]:
    document = python_docx.Document(str(path))
    return [(p.style.name, p.text) for p in document.paragraphs]


# --- contract and structure ----------------------------------------------------------

def test_one_docx_per_fiche_at_the_documented_path(built):
    assert sorted(built["written"]) == ["booklet.docx", "fiches/epicerie.docx", "fiches/simple.docx"]
    for rel in built["written"]:
        assert zipfile.is_zipfile(built["out"] / rel)


def test_named_styles_on_the_right_paragraphs(built):
    styles = _paragraph_styles(built["path"])
    by_text = {text: name for name, text in styles}
    assert styles[0][0] == "Métadonnées" and "Moulins (Allier)" in styles[0][1] and "Insertion" in styles[0][1]
    assert styles[1] == ("Title", "Une épicerie solidaire {{ 7*7 }}")
    assert by_text["Quand les habitants s’en mêlent"] == "Subtitle"
    assert by_text["Le contexte"] == "Heading 1"
    assert by_text["Étapes"] == "Heading 2"
    assert by_text["Niveau quatre"] == "Heading 3"
    assert by_text["Une citation."] == "Quote"
    assert by_text["un"] == "List Number"
    assert by_text["sous-puce"] == "List Bullet"
    assert by_text["une puce"] == "List Bullet"
    assert any(name == "Caption" and "La boutique" in text for name, text in styles)
    # With key figures, the chapô sits in a table's cell with the figures beside it.
    assert any(name == "Chapô" for name, _ in styles + _cell_paragraphs(built["path"]))
    assert by_text["Partenaires"] == "Encadré – titre"
    assert any(name == "Chiffre clé" and text == "120" for name, text in _cell_paragraphs(built["path"]))


def _cell_paragraphs(path: Path):
    document = python_docx.Document(str(path))
    return [(p.style.name, p.text) for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs]


def test_lists_are_word_lists_and_each_ordered_list_restarts(built):
    doc = _xml(built["path"], "word/document.xml")
    numbering = _xml(built["path"], "word/numbering.xml")

    def numpr(text):
        p = next(p for p in doc.iter(f"{{{W}}}p") if _text(p) == text)
        pr = p.find("w:pPr/w:numPr", NS)
        assert pr is not None, f"no numPr on {text!r}"
        return int(pr.find("w:ilvl", NS).get(f"{{{W}}}val")), int(pr.find("w:numId", NS).get(f"{{{W}}}val"))

    lvl_un, num_un = numpr("un")
    lvl_cinq, num_cinq = numpr("cinq")
    assert (lvl_un, lvl_cinq) == (0, 0)
    assert num_un != num_cinq and numpr("trois")[1] == num_un
    assert numpr("sous-puce")[0] == 1 and numpr("une puce")[0] == 0

    def start_of(num_id, level=0):
        num = numbering.find(f"w:num[@w:numId='{num_id}']", NS)
        override = num.find(f"w:lvlOverride[@w:ilvl='{level}']/w:startOverride", NS)
        return int(override.get(f"{{{W}}}val")), num.find("w:abstractNumId", NS).get(f"{{{W}}}val")

    (start_un, abstract_un), (start_cinq, abstract_cinq) = start_of(num_un), start_of(num_cinq)
    assert (start_un, start_cinq) == (1, 5)
    assert abstract_un == abstract_cinq
    fmt = numbering.find(f"w:abstractNum[@w:abstractNumId='{abstract_un}']/w:lvl[@w:ilvl='0']/w:numFmt", NS)
    assert fmt.get(f"{{{W}}}val") == "decimal"


def test_footnotes_are_real_word_footnotes(built):
    doc = _xml(built["path"], "word/document.xml")
    notes = _xml(built["path"], "word/footnotes.xml")
    refs = [r.get(f"{{{W}}}id") for r in doc.iter(f"{{{W}}}footnoteReference")]
    assert len(refs) == 1
    note = notes.find(f"w:footnote[@w:id='{refs[0]}']", NS)
    assert note is not None and "Le texte de la note." in _text(note)
    assert note.find(".//w:footnoteRef", NS) is not None


def test_links_are_external_relationships_and_nothing_else_is(built):
    doc = _xml(built["path"], "word/document.xml")
    rels = _xml(built["path"], "word/_rels/document.xml.rels")
    by_id = {r.get("Id"): r for r in rels}
    links = list(doc.iter(f"{{{W}}}hyperlink"))
    assert links
    targets = set()
    for link in links:
        rel = by_id[link.get(f"{{{R}}}id")]
        assert rel.get("TargetMode") == "External" and rel.get("Type").endswith("/hyperlink")
        targets.add(rel.get("Target"))
    assert "https://example.org/%C3%A9t%C3%A9?x=1&y=2" in targets
    assert "mailto:camille@example.org" in targets and "https://example.org/fiches/epicerie" in targets
    # markdown-it leaves `[piège](javascript:...)` as text, which is harmless: what must
    # never hold it is a target (a relationship, a HYPERLINK field).
    assert not [t for t in doc.iter(f"{{{W}}}instrText") if "HYPERLINK" in (t.text or "")]
    with zipfile.ZipFile(built["path"]) as z:
        for name in z.namelist():
            if name.endswith(".rels"):
                data = z.read(name)
                assert b"javascript" not in data.lower(), name
                for rel in etree.fromstring(data):
                    if rel.get("TargetMode") == "External":
                        assert re.match(r"^(https?://|mailto:)", rel.get("Target")), rel.get("Target")


def test_inline_formatting(built):
    doc = _xml(built["path"], "word/document.xml")
    p = next(p for p in doc.iter(f"{{{W}}}p") if _text(p).startswith("Un gras"))
    runs = [(_text(r), r) for r in p.iter(f"{{{W}}}r")]

    def prop(text, path):
        found = [r.find(f"w:rPr/{path}", NS) for t, r in runs if t == text]
        return [el.get(f"{{{W}}}val") if el is not None else None for el in found]

    assert prop("gras", "w:rStyle") == ["Strong"]
    assert prop("italique", "w:rStyle") == ["Emphasis"]
    assert prop("code", "w:rStyle") == ["CodeEnLigne"]
    assert prop("lien", "w:rStyle") == ["Hyperlink"]
    assert prop("2", "w:vertAlign") == ["subscript", "superscript"]
    assert p.find(".//w:br", NS) is not None  # the <br>


def test_tables_are_word_tables_with_a_repeated_header(built):
    document = python_docx.Document(str(built["path"]))
    body_table = next(t for t in document.tables if t.cell(0, 0).text == "Poste")
    cells = [[c.text for c in row.cells] for row in body_table.rows]
    # The reader's typography (narrow no-break spaces) reaches the cell as it is.
    assert [[re.sub("[\u202f\u00a0]", " ", c) for c in row] for row in cells] == [
        ["Poste", "Montant"], ["Action", "71 000 €"], ["Emploi", "60 000 €"]]
    assert "\u202f" in cells[1][1]
    assert body_table.style.name == "Recueil Table"
    tbl = body_table._tbl
    assert tbl.find("w:tr/w:trPr/w:tblHeader", NS) is not None
    right = tbl.findall("w:tr", NS)[1].findall("w:tc", NS)[1].find("w:p/w:pPr/w:jc", NS)
    assert right.get(f"{{{W}}}val") == "right"
    partners = next(t for t in document.tables if t.cell(0, 0).text == "Partenaire")
    assert [c.text for c in partners.rows[1].cells] == ["Association Élan", "Porteur", "Association"]


def test_image_and_caption(built):
    doc = _xml(built["path"], "word/document.xml")
    rels = {r.get("Id"): r for r in _xml(built["path"], "word/_rels/document.xml.rels")}
    blips = list(doc.iter("{http://schemas.openxmlformats.org/drawingml/2006/main}blip"))
    assert blips  # front-matter image, body image: the same file, one part
    targets = {rels[b.get(f"{{{R}}}embed")].get("Target") for b in blips}
    assert targets == {"media/image1.png"}
    with zipfile.ZipFile(built["path"]) as z:
        assert z.read("word/media/image1.png").startswith(b"\x89PNG")


def test_header_title_and_page_x_of_y_footer(built):
    header = _xml(built["path"], "word/header1.xml")
    footer = _xml(built["path"], "word/footer1.xml")
    assert _text(header) == "Initiatives solidaires"
    instructions = [t.text.strip() for t in footer.iter(f"{{{W}}}instrText")]
    assert instructions == ["PAGE", "NUMPAGES"]
    assert _text(footer).startswith("page ")


def test_language_where_word_reads_it(built, tmp_path):
    styles = _xml(built["path"], "word/styles.xml")
    lang = styles.find("w:docDefaults/w:rPrDefault/w:rPr/w:lang", NS)
    assert lang.get(f"{{{W}}}val") == "fr-FR"
    assert {el.get(f"{{{W}}}val") for el in styles.iter(f"{{{W}}}lang")} == {"fr-FR"}
    edition = built["edition"]
    english = dataclasses.replace(edition.project.publication, lang="en")
    en_edition = dataclasses.replace(edition, project=dataclasses.replace(edition.project, publication=english))
    reference, fonts = docx.prepare_docx(en_edition, StandInLayout())
    data = docx.render_fiche_docx(en_edition.fiches[0], en_edition, reference, fonts)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        en = etree.fromstring(z.read("word/styles.xml"))
    assert en.find("w:docDefaults/w:rPrDefault/w:rPr/w:lang", NS).get(f"{{{W}}}val") == "en-GB"


def test_core_properties_come_from_the_publication(built):
    props = python_docx.Document(str(built["path"])).core_properties
    assert props.title == "Une épicerie solidaire {{ 7*7 }}"
    assert props.author == "Réseau solidaire"
    assert props.keywords.startswith("Insertion, Alimentation")
    assert props.subject == "Un chapô court."
    assert props.created.date().isoformat() == "2024-03-15" and props.modified == props.created
    assert props.revision == 1 and props.last_modified_by == "Recueil"


# --- fonts -----------------------------------------------------------------------------

def test_fonts_are_embedded_obfuscated_and_declared(built):
    path = built["path"]
    with zipfile.ZipFile(path) as z:
        types = etree.fromstring(z.read("[Content_Types].xml"))
        table = etree.fromstring(z.read("word/fontTable.xml"))
        rels = {r.get("Id"): r for r in etree.fromstring(z.read("word/_rels/fontTable.xml.rels"))}
        settings = etree.fromstring(z.read("word/settings.xml"))
        fonts_in_zip = {n for n in z.namelist() if n.startswith("word/fonts/")}
        defaults = {d.get("Extension"): d.get("ContentType") for d in types}
        assert defaults["odttf"] == "application/vnd.openxmlformats-officedocument.obfuscatedFont"
        assert settings.find("w:embedTrueTypeFonts", NS) is not None
        seen = {}
        for font in table.findall("w:font", NS):
            for embed in font:
                if not etree.QName(embed).localname.startswith("embed"):
                    continue
                rel = rels[embed.get(f"{{{R}}}id")]
                assert rel.get("Type") == f"{R}/font" and rel.get("TargetMode") is None
                key = embed.get(f"{{{W}}}fontKey")
                assert re.fullmatch(r"\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}", key)
                obfuscated = z.read("word/" + rel.get("Target"))
                program = obfuscate(obfuscated, key)
                assert program[:32] != obfuscated[:32]
                face = TTFont(io.BytesIO(program))
                assert face["name"].getDebugName(1) == font.get(f"{{{W}}}name")
                seen[(font.get(f"{{{W}}}name"), etree.QName(embed).localname)] = len(program)
    assert {("Vollkorn", "embedRegular"), ("Vollkorn", "embedBold"), ("Vollkorn", "embedItalic"),
            ("Vollkorn", "embedBoldItalic"), ("Lato", "embedRegular"), ("Lato", "embedBold"),
            ("Lato Black", "embedRegular")} <= set(seen)
    assert len(fonts_in_zip) == len(seen)


def test_obfuscation_follows_the_spec_byte_order():
    # §17.8.1: key bytes are the GUID's hex digits read from the end, two by two.
    key = "{00112233-4455-6677-8899-AABBCCDDEEFF}"
    data = bytes(64)
    out = obfuscate(data, key)
    assert out[:16] == bytes.fromhex("FFEEDDCCBBAA99887766554433221100")
    assert out[16:32] == out[:16] and out[32:] == data[32:]


def test_a_docx_without_images_stays_under_one_megabyte(built):
    assert built["simple"].stat().st_size < 1_000_000


# --- untrusted text ------------------------------------------------------------------

def test_forbidden_xml_characters_are_dropped_not_fatal(built):
    edition = built["edition"]
    fiche = edition.fiches[0]
    nasty = "A\x00B\x01C\x0bD\x1fE\ud800F\ufffeG\uffff"
    body = Node("document", [Node("paragraph", [Node("text", attrs={"text": nasty})]),
                             Node("paragraph", [Node("link", [Node("text", attrs={"text": "x\x02"})],
                                                     {"href": "https://example.org/\x03"})])],
                {"footnotes": []})
    bad = dataclasses.replace(fiche, title="T\x07itre", summary="S\x08", body=body, subtitle="\ud83d",
                              themes=["Th\x0eme"])
    reference, fonts = docx.prepare_docx(edition, StandInLayout())
    data = docx.render_fiche_docx(bad, edition, reference, fonts)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                etree.fromstring(z.read(name))  # well-formed
        text = _text(etree.fromstring(z.read("word/document.xml")))
    assert "ABCDEFG" in text and "Titre" in text
    assert python_docx.Document(io.BytesIO(data)).core_properties.title == "Titre"


def test_a_note_called_from_a_note_stays_inside_a_word_footnote(built):
    edition = built["edition"]
    from generator.read import markdown

    tree, _ = markdown.parse("Texte[^1] et encore[^1].\n\n[^1]: Première, qui cite[^2].\n\n[^2]: Seconde.\n")
    fiche = dataclasses.replace(edition.fiches[0], body=tree,
                                contact=dataclasses.replace(edition.fiches[0].contact,
                                                            email="a@example.org?attach=/etc/passwd"))
    reference, fonts = docx.prepare_docx(edition, StandInLayout())
    data = docx.render_fiche_docx(fiche, edition, reference, fonts)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        doc = etree.fromstring(z.read("word/document.xml"))
        notes = etree.fromstring(z.read("word/footnotes.xml"))
        rels = z.read("word/_rels/document.xml.rels").decode()
    assert len(list(doc.iter(f"{{{W}}}footnoteReference"))) == 1  # Word allows one reference per note
    assert not list(notes.iter(f"{{{W}}}footnoteReference"))  # and none inside a note
    assert "Première, qui cite" in _text(notes) and "Seconde." in _text(notes)
    # A pasted "?attach=" stays text: the mailto: link holds the address only.
    assert 'Target="mailto:a@example.org%3Fattach%3D' in rels and "?attach" not in rels


def test_template_syntax_stays_literal(built):
    with zipfile.ZipFile(built["path"]) as z:
        text = z.read("word/document.xml").decode("utf-8") + z.read("docProps/core.xml").decode("utf-8")
    assert "{{ 7*7 }}" in text and ">49<" not in text and "Une épicerie solidaire 49" not in text


# --- reproducibility -------------------------------------------------------------------

def test_same_sources_same_bytes(built, tmp_path):
    edition = built["edition"]
    again = render_word(edition, StandInLayout(), tmp_path)
    for rel in again:
        assert (tmp_path / rel).read_bytes() == (built["out"] / rel).read_bytes(), rel
    with zipfile.ZipFile(built["path"]) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert z.namelist()[:2] == ["[Content_Types].xml", "_rels/.rels"]
        assert z.testzip() is None


# --- the booklet ---------------------------------------------------------------------------

def test_booklet_holds_every_fiche_under_a_contents_field(tmp_path):
    root = tmp_path / "livret"
    note = "Texte[^1].\n\n[^1]: Note {n}.\n"
    write_project(root, {"a": fiche_text(minimal_front("Alpha"), note.format(n="A")),
                         "b": fiche_text(minimal_front("Bravo"), note.format(n="B")),
                         "c": fiche_text(minimal_front("Charlie"), note.format(n="C"))},
                  publication={"title": "Livret", "date": "2024-05-01",
                               "sections": [{"title": "Première partie", "fiches": ["b", "a"]}]})
    edition = _edition(root)
    written = render_word(edition, StandInLayout(), tmp_path / "out")
    path = tmp_path / "out" / "booklet.docx"
    assert "booklet.docx" in written
    doc = _xml(path, "word/document.xml")
    instr = " ".join(t.text for t in doc.iter(f"{{{W}}}instrText"))
    # reference.docx is French: « ; » separates field-code lists (w:listSeparator).
    assert re.search(r'TOC .*\\t "Titre de partie;1;Titre de fiche;2"', instr), instr
    entries = [(p.find("w:pPr/w:pStyle", NS).get(f"{{{W}}}val"), _text(p.find("w:hyperlink", NS)),
                p.find("w:hyperlink", NS))
               for p in doc.iter(f"{{{W}}}p") if p.find("w:hyperlink[@w:anchor]", NS) is not None]
    # The cached result already lists the parts and fiches, in the edition's order.
    assert [(style, text) for style, text, _ in entries] == [
        ("TOC1", "Première partie"), ("TOC2", "Bravo"), ("TOC2", "Alpha"), ("TOC1", "Autres initiatives"),
        ("TOC2", "Charlie")]
    marks = {b.get(f"{{{W}}}name") for b in doc.iter(f"{{{W}}}bookmarkStart")}
    assert {link.get(f"{{{W}}}anchor") for _, _, link in entries} <= marks
    styles = _paragraph_styles(path)
    assert [text for name, text in styles if name == "Titre de fiche"] == ["Bravo", "Alpha", "Charlie"]
    # Footnote ids are unique across the booklet, each reference has its note.
    notes = _xml(path, "word/footnotes.xml")
    ids = [r.get(f"{{{W}}}id") for r in doc.iter(f"{{{W}}}footnoteReference")]
    assert len(ids) == len(set(ids)) == 3
    texts = {n.get(f"{{{W}}}id"): _text(n) for n in notes.findall("w:footnote", NS)}
    assert [texts[i].strip() for i in ids] == ["Note B.", "Note A.", "Note C."]
    assert _xml(path, "word/settings.xml").find("w:updateFields", NS) is not None


def test_parallel_and_serial_builds_agree(tmp_path, monkeypatch):
    monkeypatch.setattr(docx, "PARALLEL_FROM", 4)  # the real threshold is about big catalogues
    root = tmp_path / "many"
    write_project(root, {f"f{i:02d}": fiche_text(minimal_front(f"Fiche {i}"), BODY.replace("![Une photo](../images/photo.png)", ""))
                         for i in range(7)},
                  publication={"title": "Beaucoup", "date": "2024"})
    edition = _edition(root)
    serial = render_word(edition, StandInLayout(), tmp_path / "a")
    layout, trickled = StandInLayout(), []
    with renderer_context(edition, layout, tmp_path / "b", jobs=2, cache=False) as ctx:
        real = ctx.pool.trickle
        ctx.pool.trickle = lambda fn, tasks: trickled.append(len(tasks)) or real(fn, tasks)
        parallel = docx.render_docx(edition, layout, ctx)
    assert trickled, "the parallel path did not run"
    assert serial == parallel and len(serial) == 7 + 1  # + booklet.docx
    for rel in serial:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_reference_docx_script_writes_the_generated_reference(tmp_path):
    from generator.render.word.design_reference import reference_for

    target = tmp_path / "reference.docx"
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_reference_docx.py"), str(target),
                    "--project", str(REPO)], check=True, capture_output=True)
    assert target.read_bytes() == reference_for(_brochure_design())


def _brochure_design():
    from generator.model import Project, Publication
    from generator.read.layouts import load_layout

    return load_layout(Project(REPO, Publication(), [], []), "brochure").design


def _generated_reference(folder: Path) -> Path:
    """The brochure's reference document, as the generator makes it from its tokens."""
    from generator.render.word.design_reference import reference_for

    path = folder / "generated-reference.docx"
    path.write_bytes(reference_for(_brochure_design()))
    return path


def _reference_with(folder: Path, edit_styles) -> Path:
    """A copy of the brochure's reference.docx in `folder`, its word/styles.xml edited."""
    source = _generated_reference(folder)
    copy = folder / "reference.docx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(copy, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            zout.writestr(item, edit_styles(data) if item.filename == "word/styles.xml" else data)
    return copy


def test_styles_are_found_by_name_in_a_reference_saved_by_french_word(built, tmp_path):
    # French Word saves « heading 1 » under the id « Titre1 »: the name is what counts.
    localized = _reference_with(tmp_path, lambda styles: styles.replace(b'"Heading1"', b'"Titre1"')
                                .replace(b'"ListBullet"', b'"Listepuces"'))
    edition = built["edition"]
    written = render_word(edition, StandInLayout(localized), tmp_path / "out")
    path = tmp_path / "out" / written[0]
    by_text = {text: name for name, text in _paragraph_styles(path)}
    assert by_text["Le contexte"] == "Heading 1" and by_text["une puce"] == "List Bullet"
    doc = _xml(path, "word/document.xml")
    ids = {p.find("w:pPr/w:pStyle", NS).get(f"{{{W}}}val") for p in doc.iter(f"{{{W}}}p")
           if _text(p) in ("Le contexte", "une puce")}
    assert ids == {"Titre1", "Listepuces"}


def test_a_broken_reference_docx_is_an_input_error_naming_it(built, tmp_path):
    bad = tmp_path / "reference.docx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError) as caught:
        render_word(built["edition"], StandInLayout(bad), tmp_path / "out")
    [problem] = caught.value.report.errors
    assert problem.path.endswith("reference.docx") and "Word document" in problem.message
    assert not (tmp_path / "out").exists()


def test_a_reference_docx_cannot_pull_a_local_file_into_the_fiches(built, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("CANARY-7f3a")

    def with_entity(styles: bytes) -> bytes:
        styles = styles.replace(b"?>\n<w:styles", f'?>\n<!DOCTYPE w:styles [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n<w:styles'.encode(), 1)
        styles = styles.replace(b'w:val="Normal"/>', b'w:val="Normal&x;"/>', 1)
        assert b"<!DOCTYPE" in styles and b"&x;" in styles
        return styles

    hostile = _reference_with(tmp_path, with_entity)
    with pytest.raises(InputError):
        render_word(built["edition"], StandInLayout(hostile), tmp_path / "out")


# --- validity and LibreOffice ------------------------------------------------------------

def _schema_errors(path: Path) -> list[tuple[str, str]]:
    """What openxml-audit finds in `path`, checked in a fresh interpreter: the validator
    keeps what it read of a package under the package object's id(), which Python reuses
    once that object is gone, so a second file checked in the same process can be
    compared with the first one's footnotes (« value '1' was not found »)."""
    script = ("import json, sys\n"
              "from openxml_audit import OpenXmlValidator\n"
              "result = OpenXmlValidator().validate(sys.argv[1])\n"
              "print(json.dumps([[e.part_uri, e.description] for e in result.errors] if not result.is_valid"
              " else []))\n")
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True)
    return [tuple(e) for e in json.loads(done.stdout)]


def test_every_part_validates_against_the_open_xml_schemas(built, tmp_path):
    # openxml-audit checks what Microsoft's Open XML SDK checks: the ECMA-376 schemas,
    # the parts and relationships Word expects.
    for path in (built["path"], built["simple"], built["out"] / "booklet.docx", _generated_reference(tmp_path)):
        assert _schema_errors(path) == [], path.name


def test_the_validator_finds_what_word_would_refuse(built, tmp_path):
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(built["path"]) as source, zipfile.ZipFile(broken, "w") as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"<w:body>", b'<w:body><w:p><w:pPr><w:jc w:val="nowhere"/></w:pPr></w:p>', 1)
            out.writestr(item, data)
    assert _schema_errors(broken)


def test_libreoffice_opens_it_and_uses_the_embedded_fonts(built, tmp_path):
    # Hide the system's fonts (Debian ships Vollkorn and Lato): the PDF can then only
    # hold them if LibreOffice read them from the document.
    env = {"HOME": str(tmp_path)}
    dejavu = Path("/usr/share/fonts/truetype/dejavu")
    if dejavu.is_dir():
        conf = tmp_path / "fonts.conf"
        conf.write_text(f'<?xml version="1.0"?><fontconfig><dir>{dejavu}</dir>'
                        f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>")
        env["FONTCONFIG_FILE"] = str(conf)
    import os

    result = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo'}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(built["path"])],
        capture_output=True, text=True, timeout=180, env={**os.environ, **env})
    pdf = tmp_path / "epicerie.pdf"
    assert pdf.exists(), result.stdout + result.stderr
    if shutil.which("pdffonts") and dejavu.is_dir():
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
        assert "Vollkorn" in fonts and "Lato" in fonts, fonts
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "Une épicerie solidaire" in text and "page 1 / " in text


def test_a_compound_place_name_never_breaks_and_a_region_is_not_repeated(built):
    """« Clichy-sous-Bois » in a title keeps its hyphens with Word's no-break hyphen
    (Word has no CSS), and a region that only repeats the place is printed once."""
    edition = built["edition"]
    fiche = dataclasses.replace(edition.fiches[0], title="Le projet social de Clichy-sous-Bois",
                                territory=Territory("Guyane", None, "Guyane"))
    reference, fonts = docx.prepare_docx(edition, StandInLayout())
    data = docx.render_fiche_docx(fiche, edition, reference, fonts)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    assert ('Clichy</w:t><w:noBreakHyphen/><w:t xml:space="preserve">sous</w:t><w:noBreakHyphen/>'
            '<w:t xml:space="preserve">Bois') in xml
    document = python_docx.Document(io.BytesIO(data))
    place = next(p.text for p in document.paragraphs if "Guyane" in p.text)
    assert place.count("Guyane") == 1, place
