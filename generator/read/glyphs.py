"""Every character of a fiche, drawn from the edition's fonts (`recueil check`).

For each character of each fiche (front matter and body): is it in a face of the
edition's typefaces (the design tokens')? If not, the vendored fallback (Noto: Latin,
Greek, Cyrillic, Arabic, Hebrew, symbols, arrows, mathematics) draws it, and a warning
says so, naming the fiche, the line and the character (U+ code and name). A character
that no font of the edition has would print as an empty box: the warning names its
script and the Debian package whose fonts cover it, to add to the project's fonts/.
Nothing is ever drawn from a font of the machine: the CSS stacks end with the fallback.
"""

from __future__ import annotations

import unicodedata

from generator.diagnostics import Report
from generator.i18n import _, n_
from generator.model import Fiche, Project

# (first, last, script, a Debian package with fonts for it)
SCRIPTS = (
    (0x0530, 0x058F, "Armenian", "fonts-noto-core"),
    (0x0700, 0x074F, "Syriac", "fonts-noto-extra"),
    (0x0780, 0x07BF, "Thaana", "fonts-noto-core"),
    (0x0900, 0x097F, "Devanagari (Hindi, Marathi, Nepali…)", "fonts-noto-core"),
    (0x0980, 0x09FF, "Bengali", "fonts-noto-core"),
    (0x0A00, 0x0A7F, "Gurmukhi", "fonts-noto-core"),
    (0x0A80, 0x0AFF, "Gujarati", "fonts-noto-core"),
    (0x0B00, 0x0B7F, "Oriya", "fonts-noto-core"),
    (0x0B80, 0x0BFF, "Tamil", "fonts-noto-core"),
    (0x0C00, 0x0C7F, "Telugu", "fonts-noto-core"),
    (0x0C80, 0x0CFF, "Kannada", "fonts-noto-core"),
    (0x0D00, 0x0D7F, "Malayalam", "fonts-noto-core"),
    (0x0D80, 0x0DFF, "Sinhala", "fonts-noto-core"),
    (0x0E00, 0x0E7F, "Thai", "fonts-noto-core"),
    (0x0E80, 0x0EFF, "Lao", "fonts-noto-core"),
    (0x0F00, 0x0FFF, "Tibetan", "fonts-noto-extra"),
    (0x1000, 0x109F, "Myanmar", "fonts-noto-core"),
    (0x10A0, 0x10FF, "Georgian", "fonts-noto-core"),
    (0x1100, 0x11FF, "Korean (Hangul)", "fonts-noto-cjk"),
    (0x1200, 0x139F, "Ethiopic (Amharic, Tigrinya…)", "fonts-noto-core"),
    (0x13A0, 0x13FF, "Cherokee", "fonts-noto-core"),
    (0x1400, 0x167F, "Canadian Aboriginal syllabics", "fonts-noto-core"),
    (0x1780, 0x17FF, "Khmer", "fonts-noto-core"),
    (0x1800, 0x18AF, "Mongolian", "fonts-noto-extra"),
    (0x2D30, 0x2D7F, "Tifinagh (Berber)", "fonts-noto-core"),
    (0x2E80, 0x2FFF, "Chinese, Japanese, Korean", "fonts-noto-cjk"),
    (0x3000, 0x30FF, "Chinese, Japanese, Korean", "fonts-noto-cjk"),
    (0x3100, 0x9FFF, "Chinese, Japanese, Korean", "fonts-noto-cjk"),
    (0xA000, 0xA4CF, "Yi", "fonts-noto-extra"),
    (0xA500, 0xA63F, "Vai", "fonts-noto-extra"),
    (0xAC00, 0xD7AF, "Korean (Hangul)", "fonts-noto-cjk"),
    (0xF900, 0xFAFF, "Chinese, Japanese, Korean", "fonts-noto-cjk"),
    (0xFF00, 0xFFEF, "Chinese, Japanese, Korean (full-width forms)", "fonts-noto-cjk"),
    (0x1F000, 0x1FAFF, "emoji", "fonts-noto-color-emoji"),
    (0x20000, 0x3FFFF, "Chinese, Japanese, Korean", "fonts-noto-cjk"),
)


def _script_names() -> dict[str, str]:
    """The names of SCRIPTS in the language of messages."""
    return {
        "Armenian": _("Armenian"), "Syriac": _("Syriac"), "Thaana": _("Thaana"),
        "Devanagari (Hindi, Marathi, Nepali…)": _("Devanagari (Hindi, Marathi, Nepali…)"),
        "Bengali": _("Bengali"), "Gurmukhi": _("Gurmukhi"), "Gujarati": _("Gujarati"), "Oriya": _("Oriya"),
        "Tamil": _("Tamil"), "Telugu": _("Telugu"), "Kannada": _("Kannada"), "Malayalam": _("Malayalam"),
        "Sinhala": _("Sinhala"), "Thai": _("Thai"), "Lao": _("Lao"), "Tibetan": _("Tibetan"),
        "Myanmar": _("Myanmar"), "Georgian": _("Georgian"), "Korean (Hangul)": _("Korean (Hangul)"),
        "Ethiopic (Amharic, Tigrinya…)": _("Ethiopic (Amharic, Tigrinya…)"), "Cherokee": _("Cherokee"),
        "Canadian Aboriginal syllabics": _("Canadian Aboriginal syllabics"), "Khmer": _("Khmer"),
        "Mongolian": _("Mongolian"), "Tifinagh (Berber)": _("Tifinagh (Berber)"),
        "Chinese, Japanese, Korean": _("Chinese, Japanese, Korean"), "Yi": _("Yi"), "Vai": _("Vai"),
        "Chinese, Japanese, Korean (full-width forms)": _("Chinese, Japanese, Korean (full-width forms)"),
        "emoji": _("emoji"),
    }


def script_of(cp: int) -> tuple[str, str]:
    """(script, Debian package) of a character no font of the edition has, the script
    named in the language of messages."""
    for first, last, script, package in SCRIPTS:
        if first <= cp <= last:
            return _script_names().get(script, script), package
    name = unicodedata.name(chr(cp), "")
    return (name.split(" ")[0].title() or _("this script")), "fonts-noto-extra"


def _ignored(ch: str) -> bool:
    # Controls, format characters (soft hyphen, joiners, direction marks) and spaces:
    # nothing to draw, or drawn as space whatever the font.
    return unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp", "Mn") and not _drawn_mark(ch)


def _drawn_mark(ch: str) -> bool:
    return unicodedata.category(ch) == "Mn" and ord(ch) >= 0x0590  # Hebrew, Arabic... marks need their font


def fiche_texts(fiche: Fiche):
    """(text, line) of every piece of text a fiche prints."""
    ln = fiche.lines.get
    yield fiche.title, ln("title")
    yield fiche.summary, ln("summary")
    if fiche.subtitle:
        yield fiche.subtitle, ln("subtitle")
    for theme in fiche.themes:
        yield theme, ln("themes")
    for word in fiche.audience:
        yield word, ln("audience")
    for word in fiche.keywords:
        yield word, ln("keywords")
    t = fiche.territory
    yield " ".join(x for x in (t.place, t.department, t.region) if x), ln("territory")
    for p in fiche.partners:
        yield " ".join(x for x in (p.given, p.name, p.role, p.type) if x), ln("partners")
    for k in fiche.key_figures:
        yield f"{k.value} {k.label}", ln("key_figures")
    if fiche.contact:
        c = fiche.contact
        yield " ".join(x for x in (c.name, c.organisation, c.email, c.phone, c.url) if x), ln("contact")
    if fiche.image:
        i = fiche.image
        yield " ".join(x for x in (i.alt, i.caption, i.credit) if x), ln("image")
    line = None
    for node in fiche.body.walk():
        line = node.line or line
        if node.text:
            yield node.text, line
        if node.attrs.get("alt"):
            yield str(node.attrs["alt"]), line


def check_glyphs(project: Project, design, report: Report) -> None:
    """A warning for every character of a fiche that the edition's typefaces lack
    (drawn from the fallback), or that no font of the edition has (an empty box)."""
    from generator.render.faces import cmap_of

    own_faces = design.edition_faces()
    own: set[int] = set().union(*(cmap_of(f.path) for f in own_faces))
    fallback: dict[int, str] = {}
    for face in design.all_faces():
        if face.fallback:
            for cp in cmap_of(face.path):
                fallback.setdefault(cp, face.family)
    typefaces = ", ".join(dict.fromkeys(f.family for f in own_faces))
    own_chars = frozenset(map(chr, own))
    for fiche in project.fiches:
        seen: set[int] = set()
        drawn: dict[str, list] = {}  # fallback family -> [first line, characters]
        boxes: dict[str, list] = {}  # script -> [package, first line, characters]
        for text, line in fiche_texts(fiche):
            if not text or own_chars.issuperset(text):  # most texts: every character in the typefaces
                continue
            for ch in text:
                cp = ord(ch)
                if cp in seen or cp in own or _ignored(ch):
                    continue
                seen.add(cp)
                code = f"{cp:04X}"
                shown = _("« {char} » (U+{code} {name})", char=ch, code=code,
                          name=unicodedata.name(ch, "") or _("unnamed character"))
                if cp in fallback:
                    drawn.setdefault(fallback[cp], [line, []])[1].append(shown)
                else:
                    script, package = script_of(cp)
                    boxes.setdefault(script, [package, line, []])[2].append(shown)
        for family, (line, chars) in drawn.items():
            report.warning(fiche.rel, line,
                           n_("{chars} is not in the edition's typefaces ({typefaces}): drawn from the fallback "
                              "typeface, {family}",
                              "{chars} are not in the edition's typefaces ({typefaces}): drawn from the fallback "
                              "typeface, {family}", len(chars), chars=_some(chars), typefaces=typefaces, family=family))
        for script, (package, line, chars) in boxes.items():
            report.warning(fiche.rel, line,
                           _("{chars}: {script} is in no font of the edition and would print as empty boxes; "
                             "a font for it is in Debian's {package} package: copy its files into the "
                             "project's fonts/ folder and name it in the layout's design tokens (docs/layouts.md)",
                             chars=_some(chars), script=script, package=package))


def _some(chars: list[str]) -> str:
    shown = ", ".join(chars[:3])
    return n_("{chars} and {n} more", "{chars} and {n} more", len(chars) - 3, chars=shown) if len(chars) > 3 else shown

__all__ = ["check_glyphs", "script_of", "fiche_texts"]
