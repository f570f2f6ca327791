"""French typography, applied when a French project is read."""

from __future__ import annotations

import pytest
from conftest import fiche_text, minimal_front
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.diagnostics import Report
from generator.read.markdown import parse
from generator.read.project import read_project
from generator.read.typography import NBSP, NNBSP, french, french_tree


@pytest.mark.parametrize("given_text, expected", [
    ("Pourquoi ?", f"Pourquoi{NNBSP}?"),
    ("Pourquoi?", f"Pourquoi{NNBSP}?"),
    ("Enfin ! Bon; voilà", f"Enfin{NNBSP}! Bon{NNBSP}; voilà"),
    ("Quoi ?!", f"Quoi{NNBSP}?!"),
    ("Objectif : agir", f"Objectif{NBSP}: agir"),
    ("Objectif: agir", f"Objectif{NBSP}: agir"),
    ("« transformation »", f"«{NBSP}transformation{NBSP}»"),
    ("«durable»", f"«{NBSP}durable{NBSP}»"),
    ("30 % du prix", f"30{NNBSP}% du prix"),
    ("30% du prix", f"30{NNBSP}% du prix"),
    ("de 16 à 18 ans", f"de 16{NBSP}à 18{NBSP}ans"),
    ("2 000 habitants", f"2{NNBSP}000{NBSP}habitants"),
    ("l'école d'aujourd'hui", "l’école d’aujourd’hui"),
])
def test_french_rules(given_text, expected):
    assert french(given_text) == expected


@pytest.mark.parametrize("text", [
    "https://exemple.fr/page?a=1&b=2:3",
    "http://exemple.fr/l'ecole",
    "mailto:contact@exemple.fr",
    "contact@exemple.fr",
    "à 10:30",
    "rendez-vous 9:05:00",
    "a?b=c",
])
def test_urls_emails_and_times_are_untouched(text):
    assert french(text) == text


def test_space_before_a_colon_after_a_url_is_still_fixed():
    assert french("Voir https://exemple.fr : ici") == f"Voir https://exemple.fr{NBSP}: ici"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("ab1 2:;!?«»'%.@/\u00a0\u202f") + ["http://", "x.fr", "10:30"]), max_size=30).map("".join))
def test_applying_twice_changes_nothing(text):
    once = french(text)
    assert french(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_only_spaces_and_apostrophes_change(text):
    out = french(text)
    strip = lambda s: "".join(c for c in s if c not in " \u00a0\u202f'’")
    assert strip(out) == strip(text)


def test_tree_leaves_code_alone_and_carries_context_across_inlines():
    tree, _ = parse("**Note**: l'`a ; b` reste, `code`: oui\n\n```\nx ; y : 'z'\n```\n")
    french_tree(tree)
    texts = [n.text for n in tree.walk() if n.type == "text"]
    codes = [n.text for n in tree.walk() if n.type in ("code", "code_block")]
    assert texts[1].startswith(NBSP + ":")
    assert f"{NBSP}: oui" in texts[-1]
    assert codes == ["a ; b", "code", "x ; y : 'z'"]


def test_applied_at_read_time_in_french_projects_only(project):
    front = minimal_front("L'atelier : moto", summary="Pourquoi ?", themes=["Lutte contre l'exclusion"])
    body = "Un « projet » à 30 %.\n\n`l'code ; brut`\n"
    fr = project({"x": fiche_text(front, body)}, publication={"title": "Recueil : essai"}, name="fr")
    en = project({"x": fiche_text(front, body)}, publication={"title": "R", "lang": "en"}, name="en")
    report = Report()
    f = read_project(fr, report).fiches[0]
    assert f.title == f"L’atelier{NBSP}: moto" and f.summary == f"Pourquoi{NNBSP}?"
    assert f.themes == ["Lutte contre l’exclusion"]
    assert read_project(fr, report).publication.title == f"Recueil{NBSP}: essai"
    texts = "".join(n.text for n in f.body.walk() if n.type == "text")
    assert f"«{NBSP}projet{NBSP}»" in texts and f"30{NNBSP}%" in texts
    assert [n.text for n in f.body.walk() if n.type == "code"] == ["l'code ; brut"]
    g = read_project(en, report).fiches[0]
    assert g.title == "L'atelier : moto"
    assert not report.errors
