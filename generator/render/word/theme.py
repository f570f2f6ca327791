"""The Word theme made from the design tokens: Word's own colour and font choices (the
Design tab, the colour picker's first row, "Headings" and "Body" in the font list) say
the brand's accent, palette and typefaces, as the styles do."""

from __future__ import annotations

A = "http://schemas.openxmlformats.org/drawingml/2006/main"


def theme_xml(ink: str, paper: str, accent: str, palette: tuple[str, ...], soft: str, heading: str,
              body: str) -> bytes:
    """theme1.xml: colours as RRGGBB, typeface family names as Word knows them."""
    accents = [accent, *[c for c in palette if c != accent]][:6]
    accents += [accent] * (6 - len(accents))
    colours = [("dk1", "000000"), ("lt1", "FFFFFF"), ("dk2", ink), ("lt2", paper),
               *((f"accent{i}", c) for i, c in enumerate(accents, 1)), ("hlink", accent), ("folHlink", soft)]
    scheme = "".join(f'<a:{name}><a:srgbClr val="{value}"/></a:{name}>' for name, value in colours)

    def font(kind: str, family: str) -> str:
        return f'<a:{kind}><a:latin typeface="{_attr(family)}"/><a:ea typeface=""/><a:cs typeface=""/></a:{kind}>'

    fill = '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>'
    line = f'<a:ln w="6350">{fill}</a:ln>'
    formats = (f"<a:fillStyleLst>{fill * 3}</a:fillStyleLst><a:lnStyleLst>{line * 3}</a:lnStyleLst>"
               "<a:effectStyleLst>" + "<a:effectStyle><a:effectLst/></a:effectStyle>" * 3 + "</a:effectStyleLst>"
               f"<a:bgFillStyleLst>{fill * 3}</a:bgFillStyleLst>")
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<a:theme xmlns:a="{A}" name="Recueil">'
           f'<a:themeElements><a:clrScheme name="Recueil">{scheme}</a:clrScheme>'
           f'<a:fontScheme name="Recueil">{font("majorFont", heading)}{font("minorFont", body)}</a:fontScheme>'
           f'<a:fmtScheme name="Recueil">{formats}</a:fmtScheme></a:themeElements></a:theme>')
    return xml.encode("utf-8")


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
