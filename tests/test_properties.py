"""Whatever a fiche holds, reading it ends in a model or in a report, never in a crash.

Hypothesis feeds random Markdown and random front matter to the reader, and random
trees to the renderers that exist. Example counts stay bounded so the suite stays fast.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from pathlib import Path

import yaml
from conftest import renderer_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.read.markdown import Node, TooMuch, parse

FEW = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BLOCK_TYPES = {
    "document", "paragraph", "heading", "bullet_list", "ordered_list", "list_item", "blockquote",
    "code_block", "hr", "table", "thead", "tbody", "tr", "th", "td", "footnote",
}
INLINE_TYPES = {
    "text", "strong", "em", "code", "link", "image", "softbreak", "hardbreak", "sup", "sub", "footnote_ref",
}

# Pieces a pasted fiche is made of: Markdown syntax, raw HTML, hostile URLs, control
# characters, scripts from every direction, huge numbers.
PIECES = st.sampled_from([
    "# ", "## ", "#### ", "> ", ">>>>>>>> ", "- ", "* ", "1. ", "99999999999. ", "1) ", "    ", "\t", "```", "~~~",
    "---", "***", "| a | b |\n|---|:-:|\n| 1 | 2 |", "[^1]", "[^1]: note", "[x](", ")", "](", "![", "**", "_", "`",
    "<sup>", "</sup>", "<sub>", "<br>", "<script>alert(1)</script>", "<a href='javascript:x'>", "</a>",
    "<img src=file:///etc/passwd>", "<!--", "-->", "javascript:alert(1)", "file:///etc/passwd",
    "http://127.0.0.1:9/x", "mailto:a@b.fr", "[x](page.html)", "[x](ftp://h/f)", "[x](//h/f)", "<file:///x>",
    "[x](#frag)", "![i](img.png)", "[r]: vbscript:x", "[r]", "data:text/html,x", "{{ 7*7 }}", "{% include 'x' %}",
    "\x00", "\x07", "\x1b[31m", "\u202e", "\u200b", "\ufeff", "\r\n", "\r", "\n", "\n\n", "é", "𝔘", "«\u00a0",
    "9" * 400, "a" * 5000,
])
MARKDOWN = st.lists(st.one_of(PIECES, st.text(max_size=40)), max_size=60).map("".join)


def nested(depth_marker: str) -> st.SearchStrategy[str]:
    return st.integers(1, 400).map(lambda n: "\n".join(depth_marker * i + "x" for i in range(1, n, max(1, n // 40))) + depth_marker * n + "fin")


def check_tree(doc: Node, first_line: int) -> None:
    assert doc.type == "document"
    for node in doc.walk():
        assert node.type in BLOCK_TYPES | INLINE_TYPES, node.type
        assert node.line is None or (isinstance(node.line, int) and node.line >= first_line)
        if node.type == "link":
            assert node.attrs["href"].lower().startswith(("http://", "https://", "mailto:")), node.attrs
        if node.type == "text":
            assert isinstance(node.text, str)
        if node.type == "heading":
            assert 2 <= node.attrs["level"] <= 4
    assert isinstance(doc.plain(), str)


def parse_within_limits(text: str, first_line: int):
    """parse(), or None when the text is beyond a limit (read/limits.py), which must
    then be said with a line inside the text."""
    try:
        return parse(text, first_line)
    except TooMuch as e:
        assert e.message and (e.line is None or first_line <= e.line <= first_line + text.count("\n"))
        return None


@FEW
@given(MARKDOWN, st.integers(1, 10_000))
def test_any_markdown_parses_into_a_safe_tree(text, first_line):
    parsed = parse_within_limits(text, first_line)
    if parsed is None:
        return
    doc, warnings = parsed
    check_tree(doc, first_line)
    for line, message in warnings:
        assert isinstance(message, str) and message
        assert line is None or line >= first_line


@FEW
@given(st.text(max_size=300))
def test_any_unicode_parses(text):
    parsed = parse_within_limits(text, 1)
    if parsed is not None:
        check_tree(parsed[0], 1)


@settings(max_examples=15, deadline=None)
@given(st.one_of(nested("> "), nested("- "), nested("  - "), nested("1. "), nested("*"), nested("[")))
def test_deep_nesting_parses_or_is_refused_with_its_line(text):
    parsed = parse_within_limits(text, 1)
    if parsed is not None:
        check_tree(parsed[0], 1)


# Front matter through the whole reader -------------------------------------------------


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True),
    st.text(max_size=30), st.sampled_from(["", "2024-13-45", "2024-02", "javascript:alert(1)", "../../x.png",
                                            "{{ 7*7 }}", "yes", "~", "0123", "1e400", "\x00"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12,
)
KEYS = st.sampled_from([
    "title", "summary", "themes", "territory", "partners", "subtitle", "date", "audience", "key_figures",
    "contact", "source", "image", "keywords", "draft", "titel", "partner",
])
FRONTS = st.dictionaries(KEYS, VALUES, max_size=10)
VALID = {"title": "T", "summary": "S", "themes": ["Insertion"], "territory": "Moulins", "partners": []}


@contextlib.contextmanager
def reading(files: dict[str, str]):
    """The project made of `files`, read: (Project or None, report, folder)."""
    from generator.diagnostics import Report
    from generator.read.project import read_project

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "projet"
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        report = Report()
        yield read_project(root, report), report, Path(tmp)


def read(files: dict[str, str]):
    with reading(files) as (result, report, _):
        return result, report


def check_outcome(result, report) -> None:
    from generator.model import Project, Territory

    if result is None:
        assert report.errors, "no project and no error to say why"
        for item in report.items:
            assert item.message and "Traceback" not in item.message
        return
    assert isinstance(result, Project) and not report.errors
    for fiche in result.fiches:  # the model's promises to the renderers
        assert isinstance(fiche.title, str) and isinstance(fiche.summary, str)
        assert fiche.themes and all(isinstance(t, str) for t in fiche.themes)
        assert isinstance(fiche.territory, Territory)
        assert all(isinstance(k, str) for k in fiche.keywords + fiche.audience)
        assert fiche.source is None or fiche.source.lower().startswith(("http://", "https://"))
        assert fiche.date is None or isinstance(fiche.date, str)


def front_text(front: dict) -> str:
    try:
        return yaml.safe_dump(front, allow_unicode=True, sort_keys=False)
    except yaml.YAMLError:
        return "title: [\n"


@FEW
@given(FRONTS, MARKDOWN)
def test_random_front_matter_gives_a_project_or_errors(front, body):
    result, report = read({"fiches/a.md": f"---\n{front_text(front)}---\n{body}"})
    check_outcome(result, report)


@FEW
@given(KEYS, VALUES)
def test_one_wrong_value_in_a_valid_fiche_gives_a_project_or_errors(key, value):
    result, report = read({"fiches/a.md": f"---\n{front_text({**VALID, key: value})}---\nTexte.\n"})
    check_outcome(result, report)


@FEW
@given(st.text(max_size=200), st.text(max_size=200))
def test_random_text_files_give_a_project_or_errors(fiche, publication):
    result, report = read({"fiches/a.md": fiche, "publication.yaml": publication})
    check_outcome(result, report)


@FEW
@given(st.dictionaries(st.sampled_from(["title", "lang", "layout", "page_size", "sections", "indexes", "date",
                                        "allow_remote", "edition", "colophon", "isbn", "titre"]),
                       VALUES, max_size=6))
def test_random_publication_yaml_gives_a_project_or_errors(publication):
    result, report = read({"fiches/a.md": f"---\n{front_text(VALID)}---\nTexte.\n",
                           "publication.yaml": front_text(publication)})
    check_outcome(result, report)


# Renderers, when they exist ------------------------------------------------------------



@FEW
@given(MARKDOWN)
def test_any_body_the_reader_accepts_renders_to_well_formed_safe_html(text):
    # Through the reader, as in a build: it is the reader that removes control
    # characters and resolves images, and the renderer relies on it.
    from lxml import etree

    from generator.render.html import body_html

    result, report = read({"fiches/a.md": f"---\n{front_text(VALID)}---\n{text}"})
    check_outcome(result, report)
    if result is None:
        return
    html = str(body_html(result.fiches[0].body))
    # HTML's void elements are the only thing an XML parser would not take as written.
    html = re.sub(r"<(br|hr|img|wbr)\b([^>]*?)/?>", r"<\1\2/>", html)
    # XHTML-style parsing: a stray "<" from the fiche that was not escaped breaks it.
    tree = etree.fromstring(f"<div>{html}</div>".encode("utf-8", "surrogatepass"),
                            etree.XMLParser(recover=False, resolve_entities=False))
    for element in tree.iter():
        assert element.tag not in ("script", "iframe", "object", "embed", "style", "link")
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on")
            if name in ("href", "src"):
                assert value.lower().startswith(("http://", "https://", "mailto:", "#", "file:", "data:")), value




# A Word build subsets and embeds fonts once per run, a few seconds: few runs, with
# several fiches each.
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(MARKDOWN, st.text(max_size=40)), min_size=1, max_size=5))
def test_any_fiche_the_reader_accepts_gives_a_docx_of_well_formed_xml(fiches):
    import zipfile

    from lxml import etree

    from generator.edition.select import make_edition
    from generator.read import layouts
    from generator.render.word import render_docx

    files = {f"fiches/f{i}.md": f"---\n{front_text({**VALID, 'title': title or 'T'})}---\n{body}"
             for i, (body, title) in enumerate(fiches)}
    with reading(files) as (project, report, tmp):
        check_outcome(project, report)
        if project is None:
            return
        edition = make_edition(project, [], report)
        layout = layouts.load_layout(project, project.publication.layout)
        with renderer_context(edition, layout, tmp / "out", cache=False) as ctx:
            written = render_docx(edition, layout, ctx)
            assert written
            for rel in written:
                with zipfile.ZipFile(tmp / "out" / rel) as package:
                    for name in package.namelist():
                        if name.endswith((".xml", ".rels")):
                            # Word refuses a document whose XML a strict parser refuses.
                            etree.fromstring(package.read(name), etree.XMLParser(recover=False))
                        if name.endswith(".rels"):
                            for rel_el in etree.fromstring(package.read(name)).iter():
                                if rel_el.get("TargetMode") == "External":
                                    assert rel_el.get("Target").lower().startswith(("http", "mailto:"))
