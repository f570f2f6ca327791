"""The Word reference document made from the design tokens: the styles of every Word
fiche, in step with the PDF's.

Recueil makes it itself (`reference_for(design)`, deterministic bytes, remembered by the
tokens' hash) whenever the layout ships no reference.docx of its own: changing `accent`
or `body_font` in layout.yaml restyles the Word files at the next build, as it does the
PDF. A layout that ships a reference.docx (edited in Word, docs/word.md) keeps it, used
as it is: its styles are what its author chose in Word.

The design follows the brochure's booklet.css: the body typeface for text, the heading
typeface for headings and furniture, the figures' (its black weight) for titles and key
figures, the accent for rules and headings, rules rather than boxes; every size scales
with base_size. Built from scratch rather than from python-docx's template, which fails
ECMA-376 validation (w:zoom without w:percent) and carries Word 2006 leftovers.
`scripts/make_reference_docx.py` writes it to a file, to start a reference in Word.
"""

from __future__ import annotations

from dataclasses import dataclass

from fontTools.ttLib import TTFont

from generator.render.word.package import (
    app_properties,
    content_types,
    core_properties,
    package,
    part,
    relationships,
)
from generator.render.word.theme import theme_xml

NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
      'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
HEAD_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
TWIPS_PER_MM = 1440 / 25.4


@dataclass(frozen=True)
class WordTokens:
    """What the styles take from the design, in Word's units."""

    ACCENT: str
    INK: str
    SOFT: str
    GREY: str  # captions
    WARM: str  # muted
    MUTED: str  # faint: credits
    FURNITURE: str
    RULE: str
    RULE_STRONG: str
    PAPER: str  # the background token: facts card, code
    PALETTE: tuple  # the themes' colours, for Word's theme
    TEXT: str  # Word family names
    HEAD: str
    BLACK: str
    FONTS: tuple  # (family, file, Word's font family class) for the font table
    scale: float  # base_size / 11 pt
    line: int  # the body's line spacing, in 240ths of a line
    sect: str  # the sample document's w:sectPr

    def sz(self, half_points: int) -> int:
        return max(2, round(half_points * self.scale))


def word_tokens(design) -> WordTokens:
    v = design.values
    hexa = lambda name: v[name].lstrip("#").upper()  # noqa: E731
    width, height = (round(x * TWIPS_PER_MM) for x in design.page[1:])
    m = {k: round(mm * TWIPS_PER_MM) for k, mm in design.margins.items()}
    sect = ('<w:sectPr><w:headerReference w:type="default" r:id="rIdHeader"/>'
            f'<w:footerReference w:type="default" r:id="rIdFooter"/><w:pgSz w:w="{width}" w:h="{height}"/>'
            f'<w:pgMar w:top="{m["top"]}" w:right="{m["right"]}" w:bottom="{m["bottom"]}" w:left="{m["left"]}"'
            f' w:header="{m["top"] // 2}" w:footer="{m["bottom"] // 2}" w:gutter="0"/></w:sectPr>')
    fonts, seen = [], set()
    for role in ("body", "heading", "figures"):
        family = design.word_family(role)
        if family in seen:
            continue
        seen.add(family)
        faces = design.faces[role]
        chosen = next((f for f in faces if f.weight >= 800), None) if role == "figures" else None
        chosen = chosen or next((f for f in faces if f.weight == 400 and not f.italic), faces[0])
        fonts.append((family, chosen.path, "roman" if design.fallback[role] == "serif" else "swiss"))
    return WordTokens(
        ACCENT=hexa("accent"), INK=hexa("text"), SOFT=hexa("text_soft"), GREY=hexa("caption"), WARM=hexa("muted"),
        MUTED=hexa("faint"), FURNITURE=hexa("furniture"), RULE=hexa("rule"), RULE_STRONG=hexa("rule_strong"),
        PAPER=hexa("background"), PALETTE=tuple(c.lstrip("#").upper() for c in v["palette"]),
        TEXT=design.word_family("body"), HEAD=design.word_family("heading"),
        BLACK=design.word_family("figures"), FONTS=tuple(fonts), scale=design.base_pt / 11.0,
        line=round(240 * float(v["line_height"]) * 269 / 336), sect=sect)


_made: dict[str, bytes] = {}


def reference_for(design) -> bytes:
    """The reference document of `design`, made once a process per set of tokens."""
    k = design.digest()
    if k not in _made:
        if len(_made) > 8:
            _made.clear()
        _made[k] = reference_docx(word_tokens(design))
    return _made[k]


# Formatting, written in the order the schema wants (EG_RPrBase, CT_PPrBase) -------------
def rpr(font=None, b=False, i=False, caps=False, noproof=False, color=None, spacing=None, sz=None,
        u=None, shd=None, valign=None, lang=None) -> str:
    x = ""
    if font:
        x += f'<w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:cs="{font}"/>'
    x += ("<w:b/><w:bCs/>" if b else "") + ("<w:i/><w:iCs/>" if i else "") + ("<w:caps/>" if caps else "")
    x += "<w:noProof/>" if noproof else ""
    x += f'<w:color w:val="{color}"/>' if color else ""
    x += f'<w:spacing w:val="{spacing}"/>' if spacing else ""
    x += f'<w:sz w:val="{sz}"/><w:szCs w:val="{sz}"/>' if sz else ""
    x += f'<w:u w:val="{u}"/>' if u else ""
    x += f'<w:shd w:val="clear" w:color="auto" w:fill="{shd}"/>' if shd else ""
    x += f'<w:vertAlign w:val="{valign}"/>' if valign else ""
    x += f'<w:lang w:val="{lang}" w:eastAsia="{lang}" w:bidi="{lang}"/>' if lang else ""
    return f"<w:rPr>{x}</w:rPr>" if x else ""


def ppr(keep_next=False, keep_lines=False, widow=False, num=None, bdr="", shd=None, tabs="", before=None,
        after=None, line=None, ind="", contextual=False, jc=None, outline=None) -> str:
    x = ("<w:keepNext/>" if keep_next else "") + ("<w:keepLines/>" if keep_lines else "")
    x += "<w:widowControl/>" if widow else ""
    x += f'<w:numPr><w:numId w:val="{num}"/></w:numPr>' if num else ""
    x += f"<w:pBdr>{bdr}</w:pBdr>" if bdr else ""
    x += f'<w:shd w:val="clear" w:color="auto" w:fill="{shd}"/>' if shd else ""
    x += f"<w:tabs>{tabs}</w:tabs>" if tabs else ""
    if before is not None or after is not None or line is not None:
        x += ("<w:spacing" + (f' w:before="{before}"' if before is not None else "")
              + (f' w:after="{after}"' if after is not None else "")
              + (f' w:line="{line}" w:lineRule="auto"' if line is not None else "") + "/>")
    x += ind + ("<w:contextualSpacing/>" if contextual else "")
    x += f'<w:jc w:val="{jc}"/>' if jc else ""
    x += f'<w:outlineLvl w:val="{outline}"/>' if outline is not None else ""
    return f"<w:pPr>{x}</w:pPr>" if x else ""


def border(side: str, sz: int, color: str, space: int = 0, val: str = "single") -> str:
    return f'<w:{side} w:val="{val}" w:sz="{sz}" w:space="{space}" w:color="{color}"/>'


def style(kind: str, sid: str, name: str, *, based=None, nxt=None, ui=None, q=False, hidden=False,
          default=False, p="", r="", tbl="", tr="", tc="", conditional="") -> str:
    attrs = f' w:type="{kind}"' + (' w:default="1"' if default else "") + f' w:styleId="{sid}"'
    x = f'<w:name w:val="{name}"/>'
    x += f'<w:basedOn w:val="{based}"/>' if based else ""
    x += f'<w:next w:val="{nxt}"/>' if nxt else ""
    x += f'<w:uiPriority w:val="{ui}"/>' if ui is not None else ""
    x += "<w:semiHidden/><w:unhideWhenUsed/>" if hidden else ""
    x += "<w:qFormat/>" if q else ""
    x += p + r + (f"<w:tblPr>{tbl}</w:tblPr>" if tbl else "") + (f"<w:trPr>{tr}</w:trPr>" if tr else "")
    x += (f"<w:tcPr>{tc}</w:tcPr>" if tc else "") + conditional
    return f"<w:style{attrs}>{x}</w:style>"


def cell_margins(top, side) -> str:
    return (f'<w:tblCellMar><w:top w:w="{top}" w:type="dxa"/><w:left w:w="{side}" w:type="dxa"/>'
            f'<w:bottom w:w="{top}" w:type="dxa"/><w:right w:w="{side}" w:type="dxa"/></w:tblCellMar>')


NONE = "nil"


def table_borders(top="", left="", bottom="", right="", inside_h="", inside_v="") -> str:
    return f"<w:tblBorders>{top}{left}{bottom}{right}{inside_h}{inside_v}</w:tblBorders>"


def styles_xml(t) -> bytes:
    nil = lambda side: f'<w:{side} w:val="nil"/>'  # noqa: E731
    s = [
        # Word's four defaults: they must exist for Word's UI to behave.
        style("paragraph", "Normal", "Normal", default=True, q=True, p=ppr(widow=True)),
        style("character", "DefaultParagraphFont", "Default Paragraph Font", default=True, ui=1, hidden=True),
        style("table", "TableNormal", "Normal Table", default=True, ui=99, hidden=True,
              tbl='<w:tblInd w:w="0" w:type="dxa"/>' + cell_margins(0, 108)),
        style("numbering", "NoList", "No List", default=True, ui=99, hidden=True),
        # Text.
        style("paragraph", "BodyText", "Body Text", based="Normal", ui=1, q=True, p=ppr(jc="both")),
        style("paragraph", "Title", "Title", based="Normal", nxt="Subtitle", ui=10, q=True,
              p=ppr(keep_next=True, keep_lines=True, before=0, after=80, line=216, jc="left"),
              r=rpr(t.BLACK, color=t.INK, sz=t.sz(42))),
        # The whole edition in one document (booklet.docx): parts, fiche titles, contents.
        style("paragraph", "TitreDePartie", "Titre de partie", based="Normal", nxt="BodyText", ui=8, q=True,
              p=ppr(keep_next=True, keep_lines=True, before=2400, after=240, line=240, jc="left",
                    bdr=border("bottom", 12, t.ACCENT, 6), outline=0),
              r=rpr(t.BLACK, color=t.ACCENT, sz=t.sz(48))),
        style("paragraph", "TitreDeFiche", "Titre de fiche", based="Title", nxt="Subtitle", ui=10, q=True,
              p=ppr(outline=1)),
        style("paragraph", "TOCHeading", "TOC Heading", based="Normal", nxt="BodyText", ui=39, hidden=True,
              p=ppr(keep_next=True, before=0, after=360, line=240, jc="left", outline=9),
              r=rpr(t.BLACK, color=t.INK, sz=t.sz(40))),
        style("paragraph", "TOC1", "toc 1", based="Normal", nxt="BodyText", ui=39, hidden=True,
              p=ppr(keep_next=True, before=240, after=60, line=240, jc="left"),
              r=rpr(t.HEAD, b=True, caps=True, color=t.ACCENT, spacing=10, sz=t.sz(18))),
        style("paragraph", "TOC2", "toc 2", based="Normal", nxt="BodyText", ui=39, hidden=True,
              p=ppr(after=40, line=240, jc="left"), r=rpr(t.TEXT, sz=t.sz(21))),
        style("paragraph", "Subtitle", "Subtitle", based="Normal", nxt="Chapo", ui=11, q=True,
              p=ppr(keep_next=True, after=160, jc="left"), r=rpr(t.TEXT, i=True, color=t.SOFT, sz=t.sz(25))),
        style("paragraph", "Metadonnees", "Métadonnées", based="Normal", nxt="Title", ui=12, q=True,
              p=ppr(keep_next=True, before=0, after=100, jc="left", bdr=border("top", 40, t.ACCENT, 10)),
              r=rpr(t.HEAD, caps=True, color=t.WARM, spacing=17, sz=t.sz(17))),
        style("paragraph", "Chapo", "Chapô", based="Normal", nxt="BodyText", ui=12, q=True,
              p=ppr(before=120, after=240, line=264, jc="left"), r=rpr(t.TEXT, b=True, color=t.INK, sz=t.sz(24))),
        style("paragraph", "Heading1", "heading 1", based="Normal", nxt="BodyText", ui=9, q=True,
              p=ppr(keep_next=True, keep_lines=True, before=230, after=80, line=240, jc="left", outline=0),
              r=rpr(t.HEAD, b=True, color=t.ACCENT, sz=t.sz(26))),
        style("paragraph", "Heading2", "heading 2", based="Normal", nxt="BodyText", ui=9, q=True,
              p=ppr(keep_next=True, keep_lines=True, before=220, after=60, line=240, jc="left", outline=1),
              r=rpr(t.HEAD, b=True, color=t.INK, sz=t.sz(23))),
        style("paragraph", "Heading3", "heading 3", based="Normal", nxt="BodyText", ui=9, q=True,
              p=ppr(keep_next=True, keep_lines=True, before=160, after=40, line=240, jc="left", outline=2),
              r=rpr(t.HEAD, b=True, i=True, color=t.INK, sz=t.sz(22))),
        style("paragraph", "ListBullet", "List Bullet", based="Normal", ui=36, q=True,
              p=ppr(num=1, after=30, jc="left")),
        style("paragraph", "ListNumber", "List Number", based="Normal", ui=36, q=True,
              p=ppr(num=2, after=30, jc="left")),
        style("paragraph", "ListContinue", "List Continue", based="Normal", ui=36,
              p=ppr(after=30, ind='<w:ind w:left="425"/>', jc="left")),
        style("paragraph", "Quote", "Quote", based="Normal", nxt="BodyText", ui=29, q=True,
              p=ppr(bdr=border("left", 16, t.ACCENT, 12), before=120, after=120,
                    ind='<w:ind w:left="312"/>', jc="left"),
              r=rpr(t.TEXT, i=True, color=t.SOFT)),
        style("paragraph", "CodeSource", "Code source", based="Normal", ui=39,
              p=ppr(bdr=border("top", 4, t.PAPER, 3) + border("left", 4, t.PAPER, 4) + border("bottom", 4, t.PAPER, 3)
                    + border("right", 4, t.PAPER, 4), shd=t.PAPER, after=140, line=240, jc="left"),
              r=rpr(t.HEAD, noproof=True, sz=t.sz(17))),
        style("paragraph", "Separateur", "Séparateur", based="Normal", nxt="BodyText", ui=39,
              p=ppr(bdr=border("top", 4, t.RULE_STRONG, 1), before=120, after=120, line=240,
                    ind='<w:ind w:left="2268" w:right="2268"/>'), r=rpr(sz=t.sz(8))),
        style("paragraph", "ApresTableau", "Après tableau", based="Normal", ui=41,
              p=ppr(before=0, after=160, line=240), r=rpr(sz=t.sz(8))),
        style("paragraph", "Figure", "Figure", based="Normal", nxt="Caption", ui=34, q=True,
              p=ppr(keep_next=True, before=60, after=60, line=240, jc="center")),
        style("paragraph", "Caption", "caption", based="Normal", nxt="BodyText", ui=35, q=True,
              p=ppr(after=200, line=240, jc="left"), r=rpr(t.HEAD, color=t.GREY, sz=t.sz(16))),
        style("paragraph", "ChiffreCle", "Chiffre clé", based="Normal", nxt="ChiffreCleLibelle", ui=40, q=True,
              p=ppr(keep_next=True, before=0, after=20, line=240, jc="left"), r=rpr(t.BLACK, color=t.ACCENT, sz=t.sz(40))),
        style("paragraph", "ChiffreCleLibelle", "Chiffre clé – libellé", based="Normal", ui=40, q=True,
              p=ppr(after=0, line=240, jc="left"), r=rpr(t.HEAD, color=t.GREY, sz=t.sz(17))),
        style("paragraph", "TexteTableau", "Texte de tableau", based="Normal", ui=40, q=True,
              p=ppr(before=0, after=0, line=240, jc="left"), r=rpr(t.HEAD, sz=t.sz(17))),
        style("paragraph", "EncadreTitre", "Encadré – titre", based="Normal", nxt="Encadre", ui=40, q=True,
              p=ppr(keep_next=True, before=240, after=80, line=240, jc="left"),
              r=rpr(t.HEAD, b=True, caps=True, color=t.ACCENT, spacing=15, sz=t.sz(15))),
        style("paragraph", "Encadre", "Encadré", based="Normal", ui=40, q=True,
              p=ppr(after=20, line=240, jc="left"), r=rpr(t.HEAD, sz=t.sz(17))),
        style("paragraph", "Source", "Source", based="Normal", ui=40, q=True,
              p=ppr(after=0, line=240, jc="left"), r=rpr(t.HEAD, color=t.GREY, sz=t.sz(16))),
        style("paragraph", "Header", "header", based="Normal", ui=99, hidden=True,
              p=ppr(after=0, line=240, jc="left"), r=rpr(t.HEAD, caps=True, color=t.FURNITURE, spacing=12, sz=t.sz(15))),
        style("paragraph", "Footer", "footer", based="Normal", ui=99, hidden=True,
              p=ppr(after=0, line=240, jc="right"), r=rpr(t.HEAD, b=True, color=t.INK, sz=t.sz(16))),
        style("paragraph", "FootnoteText", "footnote text", based="Normal", ui=99, hidden=True,
              p=ppr(after=40, line=240, jc="left"), r=rpr(sz=t.sz(16))),
        # Characters.
        style("character", "FootnoteReference", "footnote reference", based="DefaultParagraphFont", ui=99,
              hidden=True, r=rpr(t.HEAD, b=True, color=t.ACCENT, valign="superscript")),
        style("character", "Strong", "Strong", based="DefaultParagraphFont", ui=22, q=True, r=rpr(b=True)),
        style("character", "Emphasis", "Emphasis", based="DefaultParagraphFont", ui=20, q=True, r=rpr(i=True)),
        style("character", "Hyperlink", "Hyperlink", based="DefaultParagraphFont", ui=99, hidden=True,
              r=rpr(color=t.ACCENT, u="single")),
        style("character", "CodeEnLigne", "Code en ligne", based="DefaultParagraphFont", ui=40,
              r=rpr(t.HEAD, noproof=True, sz=t.sz(18), shd=t.PAPER)),
        style("character", "CreditImage", "Crédit image", based="DefaultParagraphFont", ui=40,
              r=rpr(color=t.MUTED)),
        # Tables.
        style("table", "TableGrid", "Table Grid", based="TableNormal", ui=59,
              p=ppr(after=0, line=240),
              tbl=table_borders(*(border(x, 4, "auto") for x in ("top", "left", "bottom", "right",
                                                                  "insideH", "insideV"))) + cell_margins(0, 108)),
        style("table", "RecueilTable", "Recueil Table", based="TableGrid", ui=60, q=True,
              p=ppr(after=0, line=240), r=rpr(t.HEAD, sz=t.sz(17)),
              tbl=table_borders(nil("top"), nil("left"), border("bottom", 3, t.RULE), nil("right"),
                                border("insideH", 3, t.RULE), nil("insideV")) + cell_margins(57, 113),
              conditional=('<w:tblStylePr w:type="firstRow">' + ppr(keep_next=True) + rpr(b=True)
                           + '<w:trPr><w:tblHeader/></w:trPr><w:tcPr><w:tcBorders>'
                           + border("bottom", 8, t.ACCENT) + "</w:tcBorders></w:tcPr></w:tblStylePr>")),
        style("table", "RecueilChiffresCles", "Recueil Chiffres clés", based="TableNormal", ui=61, q=True,
              p=ppr(after=0, line=240),
              tbl=table_borders(border("top", 4, t.RULE), nil("left"), border("bottom", 4, t.RULE), nil("right"),
                                nil("insideH"), nil("insideV")) + cell_margins(85, 0)),
        style("table", "RecueilPartenaires", "Recueil Partenaires", based="TableNormal", ui=61, q=True,
              p=ppr(keep_next=True, after=0, line=240), r=rpr(t.HEAD, sz=t.sz(17)),  # the box stays in one piece
              tbl=table_borders(nil("top"), border("left", 24, t.ACCENT), nil("bottom"), nil("right"),
                                nil("insideH"), nil("insideV"))
              + f'<w:shd w:val="clear" w:color="auto" w:fill="{t.PAPER}"/>' + cell_margins(45, 113),
              tc=f'<w:shd w:val="clear" w:color="auto" w:fill="{t.PAPER}"/>',
              conditional=('<w:tblStylePr w:type="firstRow">' + rpr(caps=True, color=t.WARM, spacing=10, sz=t.sz(14))
                           + '<w:trPr><w:tblHeader/></w:trPr></w:tblStylePr>')),
    ]
    defaults = ("<w:docDefaults><w:rPrDefault>"
                + rpr(t.TEXT, color=t.INK, sz=t.sz(22), lang="fr-FR")
                + "</w:rPrDefault><w:pPrDefault>" + ppr(after=140, line=t.line) + "</w:pPrDefault></w:docDefaults>")
    return (f'{HEAD_XML}<w:styles {NS}>{defaults}{"".join(s)}</w:styles>').encode("utf-8")


def numbering_xml(t) -> bytes:
    def levels(kind: str) -> str:
        out = []
        for lvl in range(9):
            left = 425 * (lvl + 1)
            if kind == "bullet":
                fmt, text, r = "bullet", "•–•"[lvl % 3], rpr(t.HEAD, color=t.ACCENT)
            else:
                fmt = ("decimal", "lowerLetter", "lowerRoman")[lvl % 3]
                text, r = f"%{lvl + 1}.", rpr(t.HEAD, b=True, color=t.ACCENT, sz=t.sz(19))
            out.append(f'<w:lvl w:ilvl="{lvl}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
                       f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
                       f'<w:pPr><w:ind w:left="{left}" w:hanging="283"/></w:pPr>{r}</w:lvl>')
        return "".join(out)

    return (f'{HEAD_XML}<w:numbering {NS}>'
            f'<w:abstractNum w:abstractNumId="0"><w:nsid w:val="5245C001"/><w:multiLevelType w:val="hybridMultilevel"/>'
            f'{levels("bullet")}</w:abstractNum>'
            f'<w:abstractNum w:abstractNumId="1"><w:nsid w:val="5245C002"/><w:multiLevelType w:val="hybridMultilevel"/>'
            f'{levels("number")}</w:abstractNum>'
            '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
            '<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num></w:numbering>').encode("utf-8")


def settings_xml(t) -> bytes:
    return (f'{HEAD_XML}<w:settings {NS}><w:zoom w:percent="100"/><w:defaultTabStop w:val="425"/>'
            '<w:autoHyphenation/><w:consecutiveHyphenLimit w:val="2"/><w:hyphenationZone w:val="357"/>'
            '<w:characterSpacingControl w:val="doNotCompress"/>'
            '<w:footnotePr><w:footnote w:id="-1"/><w:footnote w:id="0"/></w:footnotePr>'
            # A line ended by a manual break (Markdown's hard break) is not stretched
            # across the justified column.
            '<w:compat><w:doNotExpandShiftReturn/><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word"'
            ' w:val="15"/><w:compatSetting w:name="overrideTableStyleFontSizeAndJustification"'
            ' w:uri="http://schemas.microsoft.com/office/word" w:val="1"/><w:compatSetting'
            ' w:name="enableOpenTypeFeatures" w:uri="http://schemas.microsoft.com/office/word" w:val="1"/>'
            '<w:compatSetting w:name="doNotFlipMirrorIndents" w:uri="http://schemas.microsoft.com/office/word"'
            ' w:val="1"/></w:compat><w:themeFontLang w:val="fr-FR"/>'
            '<w:decimalSymbol w:val=","/><w:listSeparator w:val=";"/></w:settings>').encode("utf-8")


def font_table_xml(t) -> bytes:
    # Panose numbers and families from the vendored faces, so that Word picks a close
    # substitute when a face is neither installed nor embedded.
    fonts = []
    for name, path, family in t.FONTS:
        p = TTFont(path, lazy=True)["OS/2"].panose
        panose = bytes([p.bFamilyType, p.bSerifStyle, p.bWeight, p.bProportion, p.bContrast, p.bStrokeVariation,
                        p.bArmStyle, p.bLetterForm, p.bMidline, p.bXHeight]).hex().upper()
        fonts.append(f'<w:font w:name="{name}"><w:panose1 w:val="{panose}"/><w:charset w:val="00"/>'
                     f'<w:family w:val="{family}"/><w:pitch w:val="variable"/></w:font>')
    return f'{HEAD_XML}<w:fonts {NS}>{"".join(fonts)}</w:fonts>'.encode("utf-8")


# The sample document: one paragraph per style, so that a user sees what to restyle ---------
def p(text: str, sid: str | None = None, runs: str = "") -> str:
    pp = f'<w:pPr><w:pStyle w:val="{sid}"/></w:pPr>' if sid else ""
    t = f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>' if text else ""
    return f"<w:p>{pp}{t}{runs}</w:p>"


def r(text: str, sid: str) -> str:
    return f'<w:r><w:rPr><w:rStyle w:val="{sid}"/></w:rPr><w:t xml:space="preserve">{text}</w:t></w:r>'


def li(text: str, sid: str, num: int, lvl: int = 0) -> str:
    return (f'<w:p><w:pPr><w:pStyle w:val="{sid}"/><w:numPr><w:ilvl w:val="{lvl}"/><w:numId w:val="{num}"/>'
            f'</w:numPr></w:pPr><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>')


def table(style_id: str, rows: list[list[str]], header: bool = True, widths: list[int] | None = None) -> str:
    n = len(rows[0])
    widths = widths or [9638 // n] * n
    out = [f'<w:tbl><w:tblPr><w:tblStyle w:val="{style_id}"/><w:tblW w:w="5000" w:type="pct"/>'
           f'<w:tblLook w:val="04A0" w:firstRow="{int(header)}" w:lastRow="0" w:firstColumn="0" w:lastColumn="0"'
           ' w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>'
           + "".join(f'<w:gridCol w:w="{w}"/>' for w in widths) + "</w:tblGrid>"]
    for k, row in enumerate(rows):
        tr = "<w:trPr><w:tblHeader/></w:trPr>" if header and k == 0 else ""
        out.append(f"<w:tr>{tr}" + "".join(f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/></w:tcPr>{c}</w:tc>'
                                          for c, w in zip(row, widths)) + "</w:tr>")
    return "".join(out) + "</w:tbl>"


def document_xml(t) -> bytes:
    nb, nn = "\u00a0", "\u202f"
    body = [
        p("Moulins (Allier) · Auvergne-Rhône-Alpes — Insertion, Emploi (Métadonnées)", "Metadonnees"),
        p("Titre de la fiche (style Titre)", "Title"),
        p("Sous-titre de la fiche (style Sous-titre)", "Subtitle"),
        p(f"Le chapô résume l’initiative en deux ou trois phrases{nn}: c’est le style «{nb}Chapô{nb}». "
          "Modifiez les styles de ce document dans Word, enregistrez-le, et chaque fiche générée les reprend.",
          "Chapo"),
        table("RecueilChiffresCles", [[p("120", "ChiffreCle") + p("personnes accompagnées", "ChiffreCleLibelle"),
                                       p(f"35{nb}%", "ChiffreCle") + p("de retour à l’emploi", "ChiffreCleLibelle")]],
              header=False),
        p("", "ApresTableau"),
        p("", "Figure"),
        p("Légende de l’image (style Légende) ", "Caption", r("Crédit image", "CreditImage")),
        p("Intertitre de niveau 1 (Titre 1)", "Heading1"),
        p("Le corps du texte utilise le style «\u00a0Corps de texte\u00a0». Les mots importants sont ", "BodyText",
          r("en gras (Élevé)", "Strong") + '<w:r><w:t xml:space="preserve">, certains </w:t></w:r>'
          + r("mis en valeur (Accentuation)", "Emphasis") + '<w:r><w:t xml:space="preserve">, les liens </w:t></w:r>'
          + r("ressemblent à ceci", "Hyperlink") + '<w:r><w:t xml:space="preserve"> et le code </w:t></w:r>'
          + r("à cela", "CodeEnLigne") + '<w:r><w:t xml:space="preserve">. Une note de bas de page</w:t></w:r>'
          + '<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteReference w:id="1"/></w:r>'
          + '<w:r><w:t>.</w:t></w:r>'),
        p("Intertitre de niveau 2 (Titre 2)", "Heading2"),
        li("Liste à puces (Liste à puces)", "ListBullet", 1),
        li("Second niveau", "ListBullet", 1, 1),
        li("Liste numérotée (Liste numéro)", "ListNumber", 2),
        p("Paragraphe de suite dans une liste (Liste continue)", "ListContinue"),
        p("Intertitre de niveau 3 (Titre 3)", "Heading3"),
        p("Une citation (style Citation).", "Quote"),
        p("Un bloc de code (style Code source)", "CodeSource"),
        p("", "Separateur"),
        table("RecueilTable", [[p("Tableau", "TexteTableau"), p("Recueil Table", "TexteTableau")],
                               [p("Texte de tableau", "TexteTableau"), p("42", "TexteTableau")]]),
        p("", "ApresTableau"),
        p("Partenaires (Encadré – titre)", "EncadreTitre"),
        table("RecueilPartenaires", [[p("Partenaire", "TexteTableau"), p("Rôle", "TexteTableau"),
                                      p("Type", "TexteTableau")],
                                     [p("Association Élan", "TexteTableau"), p("Porteur", "TexteTableau"),
                                      p("Association", "TexteTableau")]]),
        p("", "ApresTableau"),
        p("Contact", "EncadreTitre"),
        p("Camille Martin — Association Élan (style Encadré)", "Encadre"),
        p("La fiche en ligne", "EncadreTitre"),
        p("Source : https://example.org/ (style Source)", "Source"),
        # Only booklet.docx, the whole edition in one document, uses these.
        p("Sommaire (Titre de table des matières)", "TOCHeading"),
        p("Partie (Table des matières 1)", "TOC1"),
        p("Fiche (Table des matières 2)", "TOC2"),
        p("Titre de partie (livret)", "TitreDePartie"),
        p("Titre de fiche (livret)", "TitreDeFiche"),
        t.sect,
    ]
    return f'{HEAD_XML}<w:document {NS}><w:body>{"".join(body)}</w:body></w:document>'.encode("utf-8")


def notes_xml(t) -> bytes:
    sep = ('<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" w:line="240"'
           ' w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>'
           '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing w:after="0" w:line="240"'
           ' w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>')
    note = ('<w:footnote w:id="1"><w:p><w:pPr><w:pStyle w:val="FootnoteText"/></w:pPr><w:r><w:rPr>'
            '<w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve">'
            " Texte de la note (Note de bas de page).</w:t></w:r></w:p></w:footnote>")
    return f"{HEAD_XML}<w:footnotes {NS}>{sep}{note}</w:footnotes>".encode("utf-8")


def header_xml(t) -> bytes:
    return f'{HEAD_XML}<w:hdr {NS}>{p("Titre de la publication (En-tête)", "Header")}</w:hdr>'.encode("utf-8")


def footer_xml(t) -> bytes:
    field = lambda name: ('<w:r><w:fldChar w:fldCharType="begin"/></w:r>'  # noqa: E731
                          f'<w:r><w:instrText xml:space="preserve"> {name} </w:instrText></w:r>'
                          '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
                          '<w:r><w:fldChar w:fldCharType="end"/></w:r>')
    runs = field("PAGE") + '<w:r><w:t xml:space="preserve"> / </w:t></w:r>' + field("NUMPAGES")
    return f'{HEAD_XML}<w:ftr {NS}>{p("page ", "Footer", runs)}</w:ftr>'.encode("utf-8")


def reference_docx(t) -> bytes:
    parts = {
        "word/document.xml": document_xml(t),
        "word/styles.xml": styles_xml(t),
        "word/numbering.xml": numbering_xml(t),
        "word/settings.xml": settings_xml(t),
        "word/fontTable.xml": font_table_xml(t),
        "word/footnotes.xml": notes_xml(t),
        "word/header1.xml": header_xml(t),
        "word/footer1.xml": footer_xml(t),
        "word/theme/theme1.xml": theme_xml(t.INK, t.PAPER, t.ACCENT, t.PALETTE, t.SOFT, t.HEAD, t.TEXT),
        "docProps/core.xml": core_properties(
            title="Recueil — document de référence des fiches Word", subject="Styles des fiches",
            keywords="Recueil, styles", creator="Recueil", language="fr-FR", date="2024-01-01T00:00:00Z"),
        "docProps/app.xml": app_properties(),
    }
    rels = [("rIdStyles", "styles", "styles.xml"), ("rIdNumbering", "numbering", "numbering.xml"),
            ("rIdSettings", "settings", "settings.xml"), ("rIdFontTable", "fontTable", "fontTable.xml"),
            ("rIdFootnotes", "footnotes", "footnotes.xml"), ("rIdHeader", "header", "header1.xml"),
            ("rIdFooter", "footer", "footer1.xml"), ("rIdTheme", "theme", "theme/theme1.xml")]
    names = ["_rels/.rels", "word/_rels/document.xml.rels", *parts]
    out = [part("[Content_Types].xml", content_types(names), level=9),
           part("_rels/.rels", relationships([("rId1", "document", "word/document.xml", False),
                                              ("rId2", "core", "docProps/core.xml", False),
                                              ("rId3", "app", "docProps/app.xml", False)]), level=9),
           part("word/_rels/document.xml.rels", relationships([(*x, False) for x in rels]), level=9)]
    out += [part(name, data, level=9) for name, data in parts.items()]
    return package(out)



__all__ = ["reference_for", "reference_docx", "word_tokens", "WordTokens"]
