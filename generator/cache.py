"""The build cache: what an earlier build rendered, reused when its inputs have not changed.

Lives in `OUT/.recueil-cache/` (hidden, never listed in build.json, never touched by the
staging clean-up: output.Staging only removes `.recueil-staging-*` and files a manifest
listed). One build at a time writes it, since the build holds OUT's lock.

Keys are content hashes: `key(...)` hashes whatever describes an input completely (the
HTML, the sha256 of every local file it references, Recueil's version, the renderer's
options). A fiche whose inputs did not change hits, wherever it lands in the booklet.

An entry is one file, `KIND/ab/abcdef….entry`:
    b"RECUEIL-CACHE 1\\n" + header JSON + b"\\n" + payload
The header holds the payload's sha256 and size and a small JSON `meta` (page counts,
warnings...). Reading checks the magic, the JSON and the checksum: a truncated, corrupt or
foreign entry is deleted and reported as a miss, never trusted. There is no pickle: an
entry is data, it cannot run code. Writes go to a temporary file in the same folder, then
`os.replace`: a killed build leaves a whole entry or none (a stray `.tmp` is pruned).

Entries used by a build get their mtime refreshed; `prune()` removes those unused for
`max_age` seconds, then the least recently used beyond `max_bytes`.

The generic hook for any renderer (the DOCX one included):

    data, meta = cache.memo("docx", key(fiche_source, reference_digest), lambda: (render(), {}))
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Callable

from generator import __version__
from generator.write.manifest import sha256_regular

DIRNAME = ".recueil-cache"
MAGIC = b"RECUEIL-CACHE 1\n"
# Bumped whenever what an entry means changes, so older entries simply stop matching.
FORMAT = "2"
MAX_AGE = 14 * 86400  # seconds an unused entry is kept
MAX_BYTES = 2 * 2**30  # beyond this, least recently used entries go first


def key(*parts) -> str:
    """A sha256 over `parts` (str, bytes, numbers, lists, dicts, None), with Recueil's
    version and the cache format mixed in: a new release never reads an old entry."""
    h = hashlib.sha256(f"recueil {__version__} cache {FORMAT}\0".encode())
    for part in parts:
        if isinstance(part, bytes):
            h.update(b"b%d:" % len(part) + part)
        elif isinstance(part, str):
            data = part.encode("utf-8", "surrogatepass")
            h.update(b"s%d:" % len(data) + data)
        else:
            data = json.dumps(part, sort_keys=True, ensure_ascii=False, default=str).encode()
            h.update(b"j%d:" % len(data) + data)
    return h.hexdigest()


_code: str | None = None


def code_digest() -> str:
    """A sha256 of Recueil's own source: entries made by one state of the code are not
    read by another, even between two builds of the same version."""
    global _code
    if _code is None:
        h = hashlib.sha256()
        top = Path(__file__).resolve().parent
        for path in sorted(top.rglob("*.py")):
            h.update(path.relative_to(top).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        _code = h.hexdigest()
    return _code


class FileDigests:
    """sha256 of local files, memoised by (path, size, mtime_ns) for one build."""

    def __init__(self):
        self._memo: dict[tuple, str] = {}

    def __call__(self, path: Path) -> str | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        memo_key = (str(path), st.st_size, st.st_mtime_ns)
        if memo_key not in self._memo:
            try:
                self._memo[memo_key] = sha256_regular(path)  # None for a FIFO: never waited on
            except OSError:
                return None
        return self._memo[memo_key]


class Cache:
    """A folder of entries; `Cache(None)` is a cache that never hits (--no-cache)."""

    def __init__(self, root: Path | None):
        self.root = Path(root) if root is not None else None
        self.hits = 0
        self.misses = 0

    @classmethod
    def for_output(cls, out: Path, enabled: bool = True) -> Cache:
        return cls(Path(out) / DIRNAME if enabled else None)

    @property
    def enabled(self) -> bool:
        return self.root is not None

    def _path(self, kind: str, k: str) -> Path:
        return self.root / kind / k[:2] / f"{k}.entry"

    def get(self, kind: str, k: str) -> tuple[bytes, dict] | None:
        """(payload, meta) of a whole, checked entry, or None."""
        found = self.lookup(kind, k)
        return None if found is None else found[:2]

    def lookup(self, kind: str, k: str) -> tuple[bytes, dict, str] | None:
        """(payload, meta, the payload's sha256) of a whole, checked entry, or None."""
        if self.root is None:
            return None
        path = self._path(kind, k)
        try:
            raw = path.read_bytes()
        except OSError:
            self.misses += 1
            return None
        entry = _parse(raw, k)
        if entry is None:
            path.unlink(missing_ok=True)  # corrupt or stale: rebuilt, never trusted
            self.misses += 1
            return None
        try:
            os.utime(path)  # recently used: kept by prune()
        except OSError:
            pass
        self.hits += 1
        return entry

    def recorded_sha(self, kind: str, k: str) -> str | None:
        """The sha256 an entry records for its payload, read from its header alone (the
        payload is not read, so not checked): to tell whether a file already holds what
        the entry would give, without reading the entry through."""
        if self.root is None:
            return None
        path = self._path(kind, k)
        try:
            with open(path, "rb") as f:
                found = _header(f.read(4096), k)
        except OSError:
            return None
        sha = found[0].get("sha256") if found else None
        if not (isinstance(sha, str) and len(sha) == 64):
            return None
        try:
            os.utime(path)
        except OSError:
            pass
        self.hits += 1
        return sha

    def put(self, kind: str, k: str, payload: bytes, meta: dict | None = None) -> str:
        """Store the entry; return the payload's sha256."""
        sha = hashlib.sha256(payload).hexdigest()
        if self.root is None:
            return sha
        header = json.dumps({"key": k, "sha256": sha, "size": len(payload),
                             "meta": meta or {}}, sort_keys=True, ensure_ascii=True).encode()
        path = self._path(kind, k)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(MAGIC + header + b"\n" + payload)
                os.replace(tmp, path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError:
            pass  # a cache that cannot be written is only slower
        return sha

    def memo(self, kind: str, k: str, compute: Callable[[], tuple[bytes, dict]]) -> tuple[bytes, dict]:
        """The cached (payload, meta) for `k`, or compute(), stored, then returned."""
        found = self.get(kind, k)
        if found is not None:
            return found
        payload, meta = compute()
        self.put(kind, k, payload, meta)
        return payload, meta

    def prune(self, max_age: float = MAX_AGE, max_bytes: int = MAX_BYTES, now: float | None = None) -> int:
        """Remove entries unused for `max_age` seconds, stray temporary files, then the
        least recently used beyond `max_bytes`. Returns how many files went."""
        if self.root is None or not self.root.is_dir():
            return 0
        now = time.time() if now is None else now
        removed, kept = 0, []
        for path in _entries(self.root):
            try:
                st = os.stat(path)
            except OSError:
                continue
            stale = now - st.st_mtime > max_age
            if path.endswith(".tmp") and now - st.st_mtime > 3600:
                stale = True  # what a killed build left half-written
            if stale:
                _unlink(path)
                removed += 1
            elif path.endswith(".entry"):
                kept.append((st.st_mtime, st.st_size, path))
        total = sum(size for _, size, _ in kept)
        for _, size, path in sorted(kept):
            if total <= max_bytes:
                break
            _unlink(path)
            total -= size
            removed += 1
        return removed


def _entries(root: Path):
    """The paths of every file two folders down (KIND/ab/...), as str: os.scandir, since
    every build walks them all and a pathlib glob costs several times more. A folder
    that cannot be listed is passed over, as a glob would."""
    for kind in _listing(str(root)):
        if kind.is_dir(follow_symlinks=False):
            for fan in _listing(kind.path):
                if fan.is_dir(follow_symlinks=False):
                    yield from (e.path for e in _listing(fan.path))


def _listing(folder: str) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as it:
            return list(it)
    except OSError:
        return []


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _header(raw: bytes, k: str) -> tuple[dict, int] | None:
    """The header of an entry's bytes (or of their beginning), and where its payload
    starts; None unless it is whole and names the key `k`."""
    if not raw.startswith(MAGIC):
        return None
    end = raw.find(b"\n", len(MAGIC))
    if end < 0:
        return None
    try:
        header = json.loads(raw[len(MAGIC):end])
    except ValueError:
        return None
    if not isinstance(header, dict) or header.get("key") != k:
        return None
    return header, end + 1


def _parse(raw: bytes, k: str) -> tuple[bytes, dict, str] | None:
    found = _header(raw, k)
    if found is None:
        return None
    header, start = found
    payload = raw[start:]
    try:
        if header["size"] != len(payload) or header["sha256"] != hashlib.sha256(payload).hexdigest():
            return None
        meta = header["meta"]
        if not isinstance(meta, dict):
            return None
    except (KeyError, TypeError):
        return None
    return payload, meta, header["sha256"]
