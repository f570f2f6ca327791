"""`recueil unpack`: an archive's embedded sources written back as a project that builds
the same edition, byte for byte; and a hostile archive writes nothing outside its folder."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pikepdf
from conftest import (
    REPO,
    fiche_text,
    minimal_front,
    png_bytes,
    run_recueil,
    write_project,
)

FONTS = REPO / "generator" / "data" / "fonts"


def _project(root: Path) -> Path:
    """A project with everything an archive must carry: fiches in subfolders, an image,
    a partner registry, a layout of its own and a typeface of its own."""
    write_project(root, {
        "nord/jardin": fiche_text(minimal_front("Un jardin partagé", image={"file": "jardin.png", "alt": "Le jardin"}),
                                  "Un jardin ouvert à tous.\n"),
        "velo": minimal_front("Un atelier vélo"),
    }, {"title": "Recueil archivé", "date": "2026-03-01", "lang": "fr"},
        [{"name": "Mission locale", "aliases": ["ML"]}])
    (root / "fiches" / "nord" / "jardin.png").write_bytes(png_bytes(60, 40))
    (root / "fonts").mkdir()
    for style, name in (("regular", "Regular"), ("bold", "Bold"), ("italic", "Italic"), ("bold_italic", "BoldItalic")):
        shutil.copy(FONTS / f"Lato-{name}.ttf", root / "fonts" / f"Maison-{name}.ttf")
    layout = root / "layouts" / "brochure"
    layout.mkdir(parents=True)
    (layout / "layout.yaml").write_text(
        'design:\n  accent: "#b5452c"\n  typefaces:\n    Maison:\n'
        + "".join(f"      {s}: Maison-{n}.ttf\n" for s, n in (("regular", "Regular"), ("bold", "Bold"),
                                                            ("italic", "Italic"), ("bold_italic", "BoldItalic")))
        + "      fallback: sans\n  heading_font: Maison\n", encoding="utf-8")
    return root


def test_an_unpacked_archive_builds_the_same_edition(tmp_path):
    root = _project(tmp_path / "projet")
    built = run_recueil("build", str(root), "--archive", "--format", "pdf,handouts", "--title", "Le jardin",
                        "--select", "id=jardin")
    assert built.returncode == 0, built.stderr
    archive = root / "output" / "booklet.pdf"

    unpacked = tmp_path / "ailleurs" / "copie"
    result = run_recueil("unpack", str(archive), str(unpacked), "--lang", "en")
    assert result.returncode == 0, result.stderr
    names = sorted(p.relative_to(unpacked).as_posix() for p in unpacked.rglob("*") if p.is_file())
    assert names == [".recueil-archive/build.json", "fiches/nord/jardin.md", "fiches/nord/jardin.png",
                     "fonts/Maison-Bold.ttf", "fonts/Maison-BoldItalic.ttf", "fonts/Maison-Italic.ttf",
                     "fonts/Maison-Regular.ttf", "layouts/brochure/layout.yaml", "partners.yaml",
                     "publication.yaml"]  # the fiche left out by --select is not in the edition
    for name in names[1:]:
        assert (unpacked / name).read_bytes() == (root / name).read_bytes(), name

    command = result.stdout.split("to build the same edition again: ", 1)[1].strip()
    args = shlex.split(command)
    assert args[:3] == ["recueil", "build", str(unpacked)]
    assert {"--archive", "--title", "--select"} <= set(args)
    again = run_recueil(*args[1:])
    assert again.returncode == 0, again.stderr
    for name in ("booklet.pdf", "fiches/jardin.pdf"):
        assert (unpacked / "output" / name).read_bytes() == (root / "output" / name).read_bytes(), name


def test_unpack_refuses_a_folder_with_files_and_names_leaving_the_folder(tmp_path):
    hostile = tmp_path / "hostile.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.attachments["../dehors.md"] = pikepdf.AttachedFileSpec(pdf, b"x", filename="../dehors.md")
        pdf.save(hostile)
    result = run_recueil("unpack", str(hostile), str(tmp_path / "dossier"), "--lang", "en")
    assert result.returncode == 1
    assert "refused" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "dehors.md").exists()

    full = tmp_path / "plein"
    full.mkdir()
    (full / "mien.md").write_text("à moi", encoding="utf-8")
    result = run_recueil("unpack", str(hostile), str(full), "--lang", "en")
    assert result.returncode == 1 and "empty or new folder" in result.stderr
    assert (full / "mien.md").read_text(encoding="utf-8") == "à moi"


def test_unpack_says_what_a_pdf_without_sources_is(tmp_path):
    plain = tmp_path / "plain.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(plain)
    result = run_recueil("unpack", str(plain), str(tmp_path / "x"), "--lang", "en")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "built with --archive" in result.stderr
