"""The build cache: a rebuild reuses what did not change, and gives the very bytes a
clean build gives, after edits, deletions, renames and layout changes; a damaged entry
is rebuilt, never trusted."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from generator import cache as C
from generator.build import BuildOptions, build
from generator.diagnostics import Report
from generator.edition.select import make_edition
from generator.paths import builtin_layouts
from generator.read.project import read_project
from generator.render.booklet import parts as parts_module
from generator.render.booklet.plan import fiche_batches
from generator.render.html import anchor
from tests.catalogue import make_catalogue
from tests.conftest import built_files

FORMATS = ("pdf", "handouts")


# --- the store -----------------------------------------------------------------------

def test_entry_round_trip_and_corruption_is_a_miss(tmp_path):
    store = C.Cache(tmp_path / "c")
    k = C.key("part", "<html>", [1, 2])
    assert store.get("part", k) is None
    store.put("part", k, b"%PDF bytes", {"pages": 2})
    assert store.get("part", k) == (b"%PDF bytes", {"pages": 2})
    path = next((tmp_path / "c").rglob("*.entry"))
    assert path.read_bytes().startswith(C.MAGIC)  # data, no pickle
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF
    path.write_bytes(bytes(raw))
    assert store.get("part", k) is None and not path.exists(), "a damaged entry is deleted"
    store.put("part", k, b"x")
    path.write_bytes(path.read_bytes()[:-1])  # truncated, as by a crash without os.replace
    assert store.get("part", k) is None
    assert not list((tmp_path / "c").rglob("*.tmp"))


def test_an_entry_records_its_payload_digest(tmp_path):
    import hashlib

    store = C.Cache(tmp_path / "c")
    k = C.key("docx", "fiche")
    sha = store.put("docx", k, b"PK word bytes")
    assert sha == hashlib.sha256(b"PK word bytes").hexdigest()
    assert store.recorded_sha("docx", k) == sha
    assert store.lookup("docx", k) == (b"PK word bytes", {}, sha)
    assert store.recorded_sha("docx", C.key("docx", "other")) is None
    path = store._path("docx", k)
    other = store._path("docx", "f" * 64)  # an entry moved under another key's name
    other.parent.mkdir(parents=True, exist_ok=True)
    other.write_bytes(path.read_bytes())
    assert store.recorded_sha("docx", "f" * 64) is None and store.get("docx", "f" * 64) is None
    path.write_bytes(C.MAGIC + b"{not json\n" + b"PK")
    assert store.recorded_sha("docx", k) is None and store.get("docx", k) is None


def test_key_depends_on_every_part():
    assert C.key("a", "b") != C.key("ab") != C.key("a", b"b")
    assert C.key("a", {"x": 1, "y": 2}) == C.key("a", {"y": 2, "x": 1})


def test_prune_removes_unused_entries_and_stray_temporaries(tmp_path):
    store = C.Cache(tmp_path / "c")
    store.put("part", "a" * 64, b"old")
    store.put("part", "b" * 64, b"new")
    old = store._path("part", "a" * 64)
    stray = old.parent / "half.tmp"
    stray.write_bytes(b"half")
    past = time.time() - C.MAX_AGE - 10
    os.utime(old, (past, past))
    os.utime(stray, (past, past))
    assert store.prune() == 2
    assert store.get("part", "a" * 64) is None and store.get("part", "b" * 64) == (b"new", {})
    store.put("part", "c" * 64, b"x" * 100)
    assert store.prune(max_bytes=50) >= 1  # least recently used first, down to the bound


def test_no_cache_writes_nothing(tmp_path):
    store = C.Cache.for_output(tmp_path, enabled=False)
    store.put("part", "a" * 64, b"x")
    assert store.get("part", "a" * 64) is None and not (tmp_path / C.DIRNAME).exists()


# --- builds ----------------------------------------------------------------------------

def _build(root: Path, out: Path, cache: bool = True) -> None:
    build(root, BuildOptions(out=out, formats=FORMATS, cache=cache, jobs=1), Report())


@pytest.fixture
def counted(monkeypatch):
    """How many parts were rendered (not taken from the cache)."""
    calls = []
    real = parts_module.render
    monkeypatch.setattr(parts_module, "render", lambda job: calls.append(job) or real(job))
    return calls


def _same_as_clean(root: Path, cached_out: Path) -> None:
    clean = root / "clean"  # same depth as the cached OUT: booklet.html links images relatively
    shutil.rmtree(clean, ignore_errors=True)
    _build(root, clean, cache=False)
    assert not (clean / C.DIRNAME).exists()
    a, b = built_files(cached_out), built_files(clean)
    assert a.keys() == b.keys()
    for rel in a:
        assert a[rel] == b[rel], f"{rel} differs from a clean build"


_ARTICLE = re.compile(r'<article class="fiche[^"]*" id="([^"]+)"')


def _fiche_runs(jobs_: list) -> list[tuple[str, ...]]:
    """The fiches each rendered part laid out (their anchors), fiche parts only."""
    runs = [tuple(_ARTICLE.findall(j.html)) for j in jobs_]
    return [r for r in runs if r and "furniture" not in jobs_[runs.index(r)].html]


def _themes_seen_before(root: Path, fiche_id: str) -> bool:
    edition = make_edition(read_project(root, Report()), [], Report())
    seen: set[str] = set()
    for fiche in edition.fiches:
        if fiche.id == fiche_id:
            return set(fiche.themes) <= seen
        seen.update(fiche.themes)
    return False


def test_rebuilds_reuse_parts_and_match_clean_builds(tmp_path, counted):
    root = make_catalogue(tmp_path / "projet", 30, seed=5)
    out = root / "output"
    _build(root, out)
    before = _fiche_runs(counted)
    assert sorted(a for r in before for a in r) == sorted(anchor(p.stem) for p in (root / "fiches").rglob("*.md"))
    assert 1 < len(before) < 30, "fiches are laid out a few to a part"
    assert (out / C.DIRNAME).is_dir()
    manifest = (out / "build.json").read_text(encoding="utf-8")
    assert C.DIRNAME not in manifest

    counted.clear()
    _build(root, out)
    assert counted == [], "a rebuild without changes renders nothing"

    # An edit, a deletion and a rename: only the runs of fiches that hold the edited
    # fiche, or that changed their fiches, are laid out again; every other run of the
    # first build comes from the cache.
    fiches = sorted((root / "fiches").rglob("*.md"))
    # The fiche deleted brings no theme of its own: themes take the palette's colours in
    # order of appearance, so dropping one would rightly recolour other fiches.
    victim = next(n for n in range(10, 30) if _themes_seen_before(root, fiches[n].stem))
    edited = fiches[2]
    edited.write_text(edited.read_text(encoding="utf-8").replace("\n\n", "\n\nUne phrase de plus.\n\n", 1),
                      encoding="utf-8")
    fiches[victim].unlink()
    fiches[25].rename(fiches[25].with_name("zz-renomme.md"))
    publication = root / "publication.yaml"
    text = publication.read_text(encoding="utf-8")
    text = text.replace(f"  - {fiches[victim].stem}\n", "").replace(fiches[25].stem, "zz-renomme")
    publication.write_text(text, encoding="utf-8")
    counted.clear()
    _build(root, out)
    rendered = _fiche_runs(counted)
    gone, renamed = anchor(fiches[victim].stem), anchor(fiches[25].stem)
    order = [anchor("zz-renomme") if a == renamed else a for r in before for a in r if a != gone]
    by_anchor = {anchor(p.stem): p.stem for p in (root / "fiches").rglob("*.md")}
    now = [tuple(anchor(f.id) for f in run)
           for run in fiche_batches([SimpleNamespace(id=by_anchor[a]) for a in order])]
    expected = {r for r in now if r not in before or anchor(edited.stem) in r}
    assert set(rendered) == expected, "exactly the new runs and the edited fiche's are laid out again"
    assert len(set(now) - expected) >= 3, "most runs are reused"
    _same_as_clean(root, out)

    # The layout's CSS changes: every part is rendered again, as in a clean build.
    folder = root / "layouts" / "brochure"
    folder.mkdir(parents=True)
    css = (builtin_layouts() / "brochure" / "booklet.css").read_text(encoding="utf-8")
    (folder / "booklet.css").write_text(css + "\n.chapo { font-size: 1.3rem; }\n", encoding="utf-8")
    counted.clear()
    _build(root, out)
    assert len(counted) > 5
    _same_as_clean(root, out)


def test_damaged_entries_are_rebuilt(tmp_path):
    root = make_catalogue(tmp_path / "projet", 3, seed=2)
    out = root / "output"
    _build(root, out)
    for n, entry in enumerate(sorted((out / C.DIRNAME).rglob("*.entry"))):
        raw = bytearray(entry.read_bytes())
        if n % 2:
            raw[len(raw) // 2] ^= 0x55
            entry.write_bytes(bytes(raw))
        else:
            entry.write_bytes(bytes(raw[: len(raw) // 3]))
    _build(root, out)
    _same_as_clean(root, out)


def test_a_moved_project_gives_what_a_clean_build_gives(tmp_path):
    # WeasyPrint names each image after its path: parts cached where the project was
    # would carry the old names, and the booklet would differ from a clean build's.
    root = make_catalogue(tmp_path / "ici", 8, seed=3)
    assert any("image:" in p.read_text(encoding="utf-8") for p in (root / "fiches").rglob("*.md"))
    _build(root, root / "output")
    moved = tmp_path / "ailleurs"
    root.rename(moved)
    _build(moved, moved / "output")
    _same_as_clean(moved, moved / "output")


# --- Word files --------------------------------------------------------------------------

def _docx_build(root: Path, out: Path, cache: bool = True) -> None:
    build(root, BuildOptions(out=out, formats=("docx",), cache=cache, jobs=1), Report())


def test_the_word_files_start_once_the_runs_an_edit_waits_for_are_asked_for(tmp_path, monkeypatch):
    # The Word files only fill the workers' free time: preparing them must not hold up
    # the render an edit waits for, nor wait for the booklet to be done.
    from generator.render import word as docx

    root = make_catalogue(tmp_path / "projet", 8, seed=6)
    options = BuildOptions(out=root / "output", formats=("pdf", "docx"), jobs=1)
    events = []
    real_get, real_start = parts_module.Parts.get, docx.start_docx
    monkeypatch.setattr(parts_module.Parts, "get", lambda self, job, *a, **k: events.append(
        "furniture" if "furniture" in job.html else _ARTICLE.findall(job.html)) or real_get(self, job, *a, **k))
    monkeypatch.setattr(docx, "start_docx", lambda *a: events.append("docx") or real_start(*a))
    build(root, options, Report())
    starts = events.index("docx")
    runs = [e for e in events if isinstance(e, list) and e]
    assert len(runs) > 2 and not any(isinstance(e, list) and e for e in events[:starts]), (
        "a first build, every run to lay out: the Word files start before them, in the workers' early free time")

    events.clear()
    edited = root / "fiches" / "f0005.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("\n\n", "\n\nUne phrase.\n\n", 1),
                      encoding="utf-8")
    build(root, options, Report())
    starts = events.index("docx")
    assert "fiche-f0005" in events[starts - 1], "the edited fiche's run is asked for just before"
    assert [e for e in events[starts + 1:] if e], "the other runs after"
    assert sum("fiche-f0005" in e for e in events if isinstance(e, list)) == 1


def test_word_files_are_made_once_and_unchanged_ones_stay_untouched(tmp_path, monkeypatch):
    from generator.render import word as docx
    from tests.conftest import png_bytes

    made = []
    real = docx.fiche_package
    monkeypatch.setattr(docx, "fiche_package", lambda fiche, *a: made.append(fiche.id) or real(fiche, *a))
    root = make_catalogue(tmp_path / "projet", 6, seed=4)
    out = root / "output"
    _docx_build(root, out)
    assert sorted(made) == [f"f{i:04d}" for i in range(6)]
    # Pretend the files are old: one whose fiche did not change must keep its date.
    past = time.time_ns() - 10**12
    for path in (out / "fiches").glob("*.docx"):
        os.utime(path, ns=(past, past))

    fiche = root / "fiches" / "f0002.md"
    fiche.write_text(fiche.read_text(encoding="utf-8").replace("\n\n", "\n\nUne phrase de plus.\n\n", 1),
                     encoding="utf-8")
    made.clear()
    _docx_build(root, out)
    assert made == ["f0002"], "only the edited fiche's Word file is made again"
    dates = {p.stem: p.stat().st_mtime_ns for p in (out / "fiches").glob("*.docx")}
    assert dates.pop("f0002") != past and set(dates.values()) == {past}, "the others are left as they were"
    _same_docx_as_clean(root, out)

    # The image a fiche shows changes: its Word file is made again, no other.
    (root / "images" / "photo-1.png").write_bytes(png_bytes(40, 30, (200, 30, 30)))
    made.clear()
    _docx_build(root, out)
    users = sorted(p.stem for p in (root / "fiches").glob("*.md") if "photo-1.png" in p.read_text(encoding="utf-8"))
    assert sorted(made) == users and users
    _same_docx_as_clean(root, out)

    # A Word file changed in OUT by hand is written again, not kept.
    (out / "fiches" / "f0003.docx").write_bytes(b"edited in Word")
    made.clear()
    _docx_build(root, out)
    assert made == [], "its document comes from the cache"
    _same_docx_as_clean(root, out)

    # A section renamed in publication.yaml: the fiches' own documents do not change.
    publication = root / "publication.yaml"
    text = publication.read_text(encoding="utf-8")
    first = next(line for line in text.splitlines() if line.startswith("- title: "))
    publication.write_text(text.replace(first, first + " (suite)"), encoding="utf-8")
    made.clear()
    _docx_build(root, out)
    assert made == []
    _same_docx_as_clean(root, out)

    # The publication's title is in every file's header: all are made again.
    publication.write_text(publication.read_text(encoding="utf-8").replace(
        "Initiatives solidaires en région", "Initiatives solidaires, deuxième édition"), encoding="utf-8")
    made.clear()
    _docx_build(root, out)
    assert len(made) == 6
    _same_docx_as_clean(root, out)


def _same_docx_as_clean(root: Path, cached_out: Path) -> None:
    import hashlib
    import json

    clean = root / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    _docx_build(root, clean, cache=False)
    a, b = built_files(cached_out), built_files(clean)
    assert a.keys() == b.keys()
    for rel in a:
        assert a[rel] == b[rel], f"{rel} differs from a clean build"
    listed = json.loads(a["build.json"])["outputs"]
    assert {e["path"] for e in listed} == set(a) - {"build.json"}
    for entry in listed:
        assert entry["sha256"] == hashlib.sha256(a[entry["path"]]).hexdigest(), entry["path"]
