"""The model as plain data (JSON): what the build cache stores of a fiche read, and the
canonical bytes a model is keyed by.

A value becomes JSON scalars and lists; every list starts with what it holds: "list",
"tuple", "dict", "path", or the name of a model class followed by its fields in order.
Decoding makes only the classes it is given (never a class an entry names by itself, and
no pickle: what the cache holds cannot run code). The encoding depends on values alone,
not on which objects a model shares (pickle's does), so it keys a model read from the
cache as it keys the same model parsed.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

_PLAIN = {str, int, bool, float, type(None)}


def to_data(value):
    """`value` (the model's dataclasses, lists, tuples, dicts with text keys, paths and
    scalars) as JSON-ready data. Bytes are left out (None): the raw bytes of a file,
    which its reader gives back."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is list:
        return ["list", *map(to_data, value)]
    if kind is tuple:
        return ["tuple", *map(to_data, value)]
    if kind is dict:
        return ["dict", {str(k): to_data(v) for k, v in value.items()}]
    if kind is bytes:
        return None
    if isinstance(value, Path):
        return ["path", str(value)]
    if dataclasses.is_dataclass(value):
        return [kind.__name__, *(to_data(getattr(value, f.name)) for f in dataclasses.fields(value))]
    raise TypeError(f"no plain data for a {kind.__name__}")


def canonical(value) -> bytes:
    """The bytes a cache key takes of a model: equal models give equal bytes."""
    return json.dumps(to_data(value), ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")


class Decoder:
    """Plain data back into values, making the given dataclasses only."""

    def __init__(self, *classes):
        self.classes = {c.__name__: (c, len(dataclasses.fields(c))) for c in classes}

    def __call__(self, value):
        """What to_data made; a ValueError, KeyError or TypeError for anything else."""
        if type(value) is not list:
            if type(value) in _PLAIN:
                return value
            raise ValueError("not plain data")
        tag = value[0]
        if tag == "dict":
            return {k: v if type(v) in _PLAIN else self(v) for k, v in value[1].items()}
        # Checked inline: a call per scalar would cost most of the decoding.
        items = [v if type(v) in _PLAIN else self(v) for v in value[1:]]
        if tag == "list":
            return items
        if tag == "tuple":
            return tuple(items)
        if tag == "path":
            return Path(items[0])
        cls, count = self.classes[tag]  # a KeyError for a class not given
        if len(items) != count:
            raise ValueError(f"a {tag} of {len(items)} fields")
        return cls(*items)
