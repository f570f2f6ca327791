"""What the web edition's pages use besides themselves: fonts, images, stylesheets.

- Fonts: the vendored faces subset to the characters of the edition and of the site's
  own words (faces.subset_bytes, as the booklet and the Word files do), as WOFF2 when
  fontTools can write it (it needs brotli), else as TrueType. Brotli runs at quality 9
  and the glyf table is stored untransformed: 0.04 s a face instead of 0.5 s, for files
  some 15 % larger than the smallest WOFF2 (still half a TrueType subset).
- Images: each raster image a fiche shows, resized with Pillow to a few widths (the
  layout's `image_widths`, capped at the original's), EXIF orientation applied, no
  metadata kept, fixed encoder settings: JPEG for photographs, PNG for what has
  transparency or came as PNG or GIF. SVG is not served (a drawing can hold scripts, and
  the site is opened from the disk and from web servers alike): its alt text stands in.
- tokens.css: the layout's colours and typefaces as CSS custom properties, each colour
  that carries text made to reach WCAG AA (colours.py), with the @font-face rules.

Every function here is pure: the same inputs give the same bytes. Callers cache them
(generator.cache) by the sha256 of what they are made from.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

from generator import colours

try:  # WOFF2 needs brotli; without it the site serves TrueType
    import brotli as _brotli
    from fontTools.ttLib import woff2 as _woff2
except ImportError:  # pragma: no cover - depends on the machine
    _brotli = None

FONT_FORMAT = "woff2" if _brotli is not None else "ttf"
FONT_MIME = {"woff2": "woff2", "ttf": "truetype"}
# Bumped when the bytes these functions make change for the same inputs.
VERSION = "web-assets 1"


# fonts --------------------------------------------------------------------------------

def font_name(face) -> str:
    """fonts/Lato-Bold.woff2 for Lato-Bold.ttf."""
    return f"fonts/{Path(face.file).stem}.{FONT_FORMAT}"


class _Brotli9:
    """brotli as fontTools' WOFF2 writer sees it, at quality 9."""

    MODE_FONT = getattr(_brotli, "MODE_FONT", 2)

    @staticmethod
    def compress(data, mode=MODE_FONT, **_):
        return _brotli.compress(data, mode=mode, quality=9)

    def __getattr__(self, name):
        return getattr(_brotli, name)


def web_font(ttf: bytes) -> bytes:
    """A subset face (TrueType bytes) as the site serves it: WOFF2, or as it is."""
    if _brotli is None:
        return ttf
    out = io.BytesIO()
    with _quality_nine():
        _woff2.compress(io.BytesIO(ttf), out, transform_tables=())
    return out.getvalue()


@contextlib.contextmanager
def _quality_nine():
    saved = getattr(_woff2, "brotli", None)
    _woff2.brotli = _Brotli9()
    try:
        yield
    finally:
        _woff2.brotli = saved


# images -------------------------------------------------------------------------------

def image_kind(path: Path) -> tuple[str, int, int] | None:
    """(extension served, width, height) of a raster image, from its header; None for
    what the site does not serve (SVG, or a file Pillow cannot read)."""
    from PIL import Image

    if path.suffix.lower() == ".svg":
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                width, height = im.size
                alpha = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
                ext = "jpg" if im.format in ("JPEG", "MPO") or (im.format == "WEBP" and not alpha) else "png"
                orientation = im.getexif().get(0x0112, 1) if im.format in ("JPEG", "MPO", "WEBP", "TIFF") else 1
    except Exception:  # noqa: BLE001 - an unreadable image is left out, as a missing one
        return None
    if orientation in (5, 6, 7, 8):  # shown turned a quarter
        width, height = height, width
    return ext, width, height


def widths_for(original: int, wanted: tuple[int, ...]) -> tuple[int, ...]:
    """The widths the site serves an image at: those of `wanted` below the original's,
    and the original's own when it is no wider than the largest (a width within 20 % of
    it is left out: two copies of nearly one size cost a file and save nothing)."""
    if original > max(wanted):
        return tuple(sorted(set(wanted)))
    return tuple(sorted({w for w in wanted if w < 0.8 * original} | {original}))


def resized(data: bytes, width: int, ext: str) -> bytes:
    """`data` (an image file's bytes) at `width` pixels wide, as JPEG or PNG."""
    from PIL import Image, ImageOps

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as im:
            im.seek(0)  # the first frame of an animation
            icc = im.info.get("icc_profile")
            im = ImageOps.exif_transpose(im)
            if ext == "jpg":
                im = im.convert("RGB")
            elif im.mode not in ("RGB", "RGBA", "L", "LA"):
                im = im.convert("RGBA" if "transparency" in im.info or im.mode in ("PA", "P") else "RGB")
            if im.width != width:
                height = max(1, round(im.height * width / im.width))
                im = im.resize((width, height), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            extra = {"icc_profile": icc} if icc else {}
            if ext == "jpg":
                im.save(out, "JPEG", quality=82, optimize=True, progressive=False, subsampling="4:2:0", **extra)
            else:
                im.save(out, "PNG", optimize=False, compress_level=9, **extra)
    return out.getvalue()


# tokens -------------------------------------------------------------------------------

def tokens_css(design, site_faces: list, theme_colours: dict[str, str], theme_class: dict[str, str]) -> str:
    """assets/tokens.css: the print layout's design tokens as custom properties (--accent
    as printed, --accent-text legible on white; per theme --theme, --theme-text and
    --theme-ink, the ink for text on the theme colour; the typefaces' stacks, ending with
    the vendored fallback), and the @font-face rules of `site_faces`."""
    accent = design.colour("accent")
    cover = design.colour("cover_background") or accent
    lines = ["/* Made by Recueil from the layout's design tokens (layout.yaml): edit those, not this file. */"]
    for face in site_faces:
        lines.append(
            '@font-face { font-family: "%s"; src: url("../%s") format("%s"); font-weight: %d; font-style: %s; '
            "font-display: swap; }" % (face.css, font_name(face), FONT_MIME[FONT_FORMAT], face.weight,
                                       "italic" if face.italic else "normal"))
    paper, text = design.colour("paper"), design.colour("text")
    lines += [
        ":root {",
        f"  --ink: {colours.readable(text, paper)};",
        f"  --ink-soft: {colours.readable(design.colour('muted'), design.colour('background'))};",
        f"  --paper: {paper};",
        f"  --paper-warm: {design.colour('background')};",
        f"  --rule: {design.colour('rule')};",
        f"  --rule-strong: {design.colour('rule_strong')};",
        f"  --field-border: {colours.readable(design.colour('rule_strong'), paper, 3.0)};",
        f"  --highlight: {colours.mix(design.colour('accent'), paper, 0.15)};",
        f"  --print-ink: {colours.ink_on(paper)};",
        f"  --base-size: {design.values['base_size']};",
        f"  --accent: {accent};",
        f"  --accent-text: {colours.readable(accent)};",
        f"  --cover-background: {cover};",
        f"  --cover-ink: {colours.ink_on(cover)};",
        f"  --font-text: {design.stack('body')};",
        f"  --font-headings: {design.stack('heading')};",
        f"  --font-figures: {design.stack('figures')};",
        "}",
    ]
    for theme, colour in theme_colours.items():
        lines.append(f".{theme_class[theme]} {{ --theme: {colour}; --theme-text: {colours.readable(colour)}; "
                     f"--theme-ink: {colours.ink_on(colour)}; }}")
    return "\n".join(lines) + "\n"


def icon_svg(design) -> str:
    """assets/icon.svg, the site's icon: a page in the cover's colour, three lines of
    text in the ink that reads on it. Declared by every page, so that no browser asks a
    web server for /favicon.ico, outside the site."""
    cover = design.colour("cover_background") or design.colour("accent")
    ink = colours.ink_on(cover)
    return ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
            f'<rect width="32" height="32" rx="6" fill="{cover}"/>'
            f'<path d="M8 10h16M8 16h16M8 22h10" stroke="{ink}" stroke-width="3" stroke-linecap="round"/></svg>\n')
