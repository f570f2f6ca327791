"""Indexes: French collation, aliases as « voir » entries, territories by region."""

from __future__ import annotations

from pathlib import Path

from generator.edition.indexes import build_indexes, collation_key
from generator.model import (
    Edition,
    Fiche,
    Partner,
    PartnerRef,
    Project,
    Publication,
    Section,
    Territory,
)
from generator.read.markdown import Node


def fiche(fid: str, themes=("Insertion",), partners=(), territory=Territory("Moulins")) -> Fiche:
    return Fiche(id=fid, path=Path(f"/p/fiches/{fid}.md"), rel=f"fiches/{fid}.md", title=fid.upper(),
                 summary="s", themes=list(themes), territory=territory, partners=list(partners),
                 body=Node("document"))


def edition(fiches, partners=(), lang="fr", indexes=None) -> Edition:
    pub = Publication(lang=lang)
    if indexes is not None:
        pub.indexes = indexes
    return Edition(Project(Path("/p"), pub, list(partners), list(fiches)), [Section(None, list(fiches))])


def test_collation_files_accents_ligatures_and_case_together():
    words = ["Zoé", "Œuvre", "ecole", "Ezra", "Éducation", "Odile", "Ecole", "école", "Oz", "Eaux"]
    ordered = sorted(words, key=collation_key)
    assert ordered == ["Eaux", "ecole", "Ecole", "école", "Éducation", "Ezra", "Odile", "Œuvre", "Oz", "Zoé"]
    # Stable: the same order whatever the input order.
    assert sorted(reversed(words), key=collation_key) == ordered


def test_themes_index_sorted_with_fiches_in_edition_order():
    e = edition([fiche("a", ["Santé", "économie"]), fiche("b", ["Économie"]), fiche("c", ["Œuvres", "santé"])])
    themes = build_indexes(e)["themes"]
    assert themes.title == "Index des thèmes"
    assert [x.label for x in themes.entries] == ["économie", "Économie", "Œuvres", "santé", "Santé"]
    assert themes.entries[-1].fiches == ["a"]


def test_partners_canonical_with_aliases_as_see_entries():
    caf = Partner("Caisse d’allocations familiales", aliases=("CAF", "Caf de l’Allier"))
    refs = {
        "a": [PartnerRef("Caisse d’allocations familiales", "CAF")],
        "b": [PartnerRef("Caisse d’allocations familiales", "Caisse d’allocations familiales"),
              PartnerRef("Ademe", "Ademe")],
        "c": [PartnerRef("Ademe", "Ademe")],
    }
    e = edition([fiche(k, partners=v) for k, v in refs.items()], partners=[caf, Partner("Unused", ("UN",))])
    partners = build_indexes(e)["partners"]
    assert partners.title == "Index des partenaires"
    by = {x.label: x for x in partners.entries}
    assert by["Caisse d’allocations familiales"].fiches == ["a", "b"]
    assert by["CAF"].see == "Caisse d’allocations familiales" and by["CAF"].fiches == []
    assert by["Caf de l’Allier"].see == "Caisse d’allocations familiales"
    assert by["Ademe"].fiches == ["b", "c"]
    assert "UN" not in by and "Unused" not in by, "partners absent from the edition are not indexed"
    assert [x.label for x in partners.entries] == ["Ademe", "CAF", "Caf de l’Allier", "Caisse d’allocations familiales"]


def test_territories_grouped_by_region_with_others_last():
    e = edition([
        fiche("a", territory=Territory("Vichy", "Allier", "Auvergne-Rhône-Alpes")),
        fiche("b", territory=Territory("Brest", "Finistère", "Bretagne")),
        fiche("c", territory=Territory("Évian", "Haute-Savoie", "Auvergne-Rhône-Alpes")),
        fiche("d", territory=Territory("Ouessant")),
        fiche("e", territory=Territory("Vichy", "Allier", "Auvergne-Rhône-Alpes")),
    ])
    index = build_indexes(e)["territories"]
    assert [g.title for g in index.groups] == ["Auvergne-Rhône-Alpes", "Bretagne", "Autres territoires"]
    assert [x.label for x in index.groups[0].entries] == ["Évian (Haute-Savoie)", "Vichy (Allier)"]
    assert index.groups[0].entries[1].fiches == ["a", "e"]
    assert [x.label for x in index.groups[2].entries] == ["Ouessant"]


def test_english_titles_and_only_the_indexes_asked_for():
    e = edition([fiche("a")], lang="en", indexes=["themes", "territories"])
    indexes = build_indexes(e)
    assert list(indexes) == ["themes", "territories"]
    assert indexes["themes"].title == "Index of themes"
    assert indexes["territories"].groups[0].title is None, "no region anywhere: one plain list"


def test_layout_labels_override_titles():
    e = edition([fiche("a")])
    indexes = build_indexes(e, {"index_themes": "Thématiques"})
    assert indexes["themes"].title == "Thématiques"
    assert indexes["partners"].title == "Index des partenaires"
