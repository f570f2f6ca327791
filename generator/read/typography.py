"""French typography, applied once when a French project is read.

The rules of the Imprimerie nationale, as far as a machine can apply them safely:
a narrow no-break space (U+202F) before ; ! ? and between a number and % or a currency
sign or in thousands; a no-break space (U+00A0) before : , inside « », and between a
number and the word after it; the typographic apostrophe ’. Each rule replaces an
ordinary space if there is one and inserts the space when it is missing.

URLs, e-mail addresses and times such as 10:30 are never touched; code is never given to
this module. Applying it twice gives the same text as applying it once.
"""

from __future__ import annotations

import re

from generator.read.markdown import Node

NBSP = "\u00a0"
NNBSP = "\u202f"
_SP = "[ \u00a0\u202f]"

_PROTECTED = re.compile(
    r"""
      (?:https?|ftp)://[^\s<>"«»]*[^\s<>"«».,;:!?)\]’']
    | www\.[^\s<>"«»]*[^\s<>"«».,;:!?)\]’']
    | mailto:[^\s<>"«»]+
    | [\w.+-]+@[\w-]+(?:\.[\w-]+)+
    | \b\d{1,2}:\d{2}(?::\d{2})?\b
    """,
    re.X,
)

# A double punctuation mark is written after a word, and followed by a space, the end,
# or a closing mark: that keeps query strings and code-like text ("a?b") untouched.
_AFTER = r"(?=\s|$|[»)\]\"’'.,…;:!?])"
# Each rule with the characters one of which a text must hold for the rule to act: most
# texts hold few of them, and a test for a character is much cheaper than a search.
_RULES: list[tuple[re.Pattern, str, str]] = [
    (re.compile(r"(?<=[^\W\d_])'"), "’", "'"),
    (re.compile(rf"(?<=[^\s;!?(\[«]){_SP}*(?=[;!?]+{_AFTER})"), NNBSP, ";!?"),
    (re.compile(rf"(?<=[^\s:;!?(\[/«]){_SP}*(?=:{_AFTER})"), NBSP, ":"),
    (re.compile(rf"«{_SP}*(?=\S)"), "«" + NBSP, "«"),
    (re.compile(rf"(?<=[^\s«]){_SP}*»"), NBSP + "»", "»"),
    (re.compile(rf"(?<=\d){_SP}?(?=[%‰€$£])"), NNBSP, "%‰€$£"),
    (re.compile(r"(?<=\d) (?=[^\W\d_])"), NBSP, "0123456789"),
]
_DIGITS = "0123456789"
_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:[ \u00a0]\d{3})+(?!\d)")
# Most text nodes of a catalogue hold none of the characters a rule acts on: skip them.
_TRIGGER = re.compile(r"[';!?:«»%‰€$£\d]")


def _gap(text: str) -> str:
    if any(d in text for d in _DIGITS):
        text = _THOUSANDS.sub(lambda m: re.sub("[ \u00a0]", NNBSP, m.group()), text)
    for pattern, replacement, needs in _RULES:
        if any(c in text for c in needs):
            text = pattern.sub(replacement, text)
    return text


def _in_context(rule, text: str, prev: str) -> str:
    """rule(text), judged with the character printed before it: "**Note**: x" still
    gets its space, and so does the gap after a URL ("voir https://x.org : ici")."""
    if prev:
        joined = rule(prev + text)
        if joined.startswith(prev):
            return joined[len(prev):]
    return rule(text)


def _french(text: str) -> str:
    out, pos = [], 0
    for m in _PROTECTED.finditer(text):
        out += [_in_context(_gap, text[pos:m.start()], text[pos - 1:pos]), m.group()]
        pos = m.end()
    out.append(_in_context(_gap, text[pos:], text[pos - 1:pos]))
    return "".join(out)


def french(text: str, prev: str = "") -> str:
    """`text` with French typography. `prev` is the character printed just before it
    (the end of a bold word, say), so that "**Note**: x" still gets its space."""
    if not text or not _TRIGGER.search(text) and not _TRIGGER.search(prev):
        return text
    return _in_context(_french, text, prev)


def french_tree(node: Node) -> None:
    """Apply French typography in place to every text node of a Markdown tree.

    Code is left alone; the context flows across inline nodes of one block, and starts
    afresh at every block.
    """
    _walk(node, [""])


_INLINE_OPAQUE = {"code": None, "image": "x", "footnote_ref": "]", "softbreak": " ", "hardbreak": " "}


def _walk(node: Node, prev: list[str]) -> None:
    if node.type == "text":
        node.attrs["text"] = french(node.text, prev[0])
        prev[0] = node.text[-1:] or prev[0]
        return
    if node.type in _INLINE_OPAQUE:
        prev[0] = node.text[-1:] if node.type == "code" else _INLINE_OPAQUE[node.type]
        return
    if node.type == "code_block":
        return
    inline = node.type in ("strong", "em", "link", "sup", "sub", "span")
    if not inline:
        prev = [""]
    for child in node.children:
        _walk(child, prev)
    for note in node.attrs.get("footnotes", ()):
        _walk(note, [""])
