"""Fiches read by an earlier build, taken from the cache: a rebuild parses only the fiches
that changed, reports the others' problems again, checks their images again, and gives
what a clean build gives; an entry is data, and a doctored one is read anew."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import built_files, fiche_text, minimal_front, png_bytes, write_project

from generator import i18n
from generator.build import BuildOptions, build
from generator.cache import DIRNAME, Cache
from generator.diagnostics import InputError, Report
from generator.model import Fiche
from generator.modeldata import Decoder, canonical, to_data
from generator.read import project as project_module
from generator.read.project import read_project
from generator.read.remembered import KIND, Remembered
from tests.catalogue import make_catalogue


@pytest.fixture
def parsed(monkeypatch):
    """The fiches each build parses (rel paths), in the build's own process (jobs=1)."""
    calls = []
    real = project_module.read_fiche
    monkeypatch.setattr(project_module, "read_fiche",
                        lambda path, rel, *a, **k: calls.append(rel) or real(path, rel, *a, **k))
    return calls


def _build(root: Path, out: Path, cache: bool = True) -> Report:
    report = Report()
    build(root, BuildOptions(out=out, formats=("docx",), cache=cache, jobs=1), report)
    return report


def _line(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if text in line)


def _edit(path: Path, words: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace("\n\n", f"\n\n{words}\n\n", 1), encoding="utf-8")


def test_a_rebuild_parses_the_changed_fiche_alone_and_gives_a_clean_builds_files(tmp_path, parsed):
    root = make_catalogue(tmp_path / "projet", 6, seed=5)
    out = root / "output"
    _build(root, out)
    assert len(parsed) == 6
    assert len(list((out / DIRNAME / KIND).rglob("*.entry"))) == 6
    parsed.clear()
    _edit(root / "fiches" / "f0003.md", "Une phrase de plus.")
    _build(root, out)
    assert parsed == ["fiches/f0003.md"]
    parsed.clear()
    clean = root / "clean"
    _build(root, clean, cache=False)
    assert len(parsed) == 6 and not (clean / DIRNAME).exists()
    assert built_files(out) == built_files(clean)


def test_a_remembered_fiche_gives_its_warnings_again(project, parsed):
    body = "Un paragraphe\u0007 avec un caractère de contrôle.\n\n![distante](https://exemple.fr/a.png)\n"
    root = project({"a": fiche_text(minimal_front(), body), "b": minimal_front("Une autre")})
    first, second = _build(root, root / "output"), _build(root, root / "output")
    assert len(parsed) == 2, "the second build parses nothing"
    assert [str(d) for d in second.warnings] == [str(d) for d in first.warnings]
    fiche = root / "fiches" / "a.md"
    assert {d.line for d in first.warnings if d.path == "fiches/a.md"} == {_line(fiche, "contrôle"),
                                                                           _line(fiche, "distante")}


def test_the_images_of_a_remembered_fiche_are_checked_again(project, parsed, tmp_path):
    body = "Texte.\n\n![Un vélo](../images/velo.png)\n"
    root = project({"a": fiche_text(minimal_front(image={"file": "../images/tandem.png", "alt": "Un tandem"}), body)})
    (root / "images").mkdir()
    for name in ("velo.png", "tandem.png"):
        (root / "images" / name).write_bytes(png_bytes(4, 4))
    _build(root, root / "output")
    (root / "images" / "velo.png").unlink()
    report = Report()
    with pytest.raises(InputError):
        build(root, BuildOptions(out=root / "output", formats=("docx",), jobs=1), report)
    line = _line(root / "fiches" / "a.md", "velo.png")
    assert [(d.path, d.line) for d in report.errors] == [("fiches/a.md", line)]
    assert "velo.png" in report.errors[0].message

    # The same name now leads outside the project: refused as a fresh reading refuses it.
    outside = tmp_path / "ailleurs.png"
    outside.write_bytes(png_bytes(6, 6))
    os.symlink(outside, root / "images" / "velo.png")
    report = Report()
    with pytest.raises(InputError):
        build(root, BuildOptions(out=root / "output", formats=("docx",), jobs=1), report)
    assert [(d.path, d.line) for d in report.errors] == [("fiches/a.md", line)]
    assert "outside the project" in report.errors[0].message

    # Back in place (redrawn), and the main image's name leads to it: read anew, built.
    (root / "images" / "velo.png").unlink()
    (root / "images" / "velo.png").write_bytes(png_bytes(5, 5))
    parsed.clear()
    (root / "images" / "tandem.png").unlink()
    os.symlink(root / "images" / "velo.png", root / "images" / "tandem.png")
    _build(root, root / "output")
    assert parsed == ["fiches/a.md"]


def test_the_message_language_and_the_partners_are_in_the_key(project, parsed):
    body = "Texte.\n\n![distante](https://exemple.fr/a.png)\n"
    root = project({"a": fiche_text(minimal_front(partners=[{"name": "CCAS"}]), body)},
                   partners=[{"name": "Centre communal d'action sociale", "aliases": ["CCAS"]}])
    was = i18n.current()
    try:
        i18n.use("en")
        english = _build(root, root / "output")
        i18n.use("fr")
        french = _build(root, root / "output")
    finally:
        i18n.use(was)
    assert len(parsed) == 2
    assert "remote image" in english.warnings[0].message and "image distante" in french.warnings[0].message

    parsed.clear()
    (root / "partners.yaml").write_text("- name: Mairie de Moulins\n  aliases: [CCAS]\n", encoding="utf-8")
    proj = _read(root)
    assert parsed == ["fiches/a.md"] and proj.fiches[0].partners[0].name == "Mairie de Moulins"


def _read(root: Path):
    report = Report()
    remembered = Remembered(Cache(root / "output" / DIRNAME))
    proj = read_project(root, report, remembered=remembered)
    remembered.store()
    assert proj is not None, report.items
    return proj


def test_a_doctored_entry_is_read_anew(project, parsed):
    root = project({"a": minimal_front(), "b": minimal_front("Une autre")})
    _read(root)
    assert len(parsed) == 2
    entries = sorted((root / "output" / DIRNAME / KIND).rglob("*.entry"))
    cache = Cache(root / "output" / DIRNAME)
    deep = "[" * 100_000 + "]" * 100_000
    doctored = [
        # A class the reader does not make, where the fiche should be.
        lambda data: json.dumps({**data, "fiche": ["PosixPath", "/etc/passwd"]}),
        # A fiche missing a field.
        lambda data: json.dumps({**data, "fiche": data["fiche"][:-1]}),
        # A class where another belongs: a Territory for the fiche's body.
        lambda data: json.dumps({**data, "fiche": data["fiche"][:9] + [data["fiche"][7]] + data["fiche"][10:]}),
        # An object where a value should be.
        lambda data: json.dumps({**data, "items": [{"level": "error"}]}),
        # Nested deeper than a decoder recurses.
        lambda data: json.dumps({**data, "items": []}).replace('"items": []', '"items": ' + deep),
    ]
    for change in doctored:
        for entry in entries:
            k = entry.stem
            payload, _ = cache.get(KIND, k)
            forged = change(json.loads(payload))
            assert forged != payload.decode()
            cache.put(KIND, k, forged.encode())
        parsed.clear()
        proj = _read(root)
        assert sorted(parsed) == ["fiches/a.md", "fiches/b.md"]
        assert [f.title for f in proj.fiches] == ["Une initiative", "Une autre"]


def test_an_entry_naming_a_file_outside_the_project_is_read_anew(project, parsed, tmp_path):
    root = project({"a": fiche_text(minimal_front(image={"file": "../images/x.png", "alt": "Un dessin"}),
                                    "Texte.\n\n![Un vélo](../images/x.png)\n")})
    (root / "images").mkdir()
    (root / "images" / "x.png").write_bytes(png_bytes(4, 4))
    secret = tmp_path / "secret.png"
    secret.write_bytes(png_bytes(4, 4))
    _read(root)
    [entry] = (root / "output" / DIRNAME / KIND).rglob("*.entry")
    cache = Cache(root / "output" / DIRNAME)
    payload, _ = cache.get(KIND, entry.stem)
    image = json.dumps(str((root / "images" / "x.png").resolve()))[1:-1]
    for forged in (payload.decode().replace(image, str(secret)),  # the model and the image checked
                   payload.decode().replace(json.dumps(str(root / "fiches" / "a.md"))[1:-1], str(secret))):
        assert forged != payload.decode()
        cache.put(KIND, entry.stem, forged.encode())
        parsed.clear()
        proj = _read(root)
        assert parsed == ["fiches/a.md"]
        assert {p for f in proj.fiches for p in f.images()} == {(root / "images" / "x.png").resolve()}


def test_plain_data_keys_a_model_by_its_values(project):
    root = project({"a": fiche_text(minimal_front(image={"file": "../images/x.png", "alt": "Un dessin"}),
                                    "Texte[^1] et *mot*.\n\n[^1]: Une note.\n")})
    (root / "images").mkdir()
    (root / "images" / "x.png").write_bytes(png_bytes(4, 4))
    fiche = _read(root).fiches[0]
    data = json.loads(json.dumps(to_data(fiche)))
    decode = Decoder(*{type(v) for v in _dataclasses(fiche)})
    back = decode(data)
    assert back.raw is None and dataclasses.replace(back, raw=fiche.raw) == fiche
    assert canonical(back) == canonical(fiche)
    assert canonical(dataclasses.replace(fiche, title="Autre")) != canonical(fiche)
    with pytest.raises(KeyError):
        Decoder(Fiche)(data)  # a Territory it was not given


def _dataclasses(value):
    if dataclasses.is_dataclass(value):
        yield value
        for f in dataclasses.fields(value):
            yield from _dataclasses(getattr(value, f.name))
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _dataclasses(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _dataclasses(v)


def test_a_project_moved_is_read_anew(tmp_path, parsed):
    root = write_project(tmp_path / "ici", {"a": minimal_front()})
    _build(root, root / "output")
    moved = tmp_path / "ailleurs"
    shutil.move(root, moved)
    parsed.clear()
    _build(moved, moved / "output")
    assert parsed == ["fiches/a.md"], "the fiche's paths are absolute: another folder, another key"
