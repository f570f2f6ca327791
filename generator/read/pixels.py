"""How many pixels an image file claims, read from its header: the reader checks the
fiches' images with it and the fetcher every image a render asks for. Kept apart from
fetcher.py so that reading a project does not import WeasyPrint."""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

# A few kilobytes of PNG can claim a gigapixel: decoding it would exhaust memory. 50
# megapixels is an A3 page at 600 dpi, more than any print needs.
MAX_PIXELS = 50_000_000


def pixel_count(data: bytes | Path) -> int | None:
    """Width x height of a raster image (its bytes, or a file, of which only the header
    is read), without decoding the pixels; None for what Pillow does not take as an
    image (SVG, text...)."""
    from PIL import Image  # WeasyPrint's own dependency

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as image:
                width, height = image.size
    except Image.DecompressionBombError as bomb:
        # Pillow refuses to open it at all past twice its own limit; the size is in
        # the message, and "huge" is all that matters here anyway.
        found = re.search(r"\((\d+) pixels\)", str(bomb))
        return int(found[1]) if found else 2 * Image.MAX_IMAGE_PIXELS
    except Exception:  # noqa: BLE001 - any unreadable header: not ours to judge here
        return None
    return width * height
