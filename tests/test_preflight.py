"""Preflight warnings and ISBN check digits."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image as PILImage

from generator.diagnostics import Report
from generator.model import (
    Fiche,
    Image,
    Partner,
    PartnerRef,
    Project,
    Publication,
    Territory,
)
from generator.read import markdown
from generator.read.isbn import format as format_isbn
from generator.read.isbn import to_isbn13, valid_isbn
from generator.read.preflight import preflight


def png(path: Path, width: int, height: int = 10) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    PILImage.new("L", (width, height), 255).save(path)
    return path


def make_fiche(root: Path, id: str, title: str = "Un titre", body: str = "Texte.\n", image: Image | None = None,
               partners: list[PartnerRef] | None = None) -> Fiche:
    # Body starts on line 10 of the file, as if after a 8-line front matter.
    tree, _ = markdown.parse(body, first_line=10)
    for node in tree.walk():
        if node.type == "image":
            node.attrs["path"] = (root / "fiches" / node.attrs["src"]).resolve()
    return Fiche(
        id=id, path=root / "fiches" / f"{id}.md", rel=f"fiches/{id}.md", title=title, summary="Chapô.",
        themes=["Insertion"], territory=Territory("Moulins"), partners=partners or [], body=tree,
        image=image, lines={"title": 2, "partners": 6, "image": 7},
    )


def project_of(root: Path, fiches: list[Fiche], partners: list[Partner] | None = None,
               page_size: str = "A4") -> Project:
    return Project(root=root, publication=Publication(title="Recueil test", page_size=page_size),
                   partners=partners or [], fiches=fiches,
                   partners_raw=b"- name: x\n" if partners is not None else None)


def messages(report: Report) -> list[str]:
    return [str(d) for d in report.sorted()]


def test_low_resolution_body_image_names_file_and_line(tmp_path):
    png(tmp_path / "fiches" / "petite.png", 800)  # 800 px over 170 mm = 120 dpi
    png(tmp_path / "fiches" / "grande.png", 2100)  # 2100 px over 170 mm = 314 dpi
    body = "Intro.\n\n![Une photo](petite.png)\n\n![Une autre](grande.png)\n"
    report = Report()
    preflight(project_of(tmp_path, [make_fiche(tmp_path, "a", body=body)]), {}, report)
    found = messages(report)
    assert len(found) == 1, found
    assert found[0].startswith("fiches/a.md:12: warning:")
    assert "petite.png" in found[0] and "120 dpi" in found[0]


def test_printed_width_comes_from_layout_or_page_size(tmp_path):
    png(tmp_path / "fiches" / "moyenne.png", 1600)  # 239 dpi at 170 mm, 339 dpi at 120 mm
    body = "![Photo](moyenne.png)\n"
    fiche = make_fiche(tmp_path, "a", body=body)
    for size, settings, expect in (("A4", {}, 1), ("A5", {}, 0), ("A5", {"text_width_mm": 170}, 1)):
        report = Report()
        preflight(project_of(tmp_path, [fiche], page_size=size), settings, report)
        assert len(report.warnings) == expect, (size, settings, messages(report))


def test_partner_missing_from_registry(tmp_path):
    registry = [Partner("Mission locale", aliases=("ML",))]
    refs = [PartnerRef("Mission locale", "ML"), PartnerRef("Association Inconnue", "Association Inconnue")]
    fiche = make_fiche(tmp_path, "c", partners=refs)
    report = Report()
    preflight(project_of(tmp_path, [fiche], partners=registry), {}, report)
    found = messages(report)
    assert found == [f for f in found if "Association Inconnue" in f] and len(found) == 1
    assert found[0].startswith("fiches/c.md:6: warning: partner 'Association Inconnue'")


def test_no_registry_no_partner_warning(tmp_path):
    fiche = make_fiche(tmp_path, "c", partners=[PartnerRef("Quelconque", "Quelconque")])
    report = Report()
    preflight(project_of(tmp_path, [fiche]), {}, report)
    assert report.items == []


def test_title_too_long_for_running_header(tmp_path):
    long_title = "Un titre " * 10  # 90 characters
    fiches = [make_fiche(tmp_path, "d", title=long_title), make_fiche(tmp_path, "e", title="Court")]
    report = Report()
    preflight(project_of(tmp_path, fiches), {}, report)
    assert [str(d) for d in report.items] and all(d.path == "fiches/d.md" and d.line == 2 for d in report.items)
    assert len(report.items) == 1
    report = Report()
    preflight(project_of(tmp_path, fiches), {"running_header_chars": 100}, report)
    assert report.items == []


def test_preflight_only_warns(tmp_path):
    png(tmp_path / "fiches" / "p.png", 10)
    fiche = make_fiche(tmp_path, "f", title="x" * 200, body="![](p.png)\n")
    report = Report()
    preflight(project_of(tmp_path, [fiche], partners=[]), {}, report)
    assert report.items and not report.errors and not report.failed()


@pytest.mark.parametrize("isbn", ["978-0-306-40615-7", "9780306406157", "0-306-40615-2", "080442957X",
                                  "0 8044 2957 x", "ISBN 978-2-07-036822-8", "ISBN-13: 978 2 07 036822 8"])
def test_valid_isbn(isbn):
    assert valid_isbn(isbn)


@pytest.mark.parametrize("isbn", ["978-0-306-40615-8", "0-306-40615-3", "97803064061", "979030640615X",
                                  "abcdefghij", "", "12345678901234", "X804429570"])
def test_invalid_isbn(isbn):
    assert not valid_isbn(isbn)


def test_isbn_format_and_conversion():
    assert format_isbn("978-2-07-036822-8") == "ISBN 978-2-07-036822-8"
    assert format_isbn("9782070368228") == "ISBN 978-207036822-8"
    assert to_isbn13("0-306-40615-2") == "9780306406157"
    assert valid_isbn(to_isbn13("080442957X"))
