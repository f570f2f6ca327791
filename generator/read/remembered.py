"""Fiches an earlier build read, taken from the build cache while their file is unchanged.

Reading a catalogue is mostly parsing its Markdown, and a rebuild after an edit has one
fiche to parse, not all of them. An entry holds what reading a fiche gave: the fiche
(its Markdown tree included) and the problems found, as plain data (modeldata.py),
decoded into the fiche's own classes and nothing else: the cache is a folder in OUT,
and nothing in it may run code.

The key is all that reading depends on: the file's bytes and where it is, what
read_project gives every fiche (the project folder, the edition's language, whether
remote images are allowed, the partners' registry), the language messages are printed
in and Recueil's code. What the file system says is asked again: each image the fiche
shows must still lead to the same file, still an image Recueil can print (fiche.py's
check_local), else the fiche is read anew. A fiche read with an error is not kept: the
next build reports it again by reading it.

Entries are written by the build once it holds OUT's lock (`store`), like every other.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from generator import i18n
from generator.cache import Cache, code_digest, key
from generator.diagnostics import Diagnostic, Report
from generator.model import Contact, Fiche, Image, KeyFigure, PartnerRef, Territory
from generator.modeldata import Decoder, to_data
from generator.read.fiche import MAX_BYTES, Context, check_local, read_regular
from generator.read.markdown import Node

KIND = "fiche"
_decode = Decoder(Fiche, Territory, PartnerRef, KeyFigure, Contact, Image, Node, Diagnostic)

Read = tuple[Fiche | None, bool, list]  # what read_project's readers give: fiche, draft, diagnostics


class Remembered:
    """The fiches of one project in one build's cache: `get` what an earlier build
    read, `keep` what this one read, `store` it all once OUT is locked."""

    def __init__(self, cache: Cache):
        self.cache = cache
        self.pending: list[tuple[str, bytes]] = []
        self.context, self.root = "", Path()

    def reading(self, ctx: Context) -> Remembered:
        """These fiches, read with `ctx` (what read_project gives every fiche)."""
        registry = sorted((k, dataclasses.astuple(p)) for k, p in (ctx.registry or {}).items())
        self.context = key(KIND, code_digest(), i18n.current(), str(ctx.root), ctx.lang, ctx.allow_remote, registry)
        self.root = ctx.root
        return self

    def _key(self, path: Path, rel: str, raw: bytes) -> str:
        return key(self.context, str(path), rel, raw)

    def get(self, path: Path, rel: str) -> Read | None:
        """What reading the fiche at `path` gives, if an earlier build read the same bytes
        and the images it shows are the same files; None to read it."""
        raw = read_regular(path, rel, Report(), MAX_BYTES)
        if raw is None:
            return None
        found = self.cache.get(KIND, self._key(path, rel, raw))
        if found is None:
            return None
        paths: list[Path] = []
        try:
            data = json.loads(found[0])
            fiche, draft, items = _decode(data["fiche"], paths), data["draft"], [_decode(d) for d in data["items"]]
            checked = [(str(src), str(where)) for src, where in data["images"]]
            if not isinstance(fiche, Fiche) or not all(isinstance(d, Diagnostic) for d in items):
                return None
        except (ValueError, KeyError, TypeError, IndexError, RecursionError):
            return None
        # The file system asked again; and the entry, which anyone who can write into
        # OUT could have made, names no file but the fiche and the images found now.
        images = set()
        for src, where in checked:
            now, problem = check_local(src, path, self.root)
            if problem or str(now) != where:
                return None
            images.add(now)
        try:
            if not (_shaped(fiche) and _names_only(fiche, path, rel, images, paths, self.root)):
                return None
        except (TypeError, AttributeError, ValueError):
            return None
        fiche.raw = raw
        return fiche, bool(draft), items

    def keep(self, fiche: Fiche, entry: bytes | None) -> None:
        """Remember a reading this build made: `entry(...)` of it, made where it was read."""
        if entry is not None:
            self.pending.append((self._key(fiche.path, fiche.rel, fiche.raw), entry))

    def store(self) -> None:
        """Write what was kept into the cache: the build holds OUT's lock by now."""
        for k, payload in self.pending:
            self.cache.put(KIND, k, payload)
        self.pending = []


def _shaped(fiche: Fiche) -> bool:
    """Whether the classes decoded sit where a fiche has them (an entry made by hand
    could put a Territory where the image goes)."""
    texts = [fiche.id, fiche.rel, fiche.title, fiche.summary, *fiche.themes, *fiche.audience, *fiche.keywords]
    return (all(type(t) is str for t in texts) and type(fiche.territory) is Territory
            and all(type(p) is PartnerRef for p in fiche.partners)
            and all(type(k) is KeyFigure for k in fiche.key_figures)
            and (fiche.contact is None or type(fiche.contact) is Contact)
            and (fiche.image is None or type(fiche.image) is Image)
            and type(fiche.body) is Node and all(type(n) is Node and type(n.attrs) is dict for n in fiche.body.walk()))


def _names_only(fiche: Fiche, path: Path, rel: str, images: set[Path], paths: list[Path], root: Path) -> bool:
    """Whether the fiche decoded is the one at `path` and names no file but it and `images`."""
    if (fiche.path, fiche.rel, fiche.id) != (path, rel, path.stem) or not all(p == path or p in images for p in paths):
        return False
    return fiche.image is None or (fiche.image.path in images
                                   and fiche.image.rel == fiche.image.path.relative_to(root).as_posix())


def entry(result: Read, checked: list[tuple[str, str]]) -> bytes | None:
    """What the cache keeps of a reading (a worker makes it as it reads); None for a
    reading with an error."""
    fiche, draft, items = result
    if fiche is None or any(d.level == "error" for d in items):
        return None
    data = {"fiche": to_data(fiche), "draft": draft, "items": [to_data(d) for d in items], "images": checked}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
