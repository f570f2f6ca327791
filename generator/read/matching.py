"""How names are compared: ids, partner aliases, --select values."""

from __future__ import annotations

import unicodedata

_SPACES = {"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\t": " "}
_QUOTES = {"’": "'", "‘": "'", "ʼ": "'", "`": "'"}
_DASHES = {"-": " ", "‐": " ", "‑": " ", "–": " ", "—": " "}
_SAME = str.maketrans({**_SPACES, **_QUOTES, **_DASHES})


def fold(text: str) -> str:
    """A comparison key that ignores case, accents, apostrophe style and extra spaces,
    so that « Ile de France », « île-de-france » and « Île-de-France » match."""
    text = unicodedata.normalize("NFKD", text)
    # Each fiche's paragraphs are folded (read/fiche.py's placeholders): the accents
    # dropped and the rest mapped in one pass over the text, by the text's own marks.
    marks = {ord(c): None for c in set(text) if unicodedata.combining(c)}
    text = text.translate({**_SAME, **marks} if marks else _SAME)
    return " ".join(text.casefold().split())


def id_key(fiche_id: str) -> str:
    """Fiche ids are compared ignoring case only: « Ecole » and « école » are two fiches."""
    return unicodedata.normalize("NFC", fiche_id).casefold()
