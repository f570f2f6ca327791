"""`recueil preflight`: a PDF read back and checked. Each check is shown to find the
fault it is about, on a PDF made with that fault, and to pass the same PDF without it."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import weasyprint
from conftest import run_recueil

from generator.verify.pdf import verify

PAGE = "@page { size: A6; margin: 10mm }"


def pdf(tmp_path: Path, body: str, *, css: str = PAGE, name: str = "doc.pdf", **options) -> Path:
    html = f"<html lang='fr'><head><title>Essai</title><style>{css}</style></head><body>{body}</body></html>"
    target = tmp_path / name
    weasyprint.HTML(string=html).write_pdf(target, **{"pdf_variant": "pdf/ua-1", "pdf_identifier": b"essai", **options})
    return target


def problems(path: Path, **kinds) -> list[str]:
    return verify(path, **{"ua": True, **kinds}).problems


def test_an_accessible_document_passes(tmp_path):
    path = pdf(tmp_path, "<h1>Titre</h1><p>Un paragraphe.</p><ul><li>un</li><li>deux</li></ul>")
    assert problems(path) == []


def test_an_untagged_document_is_named_so(tmp_path):
    path = pdf(tmp_path, "<h1>Titre</h1>", pdf_variant=None)
    found = problems(path)
    assert "no structure tree (/StructTreeRoot)" in found
    assert "not tagged: /MarkInfo /Marked is not true" in found


def test_a_figure_without_alternative_text(tmp_path):
    svg = "data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>"
    assert "a Figure has no alternative text (/Alt)" in problems(pdf(tmp_path, f"<h1>T</h1><img src=\"{svg}\">"))
    assert problems(pdf(tmp_path, f"<h1>T</h1><img src=\"{svg}\" alt='Un carré'>", name="alt.pdf")) == []


def test_skipped_heading_levels(tmp_path):
    found = problems(pdf(tmp_path, "<h1>Un</h1><h3>Trois</h3>"))
    assert "a heading level is skipped: /H1 then /H3" in found
    assert "the first heading is /H2, not /H1" in problems(pdf(tmp_path, "<h2>Deux</h2>", name="h2.pdf"))


def test_margin_boxes_are_content_no_element_claims(tmp_path):
    # WeasyPrint marks a folio's text but links its element nowhere in the tree.
    found = problems(pdf(tmp_path, "<h1>T</h1>", css=PAGE + " @page { @bottom-center { content: counter(page) } }"))
    assert any("is claimed by 0 structure elements" in p for p in found), found


def test_a_link_needs_a_description(tmp_path):
    path = pdf(tmp_path, "<h1>T</h1><p><a href='https://example.org'>le site</a></p>")
    assert problems(path) == []  # WeasyPrint describes a link by its address
    with pikepdf.open(path, allow_overwriting_input=True) as doc:
        for annot in doc.pages[0].obj.Annots:
            del annot["/Contents"]
        doc.save(path)
    assert "page 1: a link has no description (/Contents)" in problems(path)


def test_unmarked_text_is_found(tmp_path):
    path = pdf(tmp_path, "<h1>T</h1>")
    with pikepdf.open(path, allow_overwriting_input=True) as doc:
        page = doc.pages[0]
        font = next(iter(page.obj.Resources.Font.keys()))
        page.contents_add(doc.make_stream(f"BT {font} 12 Tf 10 10 Td (x) Tj ET".encode()))
        doc.save(path)
    assert "page 1: text drawn outside tagged content or an artifact" in problems(path)


def test_pdfa_and_print_checks(tmp_path):
    plain = pdf(tmp_path, "<h1>T</h1>")
    assert "no output intent with an ICC colour profile" in problems(plain, pdfa=True)
    with pikepdf.open(plain, allow_overwriting_input=True) as doc:
        del doc.pages[0].obj["/TrimBox"]
        doc.save(plain)
    assert "page 1 has no /TrimBox" in problems(plain, print_boxes=True)
    archived = pdf(tmp_path, "<h1>T</h1>", name="a.pdf", pdf_variant="pdf/a-3a")
    assert [p for p in problems(archived, ua=False, pdfa=True)] == []
    printed = pdf(tmp_path, "<h1>T</h1>", css="@page { size: A6; margin: 10mm; bleed: 3mm; marks: crop }",
                  name="p.pdf")
    assert problems(printed, ua=False, print_boxes=True) == []
    with pikepdf.open(printed, allow_overwriting_input=True) as doc:
        doc.pages[0].obj.BleedBox = doc.pages[0].obj.TrimBox
        doc.pages[0].obj.TrimBox = pikepdf.Array([0, 0, 1000, 1000])
        doc.save(printed)
    assert "page 1: the bleed box does not surround the trim box" in problems(printed, ua=False, print_boxes=True)


def test_the_command_prints_one_line_per_problem_and_exits_1(tmp_path):
    good = pdf(tmp_path, "<h1>Titre</h1>", name="good.pdf")
    bad = pdf(tmp_path, "<h1>Un</h1><h3>Trois</h3>", name="bad.pdf")
    ok = run_recueil("preflight", str(good))
    assert ok.returncode == 0 and ok.stdout.strip() == f"{good}: no problem found"
    failed = run_recueil("preflight", str(good), str(bad))
    assert failed.returncode == 1
    assert f"{bad}: a heading level is skipped: /H1 then /H3" in failed.stdout.splitlines()
    not_pdf = tmp_path / "x.pdf"
    not_pdf.write_text("hello")
    result = run_recueil("preflight", str(not_pdf))
    assert result.returncode == 1 and result.stdout.startswith(f"{not_pdf}: not a PDF that can be read")


def test_tree_consistency_checks(tmp_path):
    # What the booklet's merged tree must keep right, each broken on purpose.
    body = ("<h1>T</h1><p><a href='https://example.org'>un lien</a></p>"
            "<table><thead><tr><th>A</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>")
    path = pdf(tmp_path, body)
    assert problems(path) == []
    with pikepdf.open(path, allow_overwriting_input=True) as doc:
        elements = []
        stack = list(doc.Root.StructTreeRoot.K)
        while stack:
            e = stack.pop()
            elements.append(e)
            k = e.get("/K")
            stack += [c for c in (list(k) if isinstance(k, pikepdf.Array) else [k])
                      if isinstance(c, pikepdf.Dictionary) and "/S" in c]
        by_type = {}
        for e in elements:
            by_type.setdefault(str(e.S), []).append(e)
        h1, p = by_type["/H1"][0], by_type["/P"][0]
        h1.P = p  # a wrong parent
        for td in by_type["/TD"]:  # header cells no cell points at, and no scope
            del td.A["/Headers"]
        link = by_type["/Link"][0]  # a Link without its annotation
        link.K = pikepdf.Array([k for k in link.K if not (isinstance(k, pikepdf.Dictionary) and "/Obj" in k)])
        doc.save(path)
    found = problems(path)
    assert "a /H1 element's /P is not the element that holds it" in found
    assert "a /Table's header cells (/TH) have no /Scope, and no cell names its headers (/Headers)" in found
    assert "a /Link element holds no link annotation (OBJR)" in found
