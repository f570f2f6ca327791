"""Layouts: lookup order, merged settings, autoescaping, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generator.diagnostics import InputError
from generator.layouts import load_layout
from generator.model import Project, Publication


def project(root: Path, publication: Publication | None = None, raw: bytes | None = None) -> Project:
    pub = publication or Publication()
    pub.raw = raw
    return Project(root, pub, [], [])


def test_builtin_brochure(tmp_path):
    layout = load_layout(project(tmp_path), "brochure")
    assert layout.name == "brochure" and layout.dirs[-1].name == "brochure"
    assert layout.file("fiche.html") is not None and layout.file("nope.html") is None
    assert layout.settings["fiche_starts_on"] in ("any", "right")
    assert layout.labels("fr")["index_themes"] == "Index des thèmes"
    assert layout.labels("en")["contents"] == "Contents"
    assert layout.labels("de")["contents"] == "Sommaire", "an unknown language falls back to French"


def test_project_layout_overrides_file_by_file_and_merges_settings(tmp_path):
    folder = tmp_path / "layouts" / "brochure"
    folder.mkdir(parents=True)
    (folder / "layout.yaml").write_text(yaml.safe_dump(
        {"accent": "#aa0000", "labels": {"fr": {"contents": "Table"}}}), encoding="utf-8")
    (folder / "cover.html").write_text("<p>{{ pub.title }}</p>", encoding="utf-8")
    layout = load_layout(project(tmp_path), "brochure")
    assert layout.dirs[0] == folder
    assert layout.file("cover.html") == folder / "cover.html"
    assert layout.file("fiche.html").parent != folder, "files the project lacks come from the built-in layout"
    assert layout.settings["accent"] == "#aa0000"
    assert layout.labels("fr")["contents"] == "Table"
    assert layout.labels("fr")["partners"] == "Partenaires", "labels merge key by key"


def test_templates_autoescape_fiche_text(tmp_path):
    layout = load_layout(project(tmp_path), "brochure")
    out = layout.env.from_string("{{ t }}").render(t="{{ 7*7 }} <script>")
    assert out == "{{ 7*7 }} &lt;script&gt;"


def test_unknown_layout_names_the_line_and_the_choices(tmp_path):
    raw = b"title: Essai\nlayout: magazine\n"
    with pytest.raises(InputError) as e:
        load_layout(project(tmp_path, Publication(title="Essai", layout="magazine"), raw), "magazine")
    message = str(e.value.report.errors[0])
    assert message.startswith("publication.yaml:2: error: unknown layout 'magazine' (available: ")
    assert "brochure" in message


def test_unknown_layout_from_the_command_line(tmp_path):
    with pytest.raises(InputError) as e:
        load_layout(project(tmp_path), "../etc")
    assert str(e.value.report.errors[0]).startswith("--layout: error: unknown layout '../etc'")


def test_bad_colour_is_an_error_naming_the_file(tmp_path):
    folder = tmp_path / "layouts" / "brochure"
    folder.mkdir(parents=True)
    (folder / "layout.yaml").write_text("accent: 'red; } body { display: none'\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_layout(project(tmp_path), "brochure")
    assert str(e.value.report.errors[0]).startswith("layouts/brochure/layout.yaml: error: 'accent' must be a colour")
