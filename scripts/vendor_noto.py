"""Vendor the fallback typefaces: Noto, subset to the scripts Recueil's users meet.

A character that the edition's own typefaces lack is drawn from these (see
generator/design.py, FALLBACK), never from a font the machine happens to have. They
come from Debian's fonts-noto-core (SIL Open Font License 1.1, kept in
fonts/Noto-LICENSE.txt), cut to the Unicode blocks below, without hinting, to keep the
repository lean:

    apt-get download fonts-noto-core && dpkg-deb -x fonts-noto-core_*.deb noto
    python scripts/vendor_noto.py noto/usr/share/fonts/truetype/noto

The output depends only on the input files and HarfBuzz's version.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from generator.render.faces import subset_bytes  # noqa: E402

LATIN_GREEK_CYRILLIC = [(0x0020, 0x052F), (0x1AB0, 0x1AFF), (0x1D00, 0x1DBF), (0x1E00, 0x1FFF),
                        (0x2000, 0x20CF), (0x2100, 0x218F), (0x2C60, 0x2C7F), (0x2DE0, 0x2DFF),
                        (0xA640, 0xA69F), (0xA720, 0xA7FF), (0xFB00, 0xFB06), (0xFFFC, 0xFFFD)]
ARABIC = [(0x0020, 0x0040), (0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF),
          (0xFE70, 0xFEFF), (0x200C, 0x200F), (0x2010, 0x2027)]
HEBREW = [(0x0020, 0x0040), (0x0590, 0x05FF), (0xFB1D, 0xFB4F), (0x200C, 0x200F), (0x2010, 0x2027)]
SYMBOLS = [(0x2190, 0x21FF), (0x2300, 0x23FF), (0x2460, 0x24FF), (0x2500, 0x27BF), (0x27F0, 0x27FF),
           (0x2900, 0x297F), (0x2B00, 0x2BFF)]
MATH = [(0x2200, 0x22FF), (0x27C0, 0x27EF), (0x2980, 0x2AFF), (0x2100, 0x214F)]

FILES = {
    **{f"NotoSans-{s}.ttf": LATIN_GREEK_CYRILLIC for s in ("Regular", "Bold", "Italic", "BoldItalic")},
    **{f"NotoSerif-{s}.ttf": LATIN_GREEK_CYRILLIC for s in ("Regular", "Bold", "Italic", "BoldItalic")},
    "NotoSansArabic-Regular.ttf": ARABIC, "NotoSansArabic-Bold.ttf": ARABIC,
    "NotoSansHebrew-Regular.ttf": HEBREW, "NotoSansHebrew-Bold.ttf": HEBREW,
    "NotoSansSymbols-Regular.ttf": SYMBOLS, "NotoSansSymbols2-Regular.ttf": SYMBOLS,
    "NotoSansMath-Regular.ttf": MATH,
}


def main(argv: list[str]) -> int:
    source = Path(argv[1])
    target = REPO / "fonts"
    for name, blocks in FILES.items():
        unicodes = [c for first, last in blocks for c in range(first, last + 1)]
        data = subset_bytes((source / name).read_bytes(), unicodes=unicodes, hinting=False)
        (target / name).write_bytes(data)
        print(f"{name}: {len(data) // 1024} KiB")
    copyright_file = source.parent.parent.parent / "doc" / "fonts-noto-core" / "copyright"
    if copyright_file.is_file():
        text = copyright_file.read_bytes()
        if text[:2] == b"\x1f\x8b":
            text = gzip.decompress(text)
        (target / "Noto-LICENSE.txt").write_bytes(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
