"""Design tokens: one edit in layout.yaml restyles the booklet, the handouts and the Word
files; a project's own typefaces; every glyph from the edition's fonts; page sizes.
Colours and font names are read back from the PDFs' content streams and fonts and from
the DOCX's styles and font table."""

from __future__ import annotations

import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pikepdf
import pytest
import yaml
from conftest import REPO, fiche_text, minimal_front, run_recueil, write_project
from fontTools.ttLib import TTFont

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
GLYPHS_BODY = """\
## Des listes

- premier
  - second « ◦ » niveau
    - troisième

La « œuvre » № 3 : ≥ 2 → 4. Grec : αβγ δέλτα ; cyrillique : Здравствуйте ; arabe : مرحبا بكم.
"""


def _project(root: Path, design: dict | None = None, publication: dict | None = None, body: str | None = None,
             **layout) -> Path:
    front = minimal_front("Les jardins partagés de Moulins", subtitle="Cultiver ensemble",
                          key_figures=[{"value": "120", "label": "jardiniers"}],
                          partners=[{"name": "Association Élan", "role": "porteur"}])
    fiches = {"jardins": fiche_text(front, body or "## Le projet\n\nUn paragraphe **gras** et *italique*.\n"),
              "atelier": minimal_front("Un atelier vélo")}
    write_project(root, fiches, publication or {"title": "Recueil d'essai", "date": "2024-03-01"})
    if design is not None or layout:
        folder = root / "layouts" / "brochure"
        folder.mkdir(parents=True, exist_ok=True)
        settings = dict(layout)
        if design is not None:
            settings["design"] = design
        (folder / "layout.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return root


def _build(root: Path, *extra: str) -> Path:
    result = run_recueil("build", str(root), "--no-cache", *extra)
    assert result.returncode == 0, result.stdout + result.stderr
    return root / "output"


def _fills(pdf_path: Path) -> set[tuple[float, float, float]]:
    """Every RGB colour a PDF paints with (rg/RG), in its pages and their forms."""
    found = set()
    with pikepdf.open(pdf_path) as pdf:
        streams = [page.obj for page in pdf.pages] + [
            o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == pikepdf.Name.Form]
        for holder in streams:
            for ins in pikepdf.parse_content_stream(holder):
                if str(ins.operator) in ("rg", "RG") and len(ins.operands) == 3:
                    found.add(tuple(round(float(Decimal(str(x))), 3) for x in ins.operands))
    return found


def _rgb(colour: str) -> tuple[float, float, float]:
    c = colour.lstrip("#")
    return tuple(round(int(c[i:i + 2], 16) / 255, 3) for i in (0, 2, 4))


def _base_fonts(pdf_path: Path) -> set[str]:
    """Every font a PDF embeds, by its name less the subset tag: what pdffonts lists."""
    names = set()
    with pikepdf.open(pdf_path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == pikepdf.Name.Font and "/BaseFont" in obj:
                names.add(str(obj.BaseFont).lstrip("/").split("+", 1)[-1])
    return names


def _docx(path: Path, part: str) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(part)


def _word_fonts(path: Path) -> set[str]:
    """Every font a Word file names: its font table and every w:rFonts of its parts."""
    from lxml import etree

    names = set()
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.endswith(".xml"):
                root = etree.fromstring(z.read(name))
                for el in root.iter(f"{W}font"):
                    names.add(el.get(f"{W}name"))
                for el in root.iter(f"{W}rFonts"):
                    names.update(v for k, v in el.attrib.items() if not k.endswith("Theme"))
    return names


def _mediabox(pdf_path: Path) -> tuple[float, float]:
    with pikepdf.open(pdf_path) as pdf:
        box = [float(x) for x in pdf.pages[0].mediabox]
    return round(box[2] - box[0], 1), round(box[3] - box[1], 1)


# --- one edit, every output --------------------------------------------------------------

@pytest.fixture(scope="module")
def rebranded(tmp_path_factory):
    root = _project(tmp_path_factory.mktemp("tokens") / "projet", {"accent": "#c0392b", "body_font": "Lato"})
    return _build(root)


def test_the_accent_reaches_the_booklet_every_handout_and_every_word_fiche(rebranded):
    red = _rgb("#c0392b")
    assert red in _fills(rebranded / "booklet.pdf")
    with pikepdf.open(rebranded / "booklet.pdf") as pdf:  # the cover is painted in the accent
        cover = {tuple(round(float(x), 3) for x in ins.operands) for ins in pikepdf.parse_content_stream(pdf.pages[0])
                 if str(ins.operator) == "rg"}
    assert red in cover and _rgb("#1f5f8b") not in cover
    for handout in (rebranded / "fiches").glob("*.pdf"):
        assert red in _fills(handout), handout.name
    for word in [*(rebranded / "fiches").glob("*.docx"), rebranded / "booklet.docx"]:
        styles = _docx(word, "word/styles.xml").decode()
        assert 'w:color w:val="C0392B"' in styles and "1F5F8B" not in styles, word.name


def test_the_body_typeface_reaches_the_booklet_every_handout_and_every_word_fiche(rebranded):
    for pdf in [rebranded / "booklet.pdf", *(rebranded / "fiches").glob("*.pdf")]:
        fonts = _base_fonts(pdf)
        assert not any("Vollkorn" in f for f in fonts), (pdf.name, fonts)
        assert "Recueil-Lato" in fonts, (pdf.name, fonts)
    for word in (rebranded / "fiches").glob("*.docx"):
        styles = _docx(word, "word/styles.xml").decode()
        defaults = re.search(r"<w:rPrDefault>.*?</w:rPrDefault>", styles).group(0)
        assert 'w:ascii="Lato"' in defaults
        assert "Vollkorn" not in _word_fonts(word), word.name


def test_css_writes_no_colour_family_or_page_dimension():
    """Every such value is a token: the layouts' CSS only reads var(--...)."""
    bad = [(re.compile(r"#[0-9a-fA-F]{3,8}\b"), "a colour"), (re.compile(r"\brgba?\(|\bhsla?\("), "a colour"),
           (re.compile(r"\b(white|black|red|blue|green|gr[ae]y)\b\s*[;}]", re.I), "a colour name"),
           (re.compile(r"font-family\s*:(?!\s*var\()"), "a font family"),
           (re.compile(r"(?<![-\w])size\s*:\s*(A\d|letter|\d)", re.I), "a page size"),
           (re.compile(r"font-size\s*:\s*[\d.]+pt"), "a type size in points"),
           (re.compile(r"\b(210|297|148)mm\b"), "a page dimension")]
    problems = []
    for css in sorted((REPO / "layouts").glob("*/*.css")):
        text = re.sub(r"/\*.*?\*/", "", css.read_text(encoding="utf-8"), flags=re.S)
        for n, line in enumerate(text.splitlines(), 1):
            for pattern, what in bad:
                if pattern.search(line):
                    problems.append(f"{css.relative_to(REPO)}:{n}: {what}: {line.strip()}")
    assert not problems, "\n".join(problems)


def test_builtin_layouts_hold_only_keys_something_reads(tmp_path):
    from generator.model import Project, Publication
    from generator.read.layouts import load_layout

    for name in ("brochure", "handout", "archive"):
        layout = load_layout(Project(tmp_path, Publication(), [], []), name)
        assert layout.warnings == [], (name, layout.warnings)


def test_unknown_layout_keys_and_tokens_say_did_you_mean(tmp_path):
    root = _project(tmp_path / "p", {"acent": "#c0392b", "body_font": "Lato"}, stylesheet=["x.css"])
    result = run_recueil("check", str(root))
    assert "layouts/brochure/layout.yaml:2: warning: unknown key 'acent' ignored: did you mean 'accent'?" in result.stderr, result.stderr
    assert re.search(r"layouts/brochure/layout.yaml:\d+: warning: unknown key 'stylesheet' ignored: did you mean 'stylesheets'\?",
                     result.stderr), result.stderr


def test_a_bad_token_is_an_error_with_its_line(tmp_path):
    root = _project(tmp_path / "p", {"accent": "rouge", "margins": {"top": "beaucoup"}})
    result = run_recueil("check", str(root))
    assert result.returncode == 1
    assert "layouts/brochure/layout.yaml:2: error: 'accent' must be a colour such as '#1f5f8b', not 'rouge'" in result.stderr
    assert "margins are lengths such as '22mm', not 'beaucoup'" in result.stderr


def test_design_yaml_beside_layout_yaml(tmp_path):
    root = _project(tmp_path / "p")
    folder = root / "layouts" / "brochure"
    folder.mkdir(parents=True)
    (folder / "design.yaml").write_text("accent: '#2e7d4f'\n", encoding="utf-8")
    from generator.diagnostics import Report
    from generator.read.layouts import load_layout
    from generator.read.project import read_project

    layout = load_layout(read_project(root, Report()), "brochure")
    assert layout.design.values["accent"] == "#2e7d4f"
    assert "--accent: #2e7d4f;" in layout.design.variables_css()


def test_docs_list_every_token():
    from generator.design import token_table

    assert token_table() in (REPO / "docs" / "layouts.md").read_text(encoding="utf-8"), \
        "docs/layouts.md's table of tokens differs from generator/design.py's TOKENS"


# --- a project's own typeface -----------------------------------------------------------

def _renamed_font(source: Path, target: Path, family: str, style: str, fs_type: int | None = None) -> None:
    """A copy of a vendored font under another family name (and licence bits)."""
    font = TTFont(source)
    names = font["name"]
    ps = f"{family}-{style.replace(' ', '')}"
    for record in names.names:
        if record.nameID in (1, 16):
            record.string = family
        elif record.nameID == 4:
            record.string = f"{family} {style}"
        elif record.nameID == 6:
            record.string = ps
    if fs_type is not None:
        font["OS/2"].fsType = fs_type
    target.parent.mkdir(parents=True, exist_ok=True)
    font.save(target)


def test_a_project_typeface_is_embedded_in_the_pdf_and_in_word(tmp_path):
    root = _project(tmp_path / "p", {"typefaces": {"Marque": {"regular": "Marque-Regular.ttf",
                                                              "bold": "Marque-Bold.ttf"}},
                                     "heading_font": "Marque"})
    _renamed_font(REPO / "fonts" / "Lato-Regular.ttf", root / "fonts" / "Marque-Regular.ttf", "Marque", "Regular")
    _renamed_font(REPO / "fonts" / "Lato-Bold.ttf", root / "fonts" / "Marque-Bold.ttf", "Marque", "Bold")
    check = run_recueil("check", str(root))
    assert check.returncode == 0, check.stderr
    assert "typeface 'Marque' has no italic style ('italic:')" in check.stderr, check.stderr
    out = _build(root, "--format", "pdf,handouts,docx")
    for pdf in (out / "booklet.pdf", out / "fiches" / "jardins.pdf"):
        fonts = _base_fonts(pdf)
        assert {"Recueil-Marque", "Recueil-Marque-Bold"} <= fonts, fonts
        assert not any(f.startswith("Recueil-Lato") and "Heavy" not in f for f in fonts), fonts
    word = out / "fiches" / "jardins.docx"
    table = _docx(word, "word/fontTable.xml").decode()
    assert re.search(r'<w:font w:name="Marque">.*?<w:embedRegular .*?<w:embedBold ', table), table[:500]
    assert 'w:ascii="Marque"' in _docx(word, "word/styles.xml").decode()


def test_check_names_a_missing_typeface_file_and_where_it_looked(tmp_path):
    root = _project(tmp_path / "p", {"typefaces": {"Marque": {"regular": "Marque-Regular.otf"}}, "body_font": "Marque"})
    result = run_recueil("check", str(root))
    assert result.returncode == 1
    assert re.search(r"layouts/brochure/layout.yaml:\d+: error: typeface 'Marque': regular file 'Marque-Regular.otf' "
                     r"not found \(looked in .*fonts/", result.stderr), result.stderr
    assert run_recueil("build", str(root)).returncode == 1


@pytest.mark.parametrize("fs_type, words", [(0x0002, "restricted license embedding"), (0x0200, "only be embedded as bitmaps")])
def test_a_font_whose_licence_forbids_embedding_is_refused(tmp_path, fs_type, words):
    root = _project(tmp_path / "p", {"typefaces": {"Fermee": {"regular": "Fermee-Regular.ttf"}}, "body_font": "Fermee"})
    _renamed_font(REPO / "fonts" / "Vollkorn-Regular.ttf", root / "fonts" / "Fermee-Regular.ttf", "Fermee", "Regular",
                  fs_type=fs_type)
    result = run_recueil("check", str(root))
    assert result.returncode == 1 and words in result.stderr and "Fermee-Regular.ttf" in result.stderr, result.stderr


# --- every glyph from the edition's fonts -------------------------------------------------

def test_every_glyph_comes_from_the_editions_fonts_or_the_fallback(tmp_path):
    root = _project(tmp_path / "p", body=GLYPHS_BODY)
    out = _build(root, "--format", "pdf,handouts,docx")
    edition = re.compile(r"Recueil-(Vollkorn|Lato|Noto-Sans|Noto-Serif)[A-Za-z0-9-]*")
    for pdf in (out / "booklet.pdf", out / "fiches" / "jardins.pdf"):
        fonts = _base_fonts(pdf)
        assert all(edition.fullmatch(f) for f in fonts), (pdf.name, fonts)
        assert any("Noto-Sans-Arabic" in f for f in fonts), "Arabic drawn from the fallback"
    allowed = re.compile(r"(Vollkorn|Lato|Lato Black|Noto (Sans|Serif)( [A-Za-z0-9]+)?)")
    for word in (out / "fiches" / "jardins.docx", out / "booklet.docx"):
        names = _word_fonts(word)
        assert names and all(allowed.fullmatch(n) for n in names), names
        assert "Noto Sans Arabic" in names
    document = _docx(out / "fiches" / "jardins.docx", "word/document.xml").decode()
    assert re.search(r'<w:rFonts w:ascii="Noto Sans Arabic"[^>]*/></w:rPr><w:t xml:space="preserve">مرحبا', document)


def test_check_names_characters_beyond_the_fallback_with_the_debian_package(tmp_path):
    body = GLYPHS_BODY + "\nEn hindi : नमस्ते ; en chinois : 你好.\n"
    root = _project(tmp_path / "p", body=body)
    result = run_recueil("check", str(root))
    assert result.returncode == 0
    err = result.stderr
    assert re.search(r"fiches/jardins\.md:\d+: warning: « م » \(U\+0645 ARABIC LETTER MEEM\).* not in the edition's "
                     r"typefaces \(Vollkorn, Lato\): drawn from the fallback typeface, Noto Sans Arabic", err), err
    assert re.search(r"fiches/jardins\.md:\d+: warning: « न » \(U\+0928 DEVANAGARI LETTER NA\).*Devanagari.*"
                     r"fonts-noto-core", err), err
    assert re.search(r"« 你 » \(U\+4F60 CJK UNIFIED IDEOGRAPH-4F60\).*fonts-noto-cjk", err), err
    assert "U+0153" not in err and "U+2192" not in err, "œ and → are in the edition's typefaces"


# --- page sizes ---------------------------------------------------------------------------

@pytest.mark.parametrize("size, points, twips", [
    ("Letter", (612.0, 792.0), (12240, 15840)),
    ("170mm x 240mm", (481.9, 680.3), (9638, 13606)),
])
def test_page_size_reaches_booklet_handouts_and_word(tmp_path, size, points, twips):
    root = _project(tmp_path / "p", publication={"title": "Essai", "page_size": size})
    out = _build(root, "--format", "pdf,handouts,docx", "--impose")
    assert _mediabox(out / "booklet.pdf") == points
    assert _mediabox(out / "fiches" / "jardins.pdf") == points
    assert _mediabox(out / "booklet-imposed.pdf") == (round(2 * points[0], 1), points[1])
    document = _docx(out / "fiches" / "jardins.docx", "word/document.xml").decode()
    assert f'<w:pgSz w:w="{twips[0]}" w:h="{twips[1]}"/>' in document


def test_a5_from_the_tokens_with_its_margins_and_imposed_on_a4(tmp_path):
    root = _project(tmp_path / "p", {"page_size": "A5"})
    out = _build(root, "--format", "pdf,docx", "--impose")
    assert _mediabox(out / "booklet.pdf") == (419.5, 595.3)
    assert _mediabox(out / "booklet-imposed.pdf") == (839.1, 595.3), "two A5 pages on an A4 sheet"
    document = _docx(out / "fiches" / "jardins.docx", "word/document.xml").decode()
    assert '<w:pgSz w:w="8391" w:h="11906"/>' in document
    assert 'w:right="794"' in document, "the A5 margins (14 mm), not A4's"


def test_page_size_in_publication_yaml_is_checked(tmp_path):
    root = _project(tmp_path / "p", publication={"title": "Essai", "page_size": "B5"})
    result = run_recueil("check", str(root))
    assert result.returncode == 1
    assert "publication.yaml:2: error: 'page_size' must be A4, A5, A6, Letter or WIDTHmm x HEIGHTmm" in result.stderr
