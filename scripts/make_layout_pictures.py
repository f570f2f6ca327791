"""The before and after pictures of docs/layouts.md, made by the build itself.

Builds the sample edition twice, as it is and restyled the way docs/layouts.md shows
(colours, a typeface, A5), and renders the same page of each to a small PNG in
docs/images/:

    python scripts/make_layout_pictures.py

Needs pdftoppm (poppler-utils).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PAGE = 3  # the first fiche
# What docs/layouts.md's steps add to a project's layouts/brochure/layout.yaml.
RESTYLED = """\
design:
  accent: "#b5452c"
  text: "#2a2420"
  background: "#f6eee6"
  palette: ["#b5452c", "#2e7d4f", "#8a5a9e", "#c48a12", "#2b8c9a"]
  body_font: Lato
  heading_font: Vollkorn
  figures_font: Vollkorn
  page_size: A5
"""


def build(project: Path, out: Path) -> Path:
    subprocess.run([sys.executable, "-m", "generator", "build", str(project), "--out", str(out),
                    "--format", "pdf", "--no-cache"], check=True, cwd=REPO)
    return out / "booklet.pdf"


def picture(pdf: Path, target: Path, dpi: int) -> None:
    stem = target.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(PAGE), "-l", str(PAGE), "-singlefile",
                    str(pdf), str(stem)], check=True)
    print(target)


def main() -> int:
    images = REPO / "docs" / "images"
    images.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "projet"
        project.mkdir()
        for name in ("publication.yaml", "partners.yaml"):
            shutil.copy(REPO / name, project / name)
        shutil.copytree(REPO / "fiches", project / "fiches")
        picture(build(project, Path(tmp) / "before"), images / "layout-before.png", 40)
        (project / "layouts" / "brochure").mkdir(parents=True)
        (project / "layouts" / "brochure" / "layout.yaml").write_text(RESTYLED, encoding="utf-8")
        picture(build(project, Path(tmp) / "after"), images / "layout-after.png", 57)  # A5 at the same size
    return 0


if __name__ == "__main__":
    sys.exit(main())
