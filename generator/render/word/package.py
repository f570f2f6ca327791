"""A Word package (OPC zip) written byte for byte the same way every time.

python-docx's save recompresses every part of every document; with nine embedded fonts
that alone would cost more than the whole per-fiche budget. Here a part is compressed
once (`Part`), and a package is the concatenation of already compressed parts with fixed
dates, a fixed order and no extra fields: two builds give the same bytes, and the parts
shared by every fiche of an edition (fonts, styles, header, footer) cost nothing per fiche.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from generator.render.word.runs import esc

# 1980-01-01 00:00:00, the first date a zip can hold: the build's clock never shows.
_DOS_TIME, _DOS_DATE = 0, (0 << 9) | (1 << 5) | 1

REL_BASE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL = {
    "document": f"{REL_BASE}/officeDocument",
    "core": "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
    "app": f"{REL_BASE}/extended-properties",
    "styles": f"{REL_BASE}/styles",
    "numbering": f"{REL_BASE}/numbering",
    "settings": f"{REL_BASE}/settings",
    "fontTable": f"{REL_BASE}/fontTable",
    "theme": f"{REL_BASE}/theme",
    "webSettings": f"{REL_BASE}/webSettings",
    "footnotes": f"{REL_BASE}/footnotes",
    "header": f"{REL_BASE}/header",
    "footer": f"{REL_BASE}/footer",
    "hyperlink": f"{REL_BASE}/hyperlink",
    "image": f"{REL_BASE}/image",
    "font": f"{REL_BASE}/font",
}

_WML = "application/vnd.openxmlformats-officedocument.wordprocessingml"
CONTENT_TYPES = {
    "word/document.xml": f"{_WML}.document.main+xml",
    "word/styles.xml": f"{_WML}.styles+xml",
    "word/numbering.xml": f"{_WML}.numbering+xml",
    "word/settings.xml": f"{_WML}.settings+xml",
    "word/fontTable.xml": f"{_WML}.fontTable+xml",
    "word/webSettings.xml": f"{_WML}.webSettings+xml",
    "word/footnotes.xml": f"{_WML}.footnotes+xml",
    "word/header1.xml": f"{_WML}.header+xml",
    "word/footer1.xml": f"{_WML}.footer+xml",
    "word/theme/theme1.xml": "application/vnd.openxmlformats-officedocument.theme+xml",
    "docProps/core.xml": "application/vnd.openxmlformats-package.core-properties+xml",
    "docProps/app.xml": "application/vnd.openxmlformats-officedocument.extended-properties+xml",
}
DEFAULT_TYPES = {
    "rels": "application/vnd.openxmlformats-package.relationships+xml",
    "xml": "application/xml",
    "odttf": "application/vnd.openxmlformats-officedocument.obfuscatedFont",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
}


@dataclass(frozen=True)
class Part:
    """One zip entry, compressed once: reusable in any number of packages."""

    name: str
    crc: int
    size: int
    data: bytes  # raw deflate stream, or the bytes themselves when stored
    deflated: bool


def part(name: str, data: bytes, level: int = 6) -> Part:
    crc = zlib.crc32(data)
    if level == 0 or len(data) < 64:
        return Part(name, crc, len(data), data, False)
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)
    packed = packer.compress(data) + packer.flush()
    if len(packed) >= len(data):  # already compressed (JPEG, PNG): store it
        return Part(name, crc, len(data), data, False)
    return Part(name, crc, len(data), packed, True)


def package(parts: list[Part]) -> bytes:
    """The zip of `parts`, in the order given, which callers keep fixed."""
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for p in parts:
        name = p.name.encode("utf-8")
        method = 8 if p.deflated else 0
        flags = 0x800 if not p.name.isascii() else 0
        local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, _DOS_TIME, _DOS_DATE,
                            p.crc, len(p.data), p.size, len(name), 0)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, _DOS_TIME,
                                   _DOS_DATE, p.crc, len(p.data), p.size, len(name), 0, 0, 0, 0, 0, offset)
                       + name)
        out += [local, name, p.data]
        offset += len(local) + len(name) + len(p.data)
    directory = b"".join(central)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(parts), len(parts), len(directory), offset, 0)
    return b"".join(out) + directory + end


def content_types(names: list[str]) -> bytes:
    """[Content_Types].xml for a package holding `names`."""
    exts = sorted({n.rsplit(".", 1)[-1] for n in names if "." in n} & set(DEFAULT_TYPES) | {"rels", "xml"})
    rows = [f'<Default Extension="{e}" ContentType="{DEFAULT_TYPES[e]}"/>' for e in exts]
    rows += [f'<Override PartName="/{n}" ContentType="{CONTENT_TYPES[n]}"/>' for n in names if n in CONTENT_TYPES]
    return _xml('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                + "".join(rows) + "</Types>")


def relationships(rels: list[tuple[str, str, str, bool]]) -> bytes:
    """A .rels part from (id, kind or full type, target, external) rows."""
    rows = []
    for rid, kind, target, external in rels:
        mode = ' TargetMode="External"' if external else ""
        rows.append(f'<Relationship Id="{rid}" Type="{REL.get(kind, kind)}" Target={quoteattr(target)}{mode}/>')
    return _xml('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                + "".join(rows) + "</Relationships>")


def core_properties(*, title: str, subject: str, keywords: str, creator: str, language: str,
                    date: str | None) -> bytes:
    """docProps/core.xml; `date` is W3CDTF (from the publication, never the clock)."""
    dates = ""
    if date:
        dates = (f'<dcterms:created xsi:type="dcterms:W3CDTF">{date}</dcterms:created>'
                 f'<dcterms:modified xsi:type="dcterms:W3CDTF">{date}</dcterms:modified>')
    return _xml(
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{esc(title)}</dc:title><dc:subject>{esc(subject)}</dc:subject>"
        f"<dc:creator>{esc(creator)}</dc:creator><cp:keywords>{esc(keywords)}</cp:keywords>"
        f"<dc:language>{esc(language)}</dc:language><cp:lastModifiedBy>Recueil</cp:lastModifiedBy>"
        f"<cp:revision>1</cp:revision>{dates}</cp:coreProperties>")


def app_properties() -> bytes:
    return _xml('<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
                "<Application>Recueil</Application><DocSecurity>0</DocSecurity></Properties>")


def _xml(body: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + body).encode("utf-8")
