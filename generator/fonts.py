"""The vendored typefaces, and their subsets for one edition.

Both the PDF and the Word renderers embed fonts. Subsetting once per build, to the
characters the edition actually uses, gives every per-fiche PDF the very same font
program (so the assembled booklet can keep a single copy) and keeps each Word document
small. The subsets are deterministic: no timestamp is recalculated on save.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont

from generator.model import Edition

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
    parts = [fiche.title, fiche.summary, fiche.subtitle or "", fiche.date or "", fiche.source or ""]
    parts += fiche.themes + fiche.audience + fiche.keywords
    t = fiche.territory
    parts += [t.place, t.department or "", t.region or ""]
    for p in fiche.partners:
        parts += [p.name, p.given, p.role or "", p.type or "", p.url or ""]
    for k in fiche.key_figures:
        parts += [k.value, k.label]
    if fiche.contact:
        c = fiche.contact
        parts += [c.name or "", c.organisation or "", c.email or "", c.phone or "", c.url or ""]
    if fiche.image:
        parts += [fiche.image.alt or "", fiche.image.caption or "", fiche.image.credit or ""]
    for node in fiche.body.walk():
        parts += [node.text, str(node.attrs.get("href", "")), str(node.attrs.get("alt") or "")]
    return "".join(parts)


@lru_cache(maxsize=32)
def subset_font(path: Path, chars: str) -> bytes:
    """The font at `path` cut down to `chars`, as TrueType bytes, deterministically."""
    font = TTFont(path, recalcTimestamp=False)
    options = ft_subset.Options()
    options.layout_features = ["*"]  # keep kerning, ligatures, small caps, old-style figures
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    options.hinting = True
    options.drop_tables += ["DSIG"]
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in chars])
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()
