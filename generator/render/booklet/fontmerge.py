"""One font dictionary and one font program per face in the booklet, however many parts.

Why (the booklet was 1.56× the size of a single-document render): every part carried its
own Type0 font, CIDFont, FontDescriptor, /W widths and ToUnicode CMap for each face, and
the font programs were kept hinted.

  - In the worker, `strip_fonts` replaces each font dictionary of a vendored face by a
    small one, `<< /Type /Font /Subtype /Type0 /RecueilFont (json) >>`, whose JSON holds
    the face (sha256 of its vendored file), the font's names and metrics, its widths and
    its Unicode map. The parsing is done there, in parallel, and cached with the part.
  - At assembly, `FontMerger` gives every face one real font dictionary: Unicode maps
    merged, the program cut once to the glyphs the whole booklet uses (glyph ids kept:
    the parts' text refers to them) and without hinting, as WeasyPrint does. Widths
    come from the font file itself: WeasyPrint records each glyph's width as first
    measured, rounded at that size, so two parts may differ from each other and from
    the file by one unit (a thousandth of an em: nothing a reader can see), and the
    file's are the true ones. A part whose width or text for a glyph differs further
    (a glyph drawn for a missing character) gets a second dictionary of the same face,
    sharing its program, so that nothing moves on the page.
The result depends on the parts and their order only: deterministic.
"""

from __future__ import annotations

import io
import json
import re
import zlib
from dataclasses import dataclass, field
from typing import Callable

import pikepdf
from pikepdf import Array, Dictionary, Name, String

MARK = "/RecueilFont"
_BFCHAR = re.compile(rb"<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]*)>")
_SPACES = ("\u00a0", "\u202f")
_FD_KEYS = ("/Flags", "/FontBBox", "/ItalicAngle", "/Ascent", "/Descent", "/CapHeight", "/StemV", "/StemH")


# --- in the worker -------------------------------------------------------------------

def _widths(w) -> dict[int, float]:
    out, items, i = {}, list(w), 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], Array):
            for k, v in enumerate(items[i + 1]):
                out[first + k] = float(v)
            i += 2
        else:
            for gid in range(first, int(items[i + 1]) + 1):
                out[gid] = float(items[i + 2])
            i += 3
    return out


def _unicode(stream) -> dict[int, str]:
    if stream is None:
        return {}
    data = stream.read_bytes()
    return {int(g, 16): bytes.fromhex(t.decode()).decode("utf-16-be", "replace") for g, t in _BFCHAR.findall(data)}


def _number(v):
    f = float(v)
    return int(f) if f == int(f) else f


def strip_fonts(raw: bytes, faces: dict[str, str]) -> bytes:
    """`raw` with each Type0 font of a vendored face (`faces`: PostScript name -> sha256
    of its file) replaced by its description as data (strip_fonts_in)."""
    with pikepdf.open(io.BytesIO(raw)) as pdf:
        strip_fonts_in(pdf, faces)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    return out.getvalue()


def strip_fonts_in(pdf: pikepdf.Pdf, faces: dict[str, str], fonts=None) -> None:
    """Each Type0 font of a vendored face (`faces`: PostScript name -> sha256 of its
    file) replaced, in place, by its description as data. A font is known by the
    PostScript name its embedded program carries (WeasyPrint names the PDF font after
    the CSS family, which says less). `fonts`: the font dictionaries to look at (the
    resources' fonts, which the caller knows), else every object of the file."""
    done: set = set()
    for obj in pdf.objects if fonts is None else fonts:
        if not isinstance(obj, Dictionary) or obj.objgen != (0, 0) and obj.objgen in done:
            continue
        done.add(obj.objgen)
        if obj.get("/Subtype") != Name.Type0 or MARK in obj:
            continue
        cid = obj.DescendantFonts[0]
        fd = cid.get("/FontDescriptor")
        if fd is None or "/FontFile2" not in fd or cid.get("/Subtype") != Name.CIDFontType2:
            continue
        digest = faces.get(_postscript_name(fd.FontFile2.read_bytes()))
        if digest is None:
            continue
        info = {
            "face": digest,
            "base": str(obj.BaseFont),
            "fd": {k: ([_number(v) for v in fd[k]] if isinstance(fd[k], Array) else _number(fd[k]))
                   for k in _FD_KEYS if k in fd},
            "w": sorted(_widths(cid.get("/W", [])).items()),
            "u": sorted(_unicode(obj.get("/ToUnicode")).items()),
        }
        for k in list(obj.keys()):
            del obj[k]
        obj.Type = Name.Font
        obj.Subtype = Name.Type0
        obj[MARK] = String(json.dumps(info, separators=(",", ":"), ensure_ascii=True))


def _postscript_name(program: bytes) -> str | None:
    from fontTools.ttLib import TTFont, TTLibError

    try:
        font = TTFont(io.BytesIO(program), lazy=True)
        return str(font["name"].getDebugName(6)) if "name" in font else None
    except (TTLibError, KeyError, ValueError, AssertionError):
        return None


# --- at assembly -----------------------------------------------------------------------

@dataclass
class _Variant:
    face: str
    info: dict
    advances: list[int]  # the face's widths, from its file, by glyph id
    widths: dict[int, float] = field(default_factory=dict)  # every glyph printed, as the parts measured it
    text: dict[int, str] = field(default_factory=dict)

    obj: pikepdf.Object | None = None

    def true_width(self, gid: int, measured: float) -> float:
        """The file's width of a glyph when the part's is that one, rounded: else the part's."""
        if 0 <= gid < len(self.advances) and abs(self.advances[gid] - measured) <= 1:
            return self.advances[gid]
        return measured

    def accepts(self, widths: dict[int, float], text: dict[int, str]) -> bool:
        return (all(self.true_width(g, self.widths.get(g, w)) == self.true_width(g, w) for g, w in widths.items())
                and all(self.text.get(g, t) == t for g, t in text.items()))


class FontMerger:
    """Collects the marked fonts of an assembled PDF, then writes the real ones.
    `faces` knows the vendored faces by sha256 (join.FaceFiles)."""

    def __init__(self, faces):
        self.faces = faces
        self.variants: dict[str, list[_Variant]] = {}
        self.slots: list[tuple[pikepdf.Object, Name, _Variant]] = []  # (font resources, name, variant)
        self._memo: dict[tuple[int, int], _Variant] = {}

    def collect(self, pdf: pikepdf.Pdf) -> None:
        seen: set = set()

        def visit(resources) -> None:
            if resources is None:
                return
            fonts = resources.get("/Font")
            if fonts is not None and (fonts.objgen == (0, 0) or fonts.objgen not in seen):
                seen.add(fonts.objgen)
                for name in sorted(fonts.keys()):
                    font = fonts[name]
                    if MARK in font:
                        self.slots.append((fonts, Name(name), self._variant(font)))
            xobjects = resources.get("/XObject")
            if xobjects is not None and (xobjects.objgen == (0, 0) or xobjects.objgen not in seen):
                seen.add(xobjects.objgen)
                for name in sorted(xobjects.keys()):
                    xobj = xobjects[name]
                    if xobj.get("/Subtype") == Name.Form and xobj.objgen not in seen:
                        seen.add(xobj.objgen)
                        visit(xobj.get("/Resources"))

        for page in pdf.pages:
            visit(page.obj.get("/Resources"))

    def _variant(self, font) -> _Variant:
        if font.objgen in self._memo:
            return self._memo[font.objgen]
        info = json.loads(str(font[MARK]))
        widths = {int(g): w for g, w in info["w"]}
        # A glyph maps to the text it first met in its part: where the face draws a
        # no-break space with its space glyph, a part whose first space was a no-break one
        # (French typography puts them everywhere) would read back every space as one.
        space = self.faces.space_glyph(info["face"])
        text = {int(g): " " if int(g) == space and t in _SPACES else t for g, t in info["u"]}
        variants = self.variants.setdefault(info["face"], [])
        for v in variants:
            if v.accepts(widths, text):
                break
        else:
            v = _Variant(info["face"], info, self.faces.advances(info["face"]))
            variants.append(v)
        v.widths.update(widths)
        v.text.update(text)
        self._memo[font.objgen] = v
        return v

    def glyphs(self) -> dict[str, set[int]]:
        """Face sha256 -> every glyph id the booklet prints with it."""
        return {face: {0}.union(*(v.widths.keys() for v in vs)) for face, vs in self.variants.items()}

    def write(self, pdf: pikepdf.Pdf, programs: dict[str, bytes]) -> None:
        """Replace every marked font by its face's real font; `programs`: face sha256
        -> the font file cut to `glyphs()[face]`."""
        streams = {}
        for face, data in sorted(programs.items()):
            stream = pikepdf.Stream(pdf, b"")
            stream.write(zlib.compress(data, 9), filter=Name.FlateDecode)
            stream.Length1 = len(data)
            streams[face] = pdf.make_indirect(stream)
        for face, variants in self.variants.items():
            for v in variants:
                v.obj = _font_dict(pdf, v, streams[face])
        for fonts, name, v in self.slots:
            fonts[name] = v.obj


def _font_dict(pdf: pikepdf.Pdf, v: _Variant, program) -> pikepdf.Object:
    base = Name(v.info["base"])
    fd = Dictionary({"/Type": Name.FontDescriptor, "/FontName": base, "/FontFile2": program})
    for k, value in v.info["fd"].items():
        fd[Name(k)] = Array(value) if isinstance(value, list) else value
    widths = Array()
    for gid in sorted(v.widths):
        widths.append(gid)
        widths.append(Array([_number(v.true_width(gid, v.widths[gid]))]))
    cid = Dictionary({
        "/Type": Name.Font, "/Subtype": Name.CIDFontType2, "/BaseFont": base,
        "/CIDSystemInfo": Dictionary({"/Registry": String("Adobe"), "/Ordering": String("Identity"),
                                      "/Supplement": 0}),
        "/CIDToGIDMap": Name.Identity, "/FontDescriptor": pdf.make_indirect(fd), "/W": widths})
    return pdf.make_indirect(Dictionary({
        "/Type": Name.Font, "/Subtype": Name.Type0, "/BaseFont": base, "/Encoding": Name("/Identity-H"),
        "/DescendantFonts": Array([pdf.make_indirect(cid)]), "/ToUnicode": _cmap(pdf, v.text)}))


def _cmap(pdf: pikepdf.Pdf, text: dict[int, str]) -> pikepdf.Object:
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
             b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
             b"1 begincodespacerange", b"<0000> <ffff>", b"endcodespacerange"]
    items = sorted(text.items())
    for i in range(0, len(items), 100):
        chunk = items[i:i + 100]
        lines.append(b"%d beginbfchar" % len(chunk))
        lines += [b"<%04x> <%s>" % (g, t.encode("utf-16-be").hex().encode()) for g, t in chunk]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    stream = pikepdf.Stream(pdf, b"")
    stream.write(zlib.compress(b"\n".join(lines), 9), filter=Name.FlateDecode)
    return pdf.make_indirect(stream)


def standalone_font(pdf: pikepdf.Pdf, data: bytes, text: str, tag: str) -> tuple[pikepdf.Object, Callable]:
    """A font of `pdf` drawing `text` from the face `data` alone (a line the booklet's
    parts never printed, such as a printer's slug): the face cut to those characters,
    with its widths and Unicode map. Returns the font and `encode(str) -> bytes`, the
    string a TJ shows for a text of those characters (others are dropped)."""
    from fontTools.ttLib import TTFont

    from generator.render.faces import subset_bytes

    program = subset_bytes(data, unicodes=sorted({ord(c) for c in text}), hinting=False, layout=False)
    font = TTFont(io.BytesIO(program))
    order, cmap = font.getGlyphOrder(), font.getBestCmap() or {}
    upem, head, os2 = font["head"].unitsPerEm, font["head"], font["OS/2"]
    gid = {chr(code): order.index(name) for code, name in cmap.items()}
    scale = 1000 / upem
    info = {"base": f"/{tag}+{font['name'].getDebugName(6)}", "fd": {
        "/Flags": 32, "/ItalicAngle": 0, "/StemV": 80,
        "/FontBBox": [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)],
        "/Ascent": round(os2.sTypoAscender * scale), "/Descent": round(os2.sTypoDescender * scale),
        "/CapHeight": round(getattr(os2, "sCapHeight", os2.sTypoAscender) * scale)}}
    advances = [round(font["hmtx"].metrics[name][0] * scale) for name in order]
    variant = _Variant("slug", info, advances, {g: advances[g] for g in gid.values()},
                       {g: c for c, g in gid.items()})
    stream = pikepdf.Stream(pdf, b"")
    stream.write(zlib.compress(program, 9), filter=Name.FlateDecode)
    stream.Length1 = len(program)

    def encode(line: str) -> bytes:
        return b"".join(b"%04x" % gid[c] for c in line if c in gid)
    return _font_dict(pdf, variant, pdf.make_indirect(stream)), encode


def face_metrics(data: bytes) -> tuple[list[int], int | None]:
    """A font file's glyph widths, by glyph id, in thousandths of an em, rounded as
    WeasyPrint rounds the widths it writes; and the glyph id of its space. HarfBuzz
    reads them in place (fontTools would decode the whole hmtx and glyph order first,
    in the assembly, which waits on it)."""
    import uharfbuzz as hb

    face = hb.Face(data)
    font, upem = hb.Font(face), face.upem
    advance = font.get_glyph_h_advance
    return [round(advance(g) * 1000 / upem) for g in range(face.glyph_count)], font.get_nominal_glyph(0x20)


def cut_font(data: bytes, gids: list[int]) -> bytes:
    """The font file cut down to `gids`, glyph ids kept, without hinting nor shaping
    tables (shaping is done: the PDF needs outlines and metrics)."""
    from generator.render.faces import subset_bytes

    return subset_bytes(data, gids=gids, retain_gids=True, hinting=False, layout=False)
