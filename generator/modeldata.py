"""The model as plain data (JSON): what the build cache keeps of a fiche read, and the
bytes a model is keyed by.

`to_data` writes a value as JSON scalars and lists, every list starting with what it
holds: "list", "tuple", "dict", "path", or the name of a model class followed by its
fields in order. A `Decoder` makes only the classes it is given (never one an entry
names by itself, and no pickle: what the cache holds cannot run code).

`canonical` is for keys: it depends on values alone, not on which objects a model
shares (a pickle's does), so a fiche read from the cache keys as the same fiche parsed.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

_PLAIN = {str, int, bool, float, type(None)}
_NAMES: dict[type, tuple[str, ...]] = {}  # a dataclass's field names, in order


def _field_names(kind: type) -> tuple[str, ...] | None:
    """A dataclass's field names, in order (None for any other type)."""
    names = _NAMES.get(kind)
    if names is None and dataclasses.is_dataclass(kind):
        names = _NAMES[kind] = tuple(f.name for f in dataclasses.fields(kind))
    return names


def to_data(value):
    """`value` (the model's dataclasses, lists, tuples, dicts with text keys, paths and
    scalars) as JSON-ready data. Bytes are left out (None): the raw bytes of a file,
    which its reader gives back."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    # Scalars are checked inline: a call for each would cost most of the encoding.
    if kind is list:
        return ["list", *[v if type(v) in _PLAIN else to_data(v) for v in value]]
    if kind is dict:
        return ["dict", {str(k): v if type(v) in _PLAIN else to_data(v) for k, v in value.items()}]
    names = _field_names(kind)
    if names is not None:
        return [kind.__name__, *[v if type(v) in _PLAIN else to_data(v) for v in map(value.__getattribute__, names)]]
    if kind is tuple:
        return ["tuple", *[v if type(v) in _PLAIN else to_data(v) for v in value]]
    if kind is bytes:
        return None
    if isinstance(value, Path):
        return ["path", str(value)]
    raise TypeError(f"no plain data for a {kind.__name__}")


def canonical(value) -> bytes:
    """The bytes a cache key takes of a model: equal models give equal bytes. (Not
    decodable: lists and tuples are alike here; the model's fields say which is which.)"""
    return json.dumps(value, default=_fields, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8", "surrogatepass")


def _fields(value):
    """For canonical: what json cannot write itself (json's C encoder walks the rest)."""
    kind = type(value)
    names = _field_names(kind)
    if names is not None:
        return [kind.__name__, *[getattr(value, name) for name in names]]
    if isinstance(value, Path):
        return ["path", str(value)]
    if kind is bytes:
        return None
    raise TypeError(f"no plain data for a {kind.__name__}")


class Decoder:
    """Plain data back into values, making the given dataclasses only."""

    def __init__(self, *classes):
        self.classes = {c.__name__: (c, len(_field_names(c))) for c in classes}

    def __call__(self, value, paths: list[Path] | None = None):
        """What to_data made; a ValueError, KeyError or TypeError for anything else.
        `paths` receives every path made: what the caller must check before using them."""
        if type(value) is not list:
            if type(value) in _PLAIN:
                return value
            raise ValueError("not plain data")
        tag = value[0]
        if tag == "dict":
            return {k: v if type(v) in _PLAIN else self(v, paths) for k, v in value[1].items()}
        # Checked inline: a call per scalar would cost most of the decoding.
        items = [v if type(v) in _PLAIN else self(v, paths) for v in value[1:]]
        if tag == "list":
            return items
        if tag == "tuple":
            return tuple(items)
        if tag == "path":
            path = Path(items[0])
            if paths is not None:
                paths.append(path)
            return path
        cls, count = self.classes[tag]  # a KeyError for a class not given
        if len(items) != count:
            raise ValueError(f"a {tag} of {len(items)} fields")
        return cls(*items)
