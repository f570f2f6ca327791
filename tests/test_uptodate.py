"""The no-change fast path: a build whose inputs and outputs are exactly those of the
previous build does nothing but say so (and repeat its warnings); any change to what a
build reads, to the options, or to an output in OUT brings back a real build, whose
outputs are those of a clean build."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from generator import cache as C
from generator.build import BuildOptions, run
from generator.context import format_of
from generator.paths import builtin_layouts
from generator.write import uptodate
from tests.catalogue import make_catalogue

FORMATS = ("pdf", "handouts", "docx")


def _run(root: Path, out: Path, capsys, cache: bool = True, **options) -> str:
    capsys.readouterr()
    assert run(root, BuildOptions(out=out, cache=cache, jobs=1, **{"formats": FORMATS, **options})) == 0
    return capsys.readouterr().err


def _outputs(out: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(out).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(out.rglob("*"))
            if p.is_file() and not p.relative_to(out).as_posix().startswith(".recueil")}


def _same_as_clean(root: Path, out: Path, capsys, **options) -> None:
    clean = root / "clean"  # same depth as OUT: booklet.html links images relatively
    shutil.rmtree(clean, ignore_errors=True)
    _run(root, clean, capsys, cache=False, **options)
    a, b = _outputs(out), _outputs(clean)
    # Outputs of formats this build did not make stay from earlier builds (and build.json lists them).
    kept = set(a) - set(b)
    assert set(b) <= set(a) and all(format_of(rel) not in options.get("formats", FORMATS) for rel in kept)
    for rel in b:
        if not (rel == "build.json" and kept):
            assert a[rel][0] == b[rel][0], f"{rel} differs from a clean build"


@pytest.fixture
def project(tmp_path):
    """A small catalogue with one warning, built fresh in each test's folder."""
    root = make_catalogue(tmp_path / "projet", 3, seed=7)
    first = sorted((root / "fiches").rglob("*.md"))[0]
    first.write_text(first.read_text(encoding="utf-8").replace("---\n", "---\nkeyword: x\n", 1), encoding="utf-8")
    return root


def test_no_change_rebuild_is_up_to_date_and_touches_nothing(project, capsys):
    out = project / "output"
    first = _run(project, out, capsys)
    assert "keyword" in first  # the warning of the unknown key
    before = _outputs(out)
    again = _run(project, out, capsys)
    assert "up to date" in again and "built " not in again
    assert "keyword" in again, "the previous build's warnings are repeated"
    assert _outputs(out) == before, "every output byte-identical, and untouched (mtime)"
    assert _run(project, out, capsys).count("up to date") == 1
    manifest = (out / "build.json").read_text(encoding="utf-8")
    assert "last-build" not in manifest and (out / C.DIRNAME / "last-build.json").is_file()


def _edit_fiche(root: Path) -> None:
    path = sorted((root / "fiches").rglob("*.md"))[1]
    path.write_text(path.read_text(encoding="utf-8").replace("\n\n", "\n\nUne phrase de plus.\n\n", 1),
                    encoding="utf-8")


def _edit_image(root: Path) -> None:
    import re

    from tests.catalogue import _png

    used = sorted({m for f in (root / "fiches").rglob("*.md")
                   for m in re.findall(r"photo-\d\.png", f.read_text(encoding="utf-8"))})
    assert used
    _png(root / "images" / used[0], (10, 200, 30))


def _edit_css(root: Path) -> None:
    folder = root / "layouts" / "brochure"
    folder.mkdir(parents=True, exist_ok=True)
    css = (builtin_layouts() / "brochure" / "booklet.css").read_text(encoding="utf-8")
    (folder / "booklet.css").write_text(css + "\n.chapo { font-size: 1.3rem; }\n", encoding="utf-8")


def _edit_publication(root: Path) -> None:
    path = root / "publication.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title: ", "title: Nouveau ", 1), encoding="utf-8")


def _delete_output(root: Path) -> None:
    next((root / "output" / "fiches").glob("*.pdf")).unlink()


def _alter_output(root: Path) -> None:
    path = root / "output" / "booklet.pdf"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("change", [_edit_fiche, _edit_image, _edit_css, _edit_publication, _delete_output,
                                    _alter_output])
def test_a_change_brings_back_a_real_build(project, capsys, change):
    out = project / "output"
    _run(project, out, capsys)
    assert "up to date" in _run(project, out, capsys)
    change(project)
    again = _run(project, out, capsys)
    assert "up to date" not in again and "built 3 fiches" in again
    _same_as_clean(project, out, capsys)
    assert "up to date" in _run(project, out, capsys)


@pytest.mark.parametrize("options", [{"formats": ("pdf", "docx")}, {"print_edition": True},
                                     {"selects": [("id", "__first__")]}])
def test_other_options_bring_back_a_real_build(project, capsys, options):
    out = project / "output"
    _run(project, out, capsys)
    if "selects" in options:
        options = {"selects": [("id", sorted((project / "fiches").rglob("*.md"))[0].stem)]}
    again = _run(project, out, capsys, **options)
    assert "up to date" not in again and "built " in again
    _same_as_clean(project, out, capsys, **options)
    assert "up to date" in _run(project, out, capsys, **options)
    assert "up to date" not in _run(project, out, capsys)  # back to the default options


def test_no_cache_never_takes_the_fast_path(project, capsys):
    out = project / "output"
    _run(project, out, capsys)
    assert "up to date" not in _run(project, out, capsys, cache=False)


def test_an_edit_names_the_fiches_changed_since_the_last_build(project, capsys):
    """The fiches whose file is newer than the last build's record (all of them before a
    first build): the booklet lays their runs out first."""
    out = project / "output"
    files = sorted((project / "fiches").rglob("*.md"))
    fiches = [SimpleNamespace(id=p.stem, path=p) for p in files]
    assert uptodate.changed_since(out, fiches) == {p.stem for p in files}
    _run(project, out, capsys)
    built = uptodate.stamp_path(out).stat().st_mtime_ns
    for p in files:
        os.utime(p, ns=(built - 10**9, built - 10**9))
    assert uptodate.changed_since(out, fiches) == set()
    os.utime(files[1], ns=(built + 10**9, built + 10**9))
    assert uptodate.changed_since(out, fiches) == {files[1].stem}
