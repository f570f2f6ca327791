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


# --- sort keys kept between builds -----------------------------------------------------

def test_sort_keys_an_earlier_build_kept_are_used_without_the_collation_table(monkeypatch):
    from generator.edition import indexes

    texts = ["Élan", "école", "Ecole", "Œuvre", "zèbre", "Ça"]
    made = {t: collation_key(t) for t in texts}
    data = indexes.kept()
    assert set(json_keys(data)) >= set(texts)
    monkeypatch.setattr(indexes, "_known", {})

    def no_table():
        raise AssertionError("the collation table was read")

    monkeypatch.setattr(indexes, "_collator", no_table)
    assert indexes.recall(data)
    assert {t: collation_key(t) for t in texts} == made
    assert sorted(texts, key=collation_key) == ["Ça", "Ecole", "école", "Élan", "Œuvre", "zèbre"]
    indexes.load_collation()  # keys recalled: nothing to read ahead


def json_keys(data: bytes) -> list[str]:
    import json

    return list(json.loads(data))


def test_doctored_sort_keys_are_not_taken(monkeypatch):
    from generator.edition import indexes

    monkeypatch.setattr(indexes, "_known", {})
    for data in (b"[1, 2]", b'{"a": "b"}', b'{"a": [1, "2"]}', b'{"a": [1.5]}', b"{", b"[" * 100_000,
                 b'{"a": {"b": 1}}'):
        assert not indexes.recall(data), data
    assert indexes._known == {}
    assert indexes.recall(b'{"a": [1, 2]}') and indexes._known == {"a": (1, 2)}


def test_a_rebuild_sorts_without_reading_the_collation_table(tmp_path, monkeypatch):
    from conftest import minimal_front, write_project

    from generator.build import BuildOptions, build
    from generator.diagnostics import Report
    from generator.edition import indexes

    root = write_project(tmp_path / "projet", {
        "a": minimal_front("Une", themes=["Éducation", "Santé"]),
        "b": minimal_front("Deux", themes=["Culture"])})
    options = BuildOptions(out=root / "output", formats=("docx",), jobs=1)
    build(root, options, Report())
    monkeypatch.setattr(indexes, "_known", {})  # as in a new process

    def no_table():
        raise AssertionError("the collation table was read")

    monkeypatch.setattr(indexes, "_collator", no_table)
    (root / "fiches" / "b.md").write_text((root / "fiches" / "b.md").read_text(encoding="utf-8") + "\nEncore.\n",
                                          encoding="utf-8")
    build(root, options, Report())
    assert {"Culture", "Éducation", "Santé"} <= set(indexes._known)
