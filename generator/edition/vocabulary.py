"""One spelling per theme and per partner, so that an index never splits a name.

Fiches are written by many hands: « Mobilité » and « Mobilite », « Emploi » and
« Emplois », « Caisse d'allocations familiales » and « Caisse d allocations
familiales » are one entry to a reader. Two names are taken for the same when they
differ only by case, accents, hyphens, the style or absence of an apostrophe, or a
plural -s or -x (`same_name`).

The printed spelling (the canonical one) is, for a theme, the one publication.yaml's
`themes:` lists (an alias listed there prints as its name); without a list, the
spelling most fiches use (ties: the one with accents, then the first in collation
order). For a partner, partners.yaml's name when the registry knows it (the reader
already resolved it), else the most used spelling. Every spelling but the canonical one
is a warning naming the fiche, its line and the spelling it becomes; a theme a list does
not hold is a warning with the closest listed theme.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from generator.diagnostics import Report
from generator.edition.indexes import collation_key
from generator.i18n import _
from generator.model import Fiche, Project
from generator.read.matching import fold


def same_name(text: str) -> str:
    """The key two spellings of one name share."""
    words = re.sub(r"['’‘ʼ`]", " ", fold(text)).split()
    return " ".join(w[:-1] if len(w) > 3 and w[-1] in "sx" else w for w in words)


@dataclass
class _Use:
    """A name as one fiche writes it."""

    fiche: Fiche
    line: int | None
    written: str
    name: str  # as the reader resolved it (a registered partner's canonical name)


def canonical_fiches(project: Project, fiches: list[Fiche], report: Report) -> list[Fiche]:
    """`fiches` with every theme and partner under its canonical spelling; a warning
    for each spelling changed (found in every fiche of the project, so that `check` and
    every build, thematic or not, say the same)."""
    themes = _theme_names(project, report)
    partners = _partner_names(project, report)
    out = []
    for fiche in fiches:
        themes_now = list(dict.fromkeys(themes.get(t, t) for t in fiche.themes))
        refs = [dataclasses.replace(p, name=partners.get(p.name, p.name)) for p in fiche.partners]
        out.append(dataclasses.replace(fiche, themes=themes_now, partners=refs))
    return out


def _theme_names(project: Project, report: Report) -> dict[str, str]:
    """Each theme as written -> its canonical spelling."""
    uses = [_Use(f, f.lines.get(f"themes.{i}") or f.lines.get("themes"), t, t)
            for f in project.fiches for i, t in enumerate(f.themes)]
    listed = project.publication.themes
    if not listed:
        return _by_use(uses, "theme", report)
    names = {same_name(n): t.name for t in listed for n in (t.name, *t.aliases)}
    aliases = {a for t in listed for a in t.aliases}
    out = {}
    for use in uses:
        canonical = names.get(same_name(use.written))
        if canonical is None:
            close = difflib.get_close_matches(use.written, [t.name for t in listed], n=1, cutoff=0.6)
            report.warning(use.fiche.rel, use.line,
                           _("theme « {theme} » is not among publication.yaml's themes: did you mean « {hint} »?",
                             theme=use.written, hint=close[0]) if close else
                           _("theme « {theme} » is not among publication.yaml's themes: add it there, or use one of "
                             "those", theme=use.written))
        elif canonical != use.written:
            out[use.written] = canonical
            if use.written not in aliases:
                _warn(report, use, "theme", canonical)
    return out


def _partner_names(project: Project, report: Report) -> dict[str, str]:
    """Each partner's name -> its canonical spelling."""
    registered = {p.name: p for p in project.partners}
    by_key = {same_name(n): p.name for p in project.partners for n in (p.name, *p.aliases)}
    uses = [_Use(f, ref.line or f.lines.get("partners"), ref.given, ref.name) for f in project.fiches
            for ref in f.partners]
    out, loose = {}, []
    for use in uses:
        partner = registered.get(use.name)
        if partner is not None:  # partners.yaml knows it: was it spelled as listed there?
            if use.written != partner.name and use.written not in partner.aliases:
                _warn(report, use, "partner", partner.name)
        elif same_name(use.name) in by_key:  # a near miss the reader's matching let through
            out[use.name] = by_key[same_name(use.name)]
            _warn(report, use, "partner", out[use.name])
        else:
            loose.append(use)
    out.update(_by_use(loose, "partner", report))
    return out


def _by_use(uses: list[_Use], kind: str, report: Report) -> dict[str, str]:
    """Names with no list to follow: each group of spellings of one name takes its most
    used spelling (ties: the one with accents, then the first in collation order)."""
    groups: dict[str, Counter] = {}
    for use in uses:
        groups.setdefault(same_name(use.name), Counter())[use.name] += 1
    best = {key: max(sorted(counts, key=collation_key), key=lambda n: (counts[n], _accents(n)))
            for key, counts in groups.items() if len(counts) > 1}
    out = {}
    for use in uses:
        canonical = best.get(same_name(use.name), use.name)
        if canonical != use.name:
            out[use.name] = canonical
            _warn(report, use, kind, canonical)
    return out


def _accents(text: str) -> int:
    return sum(1 for c in unicodedata.normalize("NFD", text) if unicodedata.combining(c))


def _warn(report: Report, use: _Use, kind: str, canonical: str) -> None:
    report.warning(use.fiche.rel, use.line, _(
        "theme « {written} » is printed « {canonical} », as elsewhere in the edition: write it so here too, or list "
        "this spelling as an alias in publication.yaml's themes", written=use.written, canonical=canonical)
        if kind == "theme" else _(
        "partner « {written} » is printed « {canonical} », as elsewhere in the edition: write it so here too, or "
        "list this spelling as an alias in partners.yaml", written=use.written, canonical=canonical))
