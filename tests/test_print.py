"""The printer's edition (--print): bleed and crop marks, read back from booklet.pdf."""

from __future__ import annotations

import re
import subprocess

import pikepdf
import pytest
from conftest import minimal_front, renderer_context, write_project

from generator.diagnostics import Report
from generator.edition.select import make_edition
from generator.read import layouts, project
from generator.verify.pdf import verify

BLEED = 3 / 25.4 * 72  # 3 mm in points: 8.504
A4 = (595.28, 841.89)



@pytest.fixture(scope="module")
def booklet(tmp_path_factory):
    from generator.render.booklet import render_booklet

    tmp = tmp_path_factory.mktemp("print")
    root = write_project(tmp / "projet", {
        "jardin": minimal_front("Un jardin partagé"),
        "velo": minimal_front("Un atelier vélo", themes=["Mobilité"]),
    }, {"title": "Recueil à imprimer", "date": "2026-03-01"})
    report = Report()
    proj = project.read_project(root, report)
    edition = make_edition(proj, [], report)
    layout = layouts.load_layout(proj, "brochure")
    with renderer_context(edition, layout, tmp / "out", print_edition=True) as ctx:
        render_booklet(edition, layout, ctx)
    return tmp / "out" / "booklet.pdf"


def test_every_page_has_trim_and_bleed_boxes_3mm_out(booklet):
    with pikepdf.open(booklet) as pdf:
        assert len(pdf.pages) >= 4
        for number, page in enumerate(pdf.pages, 1):
            assert "/TrimBox" in page.obj and "/BleedBox" in page.obj, f"page {number}"
            trim = [float(v) for v in page.obj.TrimBox]
            bleed = [float(v) for v in page.obj.BleedBox]
            # The trim box is the finished page: A4.
            assert trim[2] - trim[0] == pytest.approx(A4[0], abs=0.1), f"page {number}"
            assert trim[3] - trim[1] == pytest.approx(A4[1], abs=0.1), f"page {number}"
            # 3 mm of bleed on every side, no more, no less.
            assert trim[0] - bleed[0] == pytest.approx(BLEED, abs=0.01), f"page {number}"
            assert trim[1] - bleed[1] == pytest.approx(BLEED, abs=0.01), f"page {number}"
            assert bleed[2] - trim[2] == pytest.approx(BLEED, abs=0.01), f"page {number}"
            assert bleed[3] - trim[3] == pytest.approx(BLEED, abs=0.01), f"page {number}"
            # The sheet holds the bleed (and the crop marks around it).
            media = [float(v) for v in page.mediabox]
            assert media[0] <= bleed[0] and media[1] <= bleed[1] and media[2] >= bleed[2] and media[3] >= bleed[3]


def test_passes_preflight_print(booklet):
    assert verify(booklet, print_boxes=True).problems == []


def test_marks_are_drawn_outside_the_bleed_box_never_in_it(booklet, tmp_path):
    # On a white page (the contents), a render of the sheet: ink outside the bleed box
    # (crop and registration marks, the slug), none between the bleed's edge and the trim.
    with pikepdf.open(booklet) as pdf:
        page = pdf.pages[1]
        media = [float(v) for v in page.mediabox]
        bleed = [float(v) for v in page.obj.BleedBox]
        trim = [float(v) for v in page.obj.TrimBox]
    assert bleed[0] - media[0] >= 10 / 25.4 * 72, "a slug of at least 10 mm around the bleed"
    subprocess.run(["pdftoppm", "-gray", "-r", "72", "-f", "2", "-l", "2", str(booklet), str(tmp_path / "s")], check=True)
    from PIL import Image

    with Image.open(next(tmp_path.glob("s*"))) as im:
        im = im.convert("L")
        height = im.height
        top = lambda y: int(height - (y - media[1]))  # noqa: E731  PDF y to image row
        outside = im.crop((0, 0, int(bleed[0] - media[0]) - 1, im.height)).tobytes()
        inside = im.crop((int(bleed[0] - media[0]) + 1, top(trim[3]), int(trim[0] - media[0]) - 1,
                          top(trim[1]))).tobytes()
    assert min(outside) < 128, "marks outside the bleed"
    assert min(inside) > 200, "nothing drawn in the bleed of a white page"


def test_the_slug_names_the_edition_date_and_page(booklet):
    text = subprocess.run(["pdftotext", "-f", "3", "-l", "3", str(booklet), "-"], capture_output=True, text=True,
                          check=True).stdout
    with pikepdf.open(booklet) as pdf:
        total = len(pdf.pages)
    assert f"Recueil à imprimer · 1er mars 2026 · 3 / {total}" in text.replace("\u00a0", " ")


def test_the_slug_keeps_clear_of_the_crop_marks(booklet):
    """The slug starts right of the vertical crop mark at the trim's left edge, which
    runs 6 mm down from the bleed: a line through its first letter reads as a defect."""
    with pikepdf.open(booklet) as pdf:
        page = pdf.pages[2]
        media = [float(v) for v in page.mediabox]
        trim = [float(v) for v in page.obj.TrimBox]
    box = subprocess.run(["pdftotext", "-bbox", "-f", "3", "-l", "3", str(booklet), "-"], capture_output=True,
                         text=True, check=True).stdout
    first = re.search(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>Recueil</word>', box)
    assert first, "the slug's first word"
    x = float(first.group(1)) + media[0]  # pdftotext counts from the sheet's corner
    assert x > trim[0] + 2 / 25.4 * 72
