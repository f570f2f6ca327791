"""build.json: what a build published, for the people and scripts that check it.

It names every fiche (with the sha256 of its source and its pages in booklet.pdf) and
every output (with its sha256 and size). It holds no clock time, so two builds of the
same sources write the same bytes. `output.Staging.commit()` moves it into OUT last, and
reads the previous one to know which old outputs it may remove.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import generator
from generator.paths import is_builtin

if TYPE_CHECKING:  # output imports sha256_file from here
    from generator.model import Edition
    from generator.write.staging import Staging

MANIFEST = "build.json"
FORMAT = 1  # bumped when a key changes meaning, for scripts that read the file


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_regular(path: Path) -> str | None:
    """The sha256 of `path` if it is a regular file (symlinks followed), else None,
    without ever waiting: a FIFO among the inputs would block a plain open() forever."""
    import os
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    with open(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        digest = hashlib.sha256()
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
        return digest.hexdigest()


def manifest_data(
    edition: Edition,
    booklet_pages: dict[str, tuple[int, int]] | None,
    outputs: dict[str, Path],
    known: dict[str, str] | None = None,
    record: dict | None = None,
) -> dict:
    """The manifest as a mapping; `outputs` maps each output's path in OUT (POSIX) to
    the file holding its bytes now; `known`, the sha256 of some of them, already computed;
    `record` (build_record) the options and inputs of the build."""
    known = known or {}
    pub = edition.publication
    fiches = []
    for fiche in edition.fiches:  # booklet order: the order a reader meets them
        entry = {
            "id": fiche.id,
            "title": fiche.title,
            "source": fiche.rel,
            "sha256": hashlib.sha256(fiche.raw).hexdigest() if fiche.raw else sha256_file(fiche.path),
        }
        if booklet_pages is not None and fiche.id in booklet_pages:
            first, last = booklet_pages[fiche.id]
            entry["first_page"], entry["last_page"] = int(first), int(last)
        fiches.append(entry)
    return {
        "format": FORMAT,
        "generator": {"name": "recueil", "version": generator.__version__},
        "publication": {
            "title": pub.title,
            "subtitle": pub.subtitle,
            "edition": pub.edition,
            "date": pub.date,
            "lang": pub.lang,
            "layout": pub.layout,
            "page_size": pub.page_size,
        },
        **(record or {}),
        "fiches": fiches,
        "outputs": [
            {"path": rel, "sha256": known.get(rel) or sha256_file(path), "size": path.stat().st_size}
            for rel, path in sorted(outputs.items())
        ],
    }


def dumps(data: dict) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2) + "\n"


def write_manifest(
    stage: Staging,
    edition: Edition,
    booklet_pages: dict[str, tuple[int, int]] | None,
    outputs: list[str],
    record: dict | None = None,
) -> None:
    """Write build.json into the staging folder, describing the staged `outputs` (paths
    relative to OUT) and the build (`record`). Call it after every renderer has finished."""
    staged = set(stage.staged())
    missing = sorted(set(outputs) - staged)
    if missing:
        raise ValueError(f"build.json would list outputs that were never staged: {', '.join(missing)}")
    files, known = staged_files(stage, outputs)
    stage.path(MANIFEST).write_text(dumps(manifest_data(edition, booklet_pages, files, known, record)),
                                    encoding="utf-8")


def build_record(edition: Edition, options, layouts, reads: dict | None = None) -> dict:
    """What build.json says of the build itself, for an archivist to make it again: the
    options that shape the outputs (never the folders: the same build elsewhere gives the
    same bytes), and the sha256 of every file of the project it read (the fiches, the
    images, publication.yaml, partners.yaml, the project's own layouts and fonts;
    Recueil's own are those of its version)."""
    root = Path(edition.project.root).resolve()
    # A fiche is recorded as the build read it (its bytes are in the model): the same
    # digest as its file's, unless it changed since, when this one is the true record.
    files = [(f.path, f.raw) for f in edition.fiches]
    files += [(root / "publication.yaml", None), (root / "partners.yaml", None)]
    files += [(image, None) for f in edition.fiches for image in f.images()]
    files += [(Path(p), None) for p in (reads or {}) if not is_builtin(Path(p))]
    inputs = {}
    for path, data in files:
        try:
            rel = Path(path).resolve().relative_to(root).as_posix()
        except ValueError:
            continue  # read from Recueil's own folders
        if rel in inputs:
            continue
        if data is not None:
            inputs[rel] = hashlib.sha256(data).hexdigest()
        elif Path(path).is_file():
            inputs[rel] = sha256_file(Path(path))
    for layout in layouts:
        for rel, path in layout.project_files(root):
            inputs.setdefault(rel, sha256_file(path))
    chosen = {
        "formats": list(options.formats), "layout": options.layout, "select": [f"{k}={v}" for k, v in options.selects],
        "title": options.title, "subtitle": options.subtitle, "drafts": options.drafts,
        "print": options.print_edition, "impose": options.impose, "archive": options.archive,
    }
    return {"options": chosen, "inputs": [{"path": rel, "sha256": sha} for rel, sha in sorted(inputs.items())]}


def previous_pages(out: Path, booklet_kept: bool) -> dict[str, tuple[int, int]] | None:
    """The fiches' pages the previous build.json gives, when its booklet is kept as it
    is: the pages are still those of the booklet in OUT."""
    if not booklet_kept:
        return None
    try:
        fiches = json.loads((Path(out) / MANIFEST).read_text(encoding="utf-8"))["fiches"]
        return {f["id"]: (int(f["first_page"]), int(f["last_page"])) for f in fiches if "first_page" in f}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def staged_files(stage: Staging, outputs) -> tuple[dict[str, Path], dict[str, str]]:
    """For manifest_data: where the bytes of each of `outputs` (but build.json) are now,
    staged or kept, and the sha256 of those the workers already gave."""
    files = {rel: stage.source(rel) for rel in set(outputs) if rel != MANIFEST}
    return files, {rel: d for rel in files if (d := stage.digest(rel)) is not None}
