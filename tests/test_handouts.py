"""Handouts: one A4 PDF per fiche, read back from the files."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from conftest import fiche_text, minimal_front, renderer_context, write_project
from PIL import Image

from generator.diagnostics import Report
from generator.edition.select import make_edition
from generator.read import layouts, project
from generator.render.handout import render_handouts

PUBLICATION = {"title": "Recueil des initiatives 2026", "date": "2026-03-01", "edition": "Première édition"}
PARA = ("Les habitants du quartier se retrouvent chaque semaine ; ils partagent des outils, "
        "des savoirs et des repas, et chacun repart avec ce qu’il est venu chercher. ") * 6
LONG_BODY = "".join(f"## Étape {i}\n\n{PARA}\n\n" for i in range(1, 6))  # two A4 pages
SOURCE = "https://example.org/fiches/jardin-partage"



def text_of(pdf: Path, page: int, crop: tuple[int, int, int, int] | None = None) -> str:
    args = ["pdftotext", "-layout", "-f", str(page), "-l", str(page)]
    if crop:
        args += ["-x", str(crop[0]), "-y", str(crop[1]), "-W", str(crop[2]), "-H", str(crop[3])]
    out = subprocess.run([*args, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    text = re.sub(r"\s+", " ", out.replace("\u00a0", " ").replace("\u202f", " ")).strip()
    return re.sub(r"(\d) ?/ ?(\d)", r"\1 / \2", text)  # « 1 / 2 »: spaces are no-break, kept or not


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("handouts")
    root = write_project(tmp / "projet", {
        "jardin": fiche_text(minimal_front("Un jardin partagé", source=SOURCE,
                                           key_figures=[{"value": "120", "label": "habitants"}]), LONG_BODY),
        "court": fiche_text(minimal_front("Une fiche {{ 7*7 }} courte"), "Un seul paragraphe.\n"),
        "velo": fiche_text(minimal_front("Un atelier vélo"), PARA + "\n"),
    }, PUBLICATION)
    report = Report()
    proj = project.read_project(root, report)
    assert proj is not None, [str(d) for d in report.items]
    edition = make_edition(proj, [], report)
    layout = layouts.load_layout(proj, "handout")
    outs = {}
    for jobs in (2, 1):  # in worker processes, then in this one: the bytes must not differ
        with renderer_context(edition, layout, tmp / f"out{jobs}", jobs=jobs, cache=False, report=report) as ctx:
            written = render_handouts(edition, layout, ctx)
        outs[jobs] = (tmp / f"out{jobs}", written)
    return outs, report


def test_one_pdf_per_fiche(built):
    root, written = built[0][2]
    assert sorted(written) == ["fiches/court.pdf", "fiches/jardin.pdf", "fiches/velo.pdf"]
    for rel in written:
        with pikepdf.open(root / rel) as pdf:
            box = [float(v) for v in pdf.pages[0].mediabox]
            assert box[2:] == pytest.approx([595.28, 841.89], abs=0.1)  # A4


def test_two_page_fiche_numbers_its_own_pages(built):
    root = built[0][2][0]
    pdf = root / "fiches/jardin.pdf"
    with pikepdf.open(pdf) as doc:
        assert len(doc.pages) == 2
    first, second = text_of(pdf, 1), text_of(pdf, 2)
    assert first.startswith("INSERTION Un jardin partagé")
    footer = (0, 842 - 75, 595, 75)  # the bottom margin, where the footer is
    assert text_of(pdf, 1, footer) == "Recueil des initiatives 2026 · Première édition 1 / 2"
    assert text_of(pdf, 2, footer) == "Recueil des initiatives 2026 · Première édition 2 / 2"
    assert "Un jardin partagé" not in second  # the title is on the first page only


def test_single_page_and_template_syntax_printed_as_written(built):
    pdf = built[0][2][0] / "fiches/court.pdf"
    with pikepdf.open(pdf) as doc:
        assert len(doc.pages) == 1
    text = text_of(pdf, 1)
    assert "Une fiche {{ 7*7 }} courte" in text and "49" not in text
    assert text.endswith("1 / 1")


def _path_ops(page) -> int:
    ops = list(pikepdf.parse_content_stream(page))
    count = sum(1 for _, op in ops if str(op) in ("m", "re"))
    for xobj in (page.obj.get("/Resources", {}).get("/XObject") or {}).values():
        if xobj.get("/Subtype") == "/Image":
            count += 1000  # a raster QR code counts as one too
    return count


def test_qr_code_to_the_source_only_when_there_is_one(built):
    root = built[0][2][0]
    with pikepdf.open(root / "fiches/jardin.pdf") as a, pikepdf.open(root / "fiches/velo.pdf") as b:
        with_qr, without = _path_ops(a.pages[0]), _path_ops(b.pages[0])
    # A QR code of this URL has some 300 dark modules, drawn as paths.
    assert with_qr - without > 100, (with_qr, without)
    # The address is written out too, for whoever has no phone at hand.
    assert SOURCE.replace("https://", "") in text_of(root / "fiches/jardin.pdf", 1).replace(" ", "")
    with pikepdf.open(root / "fiches/jardin.pdf") as a:
        uris = [str(an.A.URI) for an in a.pages[0].obj.get("/Annots") or [] if "/A" in an and "/URI" in an.A]
    assert SOURCE in uris


def test_byte_identical_across_renders_and_worker_counts(built):
    (root2, written), (root1, _) = built[0][2], built[0][1]
    for rel in written:
        assert (root2 / rel).read_bytes() == (root1 / rel).read_bytes(), rel


def test_only_vendored_fonts(built):
    root = built[0][2][0]
    for rel in ("fiches/jardin.pdf", "fiches/court.pdf"):
        with pikepdf.open(root / rel) as pdf:
            names = set()
            for page in pdf.pages:
                for font in (page.obj.Resources.get("/Font") or {}).values():
                    names.add(str(font.BaseFont).split("+", 1)[-1])
        # "Recueil-…" is the @font-face family of the vendored files; a bare "Lato" would be
        # a copy installed on this machine, which another machine may lack.
        assert names and all(n.startswith(("Recueil-Lato", "Recueil-Vollkorn")) for n in names), names


def _text_colours(page) -> list[tuple[float, ...]]:
    """The fill colour in effect at every text-showing operator of the page."""
    colour, stack, seen = (0.0,), [], []
    for operands, op in pikepdf.parse_content_stream(page):
        op = str(op)
        if op == "q":
            stack.append(colour)
        elif op == "Q" and stack:
            colour = stack.pop()
        elif op in ("rg", "g", "k"):
            colour = tuple(float(v) for v in operands)
            if op == "k":  # CMYK: approximate as RGB
                c, m, y, kk = colour
                colour = ((1 - c) * (1 - kk), (1 - m) * (1 - kk), (1 - y) * (1 - kk))
        elif op in ("Tj", "TJ", "'", '"'):
            seen.append(colour)
    return seen


def _luminance(colour: tuple[float, ...]) -> float:
    if len(colour) == 1:
        return colour[0]
    r, g, b = colour[:3]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_readable_in_black_and_white(built, tmp_path):
    pdf = built[0][2][0] / "fiches/jardin.pdf"
    with pikepdf.open(pdf) as doc:
        colours = [c for page in doc.pages for c in _text_colours(page)]
    assert colours
    # Text is near-black: a grey printer keeps it sharp (contrast over 12:1 on white).
    assert max(_luminance(c) for c in colours) <= 0.2, sorted(set(colours))
    # No large dark area: at most a few percent of a greyscale render is dark.
    subprocess.run(["pdftoppm", "-gray", "-r", "30", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "g")], check=True)
    with Image.open(next(tmp_path.glob("g*"))) as im:
        pixels = im.convert("L").tobytes()
    dark = sum(1 for v in pixels if v < 96) / len(pixels)
    assert dark < 0.06, dark
