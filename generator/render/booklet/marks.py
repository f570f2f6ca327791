"""The printer's marks (`--print`): crop and registration marks and a slug line, drawn
outside the bleed box, where the trim cannot reach them.

WeasyPrint draws its crop marks inside the bleed, over a cover's background running to
the edge; a print shop wants them outside, in a margin of the sheet the finished booklet
never shows (the slug). Here every page's sheet grows by SLUG around its bleed box, and
the marks and a line naming the edition, its date and the page are drawn there, as
artifacts (production aids, no text of the document), in the registration colour that
prints on every plate.
"""

from __future__ import annotations

import pikepdf
from pikepdf import Array, Dictionary, Name

MM = 72 / 25.4
SLUG = 12 * MM  # the sheet's margin around the bleed
GAP = 1 * MM  # between the bleed's edge and a mark: a mark never touches the bleed
LENGTH = 6 * MM  # a crop mark's length
RADIUS = 2.2 * MM  # a registration target's
SLUG_SIZE = 6  # points: the slug line's text
REGISTRATION = b"1 1 1 1 K 1 1 1 1 k 0.25 w"  # all four inks: it shows on every plate


def add_marks(pdf: pikepdf.Pdf, slug_line, font_data: bytes) -> None:
    """Grow every page's sheet around its bleed box and draw the marks there.
    `slug_line(n)` is the slug's text for page n (1-based); `font_data` the face it is
    set in (a vendored face: the machine's fonts are never used)."""
    lines = [slug_line(n) for n in range(1, len(pdf.pages) + 1)]
    font, encode = _slug_font(pdf, font_data, "".join(lines))
    for page, line in zip(pdf.pages, lines):
        bleed = [float(v) for v in page.obj.get("/BleedBox") or page.obj.MediaBox]
        trim = [float(v) for v in page.obj.get("/TrimBox") or bleed]
        sheet = [bleed[0] - SLUG, bleed[1] - SLUG, bleed[2] + SLUG, bleed[3] + SLUG]
        page.obj.MediaBox = Array(sheet)
        if "/CropBox" in page.obj:
            page.obj.CropBox = Array(sheet)
        resources = Dictionary({k: v for k, v in page.obj.Resources.items()})
        fonts = Dictionary({k: v for k, v in resources.get("/Font", Dictionary()).items()})
        fonts[Name("/RecueilSlug")] = font
        resources[Name.Font] = fonts
        page.obj.Resources = resources
        # The page's own drawing may leave its coordinates changed (WeasyPrint turns them
        # upside down): the marks start from the sheet's own.
        page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
        page.contents_add(pdf.make_stream(b"Q\n" + _drawing(trim, bleed, encode(line))))


def _slug_font(pdf: pikepdf.Pdf, data: bytes, text: str):
    from generator.render.booklet.fontmerge import standalone_font

    return standalone_font(pdf, data, text, "RCSLUG")


def _drawing(trim: list[float], bleed: list[float], slug: bytes) -> bytes:
    tx0, ty0, tx1, ty1 = trim
    bx0, by0, bx1, by1 = bleed
    ops = [b"q /Artifact << /Type /Page >> BDC", REGISTRATION]
    for x, y in ((tx0, ty0), (tx1, ty0), (tx0, ty1), (tx1, ty1)):  # crop marks, at the trim's corners
        hx = bx0 - GAP if x == tx0 else bx1 + GAP
        hx2 = hx - LENGTH if x == tx0 else hx + LENGTH
        vy = by0 - GAP if y == ty0 else by1 + GAP
        vy2 = vy - LENGTH if y == ty0 else vy + LENGTH
        ops.append(b"%.3f %.3f m %.3f %.3f l S %.3f %.3f m %.3f %.3f l S" % (hx, y, hx2, y, x, vy, x, vy2))
    mid_x, mid_y = (tx0 + tx1) / 2, (ty0 + ty1) / 2
    out = GAP + RADIUS + 1 * MM
    for cx, cy in ((mid_x, by1 + out), (bx0 - out, mid_y), (bx1 + out, mid_y)):  # registration targets
        ops.append(_target(cx, cy))
    if slug:  # under the bottom edge, outside the bleed, clear of the crop mark at the trim's corner
        ops.append(b"BT /RecueilSlug %d Tf %.3f %.3f Td <%s> Tj ET" % (SLUG_SIZE, tx0 + 3 * MM,
                                                                     by0 - GAP - SLUG_SIZE - 1 * MM, slug))
    ops.append(b"EMC Q")
    return b"\n".join(ops) + b"\n"


def _target(cx: float, cy: float) -> bytes:
    """A circle with a cross through it, centred on (cx, cy)."""
    r, k = RADIUS, RADIUS * 0.5523  # four Bézier arcs make a circle
    circle = (b"%.3f %.3f m %.3f %.3f %.3f %.3f %.3f %.3f c %.3f %.3f %.3f %.3f %.3f %.3f c "
              b"%.3f %.3f %.3f %.3f %.3f %.3f c %.3f %.3f %.3f %.3f %.3f %.3f c S"
              % (cx + r, cy, cx + r, cy + k, cx + k, cy + r, cx, cy + r, cx - k, cy + r, cx - r, cy + k, cx - r, cy,
                 cx - r, cy - k, cx - k, cy - r, cx, cy - r, cx + k, cy - r, cx + r, cy - k, cx + r, cy))
    cross = b"%.3f %.3f m %.3f %.3f l S %.3f %.3f m %.3f %.3f l S" % (
        cx - r * 1.4, cy, cx + r * 1.4, cy, cx, cy - r * 1.4, cx, cy + r * 1.4)
    return circle + b" " + cross
