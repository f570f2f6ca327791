"""A fiche's Markdown, parsed once into a small tree that every renderer walks.

The tree is ours, not markdown-it's: it holds only what we publish, already sanitised.
Raw HTML outside a short allowlist is dropped, links keep only http, https and mailto,
and every block carries the line of the fiche file it came from, for messages.

Node types
  blocks : document, paragraph, heading (level 2-4), bullet_list, ordered_list (start),
           list_item, blockquote, code_block (text), hr, table, thead, tbody, tr,
           th / td (align: left, center, right or None)
  inlines: text (text), strong, em, code (text), link (href), image (src, alt, path once
           resolved by the reader), softbreak, hardbreak, sup, sub, footnote_ref (number)
The document's attrs["footnotes"] is a list of `footnote` nodes (number, blocks).

Limits (read/limits.py) are checked on markdown-it's flat token stream, before the tree
is built: constructs nested deeper than MAX_MARKDOWN_NESTING, more footnotes than
MAX_FOOTNOTES or a table of more than MAX_TABLE_ROWS rows raise `TooMuch` with the line. markdown-it's own nesting guard
(`maxNesting`, which silently drops what lies deeper) is set well above ours, so that
nothing within the limits is ever dropped, and whatever reaches it is refused first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.footnote import footnote_plugin

from generator.i18n import _
from generator.read.clean import clean, removed
from generator.read.limits import (
    MAX_FOOTNOTES,
    MAX_MARKDOWN_NESTING,
    MAX_TABLE_ROWS,
    open_brackets,
)

SAFE_SCHEMES = ("http://", "https://", "mailto:")
INLINE_TAGS = {"sup", "sub"}
_TAG = re.compile(r"^<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)\s*>$", re.S)


@dataclass
class Node:
    type: str
    children: list[Node] = field(default_factory=list)
    attrs: dict = field(default_factory=dict)
    line: int | None = None  # line in the fiche file, for blocks

    @property
    def text(self) -> str:
        return self.attrs.get("text", "")

    def walk(self) -> Iterator[Node]:
        """Every node below this one, footnotes included, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()
        for note in self.attrs.get("footnotes", ()):
            yield from note.walk()

    def plain(self) -> str:
        """The text content, without markup: for outlines, alt text and checks."""
        if self.type in ("text", "code", "code_block"):
            return self.text
        if self.type in ("softbreak", "hardbreak"):
            return " "
        return "".join(c.plain() for c in self.children)


Warn = list[tuple[int | None, str]]

class TooMuch(ValueError):
    """A fiche body beyond a limit of read/limits.py: an error at `line`."""

    def __init__(self, line: int | None, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


# A list costs markdown-it two levels (the list, its item) and a paragraph one more:
# content within our limit stays well below this, so markdown-it never drops any.
_MAX_LEVEL = 3 * MAX_MARKDOWN_NESTING + 3
_parser = MarkdownIt("commonmark", {"html": True, "maxNesting": _MAX_LEVEL}).enable("table").use(footnote_plugin)
# markdown-it leaves a link or image whose target it does not trust (javascript:,
# file:, vbscript:...) as literal text, brackets and all, without a word. It is given
# every target here, and the tree decides: an unsafe link keeps its text, with a
# warning (below); an unsafe image its description (read/fiche.py).
_parser.validateLink = lambda url: True

_BLOCK_NESTING = {"blockquote_open", "bullet_list_open", "ordered_list_open"}


def too_deep() -> str:
    return _("Markdown nested more than {limit} levels deep (quotes, lists, emphasis and links "
             "inside each other): simplify this passage", limit=MAX_MARKDOWN_NESTING)


def open_brackets_message() -> str:
    return _("more than {limit} brackets '[' open at once (links, images or footnotes that "
             "are never closed): close them, or write \\[ for a bracket that is text", limit=MAX_MARKDOWN_NESTING)



# markdown-it looks for the `]` of every `[` by skipping token after token (skipToken):
# the brackets that stay open make that search quadratic in a block's length. Each
# step is counted against a budget proportional to the body's length; a body that
# spends it is refused, with the line of the bracket being looked at.
_BUDGET, _BLOCK_LINE = "recueil_steps", "recueil_line"
_STEPS_PER_CHARACTER = 4
_skip_token = _parser.inline.skipToken


def _counted_skip_token(state) -> None:
    budget = state.env.get(_BUDGET)
    if budget is not None:
        budget[0] -= 1
        if budget[0] < 0:
            line = state.env.get(_BLOCK_LINE)
            line = None if line is None else line + state.src.count("\n", 0, state.pos)
            raise TooMuch(line, open_brackets_message())
    _skip_token(state)


def _inline_rule(state) -> None:
    """markdown-it's core `inline` rule, noting the line of each block it parses."""
    for token in state.tokens:
        if token.type == "inline":
            if token.children is None:
                token.children = []
            state.env[_BLOCK_LINE] = token.map[0] if token.map else None
            state.md.inline.parse(token.content, state.md, state.env, token.children)


_parser.inline.skipToken = _counted_skip_token
_parser.core.ruler.at("inline", _inline_rule)


def parse(source: str, first_line: int = 1) -> tuple[Node, Warn]:
    """Parse a fiche body. `first_line` is the file line where the body starts.

    Returns the tree and the warnings (file line, message) about what was dropped.
    Raises TooMuch when the body is beyond a limit of read/limits.py.
    """
    builder = _Builder(first_line)
    deep = open_brackets(source)
    if deep is not None:
        raise TooMuch(first_line + deep - 1, open_brackets_message())
    env = {_BUDGET: [_STEPS_PER_CHARACTER * len(source) + 10_000]}
    try:
        tokens = _parser.parse(source, env)
    except TooMuch as e:
        raise TooMuch(None if e.line is None else first_line + e.line, e.message) from None
    _check_limits(tokens, first_line)
    root = SyntaxTreeNode(tokens)
    doc = Node("document", line=first_line)
    notes: dict[int, Node] = {}
    for child in root.children:
        if child.type == "footnote_block":
            for fn in child.children:
                number = fn.meta["id"] + 1
                note = Node("footnote", attrs={"number": number}, line=builder.line_of(fn))
                note.children = builder.blocks(fn.children)
                notes[number] = note
        else:
            doc.children += builder.blocks([child])
    doc.attrs["footnotes"] = [notes[k] for k in sorted(notes)]
    _clean_text(doc, builder)
    return doc, builder.warnings


def _check_limits(tokens, first_line: int) -> None:
    """Raise TooMuch when the token stream nests deeper, or holds more footnotes, than
    the limits allow. Linear, never recursive: the stream is flat."""
    depth = 0  # quotes and lists open here (list items do not count: a list is one level)
    footnotes = rows = 0
    line = first_line
    for tok in tokens:
        if tok.map:
            line = first_line + tok.map[0]
        if tok.level >= _MAX_LEVEL - 1:  # markdown-it stops here and drops what is deeper
            raise TooMuch(line, too_deep())
        if tok.type in _BLOCK_NESTING:
            depth += 1
            if depth > MAX_MARKDOWN_NESTING:
                raise TooMuch(line, too_deep())
        elif tok.type.replace("_close", "_open") in _BLOCK_NESTING:
            depth -= 1
        elif tok.type == "footnote_open":
            footnotes += 1
            if footnotes > MAX_FOOTNOTES:
                raise TooMuch(_note_line(tokens, tok, first_line, line),
                              _("more than {limit} footnotes in one fiche: keep the essential ones, or "
                                "gather the sources in a list at the end", limit=MAX_FOOTNOTES))
        elif tok.type == "table_open":
            rows = 0
        elif tok.type == "tr_open":
            rows += 1
            if rows > MAX_TABLE_ROWS + 1:  # the header row, then at most MAX_TABLE_ROWS
                raise TooMuch(line, _("a table of more than {limit} rows: split it into several tables",
                                      limit=MAX_TABLE_ROWS))
        elif tok.type == "footnote_block_open":
            depth = 0  # the notes are laid out apart from the text that calls them
        elif tok.type == "inline" and tok.children:
            if depth + _inline_depth(tok.children) > MAX_MARKDOWN_NESTING:
                raise TooMuch(line, too_deep())


def _note_line(tokens, note, first_line: int, fallback: int) -> int:
    """The line of a footnote's definition: that of its first block with a line."""
    seen = False
    for tok in tokens:
        seen = seen or tok is note
        if seen and tok.map:
            return first_line + tok.map[0]
    return fallback


def _inline_depth(children) -> int:
    """How deep the tree made of one inline token's children nests: emphasis and links,
    and the <sup>/<sub> the builder nests as it meets them (_Builder.inlines)."""
    frames: list[list[str]] = [[]]  # per emphasis/link level, the <sup>/<sub> open in it
    tags = deepest = 0
    for c in children:
        if c.nesting == 1:
            frames.append([])
        elif c.nesting == -1:
            if len(frames) > 1:
                tags -= len(frames.pop())
        elif c.type == "html_inline":
            m = _TAG.match(c.content.strip())
            tag = m.group(2).lower() if m else None
            if tag in INLINE_TAGS and not m.group(1):
                frames[-1].append(tag)
                tags += 1
            elif tag in INLINE_TAGS and frames[-1] and frames[-1][-1] == tag:
                frames[-1].pop()
                tags -= 1
        deepest = max(deepest, len(frames) - 1 + tags)
    return deepest


def _clean_text(doc: Node, builder: _Builder) -> None:
    """Remove the controls a Markdown entity may have written (&#x202E;): the reader
    removed those written as they are, but entities are decoded by the parser."""
    todo = [(doc, doc.line)] + [(note, note.line) for note in doc.attrs.get("footnotes", ())]
    while todo:
        node, line = todo.pop()
        line = node.line or line  # an inline node's line is its block's
        for key in ("text", "alt"):
            value = node.attrs.get(key)
            if isinstance(value, str):
                node.attrs[key], found = clean(value)
                if found:
                    builder.warn(line, removed(found))
        todo += [(child, line) for child in node.children]


class _Builder:
    def __init__(self, first_line: int):
        self.first_line = first_line
        self.warnings: Warn = []

    def line_of(self, node: SyntaxTreeNode) -> int | None:
        m = node.map
        return self.first_line + m[0] if m else None

    def warn(self, line: int | None, message: str) -> None:
        self.warnings.append((line, message))

    # blocks -----------------------------------------------------------------------
    def blocks(self, nodes) -> list[Node]:
        out: list[Node] = []
        for n in nodes:
            out += self.block(n)
        return out

    def block(self, n: SyntaxTreeNode) -> list[Node]:
        line = self.line_of(n)
        t = n.type
        if t == "paragraph":
            return [Node("paragraph", self.inline_of(n, line), line=line)]
        if t == "heading":
            level = min(max(int(n.tag[1]), 2), 4)
            return [Node("heading", self.inline_of(n, line), {"level": level}, line)]
        if t == "bullet_list":
            return [Node("bullet_list", self.blocks(n.children), line=line)]
        if t == "ordered_list":
            start = int(n.attrs.get("start", 1) or 1)
            return [Node("ordered_list", self.blocks(n.children), {"start": start}, line)]
        if t == "list_item":
            return [Node("list_item", self.blocks(n.children), line=line)]
        if t == "blockquote":
            return [Node("blockquote", self.blocks(n.children), line=line)]
        if t in ("code_block", "fence"):
            return [Node("code_block", attrs={"text": n.content.rstrip("\n")}, line=line)]
        if t == "hr":
            return [Node("hr", line=line)]
        if t == "table":
            return [Node("table", self.blocks(n.children), line=line)]
        if t in ("thead", "tbody", "tr"):
            return [Node(t, self.blocks(n.children), line=line)]
        if t in ("th", "td"):
            style = str(n.attrs.get("style", ""))
            align = style.split(":", 1)[1] if style.startswith("text-align:") else None
            return [Node(t, self.inline_of(n, line), {"align": align}, line)]
        if t == "html_block":
            self.warn(line, _("raw HTML dropped: write the content in Markdown instead"))
            return []
        if t == "footnote_anchor":  # the way back to a note's call: paper has none
            return []
        if t == "inline":  # a bare inline, as in tight list items
            return [Node("paragraph", self.inlines(n.children, line), line=line)]
        self.warn(line, _("unsupported Markdown block '{kind}' dropped", kind=t))
        return []

    def inline_of(self, n: SyntaxTreeNode, line) -> list[Node]:
        kids: list = []
        for c in n.children:
            kids += c.children if c.type == "inline" else [c]
        return self.inlines(kids, line)

    # inlines ----------------------------------------------------------------------
    def inlines(self, nodes, line) -> list[Node]:
        # Allowed inline HTML tags open and close as separate tokens: keep a stack of the
        # open ones and nest what lies between them.
        stack: list[Node] = [Node("span")]
        for n in nodes:
            if n.type == "html_inline":
                self.html_inline(n.content, stack, line)
                continue
            stack[-1].children += self.inline(n, line)
        while len(stack) > 1:  # unclosed <sup>: keep its content
            top = stack.pop()
            stack[-1].children.append(top)
        return stack[0].children

    def html_inline(self, raw: str, stack: list[Node], line) -> None:
        m = _TAG.match(raw.strip())
        tag = m.group(2).lower() if m else None
        if tag == "br":
            stack[-1].children.append(Node("hardbreak"))
        elif tag in INLINE_TAGS and not m.group(1):
            stack.append(Node(tag))
        elif tag in INLINE_TAGS and m.group(1):
            if len(stack) > 1 and stack[-1].type == tag:
                top = stack.pop()
                stack[-1].children.append(top)
        elif not raw.startswith("<!--"):
            self.warn(line, _("raw HTML {html} dropped: only <sup>, <sub> and <br> are kept", html=repr(raw[:40])))

    def inline(self, n: SyntaxTreeNode, line) -> list[Node]:
        t = n.type
        if t == "text":
            return [Node("text", attrs={"text": n.content})] if n.content else []
        if t in ("softbreak", "hardbreak"):
            return [Node(t)]
        if t == "code_inline":
            return [Node("code", attrs={"text": n.content})]
        if t in ("strong", "em"):
            return [Node(t, self.inlines(n.children, line))]
        if t == "s":
            return self.inlines(n.children, line)
        if t == "link":
            href = str(n.attrs.get("href", ""))
            kids = self.inlines(n.children, line)
            if href.lower().startswith(SAFE_SCHEMES):
                return [Node("link", kids, {"href": href})]
            self.warn(line, _("link target {href} removed: only http, https and mailto links are kept",
                              href=repr(href[:60])))
            return kids
        if t == "image":
            alt = "".join(c.content for c in n.children if c.type == "text") or None
            src = str(n.attrs.get("src", ""))
            return [Node("image", attrs={"src": src, "alt": alt, "title": n.attrs.get("title")}, line=line)]
        if t == "footnote_ref":
            return [Node("footnote_ref", attrs={"number": n.meta["id"] + 1})]
        if t == "footnote_anchor":
            return []
        if t == "html_inline":  # nested inside strong/em: same rules
            stack = [Node("span")]
            self.html_inline(n.content, stack, line)
            return stack[0].children
        self.warn(line, _("unsupported Markdown '{kind}' dropped", kind=t))
        return []
