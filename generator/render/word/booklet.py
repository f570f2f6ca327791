"""booklet.docx: the whole edition in one Word document, with its contents.

For partners who want every fiche in one file to rework. The fiches are the very same
paragraphs as in their own documents; what the booklet adds is a title page, a Word
table of contents (a TOC field whose cached entries already list every part and fiche,
so it reads right before anyone updates it), part titles, and each fiche on a new page.
Page numbers only exist once Word has laid the document out: the settings ask Word to
update fields on opening, as Pandoc does (LibreOffice: Tools > Update > Update All).
"""

from __future__ import annotations

from generator.model import Edition
from generator.render.word.body import BodyWriter
from generator.render.word.fiche import SharedParts, document_package, fiche_xml
from generator.render.word.package import Part, core_properties, part
from generator.render.word.reference import (
    SETTINGS_ORDER,
    Reference,
    insert_ordered,
    parse,
)
from generator.render.word.runs import paragraph, run

CONTENTS = {"fr": "Sommaire", "en": "Contents"}


def booklet_package(edition: Edition, reference: Reference, shared: SharedParts, keywords: list[str],
                    contents_label: str | None = None) -> bytes:
    """booklet.docx; `keywords`: the edition's themes in index order (indexes.themes_in_order,
    sorted where the build's collation table is loaded, not in a worker)."""
    pub = edition.publication
    s = shared.styles
    body = BodyWriter(reference, s, shared.max_width, shared.max_height)
    titled = any(section.title for section in edition.sections)
    fiche_level = 1 if titled else 0
    body.outline_base = fiche_level + 1
    entries: list[tuple[int, str, str]] = []  # (level, text, bookmark)
    chapters: list[str] = []
    mark = 0
    for section in edition.sections:
        if section.title and section.fiches:
            mark += 1
            name = f"_TocRecueil{mark:05d}"
            entries.append((1, section.title, name))
            chapters.append(paragraph(_bookmarked(mark, name, run(section.title)), s["part_title"],
                                      "<w:pageBreakBefore/>"))
        for fiche in section.fiches:
            mark += 1
            name = f"_TocRecueil{mark:05d}"
            entries.append((fiche_level + 1, fiche.title, name))
            chapters.append(fiche_xml(fiche, body, shared, first_ppr="<w:pageBreakBefore/>",
                                      title_style=s["fiche_title"], title_outline=fiche_level,
                                      bookmark=(mark, name)))
    lang = (pub.lang or "fr").split("-")[0].lower()
    label = contents_label or CONTENTS.get(lang, CONTENTS["en"])
    xml = (_title_page(edition, shared) + _contents(label, entries, titled, shared, reference.list_separator)
           + "".join(chapters))
    core = core_properties(title=pub.title, subject=pub.subtitle or "", keywords=", ".join(keywords),
                           creator=pub.publisher or pub.title, language=shared.language, date=shared.date)
    # The title page carries no running header or folio.
    sect = shared.sect.replace("</w:sectPr>", "<w:titlePg/></w:sectPr>")
    return document_package(xml, body, reference, shared, core, settings=_settings(reference), sect=sect)


def _bookmarked(n: int, name: str, runs: str) -> str:
    return f'<w:bookmarkStart w:id="{n}" w:name="{name}"/>{runs}<w:bookmarkEnd w:id="{n}"/>'


def _title_page(edition: Edition, shared: SharedParts) -> str:
    pub, s = edition.publication, shared.styles
    out = [paragraph(run(pub.title), s["title"])]
    if pub.subtitle:
        out.append(paragraph(run(pub.subtitle), s["subtitle"]))
    line = " · ".join(str(x) for x in (pub.publisher, pub.edition, shared.labels.get("date")) if x)
    if line:
        out.append(paragraph(run(line), s["meta"]))
    return "".join(out)


def _contents(label: str, entries: list[tuple[int, str, str]], titled: bool, shared: SharedParts,
              sep: str) -> str:
    s = shared.styles
    # Built from the two booklet styles only (custom names, the same in every language
    # of Word), so that body headings never crowd the contents. Word splits the \t list
    # with the document's list separator (w:listSeparator: « ; » in French documents).
    levels = sep.join((_name(s, "part_title", "Titre de partie"), "1",
                       _name(s, "fiche_title", "Titre de fiche"), "2" if titled else "1"))
    instruction = f' TOC \\h \\z \\t "{levels}" '
    begin = ('<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
             f'<w:r><w:instrText xml:space="preserve">{instruction}</w:instrText></w:r>'
             '<w:r><w:fldChar w:fldCharType="separate"/></w:r>')
    out = [paragraph(run(label), s["toc_heading"], "<w:pageBreakBefore/>")]
    # Entries without page numbers: they exist only once Word has laid the pages out
    # and updated the field (it offers to on opening); a leader to nowhere would look broken.
    for k, (level, text, name) in enumerate(entries):
        link = f'<w:hyperlink w:anchor="{name}" w:history="1">{run(text)}</w:hyperlink>'
        out.append(paragraph((begin if k == 0 else "") + link, s["toc1" if level == 1 else "toc2"]))
    end = '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    if entries:
        out.append(paragraph(end, s["body"]))
    else:
        out.append(paragraph(begin + end, s["body"]))
    return "".join(out)


def _name(s, role: str, default: str) -> str:
    # The TOC field names styles by name, as the reference document spells it.
    return s.names.get(role, default).replace('"', "")


def _settings(reference: Reference) -> Part:
    from lxml import etree

    root = parse(reference.settings_xml)
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    insert_ordered(root, etree.Element(w + "updateFields", {w + "val": "true"}), SETTINGS_ORDER)
    return part("word/settings.xml", etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))
