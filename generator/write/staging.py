"""Writing a build's files into OUT so that a failed or interrupted build changes nothing.

Renderers never write into OUT directly: they write to `stage.path("booklet.pdf")`, a
path inside a hidden staging folder that lives in OUT itself (the same file system, so a
move is a rename). Only `stage.commit()` moves the files into place.

What a reader of OUT can rely on:
  - A build that fails, is interrupted (Ctrl-C) or is killed before `commit()` leaves
    every file of OUT as it was. A killed build leaves at most a hidden
    `.recueil-staging-*` folder, removed by the next build.
  - Every file under its real name is whole, at all times: each one arrives by a single
    `os.replace`, after its bytes have reached the disk (fsync).
  - Moving several files is not atomic as a whole. The commit therefore moves the
    outputs first, then removes the previous build's leftovers, and moves `build.json`
    last: when `build.json` comes from the newest build, every file it lists is there,
    whole, with the sha256 it records. During the few renames of a commit, the previous
    `build.json` can sit beside files that are already new; its checksums tell them apart.
  - Only files the previous `build.json` listed, still unchanged since (same size and
    sha256), are ever deleted: a user's own file in OUT is never touched. Removing them
    before the new manifest arrives means a commit killed half-way still leaves the old
    manifest in place, so the next build finishes the clean-up.
  - An output the build makes identical to the file already in OUT may be kept as it
    is (`keep()`): it is listed in build.json but neither staged nor moved, so an
    unchanged Word file keeps its date.
  - One build at a time per OUT: the lock `OUT/.recueil.lock` is held from enter to exit.
    A second build waits for it up to `wait` seconds, then refuses with `OutputBusy`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path, PurePosixPath

from generator.i18n import _
from generator.write.manifest import MANIFEST, sha256_file, sha256_regular

LOCK = ".recueil.lock"
STAGING_PREFIX = ".recueil-staging-"


class OutputBusy(Exception):
    """Another build holds OUT's lock."""


class OutputError(Exception):
    """OUT cannot receive this build's files (a folder in the way, a bad name, a
    read-only or full file system, a missing permission...)."""


# What the machine, not the build, is to blame for: a read-only or full file system, a
# missing permission, a file where a folder should be. A build that meets one stops,
# says so in one line (the path and the reason), and leaves OUT as it was.
ENVIRONMENT = {errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.ENOTDIR,
               errno.EISDIR, errno.ENAMETOOLONG, errno.EIO, errno.EFBIG, errno.EMFILE, errno.ENFILE,
               errno.ELOOP, errno.EEXIST}


def _reason(number: int | None) -> str | None:
    """What an errno means for the user, in words, or None (then the system's words)."""
    return {
        errno.EROFS: _("the file system is read-only"),
        errno.ENOSPC: _("the disk is full"),
        errno.EDQUOT: _("the disk quota is used up"),
        errno.EACCES: _("permission denied"),
        errno.EPERM: _("permission denied"),
        errno.ENOTDIR: _("a file is where a folder should be"),
        errno.EEXIST: _("a file is where a folder should be"),
        errno.EISDIR: _("a folder is where a file should be"),
    }.get(number)


def environment_error(e: OSError, where: Path | str | None = None) -> OutputError | None:
    """The OutputError saying what `e` is, in one line, when the environment is to
    blame for it (ENVIRONMENT); None for anything else (a bug, most likely)."""
    if not isinstance(e, OSError) or e.errno not in ENVIRONMENT:
        return None
    path = e.filename if e.filename is not None else where
    if path is not None and f"/{STAGING_PREFIX}" in str(path):  # the build's own folder: name OUT
        path = str(path)[:str(path).index(f"/{STAGING_PREFIX}")]
    reason = _reason(e.errno) or (e.strerror or str(e)).lower()
    return OutputError(_("cannot write {path}: {reason}", path=path, reason=reason) if path is not None
                       else _("cannot write: {reason}", reason=reason))


def _clean_rel(rel: str) -> str:
    # Names come from fiche ids: a strange one must not write outside the staging folder
    # or over the build's own bookkeeping.
    pure = PurePosixPath(rel.replace("\\", "/"))
    if not rel or pure.is_absolute() or any(p in ("", ".", "..") for p in pure.parts):
        raise OutputError(_("output name {name} is not a plain relative path", name=repr(rel)))
    if pure.parts[0].startswith((LOCK, STAGING_PREFIX)):
        raise OutputError(_("output name {name} is reserved", name=repr(rel)))
    return pure.as_posix()


def _fsync_path(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Staging:
    """`with Staging(out) as stage: ...; stage.commit()` — see the module docstring."""

    def __init__(self, out: Path, wait: float = 60.0, poll: float = 0.1):
        self.out = Path(out)
        self.wait = wait
        self.poll = poll
        self.root: Path | None = None  # the staging folder, once entered
        self._lock_fd: int | None = None
        self._committed = False
        self._synced: dict[str, tuple[str, int]] = {}  # rel -> (sha256, size), see synced()
        self._kept: dict[str, tuple[str, int]] = {}  # rel -> (sha256, size), see keep()

    # entering and leaving ----------------------------------------------------------
    def __enter__(self) -> Staging:
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as failure:
            raise OutputError(_("cannot create the output folder {path}: {reason}", path=self.out,
                                reason=_reason(failure.errno) or failure.strerror)) from None
        self._lock()
        try:
            self._remove_stale_staging()
            self.root = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.out))
        except OSError as failure:
            self._unlock()
            raise environment_error(failure, self.out) or failure from None
        except BaseException:
            self._unlock()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if self.root is not None:
                shutil.rmtree(self.root, ignore_errors=True)
        finally:
            self._unlock()
        return False  # an exception, KeyboardInterrupt included, goes on up

    @contextlib.contextmanager
    def locked(self):
        """OUT's lock alone, without staging: to read OUT while no build commits."""
        self._lock()
        try:
            yield
        finally:
            self._unlock()

    def _lock(self) -> None:
        try:
            fd = os.open(self.out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as failure:
            # A read-only OUT can still be read under the lock (is it up to date?) when
            # the lock file is there; writing fails later, with its own message.
            try:
                fd = os.open(self.out / LOCK, os.O_RDONLY)
            except OSError:
                raise environment_error(failure, self.out / LOCK) or failure from None
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._lock_fd = fd
                return
            except OSError as busy:
                if busy.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise environment_error(busy, self.out / LOCK) or busy from None
            if time.monotonic() >= deadline:
                os.close(fd)
                raise OutputBusy(
                    _("another build is writing to {path}: wait for it to finish, or build with --out elsewhere",
                      path=self.out)
                )
            time.sleep(self.poll)

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None

    def _remove_stale_staging(self) -> None:
        # We hold the lock, so no live build owns any of these: they are what killed
        # builds left behind.
        for stale in self.out.glob(STAGING_PREFIX + "*"):
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)

    # while building ----------------------------------------------------------------
    def path(self, rel: str) -> Path:
        """Where a renderer writes the output `rel` (POSIX, relative to OUT)."""
        if self.root is None:
            raise RuntimeError("Staging.path() outside of its `with` block")
        if self._committed:
            raise RuntimeError("Staging.path() after commit()")
        target = self.root / _clean_rel(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def synced(self, path: str | Path, sha256: str) -> None:
        """Say that the staged file at `path` (from path()) is on disk already (fsynced)
        and holds bytes of this sha256: the commit and the manifest need not read it
        again. Workers that write many files do so, in parallel."""
        rel = Path(path).relative_to(self.root).as_posix()
        self._synced[rel] = (sha256, Path(path).stat().st_size)

    def keep(self, path: str | Path, sha256: str) -> None:
        """Say that the output at `path` (in OUT) is already what this build makes, with
        this sha256 (checked by the caller against the file itself): it stays as it is,
        and is listed with the build's outputs without being staged. A Word file whose
        fiche did not change keeps its date, and costs the build no write."""
        rel = _clean_rel(Path(path).relative_to(self.out).as_posix())
        self._kept[rel] = (sha256, Path(path).stat().st_size)

    def keep_previous(self, wanted) -> list[str]:
        """Keep, as they are, the outputs the previous build.json lists for which
        `wanted(rel)` is true and that are still unchanged in OUT (a build of fewer
        formats leaves the others in place); return their paths."""
        kept = []
        for rel, entry in sorted(self._previous_outputs().items()):
            path = self.out / rel
            if not wanted(rel) or rel in self._kept or (self.root / rel).exists():
                continue
            try:
                unchanged = (path.is_file() and not path.is_symlink() and path.stat().st_size == entry.get("size")
                             and sha256_file(path) == entry.get("sha256"))
            except OSError:
                unchanged = False
            if unchanged:
                self.keep(path, entry["sha256"])
                kept.append(rel)
        return kept

    def digest(self, rel: str) -> str | None:
        """The sha256 given to synced() or keep() for `rel`, if its file still has that size."""
        known = self._synced.get(rel) or self._kept.get(rel)
        if known is None or self.root is None:
            return None
        try:
            return known[0] if self.source(rel).stat().st_size == known[1] else None
        except OSError:
            return None

    def source(self, rel: str) -> Path:
        """Where the bytes of output `rel` are now: staged, or kept in OUT."""
        if self.root is None:
            raise RuntimeError("Staging.source() outside of its `with` block")
        return self.out / rel if rel in self._kept and not (self.root / rel).exists() else self.root / rel

    def staged(self) -> list[str]:
        """Every output of this build so far (files staged, and files kept, see keep()),
        as sorted POSIX paths relative to OUT."""
        if self.root is None:
            return []
        found = {p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file() and not p.is_symlink()}
        return sorted(found | set(self._kept))

    # committing --------------------------------------------------------------------
    def commit(self) -> list[str]:
        """Move every staged file into OUT (manifest last); return their paths. An
        environment failure (read-only, full...) is an OutputError; the checks that can
        fail come before the first rename, so that OUT is then as it was."""
        try:
            return self._commit()
        except OSError as failure:
            raise environment_error(failure, self.out) or failure from None

    def _commit(self) -> list[str]:
        if self.root is None or self._committed:
            raise RuntimeError("Staging.commit() outside of its `with` block, or twice")
        produced = self.staged()
        previous = self._previous_outputs()
        kept = {rel for rel in produced if self.source(rel) == self.out / rel}
        outputs = [rel for rel in produced if rel != MANIFEST and rel not in kept]
        has_manifest = MANIFEST in produced

        # Check everything that can fail before the first rename, so that a refusal here
        # still leaves OUT as it was.
        for rel in produced:
            if rel in kept:
                continue
            dest = self.out / rel
            if dest.is_dir() and not dest.is_symlink():
                raise OutputError(_("{path} is a folder: move it away so the build can write this file", path=dest))
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
            except OSError as failure:
                raise OutputError(_("cannot create {path}: {reason}", path=dest.parent,
                                    reason=_reason(failure.errno) or failure.strerror)) from None
            if self.digest(rel) is None:
                _fsync_path(self.root / rel)

        touched_dirs: set[Path] = set()
        for rel in outputs:
            os.replace(self.root / rel, self.out / rel)
            touched_dirs.add((self.out / rel).parent)
        for rel in sorted(set(previous) - set(produced)):
            touched_dirs |= self._remove_previous(rel, previous[rel])
        for directory in sorted(touched_dirs, key=lambda d: len(d.parts), reverse=True):
            if directory.exists():
                _fsync_path(directory, directory=True)
        if has_manifest:
            os.replace(self.root / MANIFEST, self.out / MANIFEST)
        _fsync_path(self.out, directory=True)
        self._committed = True
        return produced

    def _previous_outputs(self) -> dict[str, dict]:
        """The outputs the previous build.json listed, by path. An unreadable manifest
        lists nothing, so nothing is deleted."""
        try:
            entries = json.loads((self.out / MANIFEST).read_text(encoding="utf-8"))["outputs"]
        except (OSError, ValueError, KeyError, TypeError):
            return {}
        found = {}
        for entry in entries if isinstance(entries, list) else ():
            try:
                rel = _clean_rel(entry["path"])
            except (OutputError, KeyError, TypeError, AttributeError):
                continue  # a forged or damaged entry: skip it, keep the others
            if rel != MANIFEST:
                found[rel] = entry
        return found

    def _remove_previous(self, rel: str, entry: dict) -> set[Path]:
        path = self.out / rel
        try:
            if path.is_symlink() or not path.is_file():
                return set()
            # The user may have replaced it with a file of their own: then it is theirs.
            if path.stat().st_size != entry.get("size") or sha256_file(path) != entry.get("sha256"):
                return set()
            if not path.resolve().is_relative_to(self.out.resolve()):
                return set()
            path.unlink()
        except OSError:
            return set()
        touched = {path.parent}
        # A folder this build emptied (fiches/ when no handout is built any more) goes too.
        parent = path.parent
        while parent != self.out and parent.is_relative_to(self.out):
            try:
                parent.rmdir()
            except OSError:
                break
            touched.add(parent.parent)
            parent = parent.parent
        return touched


# In a worker ------------------------------------------------------------------------
# Renderers that write many files (the Word files, the web edition's pages) write them
# in the build's workers, which report back what Staging.keep()/synced() need.

def write_output(path: str, final: str | None, data: bytes, sha: str | None = None) -> tuple[str, str, str]:
    """Write one output from a worker: ("kept", final, sha256) when the file in OUT
    (`final`) already holds `data`, which then keeps its date; else ("synced", path,
    sha256) once `data` is written to the staged `path` and on disk. The caller passes
    the pair to Staging.keep() or Staging.synced()."""
    sha = sha or hashlib.sha256(data).hexdigest()
    if final is not None and existing_sha(final) == sha:
        return "kept", final, sha
    return write_synced(path, data, sha)


def write_synced(path: str, data: bytes, sha: str) -> tuple[str, str, str]:
    """`data` written to the staged `path`, on disk (fsync) and hashed here, in
    parallel, rather than one by one when the build commits and lists its outputs."""
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return "synced", path, sha


def existing_sha(path: str) -> str | None:
    """The sha256 of the regular file at `path` (not a link), or None."""
    if os.path.islink(path):
        return None
    return sha256_regular(Path(path))

