"""read/fields.py describes every key of a fiche once: the checker, the model, the French
typography, the walk over printed texts and the docs all follow it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from conftest import fiche_text, minimal_front, png_bytes

from generator.diagnostics import Report
from generator.model import Contact, Fiche, Image, KeyFigure, PartnerRef, Territory
from generator.read import fields
from generator.read.fiche import Context, read_fiche
from generator.read.typography import NBSP, NNBSP

REPO = Path(__file__).resolve().parent.parent
SUB_MODELS = {"territory": Territory, "partners": PartnerRef, "key_figures": KeyFigure, "contact": Contact,
              "image": Image}


def test_the_model_holds_every_declared_key():
    names = {f.name for f in dataclasses.fields(Fiche)}
    assert set(fields.KEYS) <= names
    for f in fields.FICHE:
        if f.sub:
            sub_names = {g.name for g in dataclasses.fields(SUB_MODELS[f.key])}
            printed = {s.key for s in f.sub if s.printed}
            assert printed <= sub_names, (f.key, printed - sub_names)


def test_the_docs_table_is_the_declaration():
    text = (REPO / "docs" / "fiche-format.md").read_text(encoding="utf-8")
    assert fields.markdown_table() in text, "docs/fiche-format.md's table of keys: paste fields.markdown_table()"


def read(tmp_path: Path, front: dict, body: str = "Un paragraphe.\n", lang: str = "fr") -> tuple[Fiche | None, Report]:
    path = tmp_path / "fiches" / "x.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(fiche_text(front, body), encoding="utf-8")
    report = Report()
    fiche, _ = read_fiche(path, "fiches/x.md", Context(root=tmp_path.resolve(), lang=lang), report)
    return fiche, report


def test_printed_texts_are_typeset_in_french_and_addresses_are_not(tmp_path):
    (tmp_path / "fiches").mkdir()
    (tmp_path / "fiches" / "p.png").write_bytes(png_bytes(4, 4))
    fiche, report = read(tmp_path, minimal_front(
        "Quoi ? Un titre", image={"file": "p.png", "alt": "Une photo : le jardin", "credit": "Photo X"}, subtitle="« Sous-titre »", themes=["Santé : accès"],
        territory={"place": "Moulins", "region": "Auvergne-Rhône-Alpes"},
        partners=[{"name": "Une association !", "role": "porteur", "url": "https://example.org/a?b=c"}],
        key_figures=[{"value": "30 %", "label": "du prix"}],
        contact={"name": "Mme Martin", "email": "a@example.org", "phone": "01 23 45 67 89"},
        source="https://example.org/x?y"))
    assert fiche is not None, [str(d) for d in report.items]
    assert fiche.title == f"Quoi{NNBSP}? Un titre"
    assert fiche.subtitle == f"«{NBSP}Sous-titre{NBSP}»"
    assert fiche.themes == [f"Santé{NBSP}: accès"]
    assert fiche.partners[0].name == f"Une association{NNBSP}!"
    assert fiche.partners[0].url == "https://example.org/a?b=c"
    assert fiche.key_figures[0].value == f"30{NNBSP}%"
    assert fiche.contact.phone == "01 23 45 67 89"
    assert fiche.source == "https://example.org/x?y"
    assert fiche.image.alt == f"Une photo{NBSP}: le jardin"
    texts = list(fields.printed_texts(fiche))
    assert fiche.image.alt in texts and "Photo X" in texts
    assert fiche.title in texts and fiche.partners[0].role in texts and "Auvergne-Rhône-Alpes" in texts
    assert not any("example.org" in t for t in texts)


def test_a_fiche_in_another_language_keeps_its_own_typography(tmp_path):
    fiche, _ = read(tmp_path, minimal_front("What? A title", lang="en"), "Is it: so?\n")
    assert fiche.title == "What? A title" and fiche.lang == "en"
    assert fiche.body.plain() == "Is it: so?"


def test_a_language_tag_is_checked(tmp_path):
    fiche, report = read(tmp_path, minimal_front(lang="en_GB"))
    assert fiche.lang == "en-GB"
    fiche, report = read(tmp_path, minimal_front(lang="anglais!"))
    assert fiche is None or fiche.lang is None
    assert any("'lang' must be a language tag" in d.message for d in report.errors)


def test_shorthands_and_empty_groups(tmp_path):
    fiche, _ = read(tmp_path, minimal_front(territory="Moulins", partners=["Viltaïs"], contact={}))
    assert fiche.territory == Territory("Moulins") and fiche.partners[0].name == "Viltaïs"
    assert fiche.contact is None
