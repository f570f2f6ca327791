"""Front matter: split it from the body, and load YAML safely with a line for every value.

Fiches are pasted from e-mails, so the YAML is untrusted: aliases are refused outright
(they are what a "billion laughs" bomb is made of, and nobody needs them in a fiche),
tags other than the standard scalar ones are refused, nesting deeper than
limits.MAX_YAML_NESTING is refused on the text before YAML is parsed (libyaml's composer
recurses once per level, and has crashed the process on deep input) and again on the
parser's events before anything is composed, and every key and list item keeps the line
it was written on so that a message can point at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent

from generator.i18n import _
from generator.read.limits import MAX_YAML_NESTING, nesting_message, yaml_nesting

Path_ = tuple  # a path into the document: ("partners", 2, "name")

MAX_DEPTH = MAX_YAML_NESTING

_STANDARD_TAGS = {
    "tag:yaml.org,2002:" + t
    for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
}


class YamlError(Exception):
    """A YAML problem, with the file line it was found on."""

    def __init__(self, line: int | None, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class Doc:
    """A loaded YAML document: plain Python values plus where each came from."""

    value: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    # The source text of every unquoted scalar: `edition: 1.10` or `phone: 0123` are
    # text to the user, not numbers, so string fields read them as written.
    texts: dict[Path_, str] = field(default_factory=dict)

    def line(self, path: Path_) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def _alias_refused(anchor: str) -> str:
    return _("YAML alias '*{anchor}' refused: Recueil does not accept anchors and aliases "
             "(& and *); write the value out in full", anchor=anchor)


def _hints():
    """(what PyYAML says, in English, what to do about it)."""
    return (
        ("mapping values are not allowed", _("a text that contains ': ' must be put in quotes")),
        ("cannot start any token", _("indent with spaces, not tabs; texts starting with @, ` or % must be put in "
                                     "quotes")),
        ("could not find expected ':'", _("each line should be 'key: value', or '- item' in a list")),
        ("expected <block end>", _("check the indentation of this line and the one before")),
        ("found undefined alias", _("anchors and aliases (& and *) are not accepted")),
    )


# libyaml parses a catalogue's front matter ten times faster than PyYAML's own Python
# parser. Neither composer can be told to refuse aliases or deep nesting, and both
# recurse once per level, so the parser's events (made without recursion) are checked
# first: no alias, no nesting deeper than the limit.
_CLoader = getattr(yaml, "CSafeLoader", None)


def _compose(text: str):
    loader = _CLoader or yaml.SafeLoader
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, AliasEvent):
            raise YamlError(event.start_mark.line + 1, _alias_refused(event.anchor))
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlError(event.start_mark.line + 1, nesting_message())
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
    return yaml.compose(text, Loader=loader)


def load_yaml(text: str, first_line: int = 1) -> Doc:
    """Load one YAML document. `first_line` is the file line the text starts on.

    Raises YamlError with a file line and a message a non-programmer can act on.
    """
    offset = first_line - 1
    deep = yaml_nesting(text)
    if deep is not None:  # before YAML sees it: see the module docstring
        raise YamlError(deep + offset, nesting_message())
    try:
        node = _compose(text)
    except YamlError as e:
        raise YamlError(e.line + offset if e.line else first_line, e.message) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 + offset if mark else first_line
        problem = e.problem or e.context or "syntax error"  # PyYAML's words, in English
        message = _("invalid YAML: {problem}", problem=problem)
        for needle, hint in _hints():
            if needle in problem:
                message = _("invalid YAML: {problem} ({hint})", problem=problem, hint=hint)
                break
        raise YamlError(line, message) from None
    except yaml.YAMLError as e:
        raise YamlError(first_line, _("invalid YAML: {problem}", problem=e)) from None
    except RecursionError:  # not expected within the depth limit; a message all the same
        raise YamlError(first_line, nesting_message()) from None
    doc = Doc(None)
    if node is None:
        return doc
    doc.value = _build(node, (), doc, offset, 0)
    return doc


_constructor = yaml.SafeLoader(stream="")


def _build(node: yaml.Node, path: Path_, doc: Doc, offset: int, depth: int) -> Any:
    line = node.start_mark.line + 1 + offset
    doc.lines.setdefault(path, line)
    if depth > MAX_DEPTH:
        raise YamlError(line, nesting_message())
    if node.tag not in _STANDARD_TAGS:
        raise YamlError(line, _("YAML tag '{tag}' refused: write plain values without '!' tags", tag=node.tag))
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlError(
                    key_node.start_mark.line + 1 + offset,
                    _("invalid YAML: a text starting with { or [ must be put in quotes, as in title: \"{{ 7*7 }}\""),
                )
            key = key_node.value.strip()
            key_path = path + (key,)
            key_line = key_node.start_mark.line + 1 + offset
            if key in out:
                raise YamlError(key_line, _("key '{key}' appears twice (first on line {line}); keep one", key=key,
                                            line=doc.lines[key_path]))
            doc.lines[key_path] = key_line
            out[key] = _build(value_node, key_path, doc, offset, depth + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (i,), doc, offset, depth + 1) for i, item in enumerate(node.value)]
    if not node.style:  # plain, unquoted (libyaml says so with ""): maybe read as a number or date
        doc.texts[path] = node.value
    try:
        return _constructor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError):
        # e.g. 2023-02-30 looks like a date but is none: keep the text, the schema
        # check then says what is wrong with it.
        return node.value
    finally:
        # PyYAML remembers every node it constructed: a process that reads again and
        # again (`recueil serve`) would keep them all.
        _constructor.constructed_objects.pop(node, None)


# Front matter ----------------------------------------------------------------------

_FENCE = re.compile(r"^---[ \t]*$")
_CLOSE = re.compile(r"^(---|\.\.\.)[ \t]*$")
_KEY_LINE = re.compile(r"^[A-Za-z_][\w-]*\s*:")


@dataclass
class Split:
    front: str  # the YAML text
    front_line: int  # file line of the YAML's first line
    body: str
    body_line: int  # file line of the body's first line


def split(text: str) -> Split:
    """Split a fiche into front matter and body; raise YamlError when there is none.

    Blank lines before the opening '---' are tolerated: pasted text often has them.
    """
    lines = text.split("\n")
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start == len(lines):
        raise YamlError(1, _("the file is empty: a fiche starts with front matter between two '---' lines "
                             "(see docs/fiche-format.md)"))
    if not _FENCE.match(lines[start]):
        raise YamlError(start + 1, _(
            "no front matter: add a line '---' before the first key and another after the last one "
            "(see docs/fiche-format.md)") if _KEY_LINE.match(lines[start]) else _(
            "no front matter: a fiche must start with a line '---', then title, summary, themes, territory and "
            "partners, then '---' (see docs/fiche-format.md)"))
    for end in range(start + 1, len(lines)):
        if _CLOSE.match(lines[end]):
            return Split(
                front="\n".join(lines[start + 1:end]) + "\n",
                front_line=start + 2,
                body="\n".join(lines[end + 1:]),
                body_line=end + 2,
            )
    raise YamlError(start + 1, _("the front matter opened by this '---' is never closed: add a line '---' after "
                                 "the last key"))
