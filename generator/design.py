"""Design tokens: every decision a brand makes, in one place, for the PDF and Word alike.

A layout's `layout.yaml` holds them under `design:` (or a `design.yaml` beside it, merged
over that block): colours, typefaces and their files, base size and line height, page
size and margins, the cover's colours. Each token is declared once, in TOKENS (name,
kind, default, what reads it); from that declaration come

  - the check of layout.yaml (`check_layout`: unknown keys with "did you mean", wrong
    values, with their file and line),
  - the CSS custom properties every stylesheet of the booklet and the handouts uses
    (`Design.css()`: `@font-face` rules, `:root { --accent: ...; }`, `@page` size and
    margins), prepended to the layout's CSS, which writes no colour, family or page
    dimension of its own,
  - the Word reference document (render/word/design_reference.py),
  - the table of tokens in docs/layouts.md (a test compares them).

Typefaces are families of files: the built-in Vollkorn and Lato, or a project's own TTF
or OTF files in its `fonts/` folder (or the layout's). Every CSS family list ends with the
fallback families (FALLBACK: the vendored Noto faces), never with `serif`/`sans-serif`,
so that no character is ever drawn from a font the machine happens to have.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from generator import colours
from generator.colours import mix, rgb
from generator.i18n import _

# --- the tokens ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    name: str
    kind: str  # colour, colours, colour_map, typeface, typefaces, size, number, page_size, margins
    default: object
    read_by: str  # who reads it: "PDF", "Word", "PDF, Word"
    doc: str


TOKENS: tuple[Token, ...] = (
    Token("accent", "colour", "#1f5f8b", "PDF, Word",
          "the brand colour: contents, index and section titles, rules, key figures, headings in Word"),
    Token("text", "colour", "#1f1f1f", "PDF, Word", "body text, titles, folios"),
    Token("text_soft", "colour", "#4a4a4a", "PDF, Word", "subtitles and quotations"),
    Token("muted", "colour", "#6b665e", "PDF, Word", "the place line above a title, partner types, colophon labels"),
    Token("caption", "colour", "#555555", "PDF, Word", "captions and key-figure labels"),
    Token("faint", "colour", "#737373", "PDF, Word", "image credits"),
    Token("furniture", "colour", "#5a5a5a", "PDF, Word", "running heads and Word's page header"),
    Token("rule", "colour", "#d8d3c9", "PDF, Word", "table rules and hairlines"),
    Token("rule_strong", "colour", "#b9b4aa", "PDF, Word", "the footnote rule, section breaks (---)"),
    Token("background", "colour", "#f3f1ec", "PDF, Word", "the facts card (partners, contact) and code blocks"),
    Token("paper", "colour", "#ffffff", "PDF", "the paper, under the handouts; white text on the theme colour"),
    Token("cover_background", "colour", None, "PDF", "the cover page (default: accent)"),
    Token("cover_text", "colour", "#ffffff", "PDF", "text and rules on the cover"),
    Token("palette", "colours", ["#1f5f8b", "#b5452c", "#2e7d4f", "#8a5a9e", "#c48a12", "#2b8c9a", "#a23b6b",
                                 "#5b6b2f"], "PDF",
          "one colour per theme, in the order themes appear"),
    Token("theme_colours", "colour_map", {}, "PDF", "theme name -> colour, to fix a theme's colour"),
    Token("typefaces", "typefaces", {}, "PDF, Word",
          "families and their files: NAME: {regular: F.ttf, bold: ..., italic: ..., bold_italic: ..., black: ...}"),
    Token("body_font", "typeface", "Vollkorn", "PDF, Word", "the text"),
    Token("heading_font", "typeface", "Lato", "PDF, Word", "titles, headings, captions, tables, page furniture"),
    Token("figures_font", "typeface", "Lato", "PDF, Word", "key figures and the cover's title (its black weight when it has one)"),
    Token("base_size", "size", "11pt", "PDF, Word", "the body's size; every other size is relative to it"),
    Token("line_height", "number", 1.4, "PDF, Word", "the body's line height, in lines of base_size"),
    Token("page_size", "page_size", None, "PDF, Word",
          "A4, A5, A6, Letter or WIDTHmm x HEIGHTmm (default: publication.yaml's page_size, else A4)"),
    Token("margins", "margins", {"top": "22mm", "sides": "28mm", "bottom": "24mm"}, "PDF, Word",
          "the page margins: top, sides (left and right), bottom"),
)
TOKEN_NAMES = tuple(t.name for t in TOKENS)
_BY_NAME = {t.name: t for t in TOKENS}
TYPEFACE_STYLES = ("regular", "bold", "italic", "bold_italic", "black")
TYPEFACE_KEYS = TYPEFACE_STYLES + ("fallback",)
MARGIN_KEYS = ("top", "sides", "bottom")
# Top-level keys of earlier layouts that are tokens now: still read, into the design.
LEGACY = ("accent", "cover_background", "palette", "theme_colours")

# Every key a layout.yaml may hold, and what reads it.
LAYOUT_KEYS = {
    "extends": "the layout this one builds on",
    "templates": "the templates of the document and the fiche",
    "stylesheets": "the layout's CSS files, in order",
    "page_sizes": "page size -> a stylesheet added for it",
    "print_stylesheet": "the stylesheet added for --print",
    "page_size_settings": "page size -> settings merged over the others",
    "running_header_chars": "preflight: the longest title the running header holds",
    "min_image_dpi": "preflight: the lowest resolution of a printed image",
    "fiche_starts_on": "any | right",
    "labels": "the printed words, by language",
    "design": "the design tokens",
    **{k: "design token (old spelling: now under design:)" for k in LEGACY},
}

_COLOUR = re.compile(r"^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$")
_LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mm|cm|in|pt)?\s*$")
_UNITS_MM = {"mm": 1.0, "cm": 10.0, "in": 25.4, "pt": 25.4 / 72, None: 1.0}
PAGE_SIZES_MM = {"A4": (210.0, 297.0), "A5": (148.0, 210.0), "A6": (105.0, 148.0),
                 "LETTER": (215.9, 279.4)}
_PAGE_NAMES = {"A4": "A4", "A5": "A5", "A6": "A6", "LETTER": "Letter", "US LETTER": "Letter"}
_CUSTOM = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*mm\s*[x×*]\s*(\d+(?:\.\d+)?)\s*mm\s*$", re.I)


def page_size(text) -> tuple[str, float, float] | None:
    """(name, width mm, height mm) of `A4`, `a5`, `Letter`, `148mm x 148mm`; None if not one."""
    if text is None:
        return None
    s = str(text).strip()
    name = _PAGE_NAMES.get(s.upper())
    if name:
        w, h = PAGE_SIZES_MM[name.upper()]
        return name, w, h
    m = _CUSTOM.match(s)
    if m:
        w, h = float(m.group(1)), float(m.group(2))
        if 50 <= w <= 1000 and 50 <= h <= 1000:
            return f"{_num(w)}mm x {_num(h)}mm", w, h
    return None


def length_mm(value) -> float | None:
    """A length written `22mm`, `2.2cm`, `1in`, `12pt` or a bare number (mm)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    m = _LENGTH.match(str(value or ""))
    return float(m.group(1)) * _UNITS_MM[m.group(2)] if m else None


def size_pt(value) -> float | None:
    """A type size written `11pt` or a bare number (points)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(pt)?\s*$", str(value or ""))
    return float(m.group(1)) if m else None


def _num(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


# --- faces ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Face:
    """One font file of the edition."""

    family: str  # the typeface's name in the tokens (Vollkorn), or the fallback's
    css: str  # its CSS family name: "Recueil Vollkorn" (never the font's own name: a copy
    #           installed on the machine would win over it and each machine embed another)
    weight: int
    italic: bool
    path: Path
    fallback: bool = False

    @property
    def file(self) -> str:
        return self.path.name

    @property
    def key(self) -> str:
        """How caches and subsets name it: its path."""
        return str(self.path)


# The fallback: the vendored Noto faces, one CSS family each (WeasyPrint would mix up two
# files of one family at the same weight and style), in the order they are tried.
_FALLBACK_FILES = {
    "serif": (("Noto Serif", "NotoSerif"), ("Noto Sans Arabic", "NotoSansArabic"),
              ("Noto Sans Hebrew", "NotoSansHebrew"), ("Noto Sans Symbols", "NotoSansSymbols"),
              ("Noto Sans Symbols2", "NotoSansSymbols2"), ("Noto Sans Math", "NotoSansMath")),
    "sans": (("Noto Sans", "NotoSans"), ("Noto Sans Arabic", "NotoSansArabic"),
             ("Noto Sans Hebrew", "NotoSansHebrew"), ("Noto Sans Symbols", "NotoSansSymbols"),
             ("Noto Sans Symbols2", "NotoSansSymbols2"), ("Noto Sans Math", "NotoSansMath")),
}
_STYLE_FILES = ((400, False, "Regular"), (700, False, "Bold"), (400, True, "Italic"), (700, True, "BoldItalic"))


@lru_cache(maxsize=1)
def fallback_faces() -> tuple[Face, ...]:
    """Every vendored fallback face that exists, in the order of the serif stack then the
    sans one (each file once)."""
    from generator.paths import builtin_fonts

    fonts = builtin_fonts()
    out, seen = [], set()
    for stack in ("serif", "sans"):
        for family, stem in _FALLBACK_FILES[stack]:
            for weight, italic, style in _STYLE_FILES:
                path = fonts / f"{stem}-{style}.ttf"
                if path.is_file() and path not in seen:
                    seen.add(path)
                    out.append(Face(family, f"Recueil {family}", weight, italic, path, fallback=True))
    return tuple(out)


def fallback_stack(kind: str) -> list[str]:
    return [f'"Recueil {family}"' for family, _ in _FALLBACK_FILES["serif" if kind == "serif" else "sans"]]


class FontProblem(ValueError):
    """A typeface file Recueil may not or cannot use; the message says why, for users."""


def embedding_problem(path: Path) -> str | None:
    """Why a font's licence forbids embedding it (OS/2 fsType), or None."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with TTFont(path, lazy=True, fontNumber=0) as font:
            fs_type = font["OS/2"].fsType if "OS/2" in font else 0
    except (TTLibError, OSError, KeyError, AssertionError, ValueError) as e:
        return _("'{file}' is not a TrueType or OpenType font Recueil can read ({problem})", file=path.name,
                 problem=e)
    flags = f"{fs_type:#06x}"
    if fs_type & 0x0002:
        return _("'{file}' may not be embedded: its licence says « restricted license embedding » "
                 "(OS/2 fsType {fs_type}); a PDF or Word file cannot carry it: choose another typeface "
                 "or ask its foundry for a licence that allows embedding", file=path.name, fs_type=flags)
    if fs_type & 0x0200:
        return _("'{file}' may only be embedded as bitmaps (OS/2 fsType {fs_type}): "
                 "its letters would print blurred; choose another typeface", file=path.name, fs_type=flags)
    return None


# --- the design of one layout -----------------------------------------------------------------

@dataclass
class Design:
    """The tokens of a layout, checked and resolved: colours, faces, page."""

    values: dict  # token name -> value (colours as #rrggbb)
    page: tuple[str, float, float]  # name, width mm, height mm
    margins: dict  # top, right, bottom, left in mm
    faces: dict  # role (body, heading, figures) -> list[Face] of its typeface
    fallback: dict  # role -> "serif" | "sans"
    problems: list = field(default_factory=list)  # (path, line, level, message)

    # geometry
    @property
    def text_width_mm(self) -> float:
        return self.page[1] - self.margins["left"] - self.margins["right"]

    @property
    def base_pt(self) -> float:
        return size_pt(self.values["base_size"]) or 11.0

    def edition_faces(self) -> list[Face]:
        """The faces of the edition's typefaces, each file once, body first."""
        out, seen = [], set()
        for role in ("body", "heading", "figures"):
            for face in self.faces[role]:
                if face.path not in seen:
                    seen.add(face.path)
                    out.append(face)
        return out

    def all_faces(self) -> list[Face]:
        """The edition's faces, then the fallback's."""
        own = self.edition_faces()
        taken = {f.path for f in own}
        return own + [f for f in fallback_faces() if f.path not in taken]

    def stack(self, role: str) -> str:
        """The CSS family list of a role: its typeface, then the fallback, nothing else."""
        fam = self.faces[role][0].css
        return ", ".join([f'"{fam}"'] + fallback_stack(self.fallback[role]))

    def word_family(self, role: str) -> str:
        """The family name Word knows the role's typeface by (the font's own, name ID 1);
        the figures' is their black weight's when the typeface has one."""
        faces = self.faces[role]
        if role == "figures":
            black = [f for f in faces if f.weight >= 800 and not f.italic]
            if black:
                return font_family_name(black[0].path)
        regular = next((f for f in faces if f.weight == 400 and not f.italic), faces[0])
        return font_family_name(regular.path)

    def colour(self, name: str) -> str:
        return self.values[name]

    def digest(self) -> str:
        """A hash of every token and every face file: Word's reference is made from it."""
        from generator.render.faces import face_sha256

        data = {"values": self.values, "page": self.page, "margins": self.margins,
                "faces": {r: [(f.css, f.weight, f.italic, face_sha256(f.path)) for f in fs]
                          for r, fs in self.faces.items()}}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()

    # Colours that carry text (colours.py): a theme's or the accent's, darkened just
    # enough to read on the paper and on the facts card, and the ink that reads on it.
    def text_colour(self, colour: str) -> str:
        ground = min(self.values["paper"], self.values["background"], key=colours.luminance)
        return colours.readable(colour, ground)

    @staticmethod
    def ink_on(colour: str) -> str:
        return colours.ink_on(colour)

    # CSS
    def font_faces_css(self, url_for_face, faces: list[Face] | None = None) -> str:
        rules = []
        for face in faces if faces is not None else self.all_faces():
            rules.append('@font-face { font-family: "%s"; src: url(%s); font-weight: %d; font-style: %s; }'
                         % (face.css, url_for_face(face), face.weight, "italic" if face.italic else "normal"))
        return "\n".join(rules)

    def variables_css(self) -> str:
        """`:root { --token: value; }` for every token, and the @page size and margins."""
        v = self.values
        name, w, h = self.page
        m = self.margins
        cover = v["cover_background"] or v["accent"]
        props = {
            **{f"--{t.name.replace('_', '-')}": v[t.name] for t in TOKENS if t.kind == "colour"},
            "--accent-text": self.text_colour(v["accent"]),
            "--cover-background": cover,
            "--cover-rule": mix(v["cover_text"], cover, 0.55),
            "--cover-soft": mix(v["cover_text"], cover, 0.84),
            "--font-body": self.stack("body"),
            "--font-heading": self.stack("heading"),
            "--font-figures": self.stack("figures"),
            "--base-size": f"{_num(self.base_pt)}pt",
            "--line-height": _num(float(v["line_height"])),
            "--page-width": f"{_num(w)}mm",
            "--page-height": f"{_num(h)}mm",
            "--cover-height": f"{_num(h - 1)}mm",  # just under the page: a taller box would add a page
            "--text-width": f"{_num(self.text_width_mm)}mm",
            "--text-height": f"{_num(h - m['top'] - m['bottom'] - 1)}mm",
        }
        lines = [f"@page {{ size: {_num(w)}mm {_num(h)}mm; margin: {_num(m['top'])}mm {_num(m['right'])}mm "
                 f"{_num(m['bottom'])}mm {_num(m['left'])}mm; }}",
                 f"@page cover {{ background: {cover}; }}",
                 ":root {"] + [f"  {k}: {val};" for k, val in props.items()] + ["}"]
        return "\n".join(lines)

    def css(self, url_for_face, faces: list[Face] | None = None) -> str:
        return self.font_faces_css(url_for_face, faces) + "\n" + self.variables_css() + "\n"


def _hex6(colour: str) -> str:
    return "#%02x%02x%02x" % rgb(colour)


@lru_cache(maxsize=64)
def font_family_name(path: Path) -> str:
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        names = font["name"]
        return str(names.getName(1, 3, 1, 0x409) or names.getDebugName(1))


# --- reading and checking -----------------------------------------------------------------------

def design_settings(settings: dict) -> dict:
    """The design block of merged layout settings, the old top-level keys folded in."""
    block = dict(settings.get("design") or {}) if isinstance(settings.get("design"), dict) else {}
    for key in LEGACY:
        if key in settings and key not in block:
            block[key] = settings[key]
    return block


def resolve(settings: dict, publication_page_size: str | None, font_dirs: list[Path],
            where: dict | None = None) -> Design:
    """The Design of merged layout `settings`. `font_dirs`: where typeface files are
    looked for, in order. `where`: token name -> (file, line) for messages. Problems go
    into Design.problems (error: a face that cannot be used; warning: a missing style)."""
    from generator.paths import builtin_fonts

    where = where or {}
    font_dirs = list(dict.fromkeys([*font_dirs, builtin_fonts()]))
    block = design_settings(settings)
    values = {}
    for t in TOKENS:
        value = block.get(t.name, t.default)
        values[t.name] = value if value is not None or t.default is None else t.default
    for t in TOKENS:
        if t.kind == "colour" and values[t.name] is not None:
            values[t.name] = _hex6(str(values[t.name])) if _COLOUR.match(str(values[t.name])) else _hex6(t.default or "#000")
    values["palette"] = [_hex6(c) for c in (values["palette"] or [values["accent"]]) if _COLOUR.match(str(c))] or [values["accent"]]
    values["theme_colours"] = {k: _hex6(c) for k, c in (values["theme_colours"] or {}).items() if _COLOUR.match(str(c))}
    page = page_size(values["page_size"]) or page_size(publication_page_size) or page_size("A4")
    margins_in = values["margins"]
    if not isinstance(margins_in, dict):
        margins_in = {"top": margins_in, "sides": margins_in, "bottom": margins_in}
    default_m = _BY_NAME["margins"].default
    m = {k: length_mm(margins_in.get(k, default_m[k])) or length_mm(default_m[k]) for k in MARGIN_KEYS}
    margins = {"top": m["top"], "right": m["sides"], "bottom": m["bottom"], "left": m["sides"]}
    problems: list = []
    typefaces = _builtin_typefaces()
    typefaces.update(values["typefaces"] if isinstance(values["typefaces"], dict) else {})
    faces, fallback = {}, {}
    for role in ("body", "heading", "figures"):
        token = f"{role}_font"
        name = str(values[token])
        spec = typefaces.get(name)
        if not isinstance(spec, dict):
            path, line = where.get(token, ("layout.yaml", None))
            known = ", ".join(sorted(typefaces))
            problems.append((path, line, "error", _("'{token}': no typeface '{name}' (known: {known}); "
                                                    "declare it under design: typefaces: with its files",
                                                    token=token, name=name, known=known)))
            spec, name = _builtin_typefaces()[_BY_NAME[token].default], _BY_NAME[token].default
        faces[role] = _faces_of(name, spec, font_dirs, where.get("typefaces", where.get(token, ("layout.yaml", None))),
                                problems, role)
        fallback[role] = "serif" if str(spec.get("fallback", "sans")).lower() == "serif" else "sans"
    return Design(values, page, margins, faces, fallback, list(dict.fromkeys(problems)))


@lru_cache(maxsize=1)
def _builtin_typefaces_frozen() -> str:
    return json.dumps({
        "Vollkorn": {"regular": "Vollkorn-Regular.ttf", "bold": "Vollkorn-Bold.ttf", "italic": "Vollkorn-Italic.ttf",
                     "bold_italic": "Vollkorn-BoldItalic.ttf", "fallback": "serif"},
        "Lato": {"regular": "Lato-Regular.ttf", "bold": "Lato-Bold.ttf", "italic": "Lato-Italic.ttf",
                 "bold_italic": "Lato-BoldItalic.ttf", "black": "Lato-Black.ttf", "fallback": "sans"},
    })


def _builtin_typefaces() -> dict:
    """The typefaces Recueil ships (fonts/): usable by name without declaring them."""
    return json.loads(_builtin_typefaces_frozen())


_WEIGHTS = {"regular": (400, False), "bold": (700, False), "italic": (400, True), "bold_italic": (700, True),
            "black": (900, False)}


def _faces_of(name: str, spec: dict, font_dirs: list[Path], where, problems: list, role: str) -> list[Face]:
    path_shown, line = where
    out = []
    for style in TYPEFACE_STYLES:
        file = spec.get(style)
        if not file:
            if style != "black":
                level = "error" if style == "regular" else "warning"
                problems.append((path_shown, line, level, _missing_style(name, style)))
            continue
        found = find_font(str(file), font_dirs)
        if found is None:
            looked = ", ".join(_shown_dir(d) for d in font_dirs)
            problems.append((path_shown, line, "error",
                             _("typeface '{name}': {style} file '{file}' not found (looked in {looked})", name=name,
                               style=style.replace('_', ' '), file=file, looked=looked)))
            continue
        refused = embedding_problem(found)
        if refused:
            problems.append((path_shown, line, "error", _("typeface '{name}': {problem}", name=name, problem=refused)))
            continue
        weight, italic = _WEIGHTS[style]
        out.append(Face(name, f"Recueil {name}", weight, italic, found))
    if not out:  # unusable: the built-in default keeps the build going; the error stops it
        default = "Vollkorn" if role == "body" else "Lato"
        from generator.paths import builtin_fonts

        spec = _builtin_typefaces()[default]
        out = [Face(default, f"Recueil {default}", *_WEIGHTS[s], builtin_fonts() / spec[s])
               for s in TYPEFACE_STYLES if s in spec]
    return out


def _missing_style(name: str, style: str) -> str:
    if style == "regular":
        return _("typeface '{name}' has no regular style ('regular:'): it needs one", name=name)
    if style == "bold":
        return _("typeface '{name}' has no bold style ('bold:'): bold text is drawn by thickening the regular "
                 "one", name=name)
    if style == "italic":
        return _("typeface '{name}' has no italic style ('italic:'): italic text is drawn by slanting the "
                 "regular one", name=name)
    return _("typeface '{name}' has no bold italic style ('bold_italic:'): bold italic text is drawn by "
             "slanting and thickening the regular one", name=name)


def _shown_dir(d: Path) -> str:
    try:
        return d.relative_to(Path.cwd()).as_posix() + "/"
    except ValueError:
        return d.as_posix() + "/"


def find_font(file: str, font_dirs: list[Path]) -> Path | None:
    """The first `file` in `font_dirs` (a plain file name or a path below one of them,
    never outside)."""
    if not file or "\0" in file:
        return None
    for d in font_dirs:
        candidate = (d / file)
        try:
            real = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            continue
        if real.is_file() and real.is_relative_to(d.resolve()) and real.suffix.lower() in (".ttf", ".otf"):
            return real
    return None


def check_layout(doc, rel: str, report) -> None:
    """Warnings and errors for one layout.yaml (a frontmatter.Doc), with their lines:
    unknown keys with "did you mean", tokens of the wrong kind."""
    from generator.read.schema import Checker

    c = Checker(doc, rel, report)
    data = doc.value
    if not isinstance(data, dict):
        return
    c.mapping((), data, tuple(LAYOUT_KEYS))
    if "design" in data:
        if not isinstance(data["design"], dict):
            c.error(("design",), _("'design' must be a group of 'token: value' lines (accent, body_font, margins...)"))
        else:
            check_tokens(c, ("design",), data["design"])
    for key in LEGACY:
        if key in data:
            check_tokens(c, (), {key: data[key]}, unknown=False)
    by_size = data.get("page_size_settings")
    if isinstance(by_size, dict):
        for size, over in by_size.items():
            if isinstance(over, dict) and isinstance(over.get("design"), dict):
                check_tokens(c, ("page_size_settings", size, "design"), over["design"])


def check_tokens(c, path: tuple, block: dict, unknown: bool = True) -> None:
    if unknown:
        c.mapping(path, block, TOKEN_NAMES)
    for name, value in block.items():
        t = _BY_NAME.get(name)
        p = path + (name,)
        if t is None or value is None:
            continue
        if t.kind == "colour" and not _COLOUR.match(str(value)):
            c.error(p, _("'{name}' must be a colour such as '#1f5f8b', not {value}", name=name, value=repr(value)))
        elif t.kind == "colours":
            for i, colour in enumerate(value if isinstance(value, list) else [value]):
                if not _COLOUR.match(str(colour)):
                    c.error(p + (i,), _("colours must be written like '#1f5f8b', not {value}", value=repr(colour)))
        elif t.kind == "colour_map":
            if not isinstance(value, dict):
                c.error(p, _("'{name}' must be a group of 'theme: colour' lines", name=name))
            else:
                for theme, colour in value.items():
                    if not _COLOUR.match(str(colour)):
                        c.error(p + (theme,), _("colours must be written like '#1f5f8b', not {value}",
                                                value=repr(colour)))
        elif t.kind == "size" and (size_pt(value) is None or not 4 <= size_pt(value) <= 40):
            c.error(p, _("'{name}' must be a type size such as '11pt', not {value}", name=name, value=repr(value)))
        elif t.kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))
                                     or not 0.8 <= value <= 3):
            c.error(p, _("'{name}' must be a number such as 1.4, not {value}", name=name, value=repr(value)))
        elif t.kind == "page_size" and page_size(value) is None:
            c.error(p, _("'{name}' must be A4, A5, A6, Letter or WIDTHmm x HEIGHTmm (such as 170mm x 240mm), "
                         "not {value}", name=name, value=repr(value)))
        elif t.kind == "margins":
            items = value if isinstance(value, dict) else {"top": value}
            if isinstance(value, dict):
                c.mapping(p, value, MARGIN_KEYS)
            for k, v in items.items():
                mm = length_mm(v)
                if k in MARGIN_KEYS and (mm is None or not 0 <= mm <= 100):
                    c.error(p + ((k,) if isinstance(value, dict) else ()),
                            _("margins are lengths such as '22mm', not {value}", value=repr(v)))
        elif t.kind == "typefaces":
            if not isinstance(value, dict):
                c.error(p, _("'typefaces' must be a group: NAME: {regular: File-Regular.ttf, bold: ..., italic: ...}"))
                continue
            for family, spec in value.items():
                if not isinstance(spec, dict):
                    c.error(p + (family,), _("typeface '{name}' must list its files: regular: F.ttf, bold: ...",
                                             name=family))
                    continue
                c.mapping(p + (family,), spec, TYPEFACE_KEYS)
                if spec.get("fallback") not in (None, "serif", "sans"):
                    c.error(p + (family, "fallback"), _("'fallback' is serif or sans"))
        elif t.kind == "typeface" and not isinstance(value, str):
            c.error(p, _("'{name}' names a typeface, such as 'Lato', not {value}", name=name, value=repr(value)))


def token_table() -> str:
    """The Markdown table of tokens in docs/layouts.md (a test keeps them equal)."""
    rows = ["| token | default | read by | what it sets |", "|---|---|---|---|"]
    for t in TOKENS:
        if t.kind == "colours":
            default = ", ".join(t.default)
        elif t.kind == "margins":
            default = ", ".join(f"{k} {v}" for k, v in t.default.items())
        elif t.default in (None, {}):
            default = "—"
        else:
            default = str(t.default)
        rows.append(f"| `{t.name}` | {default} | {t.read_by} | {t.doc} |")
    return "\n".join(rows)


__all__ = ["TOKENS", "Token", "Design", "Face", "resolve", "check_layout", "page_size", "fallback_faces",
           "embedding_problem", "token_table", "LAYOUT_KEYS"]
