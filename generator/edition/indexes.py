"""The back-of-book indexes of an edition: partners, themes, territories.

Entries are sorted with the Unicode Collation Algorithm (pyuca's DUCET table), which
files É with E and Œ as OE; case is ignored for the order and only breaks ties, so that
« école » and « Ecole » sit together and the order is the same on every machine.
Reading the table costs a fifth of a second: a build keeps the keys of what it sorted in
the build cache, and the next one reads the table only for a text it has not sorted.

An index knows which fiches each entry occurs in, not on which pages: the PDF renderer
alone knows the pages, once the fiches are laid out, and attaches them.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from functools import cache

import pyuca

from generator.model import Edition


@cache
def _collator() -> pyuca.Collator:
    """The DUCET table, read when first needed: a worker imports this module with the
    booklet's (it lays parts out) and never sorts."""
    return pyuca.Collator()


# Sort keys made so far, by text: a rebuild gets those of the previous build from the
# cache (`recall`), and reads the DUCET table only for a text it has never sorted.
_known: dict[str, tuple] = {}
_used: set[str] = set()


def recall(data: bytes) -> bool:
    """Take the sort keys an earlier build kept (`kept()`); False for data that is not
    such keys (the cache is never trusted: nothing is taken then)."""
    try:
        found = json.loads(data)
        keys = {text: tuple(key) for text, key in found.items()
                if all(type(n) is int for n in key)} if type(found) is dict else {}
    except (ValueError, TypeError, AttributeError, RecursionError):
        return False
    if len(keys) != len(found) or not all(type(text) is str for text in keys):
        return False
    _known.update(keys)
    return True


def kept() -> bytes:
    """The sort keys of the texts sorted since `recall_from`, for the next build."""
    return json.dumps({text: _known[text] for text in sorted(_used)}, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8", "surrogatepass")


def recall_from(cache) -> None:
    """`recall` the keys the build cache holds for this code and this pyuca; what this
    build sorts is kept from now on."""
    _used.clear()
    found = cache.get(_KIND, _cache_key()) if cache.enabled else None
    if found is not None:
        recall(found[0])


def keep_in(cache) -> None:
    """Store `kept()` in the build cache (the build holds OUT's lock)."""
    if cache.enabled and _used:
        cache.put(_KIND, _cache_key(), kept())


_KIND = "collation"


def _cache_key() -> str:
    from importlib import metadata

    from generator.cache import code_digest, key

    return key(_KIND, code_digest(), metadata.version("pyuca"))


def load_collation() -> None:
    """Read the DUCET table now, unless an earlier build's keys were recalled: a build
    does it while its workers read the fiches, rather than where the booklet first sorts,
    on the way to its first render."""
    if not _known:
        _collator()


def themes_in_order(edition: Edition) -> list[str]:
    """The edition's themes, each once, in index order (the PDF's and the Word
    booklet's keywords)."""
    return sorted({t for f in edition.fiches for t in f.themes}, key=collation_key)


KINDS = ("partners", "themes", "territories")

# Used when no layout labels are given; a layout's `labels` (index_partners, ...) win.
DEFAULT_TITLES = {
    "fr": {"partners": "Index des partenaires", "themes": "Index des thèmes",
           "territories": "Index des territoires", "other_territories": "Autres territoires"},
    "en": {"partners": "Index of partners", "themes": "Index of themes",
           "territories": "Index of places", "other_territories": "Other places"},
}


def collation_key(text: str) -> tuple:
    """The sort key of an index label: accents and case ignored first, then used to
    break ties, then the text itself so that no two labels ever compare equal."""
    return (sort_key(text.casefold()), sort_key(text), text)


def sort_key(text: str) -> tuple:
    """pyuca's `Collator.sort_key(text)`, the same key, made in time linear in the
    text's length. pyuca's own walks the text by slicing the rest of it off after every
    character (its trie's find_prefix returns `key[n:]`): quadratic, 12 s for an 80 kB
    label. This is its algorithm over one list and an index."""
    _used.add(text)
    found = _known.get(text)
    if found is None:
        elements = _collation_elements([ord(c) for c in unicodedata.normalize("NFD", text)])
        found = _known[text] = tuple(_collator().sort_key_from_collation_elements(elements))
    return found


def _collation_elements(cps: list[int]) -> list:
    collator = _collator()
    table = collator.table
    root = table.root
    n = len(cps)
    gone = bytearray(n)  # non-starters already taken into a contraction
    out: list = []
    i = 0
    while True:
        while i < n and gone[i]:
            i += 1
        if i >= n:
            return out
        # The longest prefix from i that the table knows (skipping taken characters).
        node, used, value, j = root, [], None, i
        matched = 0
        while j < n:
            if gone[j]:
                j += 1
                continue
            child = node.children.get(cps[j]) if node.children else None
            if child is None:
                break
            node = child
            used.append(j)
            if child.value:
                matched, value = len(used), child.value
            j += 1
        used = used[:matched]
        prefix = [cps[p] for p in used]
        # A non-starter that is not blocked and makes a longer entry with the prefix.
        k = used[-1] + 1 if used else i
        last_class = None
        while k < n:
            if gone[k]:
                k += 1
                continue
            c = cps[k]
            combining = unicodedata.combining(chr(c))
            if combining == 0 or combining == last_class:
                break
            last_class = combining
            _, found, rest = table.find_prefix(prefix + [c])
            if rest == [] and found is not None:
                gone[k] = 1
                value = found
                break
            k += 1
        if used:
            i = used[-1] + 1
        elif not value:
            value = collator.implicit_weight(cps[i])
            i += 1
        out.extend(value)


@dataclass
class IndexEntry:
    label: str
    fiches: list[str] = field(default_factory=list)  # fiche ids, in edition order
    see: str | None = None  # an alias: the canonical entry to look up instead


@dataclass
class IndexGroup:
    title: str | None  # a region for territories; None for an ungrouped index
    entries: list[IndexEntry]


@dataclass
class Index:
    kind: str  # "partners", "themes" or "territories"
    title: str
    groups: list[IndexGroup]

    @property
    def entries(self) -> list[IndexEntry]:
        return [e for g in self.groups for e in g.entries]


def build_indexes(edition: Edition, labels: dict[str, str] | None = None) -> dict[str, Index]:
    """The indexes the publication asks for (publication.yaml `indexes`), by kind.

    `labels` may give the titles (keys `index_partners`, `index_themes`,
    `index_territories`, `other_territories`), as a layout's labels do."""
    lang = edition.publication.lang
    titles = dict(DEFAULT_TITLES.get(lang, DEFAULT_TITLES["en"]))
    for kind in (*KINDS, "other_territories"):
        key = kind if kind == "other_territories" else f"index_{kind}"
        if labels and labels.get(key):
            titles[kind] = labels[key]
    makers = {"partners": _partners, "themes": _themes, "territories": _territories}
    out: dict[str, Index] = {}
    for kind in edition.publication.indexes:
        if kind in makers:
            out[kind] = makers[kind](edition, titles)
    return out


def _sorted(entries: dict[str, IndexEntry]) -> list[IndexEntry]:
    return [entries[k] for k in sorted(entries, key=collation_key)]


def _add(entries: dict[str, IndexEntry], label: str, fiche_id: str) -> None:
    entry = entries.setdefault(label, IndexEntry(label))
    if fiche_id not in entry.fiches:
        entry.fiches.append(fiche_id)


def _partners(edition: Edition, titles: dict) -> Index:
    entries: dict[str, IndexEntry] = {}
    for fiche in edition.fiches:
        for ref in fiche.partners:
            _add(entries, ref.name, fiche.id)
    # Readers look organisations up by their acronym or former name as often as by
    # their full name: every alias partners.yaml gives a partner present gets a « voir »
    # line (a fiche's misspelling does not: see edition/vocabulary.py).
    aliases: dict[str, str] = {}
    for partner in edition.project.partners:
        if partner.name in entries:
            for alias in partner.aliases:
                aliases.setdefault(alias, partner.name)
    taken = {label.casefold() for label in entries}
    for alias, canonical in aliases.items():
        if alias.casefold() not in taken:
            entries[alias] = IndexEntry(alias, see=canonical)
            taken.add(alias.casefold())
    return Index("partners", titles["partners"], [IndexGroup(None, _sorted(entries))])


def _themes(edition: Edition, titles: dict) -> Index:
    entries: dict[str, IndexEntry] = {}
    for fiche in edition.fiches:
        for theme in fiche.themes:
            _add(entries, theme, fiche.id)
    return Index("themes", titles["themes"], [IndexGroup(None, _sorted(entries))])


def _territories(edition: Edition, titles: dict) -> Index:
    by_region: dict[str | None, dict[str, IndexEntry]] = {}
    for fiche in edition.fiches:
        t = fiche.territory
        _add(by_region.setdefault(t.region, {}), t.label(), fiche.id)
    regions = sorted((r for r in by_region if r), key=collation_key)
    if not regions:  # no region known anywhere: a plain list reads better than one group
        return Index("territories", titles["territories"], [IndexGroup(None, _sorted(by_region.get(None, {})))])
    groups = [IndexGroup(r, _sorted(by_region[r])) for r in regions]
    if None in by_region:
        groups.append(IndexGroup(titles["other_territories"], _sorted(by_region[None])))
    return Index("territories", titles["territories"], groups)
