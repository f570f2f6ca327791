"""Booklet imposition: the pages two-up, in saddle-stitch order, for folding.

A small run is printed on an office printer: A5 pages on A4 sheets (A4 pages on A3), both
sides, flipped on the short edge, then the stack is folded in the middle and stapled.
For the pages to come out in reading order, the sheets carry them out of order:

    sheet 1 front: [N, 1]     back: [2, N-1]
    sheet 2 front: [N-2, 3]   back: [4, N-3]   ...

N is the page count padded to a multiple of four (a folded sheet is four pages). The
blank pages go just before the back cover, so that the cover stays the outside of the
booklet and the last page of the edition stays its back.

Done with pikepdf alone: each source page becomes a Form XObject drawn once on its half
of a sheet, so the fonts and images of the booklet are kept once, not copied per sheet.

The imposed file is not tagged: a sheet carries two pages out of reading order, halves
of the booklet's structure would claim content drawn inside forms on other sheets. It
has no structure tree, no /MarkInfo and makes no PDF/UA claim; the marked content its
forms keep from the booklet refers to nothing. It is for printing; booklet.pdf is the
accessible edition.
"""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
from pikepdf import Array, Name, Rectangle

# What the imposed file keeps of the source's document information: its identity, not
# its producer or dates (the bytes only depend on the source).
_KEPT_INFO = ("/Title", "/Author", "/Subject", "/Keywords", "/CreationDate", "/ModDate")


def saddle_order(count: int) -> list[tuple[int | None, int | None, int | None, int | None]]:
    """The sheets of a booklet of `count` pages, as (front left, front right, back left,
    back right) page indexes from 0; None is a blank page added as padding."""
    if count <= 0:
        return []
    padded = -(-count // 4) * 4
    blanks = [None] * (padded - count)
    # The back cover stays last: blanks go before it. A single page is a cover only.
    seq = list(range(count)) + blanks if count == 1 else list(range(count - 1)) + blanks + [count - 1]
    sheets = []
    for i in range(padded // 4):
        sheets.append((seq[padded - 1 - 2 * i], seq[2 * i], seq[2 * i + 1], seq[padded - 2 - 2 * i]))
    return sheets


def _place(side: pikepdf.Page, formx: pikepdf.Object, name: Name, rect: Rectangle) -> None:
    # Page.add_overlay would do, but it names the resource at random: the bytes would
    # change from one build to the next. The name here is the source page's number.
    side.add_resource(formx, Name.XObject, name)
    placement = side.calc_form_xobject_placement(formx, name, rect, allow_shrink=True, allow_expand=True)
    side.contents_add(b"q\n" + placement + b"\nQ\n", prepend=False)


def impose_bytes(pdf_bytes: bytes) -> bytes:
    """The imposed PDF of the PDF `pdf_bytes` (see the module's docstring)."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as src, pikepdf.new() as dst:
        if len(src.pages) == 0:
            raise ValueError("cannot impose a PDF without pages")
        # The trim box is the page as bound: with a printer's edition, bleed and crop
        # marks lie outside it and must not reach the folded booklet.
        first = src.pages[0].trimbox
        width, height = float(first[2]) - float(first[0]), float(first[3]) - float(first[1])
        forms: dict[int, pikepdf.Object] = {}

        def form(index: int) -> pikepdf.Object:
            if index not in forms:
                forms[index] = dst.copy_foreign(src.pages[index].as_form_xobject())
            return forms[index]

        for sheet in saddle_order(len(src.pages)):
            for left, right in (sheet[:2], sheet[2:]):
                dst.add_blank_page(page_size=(2 * width, height))
                side = dst.pages[-1]
                for slot, index in enumerate((left, right)):
                    if index is not None:
                        _place(side, form(index), Name(f"/P{index + 1}"),
                               Rectangle(slot * width, 0, (slot + 1) * width, height))
                # pikepdf's blank page has no TrimBox; the sheet is cut nowhere.
                side.obj.MediaBox = Array([0, 0, 2 * width, height])
        info = src.docinfo
        for key in _KEPT_INFO:
            if key in info:
                dst.docinfo[Name(key)] = info[key]
        if "/Lang" in src.Root:
            dst.Root.Lang = src.Root.Lang
        out = io.BytesIO()
        # deterministic_id: the /ID is a hash of the content, so two builds give the same bytes.
        dst.save(out, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()


def impose(src: Path, dst: Path) -> None:
    """Write to `dst` the imposition of the PDF at `src`: two pages per side of a sheet
    twice as wide, in saddle-stitch order, padded with blank pages to a multiple of four."""
    dst.write_bytes(impose_bytes(Path(src).read_bytes()))


__all__ = ["impose", "impose_bytes", "saddle_order"]
