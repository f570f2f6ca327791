"""The archival edition: what is embedded, how, and that the PDF/A-3 and PDF/UA-1 checks
pass on the archive made of the booklet's parts (no single-document render)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import subprocess
from pathlib import Path

import pikepdf
import pytest
import weasyprint
from conftest import fiche_text, minimal_front, renderer_context, write_project
from PIL import Image as PILImage

from generator.context import build_epoch
from generator.diagnostics import Report
from generator.edition.select import make_edition
from generator.read import layouts, project
from generator.render.archive import archive_files, mime_type
from generator.render.pdfa import make_pdfa3
from generator.render.tags.ua import finish_document
from generator.verify.pdf import verify

MANIFEST = b'{"format": 1, "fiches": []}\n'


def read(root: Path, drafts: bool = False):
    report = Report()
    proj = project.read_project(root, report, drafts=drafts)
    assert proj is not None, [str(d) for d in report.items]
    return make_edition(proj, [], report)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("archive") / "projet"
    write_project(root, {
        "jardin": fiche_text(minimal_front("Un jardin", image={"file": "../images/jardin.png", "alt": "Le jardin"}),
                             "Texte.\n\n![Un plan](plan.png)\n"),
        "velo": minimal_front("Un atelier vélo"),
        "brouillon": minimal_front("Un brouillon", draft=True),
    }, {"title": "Recueil archivé", "date": "2026-03-01", "lang": "fr"},
        [{"name": "Mission locale", "aliases": ["ML"]}])
    (root / "images").mkdir()
    PILImage.new("RGB", (40, 20), (200, 30, 30)).save(root / "images" / "jardin.png")
    PILImage.new("L", (30, 30), 128).save(root / "fiches" / "plan.png")
    return root


def test_embedded_files_are_the_sources_images_and_manifest(sample):
    files = archive_files(read(sample), MANIFEST)
    names = [f[0] for f in files]
    assert names == ["fiches/jardin.md", "fiches/plan.png", "fiches/velo.md", "images/jardin.png",
                     "partners.yaml", "publication.yaml", "build.json"]
    by_name = {f[0]: f for f in files}
    assert by_name["fiches/jardin.md"][1] == (sample / "fiches/jardin.md").read_bytes()
    assert by_name["images/jardin.png"][1] == (sample / "images/jardin.png").read_bytes()
    assert by_name["publication.yaml"][1] == (sample / "publication.yaml").read_bytes()
    assert {f[2] for f in files[:-1]} == {"Source"} and files[-1][2] == "Data"


def test_drafts_are_never_embedded(sample):
    edition = read(sample, drafts=True)
    assert "brouillon" in [f.id for f in edition.fiches]  # the build shows it...
    assert "fiches/brouillon.md" not in [f[0] for f in archive_files(edition, None)]  # ...the archive does not


def pdfa_with(files, stamp: str = "D:20260301000000Z") -> bytes:
    """A small tagged document finished as the archive is: PDF/UA-1, then PDF/A-3a with
    `files` (archive_files' tuples) embedded."""
    html = ("<html lang='fr'><head><title>Archive</title></head><body><h1>Archive</h1>"
            "<p>Voir <a href='https://example.org'>le site</a>.</p></body></html>")
    raw = weasyprint.HTML(string=html).write_pdf(pdf_tags=True, pdf_identifier=b"test")
    with pikepdf.open(io.BytesIO(raw)) as pdf:
        tree = finish_document(pdf)
        make_pdfa3(pdf, [(name, data, rel, desc, mime_type(name)) for name, data, rel, desc in files], stamp)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, min_version="1.7")
    return tree.append(out.getvalue())


def build_date(edition) -> dt.datetime:
    return dt.datetime.fromtimestamp(build_epoch(edition.publication.date), dt.timezone.utc)


def stamp(edition) -> str:
    return build_date(edition).strftime("D:%Y%m%d%H%M%SZ")


@pytest.fixture(scope="module")
def finished(sample):
    with pytest.MonkeyPatch.context() as mp:  # a build earlier in the run may have set it
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        edition = read(sample)
        return pdfa_with(archive_files(edition, MANIFEST), stamp(edition))


def test_source_date_epoch_dates_the_attachments(sample, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    edition = read(sample)
    assert stamp(edition) == "D:19700102000000Z"
    with pikepdf.open(io.BytesIO(pdfa_with(archive_files(edition, None), stamp(edition)))) as pdf:
        params = {str(spec.obj.EF.F.Params.ModDate) for spec in pdf.attachments.values()}
    assert params == {"D:19700102000000Z"}


def test_attachments_carry_mime_relationship_and_fixed_dates(finished):
    with pikepdf.open(io.BytesIO(finished)) as pdf:
        seen = {}
        for name, spec in pdf.attachments.items():
            stream = spec.obj.EF.F
            seen[name] = (str(stream.Subtype), str(spec.obj.AFRelationship), str(stream.Params.ModDate),
                          str(stream.Params.CreationDate))
            assert hashlib.sha256(spec.get_file().read_bytes()).hexdigest()
        af = [s.objgen for s in pdf.Root.AF]
    assert seen["fiches/jardin.md"][:2] == ("/text/markdown", "/Source")
    assert seen["publication.yaml"][:2] == ("/application/yaml", "/Source")
    assert seen["partners.yaml"][:2] == ("/application/yaml", "/Source")
    assert seen["images/jardin.png"][:2] == ("/image/png", "/Source")
    assert seen["build.json"][:2] == ("/application/json", "/Data")
    # The publication's date, never the clock or the files' times.
    assert {v[2] for v in seen.values()} == {"D:20260301000000Z"} == {v[3] for v in seen.values()}
    assert len(af) == len(set(af)) == len(seen)  # each file once in the catalog's /AF


def test_embedded_bytes_round_trip(sample, finished):
    with pikepdf.open(io.BytesIO(finished)) as pdf:
        got = {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}
    assert got["fiches/velo.md"] == (sample / "fiches/velo.md").read_bytes()
    assert got["fiches/plan.png"] == (sample / "fiches/plan.png").read_bytes()
    assert got["build.json"] == MANIFEST


def test_preflight_pdfa_and_links_printable(finished, tmp_path):
    path = tmp_path / "a.pdf"
    path.write_bytes(finished)
    assert verify(path, ua=True, pdfa=True).problems == []
    with pikepdf.open(path) as pdf:
        links = [a for a in pdf.pages[0].obj.Annots if a.Subtype == "/Link"]
        assert links and all(int(a.F) & 4 for a in links)
        meta = pdf.open_metadata()
        assert (meta.get("pdfaid:part"), meta.get("pdfaid:conformance"), meta.get("pdfuaid:part")) == ("3", "A", "1")
        assert pdf.Root.OutputIntents[0].DestOutputProfile is not None
        # pdfuaid is no schema PDF/A predefines: the packet describes it.
        assert b"pdfaExtension:schemas" in pdf.Root.Metadata.read_bytes()


def test_make_pdfa3_is_deterministic(sample):
    edition = read(sample)
    files = archive_files(edition, MANIFEST)
    assert pdfa_with(files, stamp(edition)) == pdfa_with(files, stamp(edition))


def test_images_are_not_interpolated(tmp_path):
    # WeasyPrint writes /Interpolate true on raster images; PDF/A forbids it.
    png = tmp_path / "x.png"
    PILImage.new("RGB", (8, 8), (200, 30, 30)).save(png)
    raw = weasyprint.HTML(string=f"<html lang='fr'><body><img src='{png.as_uri()}' alt='Un carré'></body></html>"
                          ).write_pdf(pdf_tags=True)
    with pikepdf.open(io.BytesIO(raw)) as pdf:
        images = [x for x in pdf.pages[0].obj.Resources.XObject.values() if x.Subtype == "/Image"]
        assert any(bool(x.get("/Interpolate", False)) for x in images)
        make_pdfa3(pdf, [], "D:20260301000000Z")
        assert not any(bool(x.get("/Interpolate", False)) for x in images)


# --- the whole archival booklet: the booklet's parts, merged and finished as PDF/A -------


@pytest.fixture(scope="module")
def archived(sample, tmp_path_factory):
    from generator.render.archive import render_archive

    edition = read(sample)
    layout = layouts.load_layout(edition.project, "archive")
    outs = []
    for k in range(2):  # twice: the bytes must repeat
        out = tmp_path_factory.mktemp(f"archived{k}")
        with renderer_context(edition, layout, out) as ctx:
            ctx.stage.path("fiches/velo.pdf").write_bytes(b"%PDF- a handout staged before the booklet")
            info = render_archive(edition, layout, ctx)
        outs.append((out / "booklet.pdf", info))
    return edition, outs


def test_archive_booklet_passes_pdfa_and_ua_checks(archived):
    path = archived[1][0][0]
    assert verify(path, ua=True, pdfa=True).problems == []
    with pikepdf.open(path) as pdf:
        meta = pdf.open_metadata()
        assert (meta.get("pdfaid:part"), meta.get("pdfaid:conformance")) == ("3", "A")
        assert pdf.Root.MarkInfo.Marked
        # XMP and document information say the same thing (PDF/A requires it).
        assert meta.get("dc:title") == str(pdf.docinfo.Title)
        assert str(pdf.Root.Lang) == "fr"


def test_archive_booklet_embeds_sources_and_a_manifest_with_pages(archived, sample):
    edition, outs = archived
    path, info = outs[0]
    with pikepdf.open(path) as pdf:
        files = {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}
        rel = {name: str(spec.obj.AFRelationship) for name, spec in pdf.attachments.items()}
    assert sorted(files) == ["build.json", "fiches/jardin.md", "fiches/plan.png", "fiches/velo.md",
                             "images/jardin.png", "partners.yaml", "publication.yaml"]
    assert rel["build.json"] == "/Data" and rel["fiches/jardin.md"] == "/Source"
    manifest = json.loads(files["build.json"])
    pages = {f["id"]: (f["first_page"], f["last_page"]) for f in manifest["fiches"]}
    assert pages == info.pages and set(pages) == {"jardin", "velo"}
    listed = [o["path"] for o in manifest["outputs"]]
    assert "fiches/velo.pdf" in listed and "booklet.html" in listed and "booklet.pdf" not in listed


def test_archive_booklet_is_sober_and_repeatable(archived, tmp_path):
    (first, _), (second, _) = archived[1]
    assert first.read_bytes() == second.read_bytes()
    # The cover is not a dark page: black text on white (at most a few percent dark).
    subprocess.run(["pdftoppm", "-gray", "-r", "20", "-f", "1", "-l", "1", str(first), str(tmp_path / "c")], check=True)
    with PILImage.open(next(tmp_path.glob("c*"))) as im:
        pixels = im.convert("L").tobytes()
    assert sum(1 for v in pixels if v < 96) / len(pixels) < 0.05
