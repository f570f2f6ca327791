"""PDF/A-3a on top of the tagged, joined booklet: the archive (render/archive.py).

With the parts' structure trees merged (render/tags/), the booklet is tagged and
PDF/UA-1 already; PDF/A-3 asks little more, all at the document level:

  - an output intent: the sRGB profile every colour refers to (WeasyPrint's own,
    sRGB2014.icc, read from its package folder without importing WeasyPrint into the
    build's main process);
  - every annotation printable, none hidden (ISO 19005-3, 6.3.2);
  - no image with /Interpolate true (6.2.8): WeasyPrint writes it for raster images
    unless `image-rendering` says otherwise;
  - the embedded files, each with its MIME type, dates, /AFRelationship, listed in the
    catalog's /AF;
  - the XMP claim (pdfaid:part 3, conformance A) beside the PDF/UA one (pdfuaid:part 1).
    WeasyPrint writes one claim or the other, never both. pdfuaid is no schema PDF/A
    predefines, so the XMP packet also describes it in a pdfaExtension schema.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import pikepdf
from lxml import etree
from pikepdf import Array, Dictionary, Name, String

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_EXT = "http://www.aiim.org/pdfa/ns/extension/"
_SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
_PROPERTY = "http://www.aiim.org/pdfa/ns/property#"
PDFA = ("3", "A")  # part and conformance: "A", tagged, the level an accessible archive asks for


@lru_cache(maxsize=1)
def srgb_profile() -> bytes:
    """WeasyPrint's sRGB ICC profile, found without importing WeasyPrint."""
    spec = importlib.util.find_spec("weasyprint")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("WeasyPrint is not installed")  # a broken installation, not bad input
    return (Path(next(iter(spec.submodule_search_locations))) / "pdf" / "sRGB2014.icc").read_bytes()


def make_pdfa3(pdf: pikepdf.Pdf, files: list[tuple[str, bytes, str, str, str]], stamp: str) -> None:
    """Make the tagged booklet PDF/A-3a (it stays PDF/UA-1). `files`: (name, data,
    AFRelationship, description, MIME type), embedded in that order, dated `stamp` (a
    PDF date: the edition's, never the clock's)."""
    icc = pdf.make_stream(srgb_profile(), N=3)
    pdf.Root.OutputIntents = Array([Dictionary(
        Type=Name.OutputIntent, S=Name.GTS_PDFA1, OutputConditionIdentifier=String("sRGB2014.icc"),
        Info=String("sRGB IEC61966-2.1"), DestOutputProfile=icc)])
    for page in pdf.pages:
        for annot in page.obj.get("/Annots") or []:
            # Printable; not hidden, invisible nor no-view.
            annot.F = (int(annot.get("/F", 0)) | 4) & ~(1 | 2 | 32)
    seen: set = set()
    for page in pdf.pages:
        _no_interpolation(page.obj.get("/Resources"), seen)
    specs = []
    for name, data, relationship, description, mime in files:
        spec = pikepdf.AttachedFileSpec(pdf, data, description=description, filename=name, mime_type=mime,
                                        creation_date=stamp, mod_date=stamp, relationship=Name("/" + relationship))
        pdf.attachments[name] = spec
        specs.append(pdf.attachments[name].obj)
    if specs:
        pdf.Root.AF = pdf.make_indirect(Array(specs))
    with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:
        xmp["pdfaid:part"], xmp["pdfaid:conformance"] = PDFA
    _declare_pdfuaid(pdf)


def _no_interpolation(resources, seen: set) -> None:
    """/Interpolate false on every image the pages and their forms draw."""
    xobjects = resources.get("/XObject") if isinstance(resources, Dictionary) else None
    if not isinstance(xobjects, Dictionary):
        return
    for name in xobjects.keys():
        x = xobjects[name]
        if x.objgen in seen:
            continue
        seen.add(x.objgen)
        if x.get("/Subtype") == Name.Image:
            if x.get("/Interpolate"):
                x.Interpolate = False
            mask = x.get("/SMask")
            if isinstance(mask, pikepdf.Stream) and mask.get("/Interpolate"):
                mask.Interpolate = False
        elif x.get("/Subtype") == Name.Form:
            _no_interpolation(x.get("/Resources"), seen)


def _declare_pdfuaid(pdf: pikepdf.Pdf) -> None:
    """The pdfaExtension description of pdfuaid:part, added to the XMP packet."""
    stream = pdf.Root.Metadata
    root = etree.fromstring(stream.read_bytes())
    rdf = root.find(f"{{{_RDF}}}RDF")
    desc = etree.SubElement(rdf, f"{{{_RDF}}}Description", nsmap={"pdfaExtension": _EXT, "pdfaSchema": _SCHEMA,
                                                                    "pdfaProperty": _PROPERTY})
    desc.set(f"{{{_RDF}}}about", "")
    bag = etree.SubElement(etree.SubElement(desc, f"{{{_EXT}}}schemas"), f"{{{_RDF}}}Bag")
    schema = etree.SubElement(bag, f"{{{_RDF}}}li")
    schema.set(f"{{{_RDF}}}parseType", "Resource")
    for key, value in (("schema", "PDF/UA Universal Accessibility Schema"),
                       ("namespaceURI", "http://www.aiim.org/pdfua/ns/id/"), ("prefix", "pdfuaid")):
        etree.SubElement(schema, f"{{{_SCHEMA}}}{key}").text = value
    seq = etree.SubElement(etree.SubElement(schema, f"{{{_SCHEMA}}}property"), f"{{{_RDF}}}Seq")
    prop = etree.SubElement(seq, f"{{{_RDF}}}li")
    prop.set(f"{{{_RDF}}}parseType", "Resource")
    for key, value in (("name", "part"), ("valueType", "Integer"), ("category", "internal"),
                       ("description", "Indicates, which part of ISO 14289 standard is followed")):
        etree.SubElement(prop, f"{{{_PROPERTY}}}{key}").text = value
    packet = etree.tostring(root, encoding="utf-8")
    # The xpacket wrapper, as pikepdf writes it.
    data = (b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n' + packet
            + b'\n<?xpacket end="w"?>')
    pdf.Root.Metadata = pdf.make_stream(data, Type=Name.Metadata, Subtype=Name.XML)
