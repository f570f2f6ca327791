"""Shared test helpers: write small publication projects on disk."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
# The tests read Recueil's messages in English, whatever the machine's locale
# (tests/test_i18n.py sets the language it needs).
os.environ["RECUEIL_LANG"] = "en"
SHARED = REPO.parent / "shared"


def fiche_text(front: dict | str, body: str = "Un paragraphe.\n") -> str:
    """A fiche file: front matter (a mapping, or YAML text as written) and a body."""
    if isinstance(front, dict):
        front = yaml.safe_dump(front, allow_unicode=True, sort_keys=False)
    return f"---\n{textwrap.dedent(front).strip()}\n---\n\n{textwrap.dedent(body)}"


def minimal_front(title: str = "Une initiative", **extra) -> dict:
    front = {
        "title": title,
        "summary": "Un chapô court.",
        "themes": ["Insertion"],
        "territory": "Moulins",
        "partners": [],
    }
    front.update(extra)
    return front


def write_project(
    root: Path,
    fiches: dict[str, str | dict],
    publication: dict | str | None = None,
    partners: list | str | None = None,
) -> Path:
    """Write a project: `fiches` maps a path under fiches/ (without .md) to the text of
    the file, or to a front-matter mapping (body: a short paragraph)."""
    root.mkdir(parents=True, exist_ok=True)
    for name, content in fiches.items():
        path = root / "fiches" / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict):
            content = fiche_text(content)
        path.write_text(content, encoding="utf-8")
    if publication is not None:
        text = publication if isinstance(publication, str) else yaml.safe_dump(publication, allow_unicode=True, sort_keys=False)
        (root / "publication.yaml").write_text(text, encoding="utf-8")
    if partners is not None:
        text = partners if isinstance(partners, str) else yaml.safe_dump(partners, allow_unicode=True, sort_keys=False)
        (root / "partners.yaml").write_text(text, encoding="utf-8")
    return root


def built_files(out: Path) -> dict[str, bytes]:
    """What a build wrote into `out`, path -> bytes, without its cache."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.relative_to(out).as_posix().startswith(".recueil")}


def run_recueil(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the command line as a user does, in a separate process."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=cwd, env=full_env, capture_output=True, text=True, timeout=600,
    )


@pytest.fixture
def project(tmp_path):
    """A factory: project(fiches, publication=None, partners=None) -> project folder."""

    def make(fiches, publication=None, partners=None, name="projet"):
        return write_project(tmp_path / name, fiches, publication, partners)

    return make


class FolderStage:
    """The part of output.Staging a renderer uses, writing straight into a folder: for
    tests of one renderer, where staging and its lock are beside the point."""

    def __init__(self, root: Path):
        self.root = root

    def path(self, rel: str) -> Path:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def synced(self, path, sha256: str) -> None:
        pass  # what Staging does with it (skip an fsync, a hash) has no effect here

    def keep(self, path, sha256: str) -> None:
        pass  # a file kept in OUT: here OUT is this folder, where it already is

    def source(self, rel: str) -> Path:
        return self.root / rel

    def digest(self, rel: str) -> str | None:
        return None  # nothing hashed ahead: the manifest reads the file

    def staged(self) -> list[str]:
        # The build cache may live in this folder too (out=root); it is never an output.
        return sorted(rel for rel in (p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file())
                      if not rel.startswith(".recueil-cache/"))


def png_bytes(width: int, height: int, rgb=(30, 90, 140), *, pixels: bool = True, comment: bytes | None = None) -> bytes:
    """A PNG written by hand, the same bytes every time: a solid colour, or with
    `pixels=False` only a header claiming width x height (a decompression bomb as far
    as the header goes); `comment` goes into a tEXt chunk."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height)) if pixels else b"\0"
    text = chunk(b"tEXt", b"Comment\0" + comment) if comment is not None else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + text
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


from browser import browser, page  # noqa: E402,F401  (fixtures for the browser tests)


@contextlib.contextmanager
def renderer_context(edition, layouts, out: Path, *, report=None, **options):
    """The context of a build for testing one renderer on its own: writing straight into
    `out` (FolderStage), the cache in `out` unless `cache=False`, one worker process per
    `jobs` (default 1: this one), the fetch rules of `layouts` (a layout or a list)."""
    from generator.cache import Cache
    from generator.context import BuildContext, BuildOptions, FetchRules, build_epoch
    from generator.diagnostics import Report
    from generator.paths import builtin_fonts
    from generator.pool import Pool

    options = BuildOptions(out=Path(out), **{"jobs": 1, **options})
    layouts = layouts if isinstance(layouts, (list, tuple)) else [layouts]
    roots = [d for layout in layouts for d in layout.dirs] + [builtin_fonts()]
    fetch = FetchRules.of(edition.project.root, roots, edition.publication.allow_remote)
    with Pool(options.workers()) as pool:
        yield BuildContext(options, build_epoch(edition.publication.date), FolderStage(Path(out)),
                           Cache.for_output(Path(out), options.cache), pool, fetch, report or Report())
