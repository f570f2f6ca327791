"""The same sources give the same bytes: in another folder, in another time zone, at
another time. Archivists compare hashes."""

from __future__ import annotations

import hashlib
from pathlib import Path

from conftest import fiche_text, minimal_front, png_bytes, run_recueil, write_project

SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
       '<rect width="40" height="20" fill="#1f5f8b"/></svg>')


def _project(root: Path) -> Path:
    write_project(root, {
        "jardin": fiche_text(minimal_front("Un jardin partagé", image={"file": "../images/photo.png", "alt": "Le jardin"},
                                           source="https://example.org/jardin"),
                             "Le jardin.\n\n![Un schéma](../images/schema.svg)\n\n![Une autre vue](../images/photo.png)\n"),
        "velo": minimal_front("Un atelier vélo", themes=["Mobilité"]),
    }, {"title": "Recueil", "date": "2026-03-01"})
    (root / "images").mkdir()
    (root / "images" / "photo.png").write_bytes(png_bytes(120, 80))
    (root / "images" / "schema.svg").write_text(SVG, encoding="utf-8")
    return root


def _digests(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file() and not p.relative_to(out).parts[0].startswith(".recueil")}


def test_two_folders_two_time_zones_give_the_same_bytes(tmp_path):
    here = _project(tmp_path / "a")
    there = _project(tmp_path / "b" / "much" / "deeper")
    first = run_recueil("build", str(here), env={"TZ": "Europe/Paris"})
    second = run_recueil("build", str(there), env={"TZ": "Pacific/Auckland", "LANG": "C"})
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    a, b = _digests(here / "output"), _digests(there / "output")
    assert {"booklet.pdf", "booklet.docx", "fiches/jardin.pdf", "fiches/jardin.docx", "build.json"} <= a.keys()
    assert a == b
