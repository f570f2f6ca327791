"""Characters a fiche's text may not carry: invisible controls (pasted from terminals and
e-mails) and bidirectional controls (U+202A–U+202E, U+2066–U+2069), which make text
display in another order than it is written: « Évil \u202egnp.exe » shows as « Évil exe.png ».

They are removed wherever they come from — the file's bytes, a YAML escape such as
"\\x07" or "\\u202e", a Markdown entity such as &#x202E; — with a warning naming the line.
Tabs and line ends are text, not controls.
"""

from __future__ import annotations

import re

from generator.i18n import _, n_

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
UNWANTED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> tuple[str, list[str]]:
    """`text` without unwanted characters, and those it held (sorted, once each)."""
    found = sorted(set(UNWANTED.findall(text)))
    return (UNWANTED.sub("", text), found) if found else (text, [])


def removed(found: list[str]) -> str:
    """The warning for characters `clean` removed."""
    def names(chars):
        return ", ".join(f"U+{ord(c):04X}" for c in chars)

    controls = [c for c in found if CONTROL.match(c)]
    bidi = [c for c in found if BIDI.match(c)]
    parts = []
    if controls:
        parts.append(n_("invisible control character {chars} removed", "invisible control characters {chars} removed",
                        len(controls), chars=names(controls)))
    if bidi:
        parts.append(n_("bidirectional control character {chars} removed (it makes text display in another order "
                        "than it is written)",
                        "bidirectional control characters {chars} removed (they make text display in another "
                        "order than it is written)", len(bidi), chars=names(bidi)))
    return _("{first}; {second}", first=parts[0], second=parts[1]) if len(parts) == 2 else "".join(parts)
