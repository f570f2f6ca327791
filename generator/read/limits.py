"""What a fiche may hold: the limits Recueil states (docs/fiche-format.md, « Limits ») and
enforces before the work, so that no fiche can crash, hang or exhaust a build.

Each limit is checked where it is cheapest and before whatever could choke on it:
  - the file's size and type when it is opened (read/fiche.read_source);
  - the front matter's nesting on its text, before YAML is parsed (`yaml_nesting`
    below; libyaml's composer recurses once per level and has crashed on deep input);
  - the Markdown's nesting, footnotes and table rows on markdown-it's flat token stream,
    before any tree is built from it (read/markdown.py: the tree and every renderer
    recurse once per level, WeasyPrint lays a page's footnote area out again for every
    note, and a table again for every page it spans);
  - the length of a label or a text when the front matter is checked (read/schema.py:
    an index label's sort key, a title printed in every running head).
Every breach is an error naming the file, the line and the limit. Within the limits,
every stage costs at most about n log n in the fiche's size (benchmarks/growth.py).
"""

from __future__ import annotations

import re

from generator.i18n import _

MAX_FICHE_BYTES = 2_000_000  # a fiche file; a fiche is a few kilobytes
MAX_YAML_BYTES = 1_000_000  # publication.yaml, partners.yaml
MAX_YAML_NESTING = 20  # lists and groups inside each other in YAML; a fiche needs 4
MAX_LABEL = 200  # characters of a list item or a name: a theme, a partner, a place...
MAX_TITLE = 300  # characters of a title or subtitle (printed in running heads)
MAX_TEXT = 5_000  # characters of any other text of the front matter (a summary...)
MAX_FOOTNOTES = 100  # footnotes in one fiche
MAX_TABLE_ROWS = 1000  # rows of one table (WeasyPrint lays a table out again on every page it spans)
MAX_MARKDOWN_NESTING = 20  # quotes, lists, emphasis and links inside each other

NAME_MAX = 255  # bytes of a file name on Linux, macOS and Windows file systems
LONGEST_SUFFIX = ".docx"  # the longest extension a fiche's outputs add to its id


# Front matter ------------------------------------------------------------------------

def yaml_nesting(text: str, limit: int = MAX_YAML_NESTING) -> int | None:
    """The line (1-based, in `text`) where YAML `text` first nests deeper than `limit`
    levels of lists and groups, or None. One pass over the text, never recursive.

    It reads YAML's structure as far as nesting goes: indentation and the `- `, `? `
    and `key:` that open block collections, brackets and braces that open flow ones,
    quoted texts, comments and block texts (`|`, `>`) whose content is not structure.
    Where it cannot tell, it counts a level (a text line that looks like `key: value`):
    it may see more nesting than there is. It is the first of two checks: the YAML
    parser's events (read/frontmatter.py), made without recursion, are the exact one.
    """
    stack: list[tuple[int, str]] = []  # block collections: (column, "seq" | "map")
    flow = 0  # open [ and { (they may span lines)
    quote = ""  # an open quoted text: ' or " (it may span lines)
    scalar_above = None  # inside a block text: lines indented more than this are text
    for number, line in enumerate(text.split("\n"), 1):
        indent = len(line) - len(line.lstrip(" "))
        body = line[indent:]
        if scalar_above is not None:
            if not body.strip() or indent > scalar_above:
                continue
            scalar_above = None
        pos = indent
        if not quote and not flow:
            if not body.strip() or body.startswith("#") or body.startswith(("---", "...", "%")):
                continue
            while stack and stack[-1][0] > indent:
                stack.pop()
            # Block indicators: "- ", "? ", ": " open a collection at their column.
            while True:
                c = line[pos:pos + 1]
                if c in ("-", "?", ":") and line[pos + 1:pos + 2] in (" ", "\t", ""):
                    kind = "seq" if c == "-" else "map"
                    if stack and stack[-1][0] == pos and stack[-1][1] != kind and kind == "map":
                        stack.pop()  # back to the mapping a same-column list hung from
                    if not (stack and stack[-1] == (pos, kind)):
                        stack.append((pos, kind))
                    pos += 1
                    while line[pos:pos + 1] in (" ", "\t"):
                        pos += 1
                    continue
                break
            if _is_key(line, pos):
                if stack and stack[-1] == (pos, "seq"):
                    stack.pop()
                if not (stack and stack[-1] == (pos, "map")):
                    stack.append((pos, "map"))
                if len(stack) > limit:
                    return number
                pos = _after_key(line, pos)
            if len(stack) > limit:
                return number
        # The rest of the line: a value, maybe flow collections, maybe quoted texts.
        value_start = True
        i, n = pos, len(line)
        while i < n:
            c = line[i]
            if quote:
                if c == quote:
                    if quote == "'" and line[i + 1:i + 2] == "'":
                        i += 2
                        continue
                    quote = ""
                elif c == "\\" and quote == '"':
                    i += 1
                i += 1
                value_start = False
                continue
            if c in " \t":
                i += 1
                continue
            if c == "#" and (i == 0 or line[i - 1] in " \t"):
                break
            if c in "[{" and (flow or value_start):  # in a block text, a bracket is a character
                flow += 1
                if len(stack) + flow > limit:
                    return number
                value_start = True
            elif c in "]}":
                flow = max(0, flow - 1)
            elif c in "'\"" and (value_start or flow and line[i - 1:i] in ("[", "{", ",", ":", " ", "\t")):
                quote = c
            elif c in "&!" and value_start:  # an anchor or a tag before the value
                while i < n and line[i] not in " \t":
                    i += 1
                continue
            elif c in "|>" and value_start and not flow:
                scalar_above = indent if not stack else min(indent, stack[-1][0])
                break
            elif c == "," and flow:
                value_start = True
            elif c == ":" and flow and line[i + 1:i + 2] in (" ", "\t", ""):
                value_start = True
            else:
                value_start = False
            i += 1
    return None


def _is_key(line: str, pos: int) -> bool:
    """Whether a block mapping key starts at `pos`: text, then ':' and a space or the end."""
    first = line[pos:pos + 1]
    if not first or first in "[{#|>'\"&!*%@`,]}":
        return first in "'\"" and _after_key(line, pos) != pos
    k = line.find(":", pos)
    while k >= 0:
        if line[k + 1:k + 2] in (" ", "\t", ""):
            return " #" not in line[pos:k]
        k = line.find(":", k + 1)
    return False


def _after_key(line: str, pos: int) -> int:
    """Where the value after a key starting at `pos` starts (pos when there is no key)."""
    if line[pos:pos + 1] in ("'", '"'):
        q = line[pos]
        i = pos + 1
        while i < len(line):
            if line[i] == q:
                if q == "'" and line[i + 1:i + 2] == "'":
                    i += 2
                    continue
                break
            i += 2 if line[i] == "\\" and q == '"' else 1
        rest = line[i + 1:].lstrip(" \t")
        if rest.startswith(":") and rest[1:2] in (" ", "\t", ""):
            return len(line) - len(rest) + 1
        return pos
    k = line.find(":", pos)
    while k >= 0 and line[k + 1:k + 2] not in (" ", "\t", ""):
        k = line.find(":", k + 1)
    return k + 1 if k >= 0 else pos


def nesting_message(limit: int = MAX_YAML_NESTING) -> str:
    return _("values are nested more than {limit} levels deep (lists and groups inside each other, or "
             "brackets [ {{ that are never closed): a fiche needs 4 at most; check the brackets and the indentation",
             limit=limit)


# Markdown ----------------------------------------------------------------------------

_MARKS = re.compile(r"\\.|`+|<(?=[^<>\n]*>)|\[|\]|\n[ \t]*(?=\n)", re.S)


def open_brackets(text: str, limit: int = MAX_MARKDOWN_NESTING) -> int | None:
    """The line (1-based, in `text`) where more than `limit` brackets `[` are open at
    once in one block of Markdown, or None. One pass, before markdown-it sees the text.

    markdown-it looks for the end of every `[` (a link, an image, a footnote) as far as
    the end of its block when it has none: the time that takes grows with the brackets
    open at once times the block's length. Escaped brackets, and those inside code spans
    and between < and >, are not counted. This is the early check, with a line a user
    can act on; read/markdown.py bounds markdown-it's search itself, exactly."""
    runs: dict[int, list[int]] = {}  # backtick run length -> where such runs start
    for m in re.finditer(r"`+", text):
        runs.setdefault(len(m.group()), []).append(m.start())
    next_run: dict[int, int] = {}  # run length -> index of the next run to consider
    depth = 0
    region_end = -1  # a code span or a < > region lasts up to here
    line, counted = 1, 0
    for m in _MARKS.finditer(text):
        token, start = m.group(), m.start()
        if token[0] == "\n":  # a blank line ends the block
            depth = 0
        elif start < region_end:
            continue
        elif token == "[":
            depth += 1
            if depth > limit:
                return line + text.count("\n", counted, start)
        elif token == "]":
            depth = max(0, depth - 1)
        elif token[0] == "`":
            k = len(token)
            positions = runs[k]
            i = next_run.get(k, 0)
            while i < len(positions) and positions[i] <= start:
                i += 1
            next_run[k] = i
            if i < len(positions):  # a code span up to the next run as long
                region_end = positions[i] + k
        elif token == "<":
            region_end = text.index(">", start) + 1
        if start - counted > 65536:  # keep line counting linear
            line += text.count("\n", counted, start)
            counted = start
    return None
