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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.footnote import footnote_plugin

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

_parser = MarkdownIt("commonmark", {"html": True}).enable("table").use(footnote_plugin)


def parse(source: str, first_line: int = 1) -> tuple[Node, Warn]:
    """Parse a fiche body. `first_line` is the file line where the body starts.

    Returns the tree and the warnings (file line, message) about what was dropped.
    """
    builder = _Builder(first_line)
    tokens = _parser.parse(source)
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
    return doc, builder.warnings


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
            self.warn(line, "raw HTML dropped: write the content in Markdown instead")
            return []
        if t == "inline":  # a bare inline, as in tight list items
            return [Node("paragraph", self.inlines(n.children, line), line=line)]
        self.warn(line, f"unsupported Markdown block '{t}' dropped")
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
            self.warn(line, f"raw HTML {raw[:40]!r} dropped: only <sup>, <sub> and <br> are kept")

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
            self.warn(line, f"link target {href[:60]!r} removed: only http, https and mailto links are kept")
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
        self.warn(line, f"unsupported Markdown '{t}' dropped")
        return []
