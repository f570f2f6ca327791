"""The edition's typefaces (generator/design.py: the tokens' faces and the vendored
fallback), and their subsets for one edition.

Both the PDF and the Word renderers embed fonts. Subsetting once per build, to the
characters the edition actually uses, gives every per-fiche PDF the very same font
program (so the assembled booklet can keep a single copy) and keeps each Word document
small. The subsets are deterministic: no timestamp is recalculated on save.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import uharfbuzz as hb

from generator.model import Edition

# Part of every cache key of a subset: another HarfBuzz may cut a font differently.
SUBSETTER = f"harfbuzz {hb.__version__}"

# Lato's head table stores its creation date as a Unix time; fontTools corrects it and
# says so on every load, which users would read as a problem with their fiches.
logging.getLogger("fontTools.ttLib.tables._h_e_a_d").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Face:
    family: str  # the CSS / Word family name
    role: str  # "serif" for text, "sans" for headings
    weight: int
    italic: bool
    file: str


# The built-in typefaces, as the brochure's default tokens name them (kept for callers
# that want the defaults; an edition's faces are its design's: Design.all_faces()).
FACES = (
    Face("Vollkorn", "serif", 400, False, "Vollkorn-Regular.ttf"),
    Face("Vollkorn", "serif", 400, True, "Vollkorn-Italic.ttf"),
    Face("Vollkorn", "serif", 700, False, "Vollkorn-Bold.ttf"),
    Face("Vollkorn", "serif", 700, True, "Vollkorn-BoldItalic.ttf"),
    Face("Lato", "sans", 400, False, "Lato-Regular.ttf"),
    Face("Lato", "sans", 400, True, "Lato-Italic.ttf"),
    Face("Lato", "sans", 700, False, "Lato-Bold.ttf"),
    Face("Lato", "sans", 700, True, "Lato-BoldItalic.ttf"),
    Face("Lato", "sans", 900, False, "Lato-Black.ttf"),
)

# Characters that templates, labels and typography add around fiche text: always kept,
# so that a label never falls back to another font.
BASE_CHARS = (
    "".join(chr(c) for c in range(0x20, 0x7F))
    + "\u00a0\u202f\u2009«»‘’“”–—…•·°€%№ªº×"
    + "àâäçéèêëîïôöùûüÿæœÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ"
    + "\u00ad\u2010\u2011"  # hyphenation and non-breaking hyphens
)


def edition_chars(edition: Edition) -> str:
    """Every character the edition may print, sorted: a stable key for caches too."""
    seen = set(BASE_CHARS)
    pub = edition.publication
    for value in (pub.title, pub.subtitle, pub.publisher, pub.edition, pub.date):
        seen.update(value or "")
    for value in (pub.colophon or {}).values():
        seen.update(str(value))
    for fiche in edition.fiches:
        seen.update(_fiche_text(fiche))
    return "".join(sorted(seen))


def _fiche_text(fiche) -> str:
    from generator.read.fields import printed_texts

    parts = list(printed_texts(fiche)) + [p.given for p in fiche.partners]
    for node in fiche.body.walk():
        parts += [node.text, str(node.attrs.get("href", "")), str(node.attrs.get("alt") or "")]
    return "".join(parts)


def subset_bytes(data: bytes, *, unicodes=(), gids=(), retain_gids: bool = False, hinting: bool = True,
                 layout: bool = True, drop_tables: tuple[str, ...] = ("DSIG",)) -> bytes:
    """The font `data` cut down to the glyphs of `unicodes` and `gids`, every name
    record kept, with all its layout features (`layout`) or none. HarfBuzz's subsetter:
    about a hundred times faster than fontTools' on these faces, and it never
    touches the head table's dates, so the bytes depend on the inputs only."""
    face = hb.Face(data)
    request = hb.SubsetInput()
    request.unicode_set.update(unicodes)
    request.glyph_set.update(gids)
    flags = hb.SubsetFlags.NOTDEF_OUTLINE
    if retain_gids:
        flags |= hb.SubsetFlags.RETAIN_GIDS
    if not hinting:
        flags |= hb.SubsetFlags.NO_HINTING
    request.flags = flags
    # These sets start with HarfBuzz's defaults (common features, names 0-6): emptied
    # then inverted, they mean "all".
    everything = [hb.SubsetInputSets.NAME_ID, hb.SubsetInputSets.NAME_LANG_ID]
    if layout:
        everything.append(hb.SubsetInputSets.LAYOUT_FEATURE_TAG)
    else:
        drop_tables = (*drop_tables, "GSUB", "GPOS", "GDEF", "BASE", "JSTF", "kern")
    for which in everything:
        chosen = request.sets(which)
        chosen.clear()
        chosen.invert()
    request.sets(hb.SubsetInputSets.DROP_TABLE_TAG).update(_tag(t) for t in drop_tables)
    result = hb.subset(face, request)
    if result is None:
        raise RuntimeError("HarfBuzz could not subset a vendored font")  # a font bug, not bad input
    return result.blob.data


def _tag(name: str) -> int:
    return int.from_bytes(name.ljust(4).encode("ascii"), "big")


def edition_subsets(chars: str, cache=None, font_dir: Path | None = None, faces=None) -> dict[str, bytes]:
    """Face key (design.Face.key, its path; the file name for the default FACES) -> that
    face subset to `chars`, for every face of `faces` (design.Face; default: the
    vendored FACES in `font_dir`). `cache` (generator.cache.Cache) keeps them between
    builds, shared by every renderer."""
    from generator.cache import Cache, key
    from generator.paths import builtin_fonts

    cache = cache or Cache(None)
    if faces is None:
        font_dir = font_dir or builtin_fonts()
        items = [(face.file, font_dir / face.file) for face in FACES]
    else:
        items = [(face.key, face.path) for face in faces]
    out = {}
    for name, path in items:
        k = key("subset", SUBSETTER, face_sha256(path), chars)
        out[name] = cache.memo("subset", k, lambda: (subset_font(path, chars), {}))[0]
    return out


@lru_cache(maxsize=64)
def cmap_of(path: Path) -> frozenset[int]:
    """The code points a font file has a glyph for, as HarfBuzz reads its cmap (what
    WeasyPrint shapes text with; a twentieth of fontTools' time, for every build)."""
    return frozenset(hb.Face(hb.Blob.from_file_path(str(path))).unicodes)


def needed_fallback(design, chars: str) -> list:
    """The fallback faces that draw some of `chars` the edition's own faces lack: the
    ones booklet.html and the Word files carry."""
    own = set()
    for face in design.edition_faces():
        own |= cmap_of(face.path)
    missing = {ord(c) for c in chars if ord(c) > 0x20} - own
    return [f for f in design.all_faces() if f.fallback and missing & cmap_of(f.path)]


@lru_cache(maxsize=64)
def face_sha256(path: Path) -> str:
    """The sha256 of a font file, read once a process: cache keys and the booklet's
    parts name a face by it."""
    from generator.write.manifest import sha256_file

    return sha256_file(path)


@lru_cache(maxsize=64)
def postscript_name(path: Path) -> str:
    """A font file's PostScript name (name ID 6), which WeasyPrint names its subsets after."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return str(font["name"].getDebugName(6))


@lru_cache(maxsize=32)
def subset_font(path: Path, chars: str) -> bytes:
    """The font at `path` cut down to `chars`, layout features kept (kerning, ligatures,
    small caps, old-style figures), as TrueType bytes."""
    return subset_bytes(Path(path).read_bytes(), unicodes=[ord(c) for c in chars])
