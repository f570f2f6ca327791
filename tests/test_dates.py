"""Dates are printed in words, in the edition's language, in every output."""

from __future__ import annotations

import subprocess
import zipfile

from conftest import minimal_front, run_recueil, write_project

from generator.read.typography import NBSP
from generator.render.filters import date_label

FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
      "novembre", "décembre"]


def test_date_label():
    assert date_label("2027-03", "fr", FR) == "mars 2027"
    assert date_label("2025-11-14", "fr", FR) == f"14{NBSP}novembre 2025"
    assert date_label("2026-05-01", "fr", FR) == f"1er{NBSP}mai 2026"
    assert date_label("2026", "fr", FR) == "2026"
    assert date_label(None, "fr", FR) is None


def _text(pdf, page=None) -> str:
    args = ["pdftotext"] + (["-f", str(page), "-l", str(page)] if page else []) + [str(pdf), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout.replace(NBSP, " ")


def test_no_output_prints_a_date_as_written_in_the_sources(tmp_path):
    root = write_project(tmp_path / "p", {"a": minimal_front("Une", date="2026-05")},
                         {"title": "Recueil", "date": "2027-03", "publisher": "Réseau"})
    assert run_recueil("build", str(root)).returncode == 0
    out = root / "output"
    booklet = _text(out / "booklet.pdf")
    assert "mars 2027" in booklet and "2027-03" not in booklet  # the cover, the colophon
    handout = _text(out / "fiches" / "a.pdf")
    assert "mai 2026" in handout and "2026-05" not in handout
    with zipfile.ZipFile(out / "booklet.docx") as z:
        assert "mars 2027" in z.read("word/document.xml").decode("utf-8")
