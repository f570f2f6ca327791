"""build.json describes what a build published, the same bytes every time."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import generator
from generator.model import Edition, Fiche, Project, Publication, Section, Territory
from generator.read.markdown import Node
from generator.write.manifest import sha256_file, write_manifest
from generator.write.staging import Staging


def fiche(root: Path, fid: str, title: str) -> Fiche:
    path = root / "fiches" / f"{fid}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = f"---\ntitle: {title}\n---\n".encode()
    path.write_bytes(raw)
    return Fiche(
        id=fid, path=path, rel=f"fiches/{fid}.md", title=title, summary="Chapô.",
        themes=["Insertion"], territory=Territory("Moulins"), partners=[],
        body=Node("document"), raw=raw,
    )


@pytest.fixture
def edition(tmp_path):
    root = tmp_path / "projet"
    pub = Publication(title="Initiatives « solidaires »", edition="2e édition", date="2024-05")
    fiches = [fiche(root, "zeta", "Zêta"), fiche(root, "alpha", "Alpha")]
    project = Project(root=root, publication=pub, partners=[], fiches=fiches)
    return Edition(project=project, sections=[Section(None, fiches)])


def staged_build(out: Path, edition, pages, outputs: dict[str, bytes]) -> dict:
    with Staging(out) as stage:
        for rel, data in outputs.items():
            stage.path(rel).write_bytes(data)
        write_manifest(stage, edition, pages, list(outputs))
        stage.commit()
    return json.loads((out / "build.json").read_text(encoding="utf-8"))


OUTPUTS = {"fiches/zeta.docx": b"docx z", "booklet.pdf": b"%PDF-1.7 booklet", "fiches/alpha.docx": b"docx a"}
PAGES = {"zeta": (5, 6), "alpha": (7, 9)}


def test_every_fiche_with_its_source_checksum_and_pages(tmp_path, edition):
    data = staged_build(tmp_path / "out", edition, PAGES, OUTPUTS)
    assert data["generator"] == {"name": "recueil", "version": generator.__version__}
    assert data["publication"]["title"] == "Initiatives « solidaires »"
    assert data["publication"]["edition"] == "2e édition"
    assert data["publication"]["date"] == "2024-05"
    assert [f["id"] for f in data["fiches"]] == ["zeta", "alpha"]  # booklet order
    zeta = data["fiches"][0]
    assert zeta["title"] == "Zêta" and zeta["source"] == "fiches/zeta.md"
    assert zeta["sha256"] == hashlib.sha256(edition.fiches[0].raw).hexdigest()
    assert (zeta["first_page"], zeta["last_page"]) == (5, 6)


def test_every_output_with_its_checksum_and_size_as_written_in_out(tmp_path, edition):
    out = tmp_path / "out"
    data = staged_build(out, edition, PAGES, OUTPUTS)
    assert [o["path"] for o in data["outputs"]] == sorted(OUTPUTS)
    for entry in data["outputs"]:
        assert entry["sha256"] == sha256_file(out / entry["path"])
        assert entry["size"] == (out / entry["path"]).stat().st_size


def test_without_a_booklet_no_pages_are_claimed(tmp_path, edition):
    data = staged_build(tmp_path / "out", edition, None, {"fiches/alpha.docx": b"a"})
    assert all("first_page" not in f and "last_page" not in f for f in data["fiches"])


def test_two_builds_write_the_same_bytes_and_no_clock(tmp_path, edition):
    staged_build(tmp_path / "one", edition, PAGES, OUTPUTS)
    staged_build(tmp_path / "two", edition, PAGES, dict(reversed(OUTPUTS.items())))
    one = (tmp_path / "one" / "build.json").read_bytes()
    assert one == (tmp_path / "two" / "build.json").read_bytes()
    text = one.decode("utf-8")
    assert text.endswith("}\n") and "« solidaires »" in text  # not \u-escaped
    assert json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False, indent=2) + "\n" == text


def test_the_manifest_does_not_list_itself_nor_unstaged_outputs(tmp_path, edition):
    data = staged_build(tmp_path / "out", edition, PAGES, OUTPUTS)
    assert "build.json" not in [o["path"] for o in data["outputs"]]
    with Staging(tmp_path / "other") as stage:
        with pytest.raises(ValueError, match="never staged"):
            write_manifest(stage, edition, PAGES, ["booklet.pdf"])


def test_sha256_file_matches_hashlib(tmp_path):
    path = tmp_path / "x.bin"
    data = bytes(range(256)) * 9000  # over one read block
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()


def test_build_json_records_the_options_and_every_input_it_read(tmp_path):
    import hashlib

    from conftest import (
        fiche_text,
        minimal_front,
        png_bytes,
        run_recueil,
        write_project,
    )

    root = write_project(tmp_path / "p", {
        "a": fiche_text(minimal_front("Une", image={"file": "../images/p.png", "alt": "Une photo"})),
        "b": minimal_front("Deux", themes=["Autre"]),
    }, {"title": "R"}, partners=[{"name": "Une association"}])
    (root / "images").mkdir()
    (root / "images" / "p.png").write_bytes(png_bytes(10, 10))
    (root / "layouts" / "brochure").mkdir(parents=True)
    (root / "layouts" / "brochure" / "layout.yaml").write_text("design:\n  accent: '#aa3300'\n", encoding="utf-8")
    result = run_recueil("build", str(root), "--format", "pdf", "--select", "theme=insertion")
    assert result.returncode == 0, result.stderr
    data = json.loads((root / "output" / "build.json").read_text(encoding="utf-8"))
    assert data["options"]["formats"] == ["pdf"] and data["options"]["select"] == ["theme=insertion"]
    inputs = {i["path"]: i["sha256"] for i in data["inputs"]}
    for rel in ("publication.yaml", "partners.yaml", "fiches/a.md", "images/p.png", "layouts/brochure/layout.yaml"):
        assert inputs[rel] == hashlib.sha256((root / rel).read_bytes()).hexdigest(), rel
    assert "fiches/b.md" not in inputs, "a fiche the selection left out is no input"
