"""How each stage's time grows with what one fiche holds, up to the documented limits.

    python3 benchmarks/growth.py                        every family, every stage
    python3 benchmarks/growth.py label footnotes --stages read,pdf --repeat 3

For each family of inputs (a theme label's length, a partner name's length, footnotes,
table rows, headings, nesting depth, plain paragraphs), it writes a project holding one
fiche of each size, then times, in this process, each stage on it:

  read    read_project: the file, its YAML, its Markdown, French typography, checks
  index   make_edition + build_indexes: the sort keys of every index label
  html    the fiche's <article> for the booklet (render/html.py)
  docx    the fiche's Word file (render/word)
  pdf     the fiche's handout laid out and written by WeasyPrint (render/weasy.py)

and prints the time per size and the fitted exponent k of time ~ size^k (a least-squares
line through log time against log size, over the sizes from the third smallest on,
where fixed costs weigh least): k near 1 is linear, 2 quadratic. The best of `--repeat`
runs is kept; the machine may be shared.
"""

from __future__ import annotations

import argparse
import gc
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from generator.read import limits  # noqa: E402

STAGES = ("read", "index", "html", "docx", "pdf")


def _front(themes=("Insertion",), partners=(), extra: str = "") -> str:
    quoted = lambda items: "[" + ", ".join('"' + s.replace('"', "'") + '"' for s in items) + "]"  # noqa: E731
    return ("---\ntitle: Une fiche\nsummary: Un chapô court.\n"
            f"themes: {quoted(themes)}\nterritory: Moulins\npartners: {quoted(partners)}\n{extra}---\n\n")


def _words(n: int) -> str:
    """n characters of French-looking words, accents included."""
    text = ("école été mot Œuvre long " * (n // 25 + 1))[:n]
    return text.strip() or "x"


def label(n: int) -> str:
    return _front(themes=[_words(n)]) + "Un paragraphe.\n"


def partner(n: int) -> str:
    return _front(partners=[_words(n)]) + "Un paragraphe.\n"


def footnotes(n: int) -> str:
    # Every call in one paragraph: the hardest case for a page's footnote area.
    calls = " ".join(f"mot[^{i}]" for i in range(n))
    return _front() + calls + "\n\n" + "".join(f"[^{i}]: Note {i}.\n" for i in range(n))


def table(n: int) -> str:
    rows = "".join(f"| ligne {i} | {i * 7} | texte |\n" for i in range(n))
    return _front() + "| a | b | c |\n|---|--:|---|\n" + rows


def headings(n: int) -> str:
    return _front() + "".join(f"## Partie {i}\n\nUn paragraphe de la partie {i}.\n\n" for i in range(n))


def nesting(n: int) -> str:
    # Lists inside lists, each item with some emphasis: n levels deep in all.
    lines = ["  " * i + f"- niveau {i} *un* **peu**" for i in range(n - 1)]
    return _front() + "\n".join(lines) + "\n"


def paragraphs(n: int) -> str:
    return _front() + "".join(f"Le paragraphe {i} dit ce qu'il a à dire, sans plus.\n\n" for i in range(n))


FAMILIES = {
    # name: (make, sizes up to the limit, unit)
    "label": (label, [12, 25, 50, 100, 200], "characters"),
    "partner": (partner, [12, 25, 50, 100, 200], "characters"),
    "footnotes": (footnotes, [6, 12, 25, 50, 100], "footnotes"),
    "table": (table, [62, 125, 250, 500, 1000], "rows"),
    "headings": (headings, [25, 50, 100, 200, 400], "headings"),
    "nesting": (nesting, [2, 4, 8, 16, 20], "levels"),
    "paragraphs": (paragraphs, [50, 100, 200, 400, 800], "paragraphs"),
}


def _check_sizes() -> None:
    """The families stop at the limits Recueil documents (read/limits.py)."""
    assert FAMILIES["label"][1][-1] <= limits.MAX_LABEL
    assert FAMILIES["partner"][1][-1] <= limits.MAX_LABEL
    assert FAMILIES["footnotes"][1][-1] <= limits.MAX_FOOTNOTES
    assert FAMILIES["nesting"][1][-1] <= limits.MAX_MARKDOWN_NESTING
    assert FAMILIES["table"][1][-1] <= limits.MAX_TABLE_ROWS


class Stages:
    """The stages of a build on one project, each timed on its own."""

    def __init__(self, root: Path, out: Path):
        from generator.cache import Cache
        from generator.context import (
            BuildContext,
            BuildOptions,
            FetchRules,
            build_epoch,
        )
        from generator.diagnostics import Report
        from generator.paths import builtin_fonts
        from generator.pool import Pool

        self.root, self.out = root, out
        self.report = Report()
        self._Cache, self._BuildContext, self._BuildOptions = Cache, BuildContext, BuildOptions
        self._FetchRules, self._build_epoch, self._fonts, self._Pool = FetchRules, build_epoch, builtin_fonts, Pool
        self.project = self.edition = None

    def read(self):
        from generator.read.project import read_project

        self.project = read_project(self.root, self.report)
        if self.project is None:
            raise SystemExit("\n".join(str(d) for d in self.report.items))

    def index(self):
        from generator.edition.indexes import build_indexes
        from generator.edition.select import make_edition

        self.edition = make_edition(self.project, [], self.report)
        build_indexes(self.edition)

    def _layout(self, name: str):
        from generator.read import layouts

        return layouts.load_layout(self.project, name)

    def html(self):
        from generator.render import html as H

        layout = self._layout(self.project.publication.layout)
        ctx = H.make_context(self.edition, layout)
        H.fiche_html(self.edition.fiches[0], ctx)

    def docx(self):
        from generator.render.word import prepare_docx, render_fiche_docx

        layout = self._layout(self.project.publication.layout)
        reference, fonts = prepare_docx(self.edition, layout)
        render_fiche_docx(self.edition.fiches[0], self.edition, reference, fonts)

    def pdf(self):
        from generator.render.handout import handout_job
        from generator.render.weasy import render

        layout = self._layout("handout")
        fetch = self._FetchRules.of(self.project.root, [*layout.dirs, self._fonts()], False)
        ctx = self._BuildContext(self._BuildOptions(out=self.out, jobs=1), self._build_epoch(None), None,
                                 self._Cache(None), self._Pool(1), fetch, self.report)
        render(handout_job(self.edition.fiches[0], self.edition, layout, ctx))


def measure(family: str, stages: list[str], repeat: int, tmp: Path) -> dict[str, list[tuple[int, float]]]:
    make, sizes, _ = FAMILIES[family]
    found: dict[str, list[tuple[int, float]]] = {s: [] for s in stages}
    for size in sizes:
        root = tmp / f"{family}-{size}"
        (root / "fiches").mkdir(parents=True, exist_ok=True)
        (root / "fiches" / "a.md").write_text(make(size), encoding="utf-8")
        best = {s: math.inf for s in stages}
        for _ in range(repeat):
            run = Stages(root, tmp / "out")
            for stage in STAGES:  # every stage runs, so the later ones have what they need
                if stage not in stages and stage not in ("read", "index"):
                    continue
                gc.collect()  # a collection owed by an earlier stage is not this one's
                start = time.perf_counter()
                getattr(run, stage)()
                if stage in stages:
                    best[stage] = min(best[stage], time.perf_counter() - start)
        for s in stages:
            found[s].append((size, best[s]))
    return found


def sort_keys(repeat: int) -> list[tuple[int, float]]:
    """An index label's sort key alone, far beyond the label limit: the step that was
    quadratic (pyuca), now linear whatever the length."""
    from generator.edition.indexes import collation_key

    found = []
    for n in (10_000, 40_000, 160_000, 640_000):
        text = ("École Œuvre été " * (n // 16 + 1))[:n]
        best = math.inf
        for _ in range(repeat):
            gc.collect()
            start = time.perf_counter()
            collation_key(text)
            best = min(best, time.perf_counter() - start)
        found.append((n, best))
    return found


def exponent(points: list[tuple[int, float]]) -> float:
    """The slope of log(time) against log(size), from the third smallest size on."""
    pts = [(math.log(n), math.log(max(t, 1e-6))) for n, t in points[2:] if n > 0] or \
          [(math.log(n), math.log(max(t, 1e-6))) for n, t in points]
    if len(pts) < 2:
        return float("nan")
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / den if den else float("nan")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("families", nargs="*", default=list(FAMILIES), help=", ".join(FAMILIES))
    parser.add_argument("--stages", default=",".join(STAGES), help="comma-separated among " + ", ".join(STAGES))
    parser.add_argument("--repeat", type=int, default=2, help="runs per size; the best is kept (default 2)")
    args = parser.parse_args(argv)
    _check_sizes()
    stages = [s for s in args.stages.split(",") if s]
    unknown = [f for f in args.families if f not in FAMILIES] + [s for s in stages if s not in STAGES]
    if unknown:
        parser.error(f"unknown: {', '.join(unknown)}")
    tmp = Path(tempfile.mkdtemp(prefix="recueil-growth-"))
    try:
        if "label" in args.families:
            points = sort_keys(max(1, args.repeat))
            print("\nsort key of one label, beyond the limit (characters)")
            print("  " + " " * 6 + "".join(f"{n:>10}" for n, _ in points) + "   exponent")
            print("  " + f"{'key':<6}" + "".join(f"{t * 1000:>8.1f}ms" for _, t in points) + f"   {exponent(points):6.2f}")
        for family in args.families:
            found = measure(family, stages, max(1, args.repeat), tmp)
            unit = FAMILIES[family][2]
            print(f"\n{family} ({unit})")
            sizes = [n for n, _ in next(iter(found.values()))]
            print(f"  {'stage':<6}" + "".join(f"{n:>10}" for n in sizes) + "   exponent")
            for stage, points in found.items():
                cells = "".join(f"{t * 1000:>8.1f}ms" for _, t in points)
                print(f"  {stage:<6}{cells}   {exponent(points):6.2f}")
            sys.stdout.flush()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

