"""What the keys of publication.yaml and partners.yaml may hold, and the checks every
file shares (a fiche's own keys are declared in fields.py).

`Checker` reads a loaded YAML `Doc` and reports every problem with the line of the key or
item at fault; `publication_fields` and `partner_entries` return plain, checked values
for the readers to build the model from. Nothing here raises on bad input: a wrong value
is reported and left out.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import urllib.parse
from typing import Any

from generator.diagnostics import Report
from generator.i18n import _, n_, p_
from generator.read import isbn as isbn_digits
from generator.read.clean import clean, removed
from generator.read.frontmatter import Doc
from generator.read.limits import MAX_LABEL, MAX_TEXT, MAX_TITLE

PUBLICATION_KEYS = (
    "title", "subtitle", "publisher", "edition", "date", "lang", "layout", "page_size",
    "sections", "indexes", "allow_remote", "remote_timeout", "remote_max_bytes", "colophon", "isbn", "themes",
    "editions", "base_url", "introduction",
)
SECTION_KEYS = ("title", "fiches")
REGISTRY_KEYS = ("name", "aliases", "type", "url")
INDEXES = ("partners", "themes", "territories")
PAGE_SIZES = ("A4", "A5", "A6", "Letter")  # or WIDTHmm x HEIGHTmm (generator/design.py page_size)
LANGS = ("fr", "en")  # languages whose labels Recueil translates

# French spellings users naturally type, so the hint points at the right key.
_FRENCH = {
    "titre": "title", "resume": "summary", "résumé": "summary", "chapo": "summary",
    "chapô": "summary", "themes": "themes", "thèmes": "themes", "thematiques": "themes",
    "territoire": "territory", "lieu": "place", "partenaires": "partners",
    "partenaire": "partners", "sous-titre": "subtitle", "sous_titre": "subtitle",
    "public": "audience", "publics": "audience", "chiffres": "key_figures",
    "chiffres_cles": "key_figures", "mots_cles": "keywords", "mots-cles": "keywords",
    "brouillon": "draft", "nom": "name", "departement": "department",
    "département": "department", "région": "region", "editeur": "publisher",
    "éditeur": "publisher", "langue": "lang", "rubriques": "sections",
}

_URL = re.compile(r"^https?://[^\s/?#]+\.[^\s/?#]+[^\s]*$|^https?://localhost\b\S*$", re.I)
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[A-Za-z]{2,}$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_LANG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def did_you_mean(key: str, known: tuple[str, ...]) -> str | None:
    low = key.lower().strip()
    if low in _FRENCH and _FRENCH[low] in known:
        return _FRENCH[low]
    close = difflib.get_close_matches(low, known, n=1, cutoff=0.6)
    return close[0] if close else None


def describe(value: Any) -> str:
    """What the user wrote, in words: for 'must be a list, not ...' messages."""
    if isinstance(value, bool):
        return _("yes/no")
    if isinstance(value, (int, float)):
        return _("a number")
    if isinstance(value, dict):
        return _("a group of keys")
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, (dt.date, dt.datetime)):
        return _("a date")
    return _("a text")


class Checker:
    """Checks values of one YAML document, reporting against one file."""

    def __init__(self, doc: Doc, rel: str, report: Report):
        self.doc, self.rel, self.report = doc, rel, report

    def line(self, path) -> int | None:
        return self.doc.line(tuple(path))

    def error(self, path, message: str) -> None:
        self.report.error(self.rel, self.line(path), message)

    def warn(self, path, message: str) -> None:
        self.report.warning(self.rel, self.line(path), message)

    @staticmethod
    def name(path) -> str:
        """A key as a user sees it: 'title', or 'name' (partners, item 2)."""
        keys = [p for p in path if isinstance(p, str)]
        last = f"'{keys[-1]}'" if keys else _("the value")
        if isinstance(path[-1], int):
            last = (_("item {n} of '{key}'", n=path[-1] + 1, key=keys[-1]) if keys
                    else _("item {n}", n=path[-1] + 1))
        elif len(path) > 1:
            where = ", ".join(p_("where a key is", "item {n}", n=p + 1) if isinstance(p, int) else p
                              for p in path[:-1])
            last += f" ({where})"
        return last

    # shapes -------------------------------------------------------------------------
    def mapping(self, path, value, known: tuple[str, ...], required: tuple[str, ...] = ()) -> dict | None:
        if not isinstance(value, dict):
            self.error(path, _("{name} must be a group of 'key: value' lines, not {what}",
                               name=self.name(path) if path else _("this file"), what=describe(value)))
            return None
        for key in value:
            if key not in known:
                hint = did_you_mean(key, known)
                self.warn(tuple(path) + (key,),
                          _("unknown key '{key}' ignored: did you mean '{hint}'?", key=key, hint=hint) if hint
                          else _("unknown key '{key}' ignored: known keys: {keys}", key=key, keys=", ".join(known)))
        for key in required:
            if key not in value:
                self.error(path, _("missing required key '{key}' in {name}", key=key, name=self.name(path)) if path
                           else _("missing required key '{key}'", key=key))
        return value

    def text(self, path, value, *, required: bool = False, limit: int = MAX_TEXT) -> str | None:
        """A string. Numbers and dates are taken as written; null is absent. Control
        characters, even written as YAML escapes ("\\x07", "\\u202e"), are removed
        with a warning, as they are from the file; a text over `limit` characters is an
        error (read/limits.py)."""
        path = tuple(path)
        if value is None:
            if required:
                self.error(path, _("{name} is empty: it needs a value", name=self.name(path)))
            return None
        if isinstance(value, (dict, list)):
            self.error(path, _("{name} must be a text, not {what}", name=self.name(path), what=describe(value)))
            return None
        if not isinstance(value, str):
            value = self.doc.texts.get(path, str(value))
        value, found = clean(value)
        if found:
            self.warn(path, removed(found))
        value = value.strip()
        if not value and required:
            self.error(path, _("{name} is empty: it needs a value", name=self.name(path)))
            return None
        if len(value) > limit:
            self.error(path, n_("{name} is too long ({n} character; at most {limit}): shorten it",
                                "{name} is too long ({n} characters; at most {limit}): shorten it",
                                len(value), name=self.name(path), limit=limit))
            return None
        return value or None

    def texts(self, path, value, *, required: bool = False, limit: int = MAX_LABEL) -> list[str]:
        """A list of strings, each at most `limit` characters (an index label); a single
        text is accepted as a one-item list."""
        path = tuple(path)
        if value is None or value == []:
            if required:
                self.error(path, _("{name} needs at least one item", name=self.name(path)))
            return []
        if isinstance(value, str):
            if "," in value or ";" in value:
                self.warn(path, _("{name} is one text; if you meant several, write one per line starting with '- '",
                                  name=self.name(path)))
            value = [value]
        elif not isinstance(value, list):
            self.error(path, _("{name} must be a list (one item per line starting with '- '), not {what}",
                               name=self.name(path), what=describe(value)))
            return []
        out = []
        errors = len(self.report.errors)
        for i, item in enumerate(value):
            s = self.text(path + (i,), item, limit=limit)
            if s is not None and s not in out:
                out.append(s)
        if required and not out and len(self.report.errors) == errors:
            self.error(path, _("{name} needs at least one item", name=self.name(path)))
        return out

    def items(self, path, value) -> list:
        """A list of anything (each item checked by the caller); a single one is a list."""
        if value is None:
            return []
        if isinstance(value, list):
            return value
        if isinstance(value, dict):
            return [value]
        self.error(path, _("{name} must be a list (one item per line starting with '- '), not {what}",
                           name=self.name(path), what=describe(value)))
        return []

    def boolean(self, path, value) -> bool | None:
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        self.error(path, _("{name} must be true or false, not {what}", name=self.name(path), what=describe(value)))
        return None

    def url(self, path, value) -> str | None:
        s = self.text(path, value)
        if s is not None and not _URL.match(s):
            self.error(path, _("{name} must be a web address starting with http:// or https://, not '{value}'",
                               name=self.name(path), value=s[:60]))
            return None
        return s

    def number(self, path, value, low: float, high: float, unit: str) -> float | None:
        """A number from `low` to `high` (in `unit`, "seconds" or "bytes", for the message)."""
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            values = dict(name=self.name(path), low=f"{low:g}", high=f"{high:g}",
                          value=describe(value) if not isinstance(value, (int, float)) else value)
            self.error(path, _("{name} must be a number of seconds from {low} to {high}, not {value}", **values)
                       if unit == "seconds" else
                       _("{name} must be a number of bytes from {low} to {high}, not {value}", **values))
            return None
        return value

    def email(self, path, value) -> str | None:
        s = self.text(path, value)
        if s is not None and s.lower().startswith("mailto:"):
            s = s[7:]
        if s is not None and not _EMAIL.match(s):
            self.error(path, _("{name} does not look like an e-mail address: '{value}'", name=self.name(path),
                               value=s[:60]))
            return None
        return s

    def date(self, path, value) -> str | None:
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return value.isoformat()
        s = self.text(path, value)
        if s is None:
            return None
        m = _DATE.match(s)
        if not m:
            self.error(path, _("{name} must be a date written YYYY, YYYY-MM or YYYY-MM-DD, not '{value}'",
                               name=self.name(path), value=s[:40]))
            return None
        year, month, day = (int(g) if g else None for g in m.groups())
        try:
            dt.date(year, month or 1, day or 1)
        except ValueError:
            self.error(path, _("{name}: {value} is not a real date", name=self.name(path), value=s))
            return None
        return s

    def lang(self, path, value) -> str | None:
        """A language tag (BCP 47, as users write them): fr, en, fr-CA, gcr..."""
        s = self.text(path, value)
        if s is None:
            return None
        tag = s.replace("_", "-")
        if not _LANG.match(tag):
            self.error(path, _("{name} must be a language tag such as fr, en or gcr, not '{value}'",
                               name=self.name(path), value=s[:20]))
            return None
        first, *rest = tag.split("-")
        return "-".join([first.lower(), *rest])

    def choice(self, path, value, choices: tuple[str, ...]) -> str | None:
        s = self.text(path, value)
        if s is None:
            return None
        for c in choices:
            if s.lower() == c.lower():
                return c
        self.error(path, _("{name} must be one of {choices}, not '{value}'", name=self.name(path),
                           choices=", ".join(choices), value=s[:40]))
        return None


# publication.yaml ------------------------------------------------------------------------

def publication_fields(c: Checker) -> dict:
    """Checked values of publication.yaml; keys absent from the file are absent here."""
    data = c.doc.value
    if data is None:
        c.report.error(c.rel, 1, _("publication.yaml is empty: it needs at least 'title: ...'"))
        return {}
    if c.mapping((), data, PUBLICATION_KEYS, ("title",)) is None:
        return {}
    out: dict[str, Any] = {}
    for key in ("title", "subtitle", "publisher", "edition", "layout"):
        if key in data:
            out[key] = c.text((key,), data[key], required=(key == "title"), limit=MAX_TITLE)
    if "date" in data:
        out["date"] = c.date(("date",), data["date"])
    if "lang" in data:
        lang = c.lang(("lang",), data["lang"])
        if lang:
            lang = lang.lower()
            if lang.split("-")[0] not in LANGS:
                c.warn(("lang",), _("labels are not translated into '{lang}': contents and index titles will be in English",
                                    lang=lang))
            out["lang"] = lang
    if "page_size" in data:
        from generator.design import page_size

        found = page_size(c.text(("page_size",), data["page_size"]))
        if found is None:
            c.error(("page_size",), _("'page_size' must be A4, A5, A6, Letter or WIDTHmm x HEIGHTmm "
                                      "(such as 170mm x 240mm), not '{value}'", value=str(data['page_size'])[:40]))
        out["page_size"] = found[0] if found else None
    if "allow_remote" in data:
        out["allow_remote"] = c.boolean(("allow_remote",), data["allow_remote"])
    if "base_url" in data:
        out["base_url"] = base_url(c, data["base_url"])
    if "introduction" in data:  # Markdown, parsed by the reader
        text = c.text(("introduction",), data["introduction"])
        out["introduction"] = {"text": text, "line": c.line(("introduction",))} if text else None
    if "remote_timeout" in data:
        out["remote_timeout"] = c.number(("remote_timeout",), data["remote_timeout"], 1, 3600, "seconds")
    if "remote_max_bytes" in data:
        found = c.number(("remote_max_bytes",), data["remote_max_bytes"], 1, 2_000_000_000, "bytes")
        out["remote_max_bytes"] = int(found) if found is not None else None
    if "indexes" in data:
        chosen = []
        for i, name in enumerate(c.texts(("indexes",), data["indexes"])):
            key = ("indexes", i)
            if name.lower() in INDEXES:
                chosen.append(name.lower())
            else:
                hint = did_you_mean(name, INDEXES)
                c.error(key, _("unknown index '{name}': did you mean '{hint}'?", name=name, hint=hint) if hint
                        else _("unknown index '{name}': choose among {indexes}", name=name, indexes=", ".join(INDEXES)))
        out["indexes"] = chosen
    if "colophon" in data and data["colophon"] is not None:
        col = data["colophon"]
        if not isinstance(col, dict):
            c.error(("colophon",), _("'colophon' must be a group of 'key: text' lines (legal, printer, licence, "
                                     "isbn...), not {what}", what=describe(col)))
        else:
            out["colophon"] = {k: t for k in col if (t := c.text(("colophon", k), col[k])) is not None}
            if "isbn" in col:
                out["isbn"] = isbn(c, ("colophon", "isbn"), col["isbn"])
    if "isbn" in data:
        out["isbn"] = isbn(c, ("isbn",), data["isbn"])
    if "sections" in data:
        out["sections"] = sections(c, data["sections"])
    if "themes" in data:
        out["themes"] = themes(c, data["themes"])
    if "editions" in data:
        out["editions"] = editions(c, data["editions"])
    return out


def editions(c: Checker, value) -> list[dict]:
    """Thematic editions: `select` (KEY=VALUE texts, as --select takes them) and the
    `title`, `subtitle` and `isbn` their cover and metadata carry."""
    from generator.context import SELECT_KEYS

    out = []
    for i, item in enumerate(c.items(("editions",), value)):
        p = ("editions", i)
        if c.mapping(p, item, ("select", "title", "subtitle", "isbn"), ("select", "title")) is None:
            continue
        selects = []
        for j, text in enumerate(c.texts(p + ("select",), item.get("select"), required="select" in item)):
            key, eq, val = text.partition("=")
            if not eq or key.strip().lower() not in SELECT_KEYS or not val.strip():
                c.error(p + ("select", j), _("'{text}' is not a selection: write KEY=VALUE with KEY one of "
                                             "{keys}, as after --select", text=text, keys=", ".join(SELECT_KEYS)))
                continue
            selects.append((key.strip().lower(), val.strip()))
        title = c.text(p + ("title",), item.get("title"), required="title" in item)
        if selects and title:
            out.append({"select": selects, "title": title, "subtitle": c.text(p + ("subtitle",), item.get("subtitle")),
                        "isbn": isbn(c, p + ("isbn",), item["isbn"]) if "isbn" in item else None, "line": c.line(p)})
    return out


def themes(c: Checker, value) -> list[dict]:
    """The edition's themes: a name each, or `name` with `aliases` (other spellings
    fiches may use, printed under the name)."""
    out = []
    for i, item in enumerate(c.items(("themes",), value)):
        p = ("themes", i)
        if isinstance(item, dict):
            if c.mapping(p, item, ("name", "aliases"), ("name",)) is None:
                continue
            name = c.text(p + ("name",), item.get("name"), required="name" in item)
            aliases = c.texts(p + ("aliases",), item.get("aliases"))
        else:
            name, aliases = c.text(p, item, required=True), []
        if name:
            out.append({"name": name, "aliases": aliases, "line": c.line(p)})
    return out


def base_url(c: Checker, value) -> str | None:
    """Where the web edition (OUT/web/) is published: an http(s) address, ending in « / »
    once checked, non-ASCII characters percent-encoded (it goes into QR codes)."""
    s = c.url(("base_url",), value)
    if s is None:
        return None
    if "?" in s or "#" in s:
        c.error(("base_url",), _("'base_url' is the address of the folder where web/ is published, without ?… "
                                 "or #…: not '{value}'", value=s[:60]))
        return None
    s = urllib.parse.quote(s, safe=":/@!$&'()*+,;=%~-._")
    return s if s.endswith("/") else s + "/"


def isbn(c: Checker, path, value) -> str | None:
    s = c.text(path, value)
    if s is None:
        return None
    digits = isbn_digits.normalize(s)
    if not re.fullmatch(r"\d{9}[\dX]|\d{13}", digits):
        c.error(path, _("'{value}' is not an ISBN: it needs 10 or 13 digits", value=s))
        return None
    if not isbn_digits.valid_isbn(s):
        c.error(path, _("ISBN '{value}' is wrong: its check digit does not match (a typo in one digit?)", value=s))
        return None
    return s


def sections(c: Checker, value) -> list[dict]:
    out = []
    for i, item in enumerate(c.items(("sections",), value)):
        p = ("sections", i)
        if c.mapping(p, item, SECTION_KEYS, ("title", "fiches")) is None:
            continue
        title = c.text(p + ("title",), item.get("title"), required="title" in item, limit=MAX_TITLE)
        ids = c.texts(p + ("fiches",), item.get("fiches"), limit=MAX_TITLE)
        lines = [c.line(p + ("fiches", j)) for j in range(len(ids))]
        if title:
            out.append({"title": title, "fiches": ids, "line": c.line(p), "id_lines": lines})
    return out


# partners.yaml ---------------------------------------------------------------------------

def partner_entries(c: Checker) -> list[dict]:
    data = c.doc.value
    if data is None:
        return []
    if isinstance(data, dict) and set(data) == {"partners"}:  # tolerated: a `partners:` heading
        c = Checker(_subdoc(c.doc, "partners"), c.rel, c.report)
        data = c.doc.value
    if not isinstance(data, list):
        c.error((), _("partners.yaml must be a list of partners, each starting with '- name: ...', not {what}",
                      what=describe(data)))
        return []
    out = []
    for i, item in enumerate(data):
        p = (i,)
        if isinstance(item, str):
            item = {"name": item}
        if c.mapping(p, item, REGISTRY_KEYS, ("name",)) is None:
            continue
        name = c.text(p + ("name",), item.get("name"), required="name" in item, limit=MAX_LABEL)
        aliases = c.texts(p + ("aliases",), item.get("aliases"))
        entry = {
            "name": name,
            "aliases": aliases,
            "alias_lines": [c.line(p + ("aliases", j)) for j in range(len(aliases))],
            "type": c.text(p + ("type",), item.get("type"), limit=MAX_LABEL),
            "url": c.url(p + ("url",), item.get("url")),
            "line": c.line(p),
        }
        if name:
            out.append(entry)
    return out


def _subdoc(doc: Doc, key: str) -> Doc:
    """The document under one top-level key, keeping every line."""
    n = 1
    lines = {p[n:]: line for p, line in doc.lines.items() if p[:n] == (key,)}
    texts = {p[n:]: t for p, t in doc.texts.items() if p[:n] == (key,)}
    return Doc(doc.value[key], lines, texts)
