"""What a proofreader reads for: a compound place name never broken across lines in a
title, a separator never ending a line."""

from __future__ import annotations

import re
import subprocess

from conftest import minimal_front, run_recueil, write_project

PREFIXES = ["Une", "Une action", "Une action solidaire", "Une action solidaire et", "Une action solidaire et durable",
            "Une action solidaire et durable menée", "Une action solidaire et durable menée en",
            "Une action solidaire et durable menée en plein"]


def _lines(pdf) -> list[str]:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [line.strip() for line in text.replace("\u00a0", " ").splitlines() if line.strip()]


def test_a_compound_place_name_is_never_broken_in_a_title(tmp_path):
    fiches = {f"f{i}": minimal_front(f"{prefix} dans le Loir-et-Cher, à Saint-Aignan-sur-Cher", themes=["Culture"])
              for i, prefix in enumerate(PREFIXES)}
    root = write_project(tmp_path / "p", fiches, {"title": "Recueil"})
    assert run_recueil("build", str(root), "--format", "pdf,handouts").returncode == 0
    for pdf in [root / "output" / "booklet.pdf", *sorted((root / "output" / "fiches").glob("*.pdf"))]:
        text = " ".join(_lines(pdf))
        # pdftotext joins a word broken at a hyphen, and drops the hyphen: « Saint-Aignansur-Cher ».
        broken = re.findall(r"\S*(?:LoiretCher|Loir-etCher|LoiretCher|Loiret-Cher|SaintAignan|Saint-Aignansur|"
                            r"Aignan-surCher)\S*", text)
        assert not broken, (pdf.name, broken)
        assert text.count("Saint-Aignan-sur-Cher") >= (len(PREFIXES) if pdf.name == "booklet.pdf" else 1)


def test_no_line_of_the_cover_ends_with_a_separator(tmp_path):
    themes = ["Insertion professionnelle", "Mobilité", "Culture et patrimoine", "Santé", "Jeunesse",
              "Logement", "Alimentation durable", "Numérique", "Sport", "Éducation populaire"]
    fiches = {f"f{i}": minimal_front(f"Fiche {i}", themes=[t]) for i, t in enumerate(themes)}
    root = write_project(tmp_path / "p", fiches, {"title": "Recueil"})
    assert run_recueil("build", str(root), "--format", "pdf").returncode == 0
    cover = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(root / "output" / "booklet.pdf"), "-"],
                           capture_output=True, text=True, check=True).stdout
    lines = [line.strip() for line in cover.splitlines() if "·" in line]
    assert len(lines) >= 2, "the themes wrap over several lines"
    assert not [line for line in lines if line.endswith("·")], lines
