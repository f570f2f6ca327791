"""The structure tree written after the document, as an incremental update.

A booklet of 500 fiches has some 40,000 structure elements and 150,000 marked-content
ids. Made as QPDF objects, they took some 60 MiB at the assembly's peak (a structure
element is about a kilobyte in QPDF, every integer of a /K array some 300 bytes), more
than all the rest that tagging asks. So the document is saved first, every page and
annotation already numbered for the tree (tree.plan), then the tree is written as PDF
syntax straight from the nodes (nodes.py) and appended: compressed object streams
holding the elements, the ParentTree and the StructTreeRoot (which takes the place of
the placeholder the document's catalog points at), written a few thousand objects at a
time, and a cross-reference stream whose /Prev is the document's own. Readers see one
file; nothing is held twice.

PDF/A-3 and PDF/UA-1 allow incremental updates; the bytes depend on the nodes and the
saved document only: deterministic.
"""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pikepdf

from generator.memory import release
from generator.render.tags.nodes import ATTRS, KIDS, PG, S
from generator.render.tags.saved import Reader, ref, refs

_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_REF = re.compile(rb"(\d+) 0 R")
# Where plan() leaves, in the catalog, the annotations the tree refers to (and the key of
# the first): read back by number without reading any page; the update drops them.
ANNOTS, FIRST_KEY = "/RecueilAnnots", "/RecueilFirstAnnotKey"
_NAME_OK = re.compile(r"[A-Za-z0-9_.:+-]*")
# zlib's level for the update's streams: on a booklet's elements, 5 packs them almost
# as tight as the default 6, in half its time.
LEVEL = 5


@dataclass
class Pending:
    """A tree planned in a document (tree.plan) that `append` or `append_to` writes
    after it. `tops`: the nodes; `page_keys`: page index -> its /StructParents;
    `annot_keys`: (page, i) -> the /StructParent given to that annotation; `next_key`:
    the ParentTree's next key. The catalog's /StructTreeRoot points at a placeholder
    that the update defines again."""

    tops: list
    page_keys: dict[int, int]
    annot_keys: dict[tuple[int, int], int]
    next_key: int

    def append(self, data: bytes) -> bytes:
        """`data` (the saved document) with the tree appended."""
        saved = _Saved.read(lambda at, size: data[at:at + size], data[-64:], lambda: pikepdf.open(io.BytesIO(data)))
        out = io.BytesIO()
        out.write(data)
        self._write(out, saved)
        return out.getvalue()

    def append_to(self, path: Path) -> None:
        """The tree appended to the document saved at `path`, the update written in
        pieces, never held whole."""
        with open(path, "r+b") as f:
            def read(at: int, size: int) -> bytes:
                f.seek(at)
                return f.read(size)

            f.seek(-64, io.SEEK_END)
            saved = _Saved.read(read, f.read(), lambda: pikepdf.open(path))
            f.seek(0, io.SEEK_END)
            self._write(f, saved)

    def _write(self, f, saved: _Saved) -> None:
        annots = {k: saved.annots[key] for k, key in self.annot_keys.items() if key in saved.annots}
        objects = _Objects(f, saved.size)
        document = objects.reserve()
        kids = [_element(t, document, saved.pages, annots, objects) for t in self.tops]
        objects.put(document, b"<</S/Document/P %d 0 R/K[%s]>>" % (saved.root, b" ".join(b"%d 0 R" % k for k in kids)))
        parent_tree = objects.reserve()
        nums = []
        for pg in sorted(self.page_keys, key=self.page_keys.get):
            arr = b" ".join(b"%d 0 R" % n if n else b"null" for n in objects.claims.get(pg, ()))
            nums.append(b"%d[%s]" % (self.page_keys[pg], arr))
        for where, key in sorted(self.annot_keys.items(), key=lambda item: item[1]):
            element = objects.annot_owner.get(where)
            nums.append(b"%d %s" % (key, b"%d 0 R" % element if element else b"null"))
        objects.put(parent_tree, b"<</Nums[%s]>>" % b" ".join(nums))
        ids = b""
        if objects.ids:
            ids = b"/IDTree<</Names[%s]>>" % b" ".join(_string(name) + b" %d 0 R" % objects.ids[name]
                                                      for name in sorted(objects.ids))
        objects.put(saved.root, b"<</Type/StructTreeRoot/K %d 0 R/ParentTree %d 0 R/ParentTreeNextKey %d%s>>"
                    % (document, parent_tree, self.next_key, ids))
        objects.put(saved.catalog, saved.catalog_body)
        objects.finish(saved)


@dataclass
class _Saved:
    """What the update needs of the saved document: object numbers, its trailer."""

    pages: list[int]  # page index -> object number
    annots: dict[int, int]  # /StructParent -> the annotation's object number
    root: int  # the placeholder /StructTreeRoot
    size: int
    catalog: int
    catalog_body: bytes  # the catalog, without the list of annotations plan() left there
    info: int | None
    first_id: bytes
    prev: int  # the offset of its cross-reference section

    @classmethod
    def read(cls, read, tail: bytes, reopen) -> _Saved:
        """From the saved bytes (saved.py reads the catalog, the page tree's root and the
        cross-reference stream); else from the document opened again (`reopen()`), which
        costs QPDF an entry for every object of the booklet."""
        try:
            return cls._from_bytes(read, tail)
        except (ValueError, KeyError, IndexError, zlib.error):
            with reopen() as pdf:
                saved = cls._from_pdf(pdf, tail)
            release()
            return saved

    @classmethod
    def _from_bytes(cls, read, tail: bytes) -> _Saved:
        reader = Reader(read, tail)
        trailer = reader.trailer
        catalog = ref(trailer, b"/Root")
        body = reader.object(catalog)
        listed = re.search(rb"%s\s*\[([^\]]*)\]" % ANNOTS.encode(), body)
        first = re.search(rb"%s\s+(\d+)" % FIRST_KEY.encode(), body)
        first_key = int(first.group(1)) if first else 0
        annots = {first_key + i: n for i, n in enumerate(refs(listed.group(1)))} if listed else {}
        body = re.sub(rb"\s*%s\s*\[[^\]]*\]|\s*%s\s+\d+" % (ANNOTS.encode(), FIRST_KEY.encode()), b"", body)
        pages_node = reader.object(ref(body, b"/Pages"))
        kids = refs(re.search(rb"/Kids\s*\[([^\]]*)\]", pages_node).group(1))
        if int(re.search(rb"/Count\s+(\d+)", pages_node).group(1)) != len(kids):
            raise ValueError("a page tree of more than one level")
        first_id = re.search(rb"/ID\s*\[\s*<([0-9A-Fa-f]*)>", trailer)
        root = ref(body, b"/StructTreeRoot")
        if root is None or first_id is None:
            raise ValueError("no /StructTreeRoot or no /ID")
        return cls(kids, annots, root, int(re.search(rb"/Size\s+(\d+)", trailer).group(1)), catalog, body,
                   ref(trailer, b"/Info"), bytes.fromhex(first_id.group(1).decode()), reader.xref_at)

    @classmethod
    def _from_pdf(cls, pdf: pikepdf.Pdf, tail: bytes) -> _Saved:
        """The same, through pikepdf; references read as written (`unparse`)."""
        match = _STARTXREF.search(tail)
        if match is None:
            raise ValueError("no startxref at the end of the document")  # pikepdf wrote it: a bug
        root = pdf.Root
        listed = _REF.findall(root[ANNOTS].unparse()) if ANNOTS in root else []
        first_key = int(root.get(FIRST_KEY, 0))
        annots = {first_key + i: int(n) for i, n in enumerate(listed)}
        for key in (ANNOTS, FIRST_KEY):
            if key in root:
                del root[key]
        info = pdf.trailer.Info.objgen[0] if "/Info" in pdf.trailer else None
        return cls(_page_numbers(root.Pages), annots, root.StructTreeRoot.objgen[0], int(pdf.trailer.Size),
                   root.objgen[0], root.unparse(resolved=True), info, bytes(pdf.trailer.ID[0]), int(match.group(1)))


def _page_numbers(node) -> list[int]:
    """The object numbers of the pages under a page tree node, in order."""
    kids = [int(n) for n in _REF.findall(node.Kids.unparse())]
    if int(node.Count) == len(kids):  # every kid a page (pikepdf's tree is flat)
        return kids
    numbers = []
    for kid in node.Kids:
        numbers += _page_numbers(kid) if kid.get("/Type") == pikepdf.Name.Pages else [kid.objgen[0]]
    return numbers


class _Objects:
    """The update's objects, numbered from the document's /Size, written to `f` as they
    come, a few thousand to an object stream: a booklet has tens of thousands."""

    CHUNK = 2000

    def __init__(self, f, size: int):
        self.f, self.first, self.next = f, size, size
        self.rows = bytearray()  # the cross-reference entries of numbers from `first` on, 7 bytes each
        self.again: dict[int, bytes] = {}  # entries of numbers the document had
        self.numbers: list[int] = []  # the open chunk
        self.bodies: list[bytes] = []
        self.claims: dict[int, list[int]] = {}  # page -> its MCIDs' element numbers (ids are dense)
        self.annot_owner: dict[tuple[int, int], int] = {}
        self.ids: dict[str, int] = {}
        self.digest = hashlib.md5()

    def reserve(self) -> int:
        self.next += 1
        self.rows += bytes(7)
        return self.next - 1

    def _row(self, n: int, row: bytes) -> None:
        if n < self.first:
            self.again[n] = row
        else:
            self.rows[7 * (n - self.first):7 * (n - self.first + 1)] = row

    def put(self, number: int, body: bytes) -> None:
        self.numbers.append(number)
        self.bodies.append(body)
        if len(self.numbers) >= self.CHUNK:
            self._flush()

    def claim(self, pg: int, mcid: int, number: int) -> None:
        found = self.claims.setdefault(pg, [])
        if mcid >= len(found):
            found.extend([0] * (mcid + 1 - len(found)))
        found[mcid] = number

    def _flush(self) -> None:
        """The open chunk as one object stream."""
        if not self.numbers:
            return
        stream = self.reserve()
        head, at = [], 0
        for i, (n, body) in enumerate(zip(self.numbers, self.bodies)):
            head.append(b"%d %d" % (n, at))
            at += len(body) + 1
            self._row(n, b"\2" + stream.to_bytes(4, "big") + i.to_bytes(2, "big"))
        head_bytes = b" ".join(head) + b"\n"
        packed = zlib.compress(head_bytes + b"\n".join(self.bodies) + b"\n", LEVEL)
        self.digest.update(packed)
        self.f.write(b"\n")
        self._row(stream, b"\1" + self.f.tell().to_bytes(4, "big") + b"\0\0")
        self.f.write(b"%d 0 obj\n<</Type/ObjStm/N %d/First %d/Filter/FlateDecode/Length %d>>\nstream\n"
                     % (stream, len(self.numbers), len(head_bytes), len(packed)))
        self.f.write(packed + b"\nendstream\nendobj\n")
        self.numbers, self.bodies = [], []

    def finish(self, saved: _Saved) -> None:
        """The last object stream, then the cross-reference stream and the trailer."""
        self._flush()
        xref = self.reserve()
        self._row(xref, b"\1" + self.f.tell().to_bytes(4, "big") + b"\0\0")
        index = b"".join(b"%d 1 " % n for n in sorted(self.again)) + b"%d %d" % (self.first, self.next - self.first)
        table = zlib.compress(b"".join(self.again[n] for n in sorted(self.again)) + bytes(self.rows), LEVEL)
        second_id = self.digest.digest()  # the original's first ID, a digest of what changed
        trailer = (b"/Root %d 0 R" % saved.catalog + (b"/Info %d 0 R" % saved.info if saved.info else b"")
                   + b"/ID[<%s><%s>]" % (saved.first_id.hex().encode(), second_id.hex().encode()))
        at = self.f.tell()
        self.f.write(b"%d 0 obj\n<</Type/XRef/Size %d/W[1 4 2]/Index[%s]/Prev %d%s/Filter/FlateDecode"
                     b"/Length %d>>\nstream\n" % (xref, self.next, index, saved.prev, trailer, len(table)))
        self.f.write(table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % at)


def _element(node: list, parent: int, pages: list[int], annots: dict, objects: _Objects) -> int:
    """Write `node` (and what it holds) as element objects; return its number."""
    number = objects.reserve()
    pg = node[PG]
    kids = []
    for k in node[KIDS]:
        if type(k) is int:
            kids.append(b"%d" % k)
            objects.claim(pg, k, number)
        elif k[0][0] == "/":  # a node (nodes.is_node)
            kids.append(b"%d 0 R" % _element(k, number, pages, annots, objects))
        elif k[0] == "m":
            kids.append(b"<</Type/MCR/Pg %d 0 R/MCID %d>>" % (pages[k[1]], k[2]))
            objects.claim(k[1], k[2], number)
        else:
            annot = annots.get((k[1], k[2]))
            if annot is not None:
                kids.append(b"<</Type/OBJR/Obj %d 0 R/Pg %d 0 R>>" % (annot, pages[k[1]]))
                objects.annot_owner[k[1], k[2]] = number
    attrs = b"".join(_name(key) + b" " + _value(value) for key, value in node[ATTRS].items())
    if "/ID" in node[ATTRS]:
        objects.ids[node[ATTRS]["/ID"]] = number
    k_entry = b"" if not kids else b"/K " + kids[0] if len(kids) == 1 else b"/K[" + b" ".join(kids) + b"]"
    objects.put(number, b"<<%s/S%s/P %d 0 R/Pg %d 0 R%s>>" % (attrs, _name(node[S]), parent, pages[pg], k_entry))
    return number


# --- PDF syntax ------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def _name(name: str) -> bytes:
    """A name, "/" and its characters, those a name cannot hold written #xx."""
    body = name[1:] if name.startswith("/") else name
    if _NAME_OK.fullmatch(body):
        return b"/" + body.encode("ascii")
    return b"/" + b"".join(bytes([c]) if chr(c).isalnum() else b"#%02X" % c for c in body.encode("utf-8"))


def _string(text: str) -> bytes:
    """A text string: literal when printable ASCII, else UTF-16BE with its BOM, in hex."""
    if all(" " <= c <= "~" for c in text):
        return b"(" + text.encode("ascii").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


def _value(v) -> bytes:
    """A JSON-encoded value (nodes._enc) as PDF syntax."""
    if isinstance(v, bool):
        return b"true" if v else b"false"
    if v is None:
        return b"null"
    if isinstance(v, int):
        return b"%d" % v
    if isinstance(v, float):
        return (b"%.6f" % v).rstrip(b"0").rstrip(b".") or b"0"
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, list):
        return b"[" + b" ".join(_value(x) for x in v) + b"]"
    if "n" in v:
        return _name(v["n"])
    return b"<<" + b"".join(_name(k) + b" " + _value(x) for k, x in v["d"].items()) + b">>"
