"""The printer's edition (--print): bleed and crop marks, read back from booklet.pdf."""

from __future__ import annotations

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


def test_crop_marks_are_drawn_outside_the_trim_box(booklet, tmp_path):
    # Crop marks are thin strokes in the bleed area: a render of the area outside the
    # trim box, from the full sheet, is not blank.
    with pikepdf.open(booklet) as pdf:
        page = pdf.pages[1]  # a white page: anything outside the trim is a mark
        media = [float(v) for v in page.mediabox]
        trim = [float(v) for v in page.obj.TrimBox]
    margin = trim[0] - media[0]
    assert margin >= BLEED - 0.01
    subprocess.run(["pdftoppm", "-gray", "-r", "72", "-f", "2", "-l", "2", str(booklet), str(tmp_path / "s")], check=True)
    from PIL import Image

    with Image.open(next(tmp_path.glob("s*"))) as im:
        strip = im.convert("L").crop((0, 0, int(margin), im.height)).tobytes()  # the left margin, outside trim
    assert min(strip) < 128
