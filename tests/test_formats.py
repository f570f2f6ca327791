"""`--format` makes what it names and leaves the rest of OUT as it was."""

from __future__ import annotations

import hashlib
import json

from conftest import minimal_front, run_recueil, write_project


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_build_of_fewer_formats_keeps_the_other_outputs_and_lists_them(tmp_path):
    root = write_project(tmp_path / "p", {"a": minimal_front("Une"), "b": minimal_front("Deux")}, {"title": "R"})
    assert run_recueil("build", str(root)).returncode == 0
    out = root / "output"
    before = {rel: _sha(out / rel) for rel in ("booklet.pdf", "fiches/a.pdf", "fiches/a.docx", "booklet.docx")}
    pages = {f["id"]: f["first_page"] for f in json.loads((out / "build.json").read_text())["fiches"]}

    (root / "fiches" / "a.md").write_text((root / "fiches" / "a.md").read_text().replace("Une", "Une autre"))
    result = run_recueil("build", str(root), "--format", "docx")
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "build.json").read_text())
    listed = {o["path"]: o["sha256"] for o in manifest["outputs"]}
    for rel in ("booklet.pdf", "fiches/a.pdf"):  # not remade: left as they were, and listed
        assert _sha(out / rel) == before[rel] == listed[rel]
    assert _sha(out / "fiches/a.docx") != before["fiches/a.docx"] == before["fiches/a.docx"]
    assert listed["fiches/a.docx"] == _sha(out / "fiches/a.docx")
    assert {f["id"]: f["first_page"] for f in manifest["fiches"]} == pages  # those of the booklet kept


def test_build_reports_the_warnings_check_gives_with_the_partners_own_line(tmp_path):
    root = write_project(tmp_path / "p", {"a": minimal_front(partners=["Connue", "Inconnue"])}, {"title": "R"},
                         partners=[{"name": "Connue"}])
    lines = (root / "fiches" / "a.md").read_text(encoding="utf-8").splitlines()
    line = 1 + next(i for i, text in enumerate(lines) if "Inconnue" in text)
    checked, built = run_recueil("check", str(root)), run_recueil("build", str(root), "--format", "docx")
    expected = f"fiches/a.md:{line}: warning: partner 'Inconnue' is not in partners.yaml"
    assert any(w.startswith(expected) for w in checked.stderr.splitlines()), checked.stderr
    assert [w for w in built.stderr.splitlines() if ": warning: " in w] == \
        [w for w in checked.stderr.splitlines() if ": warning: " in w]


def test_a_thematic_edition_prints_its_own_title_and_isbn(tmp_path):
    import subprocess

    import pikepdf

    publication = {"title": "Recueil complet", "isbn": "978-2-1234-5680-3",
                   "editions": [{"select": ["theme=Mobilité"], "title": "Se déplacer", "isbn": "978-2-1234-5681-0"}]}
    root = write_project(tmp_path / "p", {"a": minimal_front("Une", themes=["Mobilité"]),
                                          "b": minimal_front("Deux", themes=["Culture"])}, publication)
    assert run_recueil("build", str(root), "--select", "theme=mobilite", "--format", "pdf").returncode == 0
    booklet = root / "output" / "booklet.pdf"
    text = subprocess.run(["pdftotext", str(booklet), "-"], capture_output=True, text=True).stdout
    assert "Se déplacer" in text and "978-2-1234-5681-0" in text
    assert "Recueil complet" not in text and "978-2-1234-5680-3" not in text
    with pikepdf.open(booklet) as pdf:
        assert str(pdf.docinfo.Title) == "Se déplacer"
    result = run_recueil("build", str(root), "--select", "theme=Culture", "--title", "La culture",
                         "--format", "pdf", "--out", str(tmp_path / "culture"))
    assert result.returncode == 0, result.stderr
    text = subprocess.run(["pdftotext", str(tmp_path / "culture" / "booklet.pdf"), "-"], capture_output=True,
                          text=True).stdout
    assert "La culture" in text and "978-2-1234-5680-3" not in text
