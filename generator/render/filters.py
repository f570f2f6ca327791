"""What templates print text through: dates in words, names that never break.

`register(env, lang, months)` gives a layout's Jinja2 environment its filters; the
layout loader calls it, so that every template of every layout has them.

  date_label       « mars 2027 », « 1er mai 2026 », « 14 novembre 2025 » in French,
                   « 14 November 2025 » in English: never the ISO form a fiche is
                   written in;
  unbroken_names   a title's compound proper names on one line (« Loir-et- / Cher »
                   never), and no line ending on a one-letter word.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from generator.read.typography import NBSP


def register(env, lang: str, months: list[str]) -> None:
    env.filters["date_label"] = lambda iso: date_label(iso, lang, months)
    env.filters["unbroken_names"] = unbroken_names


def date_label(iso: str | None, lang: str, months: list[str]) -> str | None:
    """`iso` (YYYY, YYYY-MM or YYYY-MM-DD, already checked) in words, with the layout's
    month names for `lang`; as written when the layout names no months."""
    if not iso:
        return None
    parts = str(iso).split("-")
    if len(parts) == 1 or len(months) != 12:
        return str(iso)
    month = months[int(parts[1]) - 1]
    if len(parts) == 2:
        return f"{month} {parts[0]}"
    day = int(parts[2])
    if lang.split("-")[0] == "en":
        return f"{day} {month} {parts[0]}"
    if lang.split("-")[0] == "fr":
        return f"{'1er' if day == 1 else day}{NBSP}{month} {parts[0]}"
    return f"{day} {month} {parts[0]}"


# A compound proper name: Loir-et-Cher, Clichy-sous-Bois, Saint-Étienne, Île-de-France.
_COMPOUND = re.compile(r"\b[A-ZÀ-ÖØ-Ý][\w’']*(?:-(?:[A-ZÀ-ÖØ-Ý][\w’']*|et|sous|sur|en|lès|lez|le|la|les|de|du|des|d’|aux?)"
                       r")+(?:\b|(?<=’))")


# A word of one letter (« à », « y », « a ») ends no line of a title: it goes with the next.
_LONE_LETTER = re.compile(r"(?<![\w’'])(\w) (?=\w)")


def unbroken_names(text: str | None) -> Markup:
    """`text`, escaped, its compound proper names kept on one line (class `nowrap`): a
    title must not break « Loir-et- / Cher »; nor end a line on « à »."""
    if not text:
        return Markup("")
    text = _LONE_LETTER.sub("\\1\u00a0", text)
    out, pos = [], 0
    for m in _COMPOUND.finditer(text):
        out += [escape(text[pos:m.start()]), Markup('<span class="nowrap">%s</span>') % m.group()]
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


NB_HYPHEN = "\u2011"


def unbroken_text(text: str | None) -> str:
    """`text` as plain text kept as `unbroken_names` keeps it: the hyphens of compound
    proper names non-breaking (U+2011, Word's own no-break hyphen), a one-letter word
    bound to the next. For the Word files, which have no CSS."""
    if not text:
        return ""
    text = _LONE_LETTER.sub("\\1\u00a0", text)
    return _COMPOUND.sub(lambda m: m.group().replace("-", NB_HYPHEN), text)
