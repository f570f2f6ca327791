"""Layouts: lookup order, merged settings, autoescaping, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generator.diagnostics import InputError
from generator.model import Project, Publication
from generator.read.layouts import load_layout


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
    assert layout.design.values["accent"] == "#aa0000", "the old top-level spelling still sets the token"
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
    assert str(e.value.report.errors[0]).startswith("layouts/brochure/layout.yaml:1: error: 'accent' must be a colour")


def _layout_folder(root: Path, name: str, settings: dict | None = None, **files: str) -> Path:
    folder = root / "layouts" / name
    folder.mkdir(parents=True)
    if settings is not None:
        (folder / "layout.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    for file, text in files.items():
        (folder / file.replace("_", ".")).write_text(text, encoding="utf-8")
    return folder


def test_extends_merges_settings_and_looks_files_up_in_the_base(tmp_path):
    folder = _layout_folder(tmp_path, "sobre", {"extends": "brochure", "accent": "#222222",
                                                "labels": {"fr": {"contents": "Table"}}},
                            cover_html="<p>{{ pub.title }}</p>")
    layout = load_layout(project(tmp_path), "sobre")
    assert layout.bases == ["brochure"] and "extends" not in layout.settings
    assert layout.dirs[0] == folder and layout.dirs[-1].name == "brochure"
    assert layout.file("cover.html") == folder / "cover.html", "its own file first"
    assert layout.file("fiche.html").parent.name == "brochure", "then the base's"
    assert layout.env.get_template("fiche.html").filename.endswith("brochure/fiche.html")
    assert layout.env.get_template("cover.html").render(pub={"title": "<T>"}) == "<p>&lt;T&gt;</p>"
    assert layout.design.values["accent"] == "#222222"
    assert layout.settings["stylesheets"] == ["booklet.css"], "a setting it does not give comes from the base"
    assert layout.labels("fr")["contents"] == "Table" and layout.labels("fr")["partners"] == "Partenaires"


def test_extends_chains_through_the_builtin_archive(tmp_path):
    _layout_folder(tmp_path, "depot", {"extends": "archive", "stylesheets": ["booklet.css", "archive.css", "depot.css"]},
                   depot_css="html { color: #000; }")
    layout = load_layout(project(tmp_path), "depot")
    assert layout.bases == ["archive", "brochure"]
    assert [d.name for d in layout.dirs] == ["depot", "archive", "brochure"]
    assert layout.file("archive.css").parent.name == "archive" and layout.file("depot.css") is not None
    assert layout.design.values["cover_background"] == "#ffffff", "from the archive"
    assert layout.settings["fiche_starts_on"] == "any", "from the brochure"


def test_builtin_archive_extends_the_brochure(tmp_path):
    layout = load_layout(project(tmp_path), "archive")
    assert layout.bases == ["brochure"]
    assert layout.file("fiche.html").parent.name == "brochure"
    assert layout.design.values["accent"] == "#000000" and layout.settings["labels"]["fr"]["contents"] == "Sommaire"


def test_extends_loop_is_an_error_naming_the_file_and_line(tmp_path):
    _layout_folder(tmp_path, "a", {"extends": "b"})
    _layout_folder(tmp_path, "b", {"accent": "#123456", "extends": "a"})
    with pytest.raises(InputError) as e:
        load_layout(project(tmp_path), "a")
    message = str(e.value.report.errors[0])
    assert message.startswith("layouts/b/layout.yaml:2: error: 'extends: a' makes a loop (a → b → a)"), message


def test_extends_itself_is_a_loop(tmp_path):
    _layout_folder(tmp_path, "solo", {"extends": "solo"})
    with pytest.raises(InputError) as e:
        load_layout(project(tmp_path), "solo")
    assert "layouts/solo/layout.yaml:1: error: 'extends: solo' makes a loop (solo → solo)" in str(e.value.report.errors[0])


def test_extends_an_unknown_layout_names_the_file(tmp_path):
    _layout_folder(tmp_path, "x", {"extends": "magazine"})
    with pytest.raises(InputError) as e:
        load_layout(project(tmp_path), "x")
    message = str(e.value.report.errors[0])
    assert message.startswith("layouts/x/layout.yaml:1: error: 'extends': unknown layout 'magazine' (available: ")


def test_page_size_settings_follow_the_publication(tmp_path):
    a4 = load_layout(project(tmp_path, Publication(page_size="A4")), "brochure").settings
    a5 = load_layout(project(tmp_path, Publication(page_size="A5")), "brochure").settings
    assert (a4["text_width_mm"], a5["text_width_mm"]) == (154, 120)  # the pages less their side margins
    assert a4["running_header_chars"] > a5["running_header_chars"] > 0
    assert load_layout(project(tmp_path, Publication(page_size="A5")), "archive").settings["text_width_mm"] == 120


def test_cover_background_must_be_a_colour(tmp_path):
    _layout_folder(tmp_path, "brochure", {"cover_background": "url(file:///etc/passwd)"})
    with pytest.raises(InputError) as e:
        load_layout(project(tmp_path), "brochure")
    assert "'cover_background' must be a colour" in str(e.value.report.errors[0])
