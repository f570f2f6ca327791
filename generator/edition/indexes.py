"""The back-of-book indexes of an edition: partners, themes, territories.

Entries are sorted with the Unicode Collation Algorithm (pyuca's DUCET table), which
files É with E and Œ as OE; case is ignored for the order and only breaks ties, so that
« école » and « Ecole » sit together and the order is the same on every machine.

An index knows which fiches each entry occurs in, not on which pages: the PDF renderer
alone knows the pages, once the fiches are laid out, and attaches them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyuca

from generator.model import Edition

_COLLATOR = pyuca.Collator()

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
    return (_COLLATOR.sort_key(text.casefold()), _COLLATOR.sort_key(text), text)


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
