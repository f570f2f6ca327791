"""Which fiches one build publishes, in which order, in which sections.

Order per the SPEC: the sections of publication.yaml in their order; the fiches no
section lists follow in a last section; without sections, one untitled section by id.
`--select KEY=VALUE` keeps the fiches that match; `KEY=A,B` keeps those matching A or B
(a trainer's handful of fiches: `--select id=a,b`); repeated selects narrow further.
"""

from __future__ import annotations

import dataclasses

from generator.context import SELECT_KEYS
from generator.diagnostics import Report
from generator.edition.vocabulary import canonical_fiches
from generator.i18n import _
from generator.model import Edition, Fiche, Project, Publication, Section
from generator.read.matching import fold
from generator.read.typography import french


def _cli() -> str:
    """Where a --select problem is reported."""
    return _("command line")


_OTHERS = {"fr": "Autres initiatives", "en": "Other initiatives"}


def others_title(lang: str) -> str:
    """The title of the last section, holding the fiches no section lists."""
    return _OTHERS.get(lang.split("-")[0], _OTHERS["en"])


def make_edition(project: Project, selects: list[tuple[str, str]], report: Report, *,
                 title: str | None = None, subtitle: str | None = None) -> Edition:
    """The edition of `project` the selects keep. A thematic edition (selects, or a
    `title`) has its own cover: publication.yaml's `editions:` entry with the same
    selection, else the whole edition's title over a subtitle naming the selection,
    and never the whole edition's ISBN."""
    fiches = canonical_fiches(project, project.fiches, report)
    earlier: list[str] = []
    for key, value in selects:
        key = key.strip().lower()
        if key not in SELECT_KEYS:
            report.error(_cli(), None, _("--select {key}=…: unknown key; use one of {keys}", key=key,
                                         keys=", ".join(SELECT_KEYS)))
            continue
        asked = f"--select {key}={value}"
        wanted = set()
        for part in _parts(project, key, value):
            found = _wanted(project, key, part)
            if not any(found & _values(f, key) for f in project.fiches):
                known = _known(project, key)
                report.error(_cli(), None, _("{asked}: no fiche matches '{value}' (values in this project: {known})",
                                             asked=asked, value=part, known=known) if known
                             else _("{asked}: no fiche matches '{value}'", asked=asked, value=part))
            wanted |= found
        kept = [f for f in fiches if wanted & _values(f, key)]
        if not kept and earlier and any(wanted & _values(f, key) for f in project.fiches):
            both = earlier[0]
            for other in earlier[1:]:
                both = _("{first} and {second}", first=both, second=other)
            report.error(_cli(), None, _("{asked}: no fiche matches it and {earlier} too "
                                         "(repeated --select narrow; KEY=A,B means A or B)", asked=asked, earlier=both))
        fiches = kept
        earlier.append(asked)
    if not project.fiches:
        from generator.read.project import fiche_files

        if fiche_files(project.root):  # all drafts: fine for check, `build` says it has nothing to do
            report.warning("fiches", None, _("nothing to publish yet: every fiche is a draft "
                                             "(build with --drafts to see them, or remove 'draft: true')"))
        else:
            report.error("fiches", None, _("no fiche to publish: write them as fiches/NAME.md"))
    own = _own_publication(project, selects, title, subtitle, report) if selects or title else None
    return Edition(project, _sections(project, fiches), own)


def _own_publication(project: Project, selects, title, subtitle, report: Report) -> Publication:
    pub = project.publication
    if pub.lang.startswith("fr"):  # typed on the command line: typeset like publication.yaml
        title, subtitle = (french(t) if t else t for t in (title, subtitle))
    asked = {(k.strip().lower(), fold(v)) for k, v in selects}
    spec = next((e for e in pub.editions if {(k, fold(v)) for k, v in e.select} == asked), None)
    colophon = {k: v for k, v in (pub.colophon or {}).items() if k != "isbn"} or None
    if spec is not None:
        return dataclasses.replace(pub, title=title or spec.title, subtitle=subtitle or spec.subtitle,
                                   isbn=spec.isbn, colophon=colophon)
    if pub.isbn or (pub.colophon or {}).get("isbn"):
        report.warning("publication.yaml", None, _("a thematic edition does not carry the whole edition's ISBN: "
                                                   "give it its own under 'editions:' (select, title, isbn), or "
                                                   "print it without one"))
    named = " · ".join(v for _key, v in selects)
    return dataclasses.replace(pub, title=title or pub.title, subtitle=subtitle or named or pub.subtitle,
                               isbn=None, colophon=colophon)


def _parts(project: Project, key: str, value: str) -> list[str]:
    """The values of `KEY=A,B`: A and B, unless the whole is itself a value (a name
    with a comma in it)."""
    whole = fold(value)
    if "," not in value or any(whole in _values(f, key) for f in project.fiches):
        return [value.strip()]
    return [p.strip() for p in value.split(",") if p.strip()]


def _wanted(project: Project, key: str, value: str) -> set[str]:
    wanted = {fold(value)}
    if key == "partner":  # an alias selects its partner, and the canonical name its aliases
        for p in project.partners:
            names = {fold(p.name), *map(fold, p.aliases)}
            if wanted & names:
                wanted |= names
    return wanted


def _values(f: Fiche, key: str) -> set[str]:
    if key == "theme":
        found = f.themes
    elif key == "territory":
        t = f.territory
        found = [t.place, t.department or "", t.region or ""]
    elif key == "region":
        found = [f.territory.region or ""]
    elif key == "partner":
        found = [n for p in f.partners for n in (p.name, p.given)]
    else:
        found = [f.id]
    return {fold(v) for v in found if v}


def _known(project: Project, key: str) -> str:
    values = sorted({v for f in project.fiches for v in _display(f, key)}, key=fold)
    if not values:
        return ""
    return ", ".join(values[:12]) + (", …" if len(values) > 12 else "")


def _display(f: Fiche, key: str) -> list[str]:
    t = f.territory
    return {
        "theme": f.themes,
        "territory": [x for x in (t.place, t.department, t.region) if x],
        "region": [t.region] if t.region else [],
        "partner": [p.name for p in f.partners],
        "id": [f.id],
    }[key]


def _sections(project: Project, fiches: list[Fiche]) -> list[Section]:
    pub = project.publication
    by_id = {f.id: f for f in fiches}
    if not pub.sections:
        return [Section(None, sorted(fiches, key=lambda f: (fold(f.id), f.id)))] if fiches else []
    out, listed = [], set()
    for spec in pub.sections:
        chosen = [by_id[i] for i in spec.fiches if i in by_id and i not in listed]
        listed.update(f.id for f in chosen)
        if chosen:
            out.append(Section(spec.title, chosen))
    rest = sorted((f for f in fiches if f.id not in listed), key=lambda f: (fold(f.id), f.id))
    if rest:
        out.append(Section(others_title(pub.lang), rest))
    return out
