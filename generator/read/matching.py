"""How names are compared: ids, partner aliases, --select values."""

from __future__ import annotations

import unicodedata

_SPACES = {"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\t": " "}
_QUOTES = {"’": "'", "‘": "'", "ʼ": "'", "`": "'"}
_DASHES = {"-": " ", "‐": " ", "‑": " ", "–": " ", "—": " "}


def fold(text: str) -> str:
    """A comparison key that ignores case, accents, apostrophe style and extra spaces,
    so that « Ile de France », « île-de-france » and « Île-de-France » match."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = "".join(_QUOTES.get(c) or _SPACES.get(c) or _DASHES.get(c) or c for c in text)
    return " ".join(text.casefold().split())


def id_key(fiche_id: str) -> str:
    """Fiche ids are compared ignoring case only: « Ecole » and « école » are two fiches."""
    return unicodedata.normalize("NFC", fiche_id).casefold()
