"""Content streams, as far as tagging goes: marked content made an artifact, a page made
one artifact, the text printed inside marked content.

Rewriting a stream works on its bytes, not through pikepdf's parser: WeasyPrint writes
every tag as `/Span <</MCID 3>> BDC` (an inline property list), and parsing then
unparsing a page of text costs some milliseconds a page, in every part of every build.
A page whose marks are written some other way (a named property list) is parsed.
"""

from __future__ import annotations

import json
import re

import pikepdf
from pikepdf import Array, Dictionary, Name

# The furniture (running heads, folios) drawn under a fiche page: pagination artifacts.
ARTIFACT_PAGINATION = (b"/Artifact <</Type /Pagination>> BDC\n", b"\nEMC\n")
ARTIFACT = (b"/Artifact BMC\n", b"\nEMC\n")

_BDC = re.compile(rb"/[A-Za-z0-9_.#-]+\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC")


def page_bytes(page: pikepdf.Object) -> bytes:
    contents = page.get("/Contents")
    if contents is None:
        return b""
    if isinstance(contents, Array):
        return b"\n".join(s.read_bytes() for s in contents)
    return contents.read_bytes()


def to_artifacts(pdf: pikepdf.Pdf, page: pikepdf.Object, mcids: set[int]) -> None:
    """The marked content `mcids` of `page` becomes /Artifact: its marks stay drawn, no
    element claims them any more (the caller drops them from the tree)."""
    if not mcids:
        return
    found: set[int] = set()

    def artifact(m: re.Match) -> bytes:
        n = int(m.group(1))
        if n in mcids:
            found.add(n)
            return b"/Artifact BMC"
        return m.group(0)

    data = _BDC.sub(artifact, page_bytes(page))
    if found != mcids:
        data = _parsed_to_artifacts(page, mcids)
    page.Contents = pdf.make_stream(data)


def _parsed_to_artifacts(page: pikepdf.Object, mcids: set[int]) -> bytes:
    instructions = pikepdf.parse_content_stream(page)
    artifact = pikepdf.ContentStreamInstruction([Name.Artifact], pikepdf.Operator("BMC"))
    properties = (page.get("/Resources") or {}).get("/Properties") or {}
    for i, ins in enumerate(instructions):
        if str(ins.operator) == "BDC" and len(ins.operands) == 2:
            props = ins.operands[1]
            if isinstance(props, Name):
                props = properties.get(props)
            if isinstance(props, Dictionary) and int(props.get("/MCID", -1)) in mcids:
                instructions[i] = artifact
    return pikepdf.unparse_content_stream(instructions)


def wrap(pdf: pikepdf.Pdf, page: pikepdf.Object, marks: tuple[bytes, bytes] = ARTIFACT) -> None:
    """The whole content of `page` as one artifact (a page of an untagged part: a blank
    page, which carries only what its furniture part drew)."""
    contents = page.get("/Contents")
    streams = [] if contents is None else list(contents) if isinstance(contents, Array) else [contents]
    page.Contents = Array([pdf.make_stream(marks[0]), *streams, pdf.make_stream(marks[1])])


_TEXT_TOKEN = re.compile(
    rb"/([A-Za-z0-9_.+#-]+)\s+[-+\d.]+\s+Tf"  # a font selected
    rb"|<<\s*/MCID\s+(\d+)\s*>>\s*BDC"  # marked content with an id begins
    rb"|(\bBDC\b|\bBMC\b)"  # other marked content begins
    rb"|(\bEMC\b)"  # marked content ends
    rb"|<([0-9A-Fa-f]*)>"  # a string of glyph codes
    rb"|(\()"  # a literal string: not what WeasyPrint writes, so parse the page instead
)


def marked_texts(page: pikepdf.Object, wanted: set[int]) -> dict[int, str | None]:
    """The text printed inside the marked content `wanted` of a page (None when a font
    has no Unicode map: unknown). Fonts are WeasyPrint's Type0 (two-byte codes) with a
    /ToUnicode map, or font-stripped ones (booklet/fontmerge.py) carrying it as data.

    Read from the stream's bytes (WeasyPrint writes glyph codes as hex strings): the
    contents' leaders make thousands of tiny marked contents a page, which pikepdf's
    parser turns into as many Python objects."""
    fonts = (page.get("/Resources") or {}).get("/Font") or {}
    data = page_bytes(page)
    maps: dict[str, dict[int, str] | None] = {}
    texts: dict[int, str | None] = {}
    stack: list[int | None] = []
    font = None
    for m in _TEXT_TOKEN.finditer(data):
        name, mcid, other, end, codes, literal = m.groups()
        if literal is not None:
            return _parsed_marked_texts(page, wanted)
        if name is not None:
            font = "/" + name.decode()
        elif mcid is not None:
            stack.append(int(mcid))
        elif other is not None:
            stack.append(None)
        elif end is not None:
            stack = stack[:-1]
        elif stack and stack[-1] in wanted:
            if font not in maps:
                maps[font] = _unicode_map(fonts.get(font))
            _add_text(texts, stack[-1], maps[font], bytes.fromhex(codes.decode()))
    for n in wanted:
        texts.setdefault(n, "")  # marked content that prints no text: nothing to read
    return texts


def _add_text(texts: dict[int, str | None], mcid: int, cmap: dict[int, str] | None, codes: bytes) -> None:
    """Two-byte glyph codes shown in marked content `mcid`, as text; None for good once
    a font has no map back to Unicode."""
    if cmap is None or texts.get(mcid, "") is None:
        texts[mcid] = None
    else:
        texts[mcid] = texts.get(mcid, "") + "".join(
            cmap.get(int.from_bytes(codes[i:i + 2], "big"), "\ufffd") for i in range(0, len(codes) - 1, 2))


def _parsed_marked_texts(page: pikepdf.Object, wanted: set[int]) -> dict[int, str | None]:
    """marked_texts through pikepdf's parser: any content stream."""
    fonts = (page.get("/Resources") or {}).get("/Font") or {}
    maps: dict[str, dict[int, str] | None] = {}
    texts: dict[int, str | None] = {}
    stack: list[int | None] = []
    font = None
    for ins in pikepdf.parse_content_stream(page, "BDC BMC EMC Tf Tj TJ"):
        op, args = str(ins.operator), ins.operands
        if op in ("BDC", "BMC"):
            props = args[1] if op == "BDC" else None
            stack.append(int(props.MCID) if isinstance(props, Dictionary) and "/MCID" in props else None)
        elif op == "EMC":
            stack = stack[:-1]
        elif op == "Tf":
            font = str(args[0])
        elif op in ("Tj", "TJ") and stack and stack[-1] in wanted:
            if font not in maps:
                maps[font] = _unicode_map(fonts.get(font))
            data = b"".join(bytes(x) for x in (args[0] if op == "TJ" else [args[0]]) if isinstance(x, pikepdf.String))
            _add_text(texts, stack[-1], maps[font], data)
    for mcid in wanted:
        texts.setdefault(mcid, "")  # marked content that prints no text: nothing to read
    return texts


def _unicode_map(font) -> dict[int, str] | None:
    # Imported here: booklet/ imports this module, and fontmerge lives in booklet/.
    from generator.render.booklet.fontmerge import MARK, _unicode

    if font is None:
        return None
    if MARK in font:  # font-stripped: the map travels as data
        return {int(g): t for g, t in json.loads(str(font[MARK]))["u"]}
    return _unicode(font.get("/ToUnicode")) or None
