"""A failed, interrupted or concurrent build leaves OUT as it was."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from conftest import REPO

from generator.write.manifest import sha256_file
from generator.write.staging import OutputBusy, OutputError, Staging


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every visible file under folder, with its bytes (hidden bookkeeping excluded)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.relative_to(folder).as_posix().startswith(".recueil")
    }


def build(out: Path, files: dict[str, bytes], manifest: bool = True, **kw) -> None:
    """One committed build writing `files`, with a build.json listing them."""
    with Staging(out, **kw) as stage:
        for rel, data in files.items():
            stage.path(rel).write_bytes(data)
        if manifest:
            outputs = [
                {"path": rel, "sha256": sha256_file(stage.root / rel), "size": len(data)}
                for rel, data in sorted(files.items())
            ]
            stage.path("build.json").write_text(json.dumps({"outputs": outputs}))
        stage.commit()


FIRST = {"booklet.pdf": b"%PDF old booklet", "fiches/a.docx": b"old a", "fiches/b.docx": b"old b"}


@pytest.fixture
def out(tmp_path):
    out = tmp_path / "output"
    build(out, FIRST)
    return out


def test_commit_puts_every_file_in_place_and_leaves_no_staging(out):
    assert snapshot(out) == {**FIRST, "build.json": (out / "build.json").read_bytes()}
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [".recueil.lock"]


def test_a_failed_build_leaves_previous_outputs_identical(out):
    before = snapshot(out)
    with pytest.raises(RuntimeError):
        with Staging(out) as stage:
            stage.path("booklet.pdf").write_bytes(b"half a new booklet")
            stage.path("fiches/c.docx").write_bytes(b"new c")
            raise RuntimeError("renderer crashed")
    assert snapshot(out) == before
    assert not list(out.glob(".recueil-staging-*"))


def test_an_interrupted_build_leaves_previous_outputs_identical(out):
    before = snapshot(out)
    with pytest.raises(KeyboardInterrupt):
        with Staging(out) as stage:
            stage.path("booklet.pdf").write_bytes(b"half")
            raise KeyboardInterrupt
    assert snapshot(out) == before
    assert not list(out.glob(".recueil-staging-*"))


def test_leaving_without_commit_writes_nothing(out):
    before = snapshot(out)
    with Staging(out) as stage:
        stage.path("booklet.pdf").write_bytes(b"never committed")
    assert snapshot(out) == before


def test_a_new_build_replaces_changed_files_and_removes_its_own_leftovers_only(out):
    (out / "notes.txt").write_bytes(b"the user's own file")
    (out / "fiches" / "b.docx").write_bytes(b"edited by hand")  # no longer what we wrote
    build(out, {"booklet.pdf": b"%PDF new", "fiches/c.docx": b"new c"})
    files = snapshot(out)
    assert files["booklet.pdf"] == b"%PDF new"
    assert files["fiches/c.docx"] == b"new c"
    assert "fiches/a.docx" not in files  # listed by the previous build.json, not built now
    assert files["fiches/b.docx"] == b"edited by hand"
    assert files["notes.txt"] == b"the user's own file"


def test_a_folder_emptied_of_old_outputs_goes(out):
    build(out, {"booklet.pdf": b"%PDF only"})
    assert not (out / "fiches").exists()


def test_a_forged_manifest_cannot_delete_outside_out(tmp_path):
    out = tmp_path / "output"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    entry = {"path": "../victim.txt", "sha256": sha256_file(victim), "size": 8}
    absolute = {"path": str(victim), "sha256": sha256_file(victim), "size": 8}
    (out / "build.json").write_text(json.dumps({"outputs": [entry, absolute]}))
    build(out, {"booklet.pdf": b"x"})
    assert victim.read_bytes() == b"precious"


def test_a_corrupt_previous_manifest_deletes_nothing(out):
    (out / "build.json").write_text("{not json")
    build(out, {"booklet.pdf": b"x"}, manifest=False)
    assert (out / "fiches" / "a.docx").read_bytes() == b"old a"


def test_stale_staging_from_a_killed_build_is_cleaned(out):
    stale = out / ".recueil-staging-dead"
    (stale / "fiches").mkdir(parents=True)
    (stale / "fiches" / "x.docx").write_bytes(b"half")
    with Staging(out) as stage:
        assert not stale.exists()
        assert stage.root.parent == out and stage.root.name.startswith(".recueil-staging-")


@pytest.mark.parametrize("rel", ["../escape.pdf", "/tmp/abs.pdf", "fiches/../../x", ".recueil.lock", ""])
def test_output_names_cannot_leave_the_staging_folder(out, rel):
    with Staging(out) as stage:
        with pytest.raises(OutputError):
            stage.path(rel)


def test_a_folder_in_the_way_is_refused_before_anything_moves(out):
    (out / "fiches" / "z.docx").mkdir()
    before = snapshot(out)
    with pytest.raises(OutputError, match="z.docx"):
        with Staging(out) as stage:
            stage.path("booklet.pdf").write_bytes(b"new")
            stage.path("fiches/z.docx").write_bytes(b"new z")
            stage.commit()
    assert snapshot(out) == before


def test_a_second_build_on_the_same_out_refuses_clearly_after_waiting(out):
    with Staging(out):
        with pytest.raises(OutputBusy, match="another build is writing to") as refused:
            with Staging(out, wait=0.3):
                pass
        assert str(out) in str(refused.value)


def test_a_second_build_waits_for_the_first_to_finish(out):
    order = []
    first = Staging(out).__enter__()

    def finish_first():
        time.sleep(0.3)
        order.append("first done")
        first.__exit__(None, None, None)

    thread = threading.Thread(target=finish_first)
    thread.start()
    with Staging(out, wait=10):
        order.append("second in")
    thread.join()
    assert order == ["first done", "second in"]


def test_the_lock_holds_across_processes(out):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from generator.write.staging import Staging
            with Staging({str(out)!r}):
                print("locked", flush=True)
                time.sleep(30)
        """)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(OutputBusy):
            Staging(out, wait=0.2).__enter__()
    finally:
        holder.kill()
        holder.wait()
    # A killed holder releases its lock with its process, and its staging is cleaned.
    with Staging(out, wait=2):
        pass
    assert not list(out.glob(".recueil-staging-*"))


KILLED_BUILD = """
import sys
from pathlib import Path
from generator.write.staging import Staging

out, phase = Path(sys.argv[1]), sys.argv[2]
new = {f"fiches/f{i:03}.docx": bytes([65 + i % 26]) * 20_000 for i in range(150)}
with Staging(out) as stage:
    if phase == "staging":
        f = open(stage.path("booklet.pdf"), "wb")
        f.write(b"%PDF half")
        f.flush()
        print("ready", flush=True)
        sys.stdin.read()  # stays half-written until killed
    for rel, data in new.items():
        stage.path(rel).write_bytes(data)
    print("ready", flush=True)
    stage.commit()
"""


def killed(out: Path, phase: str, delay: float = 0.0) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_BUILD, str(out), phase],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def test_a_build_killed_while_writing_leaves_previous_outputs_identical(out):
    before = snapshot(out)
    killed(out, "staging")
    assert snapshot(out) == before
    assert list(out.glob(".recueil-staging-*"))  # what the next build cleans
    with Staging(out):
        pass
    assert not list(out.glob(".recueil-staging-*"))


@pytest.mark.parametrize("delay", [0.0, 0.002, 0.005, 0.01, 0.02])
def test_a_build_killed_while_committing_leaves_only_whole_files(out, delay):
    before = snapshot(out)
    killed(out, "commit", delay)
    for rel, data in snapshot(out).items():
        if rel in before and data == before[rel]:
            continue
        if rel.startswith("fiches/f"):
            i = int(rel[len("fiches/f"):-len(".docx")])
            assert data == bytes([65 + i % 26]) * 20_000, f"{rel} is not whole"
        else:
            pytest.fail(f"{rel} changed into something no build wrote")
