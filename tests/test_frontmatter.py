"""Front matter and YAML loading: lines for every value, aliases and tags refused."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.read.frontmatter import YamlError, load_yaml, split


def test_every_key_and_item_keeps_its_file_line():
    doc = load_yaml("title: T\nthemes:\n  - a\n  - b\npartners:\n  - name: X\n    role: r\n", first_line=2)
    assert doc.value["themes"] == ["a", "b"]
    assert doc.lines[("title",)] == 2
    assert doc.lines[("themes", 1)] == 5
    assert doc.lines[("partners", 0, "role")] == 8
    assert doc.line(("partners", 0, "nonexistent")) == 7  # falls back to the nearest parent


def test_unquoted_scalars_keep_their_source_text():
    doc = load_yaml("edition: 1.10\nphone: 0123456701\nyear: 2014\n")
    assert doc.texts[("edition",)] == "1.10"
    assert doc.texts[("phone",)] == "0123456701"
    assert doc.value["year"] == 2014


def test_dates_are_read_as_dates_and_impossible_ones_kept_as_text():
    doc = load_yaml("a: 2023-02-01\nb: 2023-02-30\n")
    assert doc.value["a"] == dt.date(2023, 2, 1)
    assert doc.value["b"] == "2023-02-30"


def test_aliases_are_refused_with_the_line():
    with pytest.raises(YamlError) as caught:
        load_yaml("a: &x 1\nb: *x\n", first_line=10)
    assert caught.value.line == 11
    assert "alias" in caught.value.message


def test_merge_keys_need_aliases_so_they_are_refused_too():
    with pytest.raises(YamlError):
        load_yaml("base: &b {x: 1}\nother:\n  <<: *b\n")


@pytest.mark.parametrize("text", ["a: !!python/name:os.system x\n", "a: !custom 1\n", "!!set {a, b}\n"])
def test_non_standard_tags_are_refused(text):
    with pytest.raises(YamlError) as caught:
        load_yaml(text)
    assert "tag" in caught.value.message


def test_duplicate_keys_are_an_error_naming_both_lines():
    with pytest.raises(YamlError) as caught:
        load_yaml("a: 1\nb: 2\na: 3\n")
    assert caught.value.line == 3 and "line 1" in caught.value.message


def test_deep_nesting_is_refused_without_crashing():
    with pytest.raises(YamlError):
        load_yaml("a: " + "[" * 3000 + "]" * 3000 + "\n")


def test_syntax_error_line_is_a_file_line_with_a_hint():
    with pytest.raises(YamlError) as caught:
        load_yaml("title: T\nsummary: un: deux\n", first_line=2)
    assert caught.value.line == 3 and "quotes" in caught.value.message


def test_split_finds_front_matter_and_body_lines():
    parts = split("\n---\ntitle: T\n---\nCorps\n")
    assert parts.front == "title: T\n"
    assert parts.front_line == 3
    assert parts.body == "Corps\n" and parts.body_line == 5


def test_split_accepts_three_dots_as_closing_fence():
    assert split("---\na: 1\n...\nB").body == "B"


@pytest.mark.parametrize("text, line", [("", 1), ("texte\n", 1), ("\n\nx: 1\n", 3), ("---\na: 1\n", 1)])
def test_split_refuses_files_without_front_matter(text, line):
    with pytest.raises(YamlError) as caught:
        split(text)
    assert caught.value.line == line


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"\n #\t,?%@`1")), max_size=80))
def test_any_text_loads_or_raises_yaml_error_only(text):
    try:
        load_yaml(text)
    except YamlError as e:
        assert e.line is None or e.line >= 1
