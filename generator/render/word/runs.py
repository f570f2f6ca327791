"""WordprocessingML runs: fiche text made safe for XML, with its character formatting.

Fiche text is pasted from e-mails and web pages: it may hold characters XML 1.0 forbids
(control characters, lone surrogates, U+FFFE/U+FFFF). They are dropped here, the one
place text enters the package, so that no fiche can make the writer fail or write a
document Word refuses to open. The typography the reader applied (U+202F, U+00A0) passes
through untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from generator.render.filters import NB_HYPHEN

_FORBIDDEN = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escape(text: str) -> str:
    # str.translate with a mapping costs ~5 µs a call; most text holds none of these.
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if '"' in text:
        text = text.replace('"', "&quot;")
    return text


def clean(text: str | None) -> str:
    return _FORBIDDEN.sub("", text or "")


def esc(text: str | None) -> str:
    """Text or attribute value: cleaned and escaped."""
    return _escape(clean(text))


@dataclass(frozen=True)
class Fmt:
    """Character formatting accumulated while walking inline nodes."""

    strong: bool = False
    em: bool = False
    code: bool = False
    link: bool = False
    sup: bool = False
    sub: bool = False

    def with_(self, **change) -> Fmt:
        return replace(self, **change)


class Styles:
    """Style ids by role, resolved from the reference document's style names."""

    def __init__(self, ids: dict[str, str | None], names: dict[str, str] | None = None):
        self.ids = ids
        self.names = names or {}  # role -> the style's name, for fields that name styles

    def __getitem__(self, role: str) -> str | None:
        return self.ids.get(role)


def rpr(fmt: Fmt, styles: Styles) -> str:
    # One character style carries the most specific role, so that restyling « Strong »
    # or « Hyperlink » in the reference document reaches every such run; what it does not
    # carry is direct formatting. Element order follows EG_RPrBase.
    style = None
    if fmt.code:
        style = styles["code_char"]
    elif fmt.link:
        style = styles["hyperlink"]
    elif fmt.strong:
        style = styles["strong"]
    elif fmt.em:
        style = styles["emphasis"]
    parts = []
    if style:
        parts.append(f'<w:rStyle w:val="{style}"/>')
    if fmt.strong and not (style and style == styles["strong"]):
        parts.append("<w:b/>")
    if fmt.em and not (style and style == styles["emphasis"]):
        parts.append("<w:i/>")
    if fmt.code:
        parts.append("<w:noProof/>")
    if fmt.sup:
        parts.append('<w:vertAlign w:val="superscript"/>')
    elif fmt.sub:
        parts.append('<w:vertAlign w:val="subscript"/>')
    return f"<w:rPr>{''.join(parts)}</w:rPr>" if parts else ""


# Code point -> the family of the fallback face that draws it: characters none of the
# edition's typefaces has (Arabic, Hebrew, « ≥ »...). Set once per process from the
# embedded fonts (word/__init__.py use_fallback); a run holding such characters is split,
# the pieces naming their face, as the PDF draws them, never a font of the machine.
FALLBACK: dict[int, str] = {}


def run(text: str, props: str = "") -> str:
    """A run of text; tabs, line ends and U+2011 become Word's own tab, break and
    no-break hyphen."""
    text = clean(text)
    if not text:
        return ""
    if FALLBACK and any(ord(c) in FALLBACK for c in text):
        return "".join(_run(piece, _with_font(props, family) if family else props)
                       for piece, family in _by_face(text))
    return _run(text, props)


def _by_face(text: str) -> list[tuple[str, str | None]]:
    """`text` cut where the face that draws it changes (spaces and punctuation go with
    the text around them)."""
    pieces: list[list] = []
    for c in text:
        family = FALLBACK.get(ord(c))
        if family is None and pieces and not c.isalnum():
            family = pieces[-1][1]  # a space inside Arabic stays Arabic
        if pieces and pieces[-1][1] == family:
            pieces[-1][0] += c
        else:
            pieces.append([c, family])
    return [(p, f) for p, f in pieces]


def _with_font(props: str, family: str) -> str:
    fonts = (f'<w:rFonts w:ascii="{_escape(family)}" w:hAnsi="{_escape(family)}" w:eastAsia="{_escape(family)}"'
             f' w:cs="{_escape(family)}"/>')
    if not props:
        return f"<w:rPr>{fonts}</w:rPr>"
    if "<w:rStyle " in props:
        end = props.index("/>", props.index("<w:rStyle ")) + 2
        return props[:end] + fonts + props[end:]
    return props.replace("<w:rPr>", "<w:rPr>" + fonts, 1)


def _run(text: str, props: str) -> str:
    pieces = []
    for i, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")):
        if i:
            pieces.append("<w:br/>")
        for j, chunk in enumerate(line.split("\t")):
            if j:
                pieces.append("<w:tab/>")
            for k, piece in enumerate(chunk.split(NB_HYPHEN)):
                if k:
                    pieces.append("<w:noBreakHyphen/>")
                if piece:
                    pieces.append(f'<w:t xml:space="preserve">{_escape(piece)}</w:t>')
    return f"<w:r>{props}{''.join(pieces)}</w:r>"


def paragraph(content: str, style: str | None = None, extra_ppr: str = "") -> str:
    """A paragraph; `extra_ppr` holds pPr children that come after pStyle, in order."""
    ppr = (f'<w:pStyle w:val="{style}"/>' if style else "") + extra_ppr
    return f"<w:p>{'<w:pPr>' + ppr + '</w:pPr>' if ppr else ''}{content}</w:p>"
