"""The edition's faces, embedded in Word documents as ECMA-376 obfuscated fonts.

Word and LibreOffice use a font embedded in a .docx (§17.8.1) when the reader's machine
lacks it, so a partner opening a fiche sees the edition's typefaces (the design tokens':
Vollkorn and Lato by default, or a project's own), not a substitute. The fallback faces
that draw characters the typefaces lack are embedded too when the edition uses such
characters, and the runs holding them name them (runs.FALLBACK). Each face
is subset once per build to the edition's characters (shared with the PDF renderer's
cache), obfuscated with a key derived from its bytes (deterministic, no random GUID), and
compressed once: every fiche of the edition reuses the very same parts.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont
from lxml import etree

from generator.paths import builtin_fonts
from generator.render import faces
from generator.render.word.package import Part, part
from generator.render.word.reference import insert_ordered, parse

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# Word keeps at most four faces per family; the slot comes from the face's own name table.
_SLOTS = {"regular": "embedRegular", "bold": "embedBold", "italic": "embedItalic", "bold italic": "embedBoldItalic"}
_FONT_ORDER = ["altName", "panose1", "charset", "family", "notTrueType", "pitch", "sig",
               "embedRegular", "embedBold", "embedItalic", "embedBoldItalic"]


@dataclass(frozen=True)
class EmbeddedFont:
    family: str  # as Word names it: the name table's family (ID 1), e.g. "Lato Black"
    slot: str  # embedRegular, embedBold, embedItalic or embedBoldItalic
    key: str  # the GUID, "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}"
    part: Part  # word/fonts/fontN.odttf, obfuscated and compressed


@dataclass(eq=False)
class EmbeddedFonts:
    fonts: tuple[EmbeddedFont, ...]
    digest: str  # of every font program and key: for caches
    fallback: tuple[tuple[int, str], ...] = ()  # code point -> the fallback family that draws it


def font_key(data: bytes) -> str:
    """A GUID derived from the font program: the same subset always gets the same key."""
    return "{" + str(uuid.UUID(bytes=hashlib.sha256(data).digest()[:16])).upper() + "}"


def obfuscate(data: bytes, key: str) -> bytes:
    """§17.8.1: XOR the first 32 bytes with the key's 16 bytes, taken from the GUID's hex
    digits read backwards. Applying it twice gives the font back."""
    k = bytes.fromhex(key.strip("{}").replace("-", ""))[::-1]
    head = bytes(b ^ k[i % 16] for i, b in enumerate(data[:32]))
    return head + data[32:]


def prepare_fonts(chars: str, font_dir: Path | None = None, cache=None, design=None) -> EmbeddedFonts:
    """Every face of the edition's `design` Word can use (its typefaces, and the
    fallback faces the edition's characters need), subset to `chars`, ready to be
    packaged. Without a design, the vendored FACES in `font_dir`. `cache` (a
    generator.cache.Cache) keeps the subsets between builds."""
    embedded = []
    fallback: dict[int, str] = {}
    if design is None:
        font_dir = font_dir or builtin_fonts()
        subsets = faces.edition_subsets(chars, cache, font_dir)
        chosen = [(face.file, None) for face in faces.FACES]
    else:
        needed = faces.needed_fallback(design, chars)
        own = design.edition_faces()
        subsets = faces.edition_subsets(chars, cache, faces=own + needed)
        chosen = [(face.key, face) for face in own + needed]
        covered = set.intersection(*(set(faces.cmap_of(f.path)) for f in own)) if own else set()
        for face in needed:
            if face.weight == 400 and not face.italic:
                family = design_family(face)
                for c in sorted({ord(ch) for ch in chars} - covered):
                    if c in faces.cmap_of(face.path) and c not in fallback:
                        fallback[c] = family
    for n, (name, _face) in enumerate(chosen, start=1):
        program = subsets[name]
        names = TTFont(io.BytesIO(program), lazy=True)["name"]
        family = str(names.getName(1, 3, 1, 0x409) or names.getDebugName(1))
        style = str(names.getName(2, 3, 1, 0x409) or names.getDebugName(2)).lower()
        slot = _SLOTS.get(style, "embedRegular")
        key = font_key(program)
        embedded.append(EmbeddedFont(family, slot, key, part(f"word/fonts/font{n}.odttf", obfuscate(program, key))))
    digest = hashlib.sha256(b"".join(f.key.encode() for f in embedded)
                            + repr(sorted(fallback.items())).encode()).hexdigest()
    return EmbeddedFonts(tuple(embedded), digest, tuple(sorted(fallback.items())))


def design_family(face) -> str:
    """The family Word knows a face by: its name table's (ID 1)."""
    from generator.design import font_family_name

    return font_family_name(face.path)


def font_table(reference_xml: bytes, embedded: EmbeddedFonts) -> tuple[bytes, list[tuple[str, str, str, bool]]]:
    """The reference's fontTable.xml with the embedded faces declared, and its relationships."""
    root = parse(reference_xml)
    by_name = {f.get(f"{{{W}}}name"): f for f in root.findall(f"{{{W}}}font")}
    rels = []
    for n, font in enumerate(embedded.fonts, start=1):
        entry = by_name.get(font.family)
        if entry is None:
            entry = by_name[font.family] = etree.SubElement(root, f"{{{W}}}font", {f"{{{W}}}name": font.family})
        for old in entry.findall(f"{{{W}}}{font.slot}"):
            entry.remove(old)
        rid = f"rIdFont{n}"
        embed = etree.Element(f"{{{W}}}{font.slot}", {f"{{{R}}}id": rid, f"{{{W}}}fontKey": font.key,
                                                        f"{{{W}}}subsetted": "1"})
        insert_ordered(entry, embed, _FONT_ORDER)
        rels.append((rid, "font", font.part.name.removeprefix("word/"), False))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True), rels

