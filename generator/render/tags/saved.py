"""Object numbers read back from a PDF pikepdf has just saved, without opening it again.

To write the structure tree after the saved booklet (append.py), the tree needs the
object numbers QPDF gave the pages, the annotations and the catalog. Opening the file
again costs QPDF an entry for every object (some 15 MiB at 500 fiches, at the
assembly's peak); what is needed sits in three objects: the catalog, the page tree's
root and the cross-reference stream. This reads them from the bytes, knowing how QPDF
writes (a cross-reference stream, PNG predictors, object streams); anything it does not
recognise makes it give up (None) and the caller opens the file with pikepdf instead.
"""

from __future__ import annotations

import re
import zlib

_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_INT = rb"\s+(\d+)"


def read_tail(data_or_file) -> bytes:
    if isinstance(data_or_file, (bytes, bytearray)):
        return bytes(data_or_file[-64:])
    data_or_file.seek(-64, 2)
    return data_or_file.read()


class Reader:
    """Objects of a QPDF-written PDF by number, from its bytes (`read(offset, n)`)."""

    def __init__(self, read, tail: bytes):
        self.read = read
        match = _STARTXREF.search(tail)
        if match is None:
            raise ValueError("no startxref")
        self.xref_at = int(match.group(1))
        self.trailer, table = self._stream_at(self.xref_at)
        if b"/XRef" not in self.trailer:
            raise ValueError("not a cross-reference stream")
        self.widths = [int(w) for w in _array(self.trailer, b"/W")]
        index = [int(x) for x in _array(self.trailer, b"/Index")] or [0, _int(self.trailer, b"/Size")]
        self.ranges = list(zip(index[::2], index[1::2]))
        self.table = table
        self._streams: dict[int, tuple[bytes, list[int]]] = {}

    def entry(self, n: int) -> tuple[int, int, int]:
        """Object n's cross-reference entry (type, field 2, field 3), read when asked:
        a booklet has tens of thousands, three are wanted."""
        row, at = sum(self.widths), 0
        for first, count in self.ranges:
            if first <= n < first + count:
                k = at + (n - first) * row
                fields = []
                for w in self.widths:
                    fields.append(int.from_bytes(self.table[k:k + w], "big") if w else 1)
                    k += w
                return tuple(fields)
            at += count * row
        raise KeyError(n)

    def object(self, n: int) -> bytes:
        """Object n's syntax (a dictionary's `<< ... >>`, without `obj`/`endobj`)."""
        kind, a, b = self.entry(n)
        if kind == 1:
            head = self.read(a, 4096)
            m = re.match(rb"\s*%d\s+0\s+obj\s*" % n, head)
            if m is None:
                raise ValueError(f"object {n} not where the table says")
            return _dictionary(head[m.end():], lambda size: self.read(a + m.end(), size))
        if kind == 2:
            body, offsets = self._object_stream(a)
            return body[offsets[b]:offsets[b + 1] if b + 1 < len(offsets) else len(body)].strip()
        raise ValueError(f"object {n} is free")

    def _object_stream(self, n: int) -> tuple[bytes, list[int]]:
        if n not in self._streams:
            kind, offset, _ = self.entry(n)
            dictionary, data = self._stream_at(offset)
            first = _int(dictionary, b"/First")
            pairs = [int(x) for x in data[:first].split()]
            self._streams[n] = (data[first:], pairs[1::2])
        return self._streams[n]

    def _stream_at(self, offset: int) -> tuple[bytes, bytes]:
        head = self.read(offset, 4096)
        m = re.match(rb"\s*\d+\s+0\s+obj\s*", head)
        if m is None:
            raise ValueError("no object at offset")
        dictionary = _dictionary(head[m.end():], lambda size: self.read(offset + m.end(), size))
        start = head.find(b"stream", m.end() + len(dictionary))
        start += 6 + (2 if head[start + 6:start + 8] == b"\r\n" else 1)
        length = _int(dictionary, b"/Length")
        raw = self.read(offset + start, length)
        if b"/FlateDecode" not in dictionary:
            raise ValueError("a stream not compressed as QPDF does")
        data = zlib.decompress(raw)
        if b"/Predictor" in dictionary:
            data = _png_up(data, _int(dictionary, b"/Columns"))
        return dictionary, data


def _png_up(data: bytes, columns: int) -> bytes:
    """PNG predictors undone (QPDF writes cross-reference streams with /Predictor 12)."""
    out, previous = bytearray(), bytearray(columns)
    for k in range(0, len(data), columns + 1):
        kind, row = data[k], bytearray(data[k + 1:k + 1 + columns])
        if kind == 2:
            for i in range(columns):
                row[i] = (row[i] + previous[i]) & 0xFF
        elif kind != 0:
            raise ValueError(f"PNG predictor {kind}")
        out += row
        previous = row
    return bytes(out)


def _dictionary(head: bytes, more) -> bytes:
    """The `<< ... >>` at the start of `head` (read further with more(size) if needed)."""
    size = len(head)
    while True:
        depth, i = 0, 0
        while i < len(head) - 1:
            pair = head[i:i + 2]
            if pair == b"<<":
                depth += 1
                i += 2
                continue
            if pair == b">>":
                depth -= 1
                i += 2
                if depth == 0:
                    return head[:i]
                continue
            if head[i:i + 1] == b"(":  # a literal string may hold « >> »
                i = _after_string(head, i)
                continue
            i += 1
        size *= 4
        head = more(size)
        if len(head) < size // 4 + 1:
            raise ValueError("unterminated dictionary")


def _after_string(data: bytes, i: int) -> int:
    depth, i = 0, i
    while i < len(data):
        c = data[i:i + 1]
        if c == b"\\":
            i += 2
            continue
        if c == b"(":
            depth += 1
        elif c == b")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i


def _int(dictionary: bytes, key: bytes) -> int:
    m = re.search(re.escape(key) + _INT + rb"(?!\s+\d+\s+R)", dictionary)
    if m is None:
        raise ValueError(f"no direct {key.decode()}")
    return int(m.group(1))


def _array(dictionary: bytes, key: bytes) -> list[bytes]:
    m = re.search(re.escape(key) + rb"\s*\[([^\]]*)\]", dictionary)
    return m.group(1).split() if m else []


def ref(dictionary: bytes, key: bytes) -> int | None:
    m = re.search(re.escape(key) + rb"\s+(\d+)\s+0\s+R", dictionary)
    return int(m.group(1)) if m else None


def refs(array_body: bytes) -> list[int]:
    return [int(n) for n in re.findall(rb"(\d+)\s+0\s+R", array_body)]
