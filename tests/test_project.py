"""read_project: what a project becomes once read, and what it refuses."""

from __future__ import annotations

import os

import pytest
from conftest import REPO, fiche_text, minimal_front, png_bytes

from generator.diagnostics import Report
from generator.read.project import read_project


def read(root, **kw):
    report = Report()
    return read_project(root, report, **kw), report


def test_fiches_are_read_from_subfolders_in_a_stable_order(project):
    root = project({"b/deux": minimal_front("Deux"), "a/trois": minimal_front("Trois"), "un": minimal_front("Un")})
    proj, report = read(root)
    assert [f.rel for f in proj.fiches] == ["fiches/a/trois.md", "fiches/b/deux.md", "fiches/un.md"]
    assert [f.id for f in proj.fiches] == ["trois", "deux", "un"]
    assert proj.fiches[0].path.is_absolute() and proj.fiches[0].raw.startswith(b"---")


def test_fields_are_typed_and_lines_recorded(project):
    front = minimal_front(
        territory={"place": "Moulins", "department": "Allier", "region": "Auvergne-Rhône-Alpes"},
        key_figures=[{"value": 30, "label": "jeunes"}],
        contact={"name": "Jeanne", "email": "jeanne@exemple.fr", "phone": "01 23 45 67 89"},
        date="2023-05", audience="Jeunes",
    )
    proj, report = read(project({"x": front}, publication={"title": "R", "lang": "en"}))
    f = proj.fiches[0]
    assert f.territory.label() == "Moulins (Allier)" and f.territory.region == "Auvergne-Rhône-Alpes"
    assert f.key_figures[0].value == "30"
    assert f.contact.email == "jeanne@exemple.fr" and f.date == "2023-05"
    assert f.audience == ["Jeunes"]
    assert f.lines["title"] == 2 and f.lines["partners"] > f.lines["territory"]


def test_unquoted_yaml_date_becomes_text(project):
    proj, _ = read(project({"x": "---\ntitle: T\nsummary: S\nthemes: [a]\nterritory: M\npartners: []\ndate: 2023-02-01\n---\n"}))
    assert proj.fiches[0].date == "2023-02-01"


def test_partner_aliases_resolve_to_canonical_names_with_registry_details(project):
    partners = [
        {"name": "Caisse d'allocations familiales", "aliases": ["CAF"], "type": "Organisme", "url": "https://caf.fr"},
    ]
    front = minimal_front(partners=["caf", {"name": "CAF", "role": "financeur", "type": "Financeur"}, "Mairie"])
    proj, report = read(project({"x": front}, publication={"title": "R", "lang": "en"}, partners=partners))
    refs = proj.fiches[0].partners
    assert [(r.name, r.given) for r in refs] == [
        ("Caisse d'allocations familiales", "caf"),
        ("Caisse d'allocations familiales", "CAF"),
        ("Mairie", "Mairie"),
    ]
    assert refs[0].type == "Organisme" and refs[0].url == "https://caf.fr"
    assert refs[1].type == "Financeur" and refs[1].role == "financeur"
    assert proj.partners[0].aliases == ("CAF",)


def test_drafts_are_left_out_unless_asked_for(project):
    root = project({"a": minimal_front("A"), "b": minimal_front("B", draft=True)})
    assert [f.id for f in read(root)[0].fiches] == ["a"]
    assert [f.id for f in read(root, drafts=True)[0].fiches] == ["a", "b"]


def test_a_section_may_name_a_draft_left_out(project):
    root = project({"a": minimal_front(), "b": minimal_front(draft=True)},
                   publication={"title": "R", "sections": [{"title": "S", "fiches": ["B", "a"]}]})
    proj, report = read(root)
    assert not report.errors and proj.publication.sections[0].fiches == ("a",)
    proj, report = read(root, drafts=True)
    assert proj.publication.sections[0].fiches == ("b", "a")  # ids as the files spell them


def test_a_fiche_in_two_sections_warns_and_stays_in_the_first(project):
    root = project({"a": minimal_front()}, publication={"title": "R", "sections": [
        {"title": "S1", "fiches": ["a"]}, {"title": "S2", "fiches": ["a"]}]})
    proj, report = read(root)
    assert [s.fiches for s in proj.publication.sections] == [("a",), ()]
    assert report.warnings[0].path == "publication.yaml"


def test_images_are_resolved_inside_the_project(project):
    body = "![Un vélo](../images/velo%20rouge.png)\n\n![distante](https://exemple.fr/a.png)\n"
    root = project({"x": fiche_text(minimal_front(image={"file": "../images/velo rouge.png", "alt": "Vélo"}), body)})
    (root / "images").mkdir()
    (root / "images" / "velo rouge.png").write_bytes(png_bytes(4, 4))
    proj, report = read(root)
    f = proj.fiches[0]
    assert f.image.rel == "images/velo rouge.png" and f.image.path == (root / "images/velo rouge.png").resolve()
    images = [n for n in f.body.walk() if n.type == "image"]
    assert len(images) == 1 and images[0].attrs["path"] == f.image.path
    assert any("allow_remote" in w.message for w in report.warnings)


def test_remote_images_are_kept_only_when_allowed(project):
    body = "![distante](https://exemple.fr/a.png)\n"
    root = project({"x": fiche_text(minimal_front(), body)}, publication={"title": "R", "allow_remote": True})
    proj, report = read(root)
    images = [n for n in proj.fiches[0].body.walk() if n.type == "image"]
    assert images[0].attrs["src"] == "https://exemple.fr/a.png" and "path" not in images[0].attrs
    assert not report.items


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_a_symlink_cannot_lead_an_image_outside_the_project(project, tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(png_bytes(4, 4))
    root = project({"x": fiche_text(minimal_front(image={"file": "../lien.png"}))})
    os.symlink(secret, root / "lien.png")
    proj, report = read(root)
    assert proj is None and "outside the project" in report.errors[0].message


def test_template_syntax_is_kept_as_text(project):
    proj, _ = read(project({"x": minimal_front("{{ 7*7 }} {% include '/etc/passwd' %}")}, publication={"title": "R", "lang": "en"}))
    assert proj.fiches[0].title == "{{ 7*7 }} {% include '/etc/passwd' %}"


def test_no_publication_yaml_gives_defaults(project):
    proj, report = read(project({"x": minimal_front()}))
    assert proj.publication.title == "Recueil" and proj.publication.lang == "fr" and proj.publication.raw is None


def test_publication_settings_are_read(project):
    pub = {"title": "R", "page_size": "a5", "lang": "EN", "indexes": ["Themes"], "isbn": "978-2-1234-5680-3",
           "allow_remote": True, "layout": "sobre", "colophon": {"printer": "Imprimerie du Centre"}}
    proj, report = read(project({"x": minimal_front()}, publication=pub))
    p = proj.publication
    assert (p.page_size, p.lang, p.indexes, p.isbn, p.allow_remote, p.layout) == ("A5", "en", ["themes"], "978-2-1234-5680-3", True, "sobre")
    assert p.colophon == {"printer": "Imprimerie du Centre"}


def test_other_languages_are_accepted_with_a_warning(project):
    proj, report = read(project({"x": minimal_front()}, publication={"title": "R", "lang": "de"}))
    assert proj.publication.lang == "de" and "translated" in report.warnings[0].message


def test_the_sample_edition_reads_cleanly():
    proj, report = read(REPO)
    assert proj is not None and not report.items, [str(d) for d in report.items]
    assert len(proj.fiches) == 5 and len(proj.publication.sections) == 3
    names = {r.name for f in proj.fiches for r in f.partners}
    given = {r.given for f in proj.fiches for r in f.partners}
    assert given - names, "the sample should show at least one alias resolved"


from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

_PIECES = ["---\n", "title: ", "themes: ", "partners:\n", "  - ", "{", "}", "[", "]", ": ", "\n", "&a ", "*a",
           "'", '"', "![i](", ")", "x", "é", "\x0b", "\t", "2023-02-30", "<div>", "{{ 7*7 }}", "  name: "]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_any_fiche_text_is_read_or_reported_never_raised(project, text):
    root = project({"x": text}, name="h")
    report = Report()
    proj = read_project(root, report)
    assert (proj is None) == bool(report.errors)
    assert all(d.path.startswith("fiches/x.md") for d in report.items)
