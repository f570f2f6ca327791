"""Imposition: read each half of each sheet back and check the saddle-stitch order."""

from __future__ import annotations

import io
import subprocess

import pikepdf
import pytest
import weasyprint

from generator.render.impose import impose, impose_bytes, saddle_order

A5 = (419.527559, 595.275591)
A4 = (595.275591, 841.889764)


def numbered_pdf(count: int, size: str = "A5", extra_css: str = "") -> bytes:
    """A PDF whose page i shows only « Pi »."""
    css = f"@page {{ size: {size}; margin: 20mm; {extra_css} }} p {{ break-after: page; font-size: 30pt }}"
    body = "".join(f"<p>P{i}</p>" for i in range(1, count + 1))
    return weasyprint.HTML(string=f"<style>{css}</style>{body}").write_pdf()


def halves(path, page_width: float, page_height: float) -> list[tuple[str, str]]:
    """The text of the left and right halves of every side of every sheet."""
    with pikepdf.open(path) as pdf:
        sides = len(pdf.pages)
    out = []
    for n in range(1, sides + 1):
        texts = []
        for x in (0, page_width):
            text = subprocess.run(
                ["pdftotext", "-f", str(n), "-l", str(n), "-x", str(int(x) + 1), "-y", "0",
                 "-W", str(int(page_width) - 2), "-H", str(int(page_height)), str(path), "-"],
                capture_output=True, text=True, check=True).stdout
            texts.append(text.strip() or "blank")
        out.append(tuple(texts))
    return out


@pytest.fixture(scope="module")
def sources():
    return {n: numbered_pdf(n) for n in (1, 4, 5, 6, 7, 8)}


def expected(count: int) -> list[tuple[str, str]]:
    """Written out by hand from the folding rule, not from saddle_order."""
    table = {
        4: [("P4", "P1"), ("P2", "P3")],
        5: [("P5", "P1"), ("P2", "blank"), ("blank", "P3"), ("P4", "blank")],
        6: [("P6", "P1"), ("P2", "blank"), ("blank", "P3"), ("P4", "P5")],
        7: [("P7", "P1"), ("P2", "blank"), ("P6", "P3"), ("P4", "P5")],
        8: [("P8", "P1"), ("P2", "P7"), ("P6", "P3"), ("P4", "P5")],
    }
    return table[count]


@pytest.mark.parametrize("count", [4, 5, 6, 7, 8])
def test_saddle_stitch_order_with_padding_before_back_cover(sources, tmp_path, count):
    src, dst = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(sources[count])
    impose(src, dst)
    assert halves(dst, *A5) == expected(count)


@pytest.mark.parametrize("count", [5, 8])
def test_sheet_is_twice_the_page_width(sources, tmp_path, count):
    dst = tmp_path / "out.pdf"
    dst.write_bytes(impose_bytes(sources[count]))
    with pikepdf.open(dst) as pdf:
        assert len(pdf.pages) == 2 * -(-count // 4)  # two sides per sheet
        for page in pdf.pages:
            box = [float(v) for v in page.mediabox]
            assert box[0] == 0 and box[1] == 0
            assert box[2] == pytest.approx(2 * A5[0], abs=0.01)
            assert box[3] == pytest.approx(A5[1], abs=0.01)


def test_a4_pages_go_on_a3_landscape(tmp_path):
    dst = tmp_path / "a4.pdf"
    dst.write_bytes(impose_bytes(numbered_pdf(4, "A4")))
    with pikepdf.open(dst) as pdf:
        box = [float(v) for v in pdf.pages[0].mediabox]
    assert box[2:] == pytest.approx([2 * A4[0], A4[1]], abs=0.01)  # A3 landscape
    assert halves(dst, *A4) == expected(4)


def test_single_page_stays_the_cover(tmp_path, sources):
    dst = tmp_path / "one.pdf"
    dst.write_bytes(impose_bytes(sources[1]))
    assert halves(dst, *A5) == [("blank", "P1"), ("blank", "blank")]


def test_bleed_and_marks_are_cut_to_the_trim_box(tmp_path):
    # A printer's edition has bleed: the folded booklet must still be page-sized.
    src = numbered_pdf(4, extra_css="bleed: 3mm; marks: crop")
    with pikepdf.open(io.BytesIO(src)) as pdf:
        assert float(pdf.pages[0].mediabox[2]) > A5[0] + 8  # the fixture really has bleed
    dst = tmp_path / "bleed.pdf"
    dst.write_bytes(impose_bytes(src))
    with pikepdf.open(dst) as pdf:
        assert float(pdf.pages[0].mediabox[2]) == pytest.approx(2 * A5[0], abs=0.01)
    assert halves(dst, *A5) == expected(4)


def test_deterministic_bytes(sources):
    assert impose_bytes(sources[7]) == impose_bytes(sources[7])


def test_saddle_order_indexes():
    assert saddle_order(0) == []
    assert saddle_order(5) == [(4, 0, 1, None), (None, 2, 3, None)]
    assert saddle_order(8)[1] == (5, 2, 3, 4)
