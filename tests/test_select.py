"""make_edition: which fiches an edition holds, in which order and sections."""

from __future__ import annotations

from conftest import minimal_front

from generator.diagnostics import Report
from generator.edition.select import make_edition
from generator.read.project import read_project

PARTNERS = [{"name": "Caisse d'allocations familiales", "aliases": ["CAF"]}]


def edition(root, selects=(), **kw):
    report = Report()
    proj = read_project(root, report, **kw)
    assert proj is not None, [str(d) for d in report.items]
    ed = make_edition(proj, list(selects), report)
    return ed, report


def shape(ed):
    return [(s.title, [f.id for f in s.fiches]) for s in ed.sections]


def sample(project, publication=None):
    return project({
        "velo": minimal_front(themes=["Mobilité"], territory={"place": "Moulins", "department": "Allier", "region": "Auvergne-Rhône-Alpes"}),
        "ecole": minimal_front(themes=["Éducation", "Insertion"], territory="Cayenne", partners=["CAF"]),
        "atelier": minimal_front(themes=["insertion"], territory={"place": "Angers", "region": "Pays de la Loire"},
                                 partners=[{"name": "Caisse d’Allocations familiales"}]),
        "Zebre": minimal_front(themes=["Culture"]),
    }, publication=publication, partners=PARTNERS)


def test_without_sections_fiches_are_ordered_by_id(project):
    ed, report = edition(sample(project))
    assert shape(ed) == [(None, ["atelier", "ecole", "velo", "Zebre"])]


def test_sections_keep_their_order_and_unlisted_fiches_follow(project):
    pub = {"title": "R", "sections": [{"title": "Deux", "fiches": ["velo", "ECOLE"]}, {"title": "Vide", "fiches": []}]}
    ed, _ = edition(sample(project, pub))
    assert shape(ed) == [("Deux", ["velo", "ecole"]), ("Autres initiatives", ["atelier", "Zebre"])]


def test_last_section_title_follows_the_language(project):
    pub = {"title": "R", "lang": "en", "sections": [{"title": "One", "fiches": ["velo"]}]}
    ed, _ = edition(sample(project, pub))
    assert ed.sections[-1].title == "Other initiatives"


def test_every_listed_fiche_means_no_last_section(project):
    pub = {"title": "R", "sections": [{"title": "Tout", "fiches": ["Zebre", "velo", "ecole", "atelier"]}]}
    ed, _ = edition(sample(project, pub))
    assert shape(ed) == [("Tout", ["Zebre", "velo", "ecole", "atelier"])]


def test_select_theme_ignores_case_and_accents(project):
    ed, report = edition(sample(project), [("theme", "INSERTION")])
    assert [f.id for f in ed.fiches] == ["atelier", "ecole"]
    ed, _ = edition(sample(project), [("theme", "education")])
    assert [f.id for f in ed.fiches] == ["ecole"]


def test_select_territory_matches_place_department_or_region(project):
    root = sample(project)
    assert [f.id for f in edition(root, [("territory", "allier")])[0].fiches] == ["velo"]
    assert [f.id for f in edition(root, [("territory", "cayenne")])[0].fiches] == ["ecole"]
    assert [f.id for f in edition(root, [("region", "pays de la loire")])[0].fiches] == ["atelier"]
    assert [f.id for f in edition(root, [("region", "Allier")])[0].fiches] == []


def test_select_partner_by_canonical_name_or_alias(project):
    root = sample(project)
    by_alias = [f.id for f in edition(root, [("partner", "caf")])[0].fiches]
    by_name = [f.id for f in edition(root, [("partner", "caisse d'allocations familiales")])[0].fiches]
    assert by_alias == by_name == ["atelier", "ecole"]


def test_repeated_selects_narrow(project):
    ed, _ = edition(sample(project), [("theme", "insertion"), ("partner", "CAF"), ("id", "ECOLE")])
    assert [f.id for f in ed.fiches] == ["ecole"]


def test_select_keeps_sections(project):
    pub = {"title": "R", "sections": [{"title": "S", "fiches": ["ecole"]}]}
    ed, _ = edition(sample(project, pub), [("theme", "insertion")])
    assert shape(ed) == [("S", ["ecole"]), ("Autres initiatives", ["atelier"])]


def test_a_select_matching_nothing_is_an_error_listing_the_values(project):
    ed, report = edition(sample(project), [("theme", "Sport")])
    assert ed.fiches == []
    assert "no fiche matches" in report.errors[0].message and "Mobilité" in report.errors[0].message


def test_an_unknown_select_key_is_an_error(project):
    ed, report = edition(sample(project), [("couleur", "rouge")])
    assert report.errors and "theme" in report.errors[0].message


def test_drafts_join_the_edition_when_asked_for(project):
    root = project({"a": minimal_front(), "b": minimal_front(draft=True)})
    assert [f.id for f in edition(root)[0].fiches] == ["a"]
    assert [f.id for f in edition(root, drafts=True)[0].fiches] == ["a", "b"]


def test_a_comma_means_or_within_one_key(project):
    ed, report = edition(sample(project), [("id", "velo,ecole")])
    assert not report.errors and sorted(f.id for f in ed.fiches) == ["ecole", "velo"]
    ed, report = edition(sample(project), [("id", "velo, ecole"), ("theme", "Éducation")])
    assert [f.id for f in ed.fiches] == ["ecole"]


def test_narrowing_to_nothing_says_which_selects_clash_not_that_the_value_is_unknown(project):
    _, report = edition(sample(project), [("id", "velo"), ("id", "ecole")])
    [error] = [str(d) for d in report.errors]
    assert "--select id=ecole: no fiche matches it and --select id=velo too" in error
    assert "values in this project" not in error
    _, report = edition(sample(project), [("id", "velo,nulle")])
    [error] = [str(d) for d in report.errors]
    assert "--select id=velo,nulle: no fiche matches 'nulle'" in error and "values in this project" in error


def test_a_thematic_edition_has_its_own_cover_and_never_the_whole_isbn(project):
    publication = {"title": "Recueil", "subtitle": "Tout", "isbn": "978-2-1234-5680-3", "editions": [
        {"select": ["theme=Insertion"], "title": "Insertion : le recueil", "isbn": "978-2-1234-5681-0"}]}
    root = sample(project, publication)
    whole, _ = edition(root)
    assert whole.publication.isbn == "978-2-1234-5680-3" and whole.publication.title == "Recueil"
    ed, report = edition(root, [("theme", "insertion")])
    assert ed.publication.title == "Insertion\u00a0: le recueil" and ed.publication.isbn == "978-2-1234-5681-0"
    assert ed.project.publication.title == "Recueil"
    ed, report = edition(root, [("theme", "Mobilité")])
    assert (ed.publication.title, ed.publication.subtitle, ed.publication.isbn) == ("Recueil", "Mobilité", None)
    assert any("does not carry the whole edition's ISBN" in d.message for d in report.warnings)
