"""Colours that stay legible: WCAG 2.2 contrast ratios, and the layout's colours
adjusted to reach AA where they alone would not.

A brand picks its accent and theme colours for their look; as text, the same colour may
be too light (an ochre such as #c48a12 gives 2.9:1 on white). Every output keeps each
colour where it is decoration (a rule, a dot, a band) and, where it carries text, uses
the colour darkened just enough (headings, links) or the ink, black or white, that reads
best on it (a chip, the banner).
"""

from __future__ import annotations

AA = 4.5  # normal text, WCAG 2.2 success criterion 1.4.3
SAFE = 4.6  # what the site aims at: a hair above AA, so that no checker's rounding fails it
INK = "#1a1a1a"  # the dark text of the site
PAPER = "#ffffff"


def rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(v))):02x}" for v in rgb)


def luminance(colour: str) -> float:
    """The relative luminance of an sRGB colour, as WCAG defines it."""
    def channel(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(v) for v in rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def ink_on(background: str) -> str:
    """The ink, white or INK, that reads best on `background`; black when neither reaches
    4.5:1 (on a mid-tone such as #2b8c9a: white or black always does)."""
    best = PAPER if contrast(PAPER, background) >= contrast(INK, background) else INK
    if contrast(best, background) >= SAFE:
        return best
    return PAPER if contrast(PAPER, background) >= contrast("#000000", background) else "#000000"


def readable(colour: str, background: str = PAPER, ratio: float = SAFE) -> str:
    """`colour` itself when it reaches `ratio` on `background`, else the same hue
    mixed with black (or white, on a dark background) just enough to reach it."""
    if contrast(colour, background) >= ratio:
        return _hex(rgb(colour))
    toward = (0, 0, 0) if luminance(background) > 0.18 else (255, 255, 255)
    base = rgb(colour)
    lo, hi = 0.0, 1.0  # how much of `toward` to mix in: the least that is enough
    for _ in range(20):
        mid = (lo + hi) / 2
        mixed = _hex(tuple(b + (t - b) * mid for b, t in zip(base, toward)))
        if contrast(mixed, background) >= ratio:
            hi = mid
        else:
            lo = mid
    return _hex(tuple(b + (t - b) * hi for b, t in zip(base, toward)))


def mix(a: str, b: str, share: float) -> str:
    """The colour `a` laid at opacity `share` over `b`, as #rrggbb."""
    ca, cb = rgb(a), rgb(b)
    return "#" + "".join(f"{round(x * share + y * (1 - share)):02x}" for x, y in zip(ca, cb))
