"""Dates as the edition prints them: « mars 2027 », « 1er mai 2026 », « 14 novembre
2025 » in French, « 14 November 2025 » in English: never the ISO form a fiche is
written in."""

from __future__ import annotations

from generator.read.typography import NBSP


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
