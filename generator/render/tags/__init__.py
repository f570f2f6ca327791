"""Tagged PDF (PDF/UA-1) out of WeasyPrint's tags: what WeasyPrint leaves to do, for one
document (a handout) and for the booklet, whose structure tree is merged out of its
parts' trees.

WeasyPrint 70 tags any document (`write_pdf(pdf_tags=True)`): a StructTreeRoot holding
one /Document, elements after the HTML (article → Art, h1 → H1, ul → L, img → Figure...),
a ParentTree keyed by page index, then by annotation. What it leaves for us:

  - margin boxes (running heads, folios) get marked content whose elements are linked
    nowhere in the tree ("orphans": artifacts inside the tree are PDF 2.0 only): they
    must become /Artifact;
  - an <a>'s pseudo-elements (::after, a leader()) are Links of their own, each with an
    annotation; a box split across pages is one element per page; whitespace between
    inline list items sits in the L beside its LIs; a Figure without alt text (a
    decorative image) is still a Figure;
  - table header cells get IDs numbered after WeasyPrint's own objects, which collide
    when parts are joined; a tagged link's /Contents is its href;
  - the PDF/UA identification (XMP pdfuaid:part, dc:title) and, in a joined booklet,
    everything that refers to pages: /StructParents, the ParentTree, OBJRs.

The modules, in the order a build uses them:

  elements.py  the tree WeasyPrint wrote, read as pikepdf objects
  nodes.py     a structure tree as plain data: `[type, page, attributes, kids]`
  content.py   content streams: marked content made artifact, the text of marked content
  part.py      what a worker does to one tagged render (`tidy`), booklet part or handout:
               in parallel, and cached with the render; a part stores its nodes
  roles.py     what the booklet's regions are (cover, contents as TOC, fiches as Art,
               indexes as Index, the colophon): they know the brochure's templates
  tree.py      the booklet's one tree out of its parts' (`TreeMerge`); `plan` numbers
               what refers to a finished tree (pages, annotations, link descriptions)
  append.py    the tree written after the saved document, as an incremental update
  saved.py     the object numbers append.py needs, read from the saved bytes
  ua.py        the catalog and the XMP metadata PDF/UA-1 asks for; a handout finished
"""

# Part of every tagged render's cache key (render/weasy.py) and of the booklet's: bump
# when the tree made from the same WeasyPrint output would change.
VERSION = 10
