"""Every key a fiche may hold, described once.

The checker (`check_fiche`), French typography on what is printed (`typeset`), the walk
over every printed text of a fiche (`printed_texts`: the characters the fonts must
have) and the table of keys in docs/fiche-format.md (`markdown_table`, which a test
compares with the docs) are all made from FICHE below. model.Fiche holds the same
names (a test checks that too); readers build it from what `check_fiche` returns.

Kinds: text, texts (a list of texts), url, email, date, bool, lang (a BCP 47 tag),
group (a mapping of sub-fields), groups (a list of groups).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

from generator.i18n import _
from generator.read.limits import MAX_LABEL, MAX_TEXT, MAX_TITLE
from generator.read.schema import Checker


@dataclass(frozen=True)
class Field:
    key: str
    kind: str
    doc: str
    required: bool = False  # the key must be there (a list may still be [] unless non_empty)
    non_empty: bool = False  # a list needs at least one item
    printed: bool = True  # printed as text: typeset in French, drawn with the edition's fonts
    sub: tuple[Field, ...] = ()  # a group's fields
    shorthand: str | None = None  # a group (or a list's item) written as a plain text is this field
    limit: int = MAX_TEXT  # characters of a text (of each item of texts): read/limits.py

    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.sub)


FICHE = (
    Field("title", "text", "text", required=True, limit=MAX_TITLE),
    Field("summary", "text", "text: the standfirst (chapô) printed under the title", required=True),
    Field("themes", "texts", "a list of texts, at least one; they make the themes index", required=True,
          non_empty=True, limit=MAX_LABEL),
    Field("territory", "group", "a place name, or `place`, `department`, `region` (only `place` required)",
          required=True, shorthand="place",
          sub=(Field("place", "text", "", required=True, limit=MAX_LABEL), Field("department", "text", "", limit=MAX_LABEL),
               Field("region", "text", "", limit=MAX_LABEL))),
    Field("partners", "groups", "a list; `[]` when there are none (see below)", required=True, shorthand="name",
          sub=(Field("name", "text", "", required=True, limit=MAX_LABEL), Field("role", "text", "", limit=MAX_LABEL),
               Field("type", "text", "", limit=MAX_LABEL), Field("url", "url", "", printed=False))),
    Field("subtitle", "text", "text", limit=MAX_TITLE),
    Field("date", "date", "`2024`, `2024-05` or `2024-05-17`; it must be a real date", printed=False),
    Field("audience", "texts", "a list of texts: who the initiative is for", limit=MAX_LABEL),
    Field("key_figures", "groups", "a list of `value` + `label`",
          sub=(Field("value", "text", "", required=True, limit=MAX_LABEL),
               Field("label", "text", "", required=True, limit=MAX_LABEL))),
    Field("contact", "group", "`name`, `organisation`, `email`, `phone`, `url`",
          sub=(Field("name", "text", "", limit=MAX_LABEL), Field("organisation", "text", "", limit=MAX_LABEL),
               Field("email", "email", "", printed=False),
               Field("phone", "text", "", printed=False, limit=MAX_LABEL), Field("url", "url", "", printed=False))),
    Field("source", "url", "the fiche online: an address starting with `http://` or `https://`; its QR code is "
          "printed, unless `publication.yaml` gives `base_url` (the QR code then leads to the fiche's page in the "
          "web edition)", printed=False),
    Field("image", "group", "`file`, `alt`, `caption`, `credit`, `decorative`; `file` is relative to the fiche's "
          "file; `alt` (what the image shows, for readers who cannot see it) is required unless "
          "`decorative: true`", shorthand="file",
          sub=(Field("file", "text", "", required=True, printed=False), Field("alt", "text", ""),
               Field("caption", "text", ""), Field("credit", "text", ""),
               Field("decorative", "bool", "", printed=False))),
    Field("lang", "lang", "the fiche's language when it is not the edition's, as a tag: `en`, `de`, `gcr` "
          "(Guianese Creole)…", printed=False),
    Field("keywords", "texts", "a list of texts", limit=MAX_LABEL),
    Field("draft", "bool", "`true` leaves the fiche out of every output (see *Drafts*)", printed=False),
)
KEYS = tuple(f.key for f in FICHE)
REQUIRED = tuple(f.key for f in FICHE if f.required)
# What `recueil new` writes for the writer to replace; a published fiche holding one is
# not finished (read/fiche.py says so).
PLACEHOLDERS = {"fr": ("À compléter.", "À préciser"), "en": ("To be written.", "To be decided")}


# --- the checker ------------------------------------------------------------------------

def check_fiche(c: Checker) -> dict | None:
    """The checked front matter of a fiche, every declared key present (None or [] when
    absent), or None when it is not a mapping at all."""
    data = c.doc.value
    if data is None:
        c.report.error(c.rel, c.line(()) or 1, _("the front matter is empty: it needs {keys} and {last}",
                                                 keys=", ".join(REQUIRED[:-1]), last=REQUIRED[-1]))
        return None
    if c.mapping((), data, KEYS, REQUIRED) is None:
        return None
    return {f.key: _value(c, (f.key,), data.get(f.key), f, f.key in data) for f in FICHE}


def _value(c: Checker, path: tuple, value: Any, f: Field, present: bool) -> Any:
    kind = f.kind
    if kind == "text":
        return c.text(path, value, required=f.required and present, limit=f.limit)
    if kind == "texts":
        return c.texts(path, value, required=f.non_empty and present, limit=f.limit)
    if kind == "url":
        return c.url(path, value)
    if kind == "email":
        return c.email(path, value)
    if kind == "date":
        return c.date(path, value)
    if kind == "bool":
        return bool(c.boolean(path, value))
    if kind == "lang":
        return c.lang(path, value)
    if kind == "group":
        return _group(c, path, value, f)
    if kind == "groups":
        return _groups(c, path, value, f)
    raise ValueError(f"unknown kind of field {kind!r}")  # a bug in FICHE


def _group(c: Checker, path: tuple, value: Any, f: Field) -> dict | None:
    if value is None:
        return None
    if f.shorthand is not None and not isinstance(value, (dict, list)):
        short = c.text(path, value, required=True, limit=next(s.limit for s in f.sub if s.key == f.shorthand))
        return {**{s.key: None for s in f.sub}, f.shorthand: short} if short else None
    if c.mapping(path, value, f.keys(), tuple(s.key for s in f.sub if s.required)) is None:
        return None
    out = {s.key: _value(c, path + (s.key,), value.get(s.key), s, s.key in value) for s in f.sub}
    if any(s.required and not out[s.key] for s in f.sub) or not any(v for v in out.values()):
        return None
    return out


def _groups(c: Checker, path: tuple, value: Any, f: Field) -> list[dict]:
    if isinstance(value, str) and f.shorthand is not None:
        value = [value]
    out = []
    for i, item in enumerate(c.items(path, value)):
        entry = _group(c, path + (i,), item, f)
        if entry is not None:
            entry["line"] = c.line(path + (i,))
            out.append(entry)
    return out


# --- what the fields are for ------------------------------------------------------------

def typeset(checked: dict, rule: Callable[[str], str]) -> dict:
    """`checked` (check_fiche's) with `rule` applied to every printed text."""
    return {f.key: _typeset(checked[f.key], f, rule) for f in FICHE}


def _typeset(value: Any, f: Field, rule: Callable[[str], str]) -> Any:
    if value is None or not f.printed:
        return value
    if f.kind == "text":
        return rule(value)
    if f.kind == "texts":
        return [rule(v) for v in value]
    if f.kind == "group":
        return {**value, **{s.key: _typeset(value[s.key], s, rule) for s in f.sub}}
    if f.kind == "groups":
        return [_typeset(v, Field(f.key, "group", "", sub=f.sub), rule) for v in value]
    return value


def printed_values(checked: dict) -> Iterator[tuple[tuple, str]]:
    """(path, text) of every printed text of `checked` (check_fiche's), for messages."""
    for f in FICHE:
        yield from _values(checked[f.key], f, (f.key,))


def _values(value: Any, f: Field, path: tuple) -> Iterator[tuple[tuple, str]]:
    if value is None or not f.printed:
        return
    if f.kind == "text":
        yield path, value
    elif f.kind == "texts":
        yield from ((path + (i,), v) for i, v in enumerate(value))
    elif f.kind == "group":
        for s in f.sub:
            yield from _values(value[s.key], s, path + (s.key,))
    elif f.kind == "groups":
        for i, item in enumerate(value):
            yield from _values(item, Field(f.key, "group", "", sub=f.sub), path + (i,))


def printed_texts(fiche) -> Iterator[str]:
    """Every text of a model.Fiche's front matter that is printed, for the fonts."""
    for f in FICHE:
        yield from _texts(getattr(fiche, f.key), f)


def _texts(value: Any, f: Field) -> Iterator[str]:
    if value is None or not f.printed:
        return
    if f.kind == "text":
        yield value
    elif f.kind == "texts":
        yield from value
    elif f.kind == "group":
        for s in f.sub:
            if s.printed:
                yield from _texts(getattr(value, s.key), s)
    elif f.kind == "groups":
        for item in value:
            yield from _texts(item, Field(f.key, "group", "", sub=f.sub))


def markdown_table() -> str:
    """The table of keys in docs/fiche-format.md."""
    rows = ["| key | required | what to write |", "|---|---|---|"]
    rows += [f"| `{f.key}` | {'yes' if f.required else 'no'} | {f.doc} |" for f in FICHE]
    return "\n".join(rows)

