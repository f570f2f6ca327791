"""ISBN check digits, so that a typo in publication.yaml is caught before it is printed.

Both ISBN-10 (last digit may be X, weights 10..1, sum divisible by 11) and ISBN-13
(weights 1,3,1,3..., sum divisible by 10) are accepted, written with or without hyphens
or spaces, as publishers and the ISBN agency write them.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u00a0\u202f]")
_PREFIX = re.compile(r"^ISBN(?:-?1[03])?:?", re.I)


def normalize(s: str) -> str:
    """The digits (and a final X) of an ISBN, without prefix, hyphens or spaces."""
    s = _SEPARATORS.sub("", str(s).strip())
    return _PREFIX.sub("", s).upper()


def valid_isbn(s: str) -> bool:
    """Whether `s` is an ISBN-10 or ISBN-13 with a correct check digit."""
    digits = normalize(s)
    if re.fullmatch(r"\d{9}[\dX]", digits):
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(digits))
        return total % 11 == 0
    if re.fullmatch(r"97[89]\d{10}", digits):
        total = sum((3 if i % 2 else 1) * int(c) for i, c in enumerate(digits))
        return total % 10 == 0
    return False


def to_isbn13(s: str) -> str:
    """The ISBN-13 digits of a valid ISBN-10 or ISBN-13 (a barcode is always EAN-13)."""
    digits = normalize(s)
    if len(digits) == 13:
        return digits
    core = "978" + digits[:9]
    check = (10 - sum((3 if i % 2 else 1) * int(c) for i, c in enumerate(core)) % 10) % 10
    return core + str(check)


def format(s: str) -> str:  # noqa: A001 - the name the brief and callers use
    """The ISBN as printed on a colophon: « ISBN 978-2-1234-5680-3 ».

    Hyphen positions depend on registration-group ranges that change over time; the
    hyphens the user wrote are kept when there are some, otherwise the EAN prefix and the
    check digit are set apart, which is always correct.
    """
    written = _PREFIX.sub("", str(s).strip()).strip()
    if re.search(r"[-\u2010\u2011 ]", written):
        return "ISBN " + re.sub(r"[\s\u2010\u2011\u00a0\u202f]+|-", "-", written).upper()
    digits = normalize(s)
    if len(digits) == 13:
        return f"ISBN {digits[:3]}-{digits[3:12]}-{digits[12]}"
    return f"ISBN {digits[:9]}-{digits[9]}"


__all__ = ["valid_isbn", "normalize", "to_isbn13", "format"]
