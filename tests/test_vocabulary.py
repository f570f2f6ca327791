"""What a proofreader catches in the indexes: one entry per name, whatever the spelling
a fiche used, and a warning naming each spelling that was changed."""

from __future__ import annotations

from conftest import minimal_front, write_project

from generator.diagnostics import Report
from generator.edition.indexes import build_indexes
from generator.edition.select import make_edition
from generator.edition.vocabulary import same_name
from generator.read.project import read_project

REGISTRY = [{"name": "Conseil départemental du Cher", "aliases": ["CD18"]},
            {"name": "Caisse d'allocations familiales", "aliases": ["CAF"]},
            {"name": "France Travail"}]


def test_same_name():
    assert same_name("Mobilite") == same_name("Mobilité") == same_name("mobilités")
    assert same_name("Emploi") == same_name("Emplois")
    assert same_name("Caisse d allocations") == same_name("Caisse d’allocations")
    assert same_name("Insertion") != same_name("Inscription")


def _edition(root, publication=None):
    report = Report()
    project = read_project(root, report)
    assert project is not None, [str(d) for d in report.items]
    return make_edition(project, [], report), report


def _labels(index):
    return [(e.label, e.see) for e in index.entries]


def test_misspellings_make_one_entry_and_a_warning_each(tmp_path):
    root = write_project(tmp_path / "p", {
        "a": minimal_front("A", themes=["Mobilité", "Emploi"], partners=["Conseil départemental du Cher"]),
        "b": minimal_front("B", themes=["Mobilité", "Emploi"], partners=["CAF"]),
        "c": minimal_front("C", themes=["Mobilite", "Emplois"],
                           partners=["Conseil departemental du cher", "France-Travail"]),
        "d": minimal_front("D", themes=["Mobilité"], partners=["Caisse d allocations familiales"]),
        "e": minimal_front("E", themes=["Culture"], partners=["Atelier Vélo", "Atelier velo"]),
        "f": minimal_front("F", themes=["Culture"], partners=["Atelier Vélo"]),
    }, {"title": "R"}, partners=REGISTRY)
    edition, report = _edition(root)
    indexes = build_indexes(edition)
    assert _labels(indexes["themes"]) == [("Culture", None), ("Emploi", None), ("Mobilité", None)]
    partners = _labels(indexes["partners"])
    assert ("Conseil départemental du Cher", None) in partners and ("CD18", "Conseil départemental du Cher") in partners
    assert ("Caisse d’allocations familiales", None) in partners and ("CAF", "Caisse d’allocations familiales") in partners
    assert ("Atelier Vélo", None) in partners
    labels = [label for label, _ in partners]
    assert not [x for x in labels if x in ("Conseil departemental du cher", "France-Travail", "Atelier velo",
                                           "Caisse d allocations familiales")], partners
    assert len(labels) == len({same_name(x) for x in labels})
    warnings = [str(d) for d in report.warnings]
    for written, printed in (("Mobilite", "Mobilité"), ("Emplois", "Emploi"),
                             ("Conseil departemental du cher", "Conseil départemental du Cher"),
                             ("France-Travail", "France Travail"),
                             ("Caisse d allocations familiales", "Caisse d’allocations familiales"),
                             ("Atelier velo", "Atelier Vélo")):
        assert any(f"« {written} » is printed « {printed} »" in w for w in warnings), (written, warnings)
    assert not any("« CAF »" in w for w in warnings), "a registered alias is no misspelling"
    lines = (root / "fiches" / "c.md").read_text(encoding="utf-8").splitlines()
    line = 1 + next(i for i, text in enumerate(lines) if "Mobilite" in text)
    assert any(w.startswith(f"fiches/c.md:{line}: warning: theme « Mobilite »") for w in warnings), warnings
    assert [e.fiches for e in indexes["themes"].entries if e.label == "Mobilité"] == [["a", "b", "c", "d"]]


def test_a_list_of_themes_names_the_printed_spelling_and_its_aliases(tmp_path):
    publication = {"title": "R", "themes": ["Santé", {"name": "Emploi et insertion", "aliases": ["Insertion"]}]}
    root = write_project(tmp_path / "p", {
        "a": minimal_front("A", themes=["Sante", "Insertion"]),
        "b": minimal_front("B", themes=["Jardinage"]),
    }, publication)
    edition, report = _edition(root)
    assert _labels(build_indexes(edition)["themes"]) == [("Emploi et insertion", None), ("Jardinage", None),
                                                         ("Santé", None)]
    warnings = [d.message for d in report.warnings]
    assert any("« Sante » is printed « Santé »" in w for w in warnings)
    assert not any("« Insertion »" in w for w in warnings), "a listed alias is no misspelling"
    assert any("theme « Jardinage » is not among publication.yaml's themes" in w for w in warnings)
