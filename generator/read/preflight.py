"""Preflight: what would print badly, found before anything is printed (`recueil check`).

None of this stops a build: a blurry photo is the editor's call. (A missing alt text is
an error of the reader's: the PDFs promise accessibility.)
Each problem is a warning naming the fiche file and the line to fix.

Layout settings read (all optional, from the layout's layout.yaml):
  text_width_mm          the width an image is printed at, at most (the text block);
                         default by page size: A4 170 mm, A5 120 mm
  min_image_dpi          below this, a photo looks soft in print (default 300)
  running_header_chars   the longest title the running header holds (default 80)
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image as PILImage

from generator.diagnostics import Report
from generator.i18n import _, n_
from generator.model import Fiche, Project

TEXT_WIDTH_MM = {"A4": 170.0, "A5": 120.0}
MIN_DPI = 300
HEADER_CHARS = 80
_VECTOR = {".svg", ".svgz", ".pdf", ".eps"}


def preflight(project: Project, layout_settings: dict, report: Report) -> None:
    """Add to `report` a warning for every print problem found in the project's fiches."""
    settings = layout_settings or {}
    page_size = str(project.publication.page_size or "A4").upper()
    width_mm = float(settings.get("text_width_mm") or TEXT_WIDTH_MM.get(page_size, TEXT_WIDTH_MM["A4"]))
    min_dpi = float(settings.get("min_image_dpi") or MIN_DPI)
    header_chars = int(settings.get("running_header_chars") or HEADER_CHARS)
    registry = _registry(project)
    sizes: dict[Path, tuple[int, int] | None] = {}  # an image used twice is opened once
    for fiche in project.fiches:
        _check_title(fiche, header_chars, report)
        _check_images(fiche, width_mm, min_dpi, sizes, report)
        if registry is not None:
            _check_partners(fiche, registry, report)


def _registry(project: Project) -> set[str] | None:
    # Without partners.yaml, any name is fine: there is nothing to compare against.
    if project.partners_raw is None and not project.partners:
        return None
    names = set()
    for p in project.partners:
        names.add(p.name.casefold())
        names.update(a.casefold() for a in p.aliases)
    return names


def _check_title(fiche: Fiche, bound: int, report: Report) -> None:
    if len(fiche.title) > bound:
        report.warning(fiche.rel, fiche.lines.get("title"),
                       n_("title of {n} character: the running header holds about {bound}; "
                          "shorten it (the subtitle can carry the rest)",
                          "title of {n} characters: the running header holds about {bound}; "
                          "shorten it (the subtitle can carry the rest)", len(fiche.title), bound=bound))


def _check_partners(fiche: Fiche, registry: set[str], report: Report) -> None:
    for ref in fiche.partners:
        line = ref.line or fiche.lines.get("partners")
        if ref.name.casefold() not in registry and ref.given.casefold() not in registry:
            report.warning(fiche.rel, line,
                           _("partner '{name}' is not in partners.yaml: it is indexed as written; "
                             "add it, or one of its aliases, to partners.yaml", name=ref.given))


def _pixel_size(path: Path, cache: dict) -> tuple[int, int] | None:
    if path not in cache:
        try:
            # Image.open reads the header only; the pixels are never decoded here.
            with PILImage.open(path) as im:
                cache[path] = im.size
        except (OSError, ValueError, PILImage.DecompressionBombError):
            cache[path] = None  # unreadable images are the reader's error, not ours
    return cache[path]


def _check_images(fiche: Fiche, width_mm: float, min_dpi: float, cache: dict, report: Report) -> None:
    found: list[tuple[Path | None, str, int | None]] = []  # path, as written, line
    if fiche.image:
        found.append((fiche.image.path, fiche.image.rel, fiche.lines.get("image")))
    for node in fiche.body.walk():
        if node.type == "image":
            found.append((node.attrs.get("path"), node.attrs.get("src", ""), node.line))
    for path, shown, line in found:
        if path is None or Path(path).suffix.lower() in _VECTOR:
            continue
        size = _pixel_size(Path(path), cache)
        if size is None:
            continue
        dpi = size[0] / (width_mm / 25.4)
        if dpi < min_dpi:
            needed = round(min_dpi * width_mm / 25.4)
            shown_dpi, mm, lowest = f"{dpi:.0f}", f"{width_mm:g}", f"{min_dpi:g}"
            report.warning(fiche.rel, line,
                           n_("image '{src}' is {n} pixel wide: {dpi} dpi at the {mm} mm it is printed at, "
                              "below {min_dpi} dpi; print needs about {needed} pixels",
                              "image '{src}' is {n} pixels wide: {dpi} dpi at the {mm} mm it is printed at, "
                              "below {min_dpi} dpi; print needs about {needed} pixels", size[0], src=shown,
                              dpi=shown_dpi, mm=mm, min_dpi=lowest, needed=needed))


__all__ = ["preflight", "TEXT_WIDTH_MM", "MIN_DPI", "HEADER_CHARS"]
