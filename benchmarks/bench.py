"""Time and peak memory of a Recueil build, per stage, on a synthetic catalogue.

    python3 benchmarks/bench.py 100 500 1000 --runs 3

For each N it writes a deterministic catalogue of N fiches (tests/catalogue.py), then
measures, each `--runs` times, in a fresh process:
  - a full build (cache cleared), stage by stage;
  - a no-change rebuild, and a rebuild after a one-word edit of one fiche;
  - the naive baseline: WeasyPrint rendering the same booklet.html as one document;
  - the Word files alone (`--format docx`, no cache): the DOCX time per fiche.
Peak memory is the proportional set size (PSS, /proc/PID/smaps_rollup) summed over the
whole process tree (workers included), sampled every 50 ms: forked workers share pages
with their parent, and PSS counts a shared page once, where summing RSS would count it in
every process. Medians are reported; the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                found += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            continue
    return found


def tree_rss(pid: int) -> int:
    """Memory of `pid` and all its descendants (PSS, shared pages counted once), from
    /proc. Children come from /proc/PID/task/*/children, not from a scan of every
    process: the sampler runs beside the build and must cost it next to nothing."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += _pss(p)
        todo += _children(p)
    return total


class Sampler:
    """Samples the tree's memory in a thread; `peak` since the last `reset()`."""

    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, tree_rss(self.pid))

    def reset(self) -> int:
        peak, self.peak = self.peak, tree_rss(self.pid)
        return peak

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def child_build(project: str, out: str, formats: str, cache: bool) -> None:
    """Runs in a fresh process: one build, and a JSON line of per-stage time and memory."""
    from generator.build import BuildOptions, build
    from generator.context import Timings
    from generator.diagnostics import Report

    sampler = Sampler(os.getpid())
    results: dict[str, dict] = {}

    class Measured(Timings):
        @contextmanager
        def __call__(self, name):
            sampler.reset()
            with super().__call__(name):
                yield
            r = results.setdefault(name, {"seconds": 0.0, "peak_mib": 0.0})
            r["seconds"] = self.seconds[name]
            r["peak_mib"] = max(r["peak_mib"], sampler.reset() / 2**20)

    options = BuildOptions(out=Path(out), formats=tuple(formats.split(",")), cache=cache)
    start = time.perf_counter()
    build(Path(project), options, Report(), Measured())
    wall = time.perf_counter() - start
    peak = sampler.stop()
    booklet = sum(r["seconds"] for name, r in results.items() if name.startswith("booklet"))
    print(json.dumps({"wall": wall, "booklet_s": booklet, "peak_mib": max(peak / 2**20, *(r["peak_mib"] for r in results.values())),
                      "stages": results}))


def child_naive(html: str, pdf: str) -> None:
    from weasyprint import HTML

    sampler = Sampler(os.getpid())
    start = time.perf_counter()
    HTML(filename=html).write_pdf(pdf)
    wall = time.perf_counter() - start
    print(json.dumps({"wall": wall, "peak_mib": sampler.stop() / 2**20}))


def run_child(*args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, env=env)
    if proc.returncode:
        sys.exit(f"benchmark child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median(values):
    return statistics.median(values) if values else float("nan")


def bench(n: int, runs: int, formats: str, naive: bool, work: Path) -> dict:
    from tests.catalogue import make_catalogue

    project = work / f"catalogue-{n}"
    if project.exists():
        shutil.rmtree(project)
    make_catalogue(project, n)
    out = project / "output"
    full, nochange, edit, baseline, docx_only = [], [], [], [], []
    victim = sorted((project / "fiches").rglob("*.md"))[n // 2]
    original = victim.read_text(encoding="utf-8")
    for i in range(runs):
        shutil.rmtree(out, ignore_errors=True)
        full.append(run_child("build", str(project), str(out), formats, "1"))
        nochange.append(run_child("build", str(project), str(out), formats, "1"))
        victim.write_text(original.replace("\n\n", f"\n\nModification {i}.\n\n", 1), encoding="utf-8")
        edit.append(run_child("build", str(project), str(out), formats, "1"))
        victim.write_text(original, encoding="utf-8")
        if naive and "pdf" in formats:
            baseline.append(run_child("naive", str(out / "booklet.html"), str(work / "naive.pdf")))
        if "docx" in formats:  # Word files alone, from scratch: the DOCX target is per fiche, wall
            shutil.rmtree(work / "docx-only", ignore_errors=True)
            docx_only.append(run_child("build", str(project), str(work / "docx-only"), "docx", "0"))
    stages = sorted({s for r in full for s in r["stages"]}, key=list(full[0]["stages"]).index)
    row = {
        "fiches": n,
        "full_s": median([r["wall"] for r in full]),
        "full_peak_mib": median([r["peak_mib"] for r in full]),
        "booklet_s": median([r["booklet_s"] for r in full]),
        "runs": runs,
        "nochange_s": median([r["wall"] for r in nochange]),
        "edit_s": median([r["wall"] for r in edit]),
        "stages": {s: {"s": median([r["stages"][s]["seconds"] for r in full if s in r["stages"]]),
                       "peak_mib": median([r["stages"][s]["peak_mib"] for r in full if s in r["stages"]])}
                   for s in stages},
    }
    if baseline:
        row["naive_s"] = median([r["wall"] for r in baseline])
        row["naive_peak_mib"] = median([r["peak_mib"] for r in baseline])
        row["naive_size"] = (work / "naive.pdf").stat().st_size
    row["booklet_size"] = (out / "booklet.pdf").stat().st_size if (out / "booklet.pdf").exists() else None
    if docx_only:
        row["docx_ms_per_fiche"] = 1000 * median([r["wall"] for r in docx_only]) / n
    return row


def report(rows: list[dict]) -> str:
    lines = ["| fiches | runs | full build | of which booklet | peak memory | no-change rebuild | one-fiche edit "
             "| naive render | naive peak | naive / booklet time | peak / naive peak | booklet size / naive |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    nan = float("nan")
    for r in rows:
        size = f"{r['booklet_size'] / r['naive_size']:.2f}×" if r.get("naive_size") and r.get("booklet_size") else "–"
        lines.append(
            f"| {r['fiches']} | {r['runs']} | {r['full_s']:.1f} s | {r['booklet_s']:.1f} s | {r['full_peak_mib']:.0f} MiB "
            f"| {r['nochange_s']:.1f} s | {r['edit_s']:.1f} s | {r.get('naive_s', nan):.1f} s "
            f"| {r.get('naive_peak_mib', nan):.0f} MiB | {r.get('naive_s', nan) / r['booklet_s']:.2f}× "
            f"| {100 * r['full_peak_mib'] / r.get('naive_peak_mib', nan):.0f} % | {size} |")
    lines += ["", "Per stage (full build, median): seconds / peak MiB"]
    for r in rows:
        parts = ", ".join(f"{k} {v['s']:.2f} s / {v['peak_mib']:.0f} MiB" for k, v in r["stages"].items())
        extra = f"; DOCX alone {r['docx_ms_per_fiche']:.1f} ms per fiche" if "docx_ms_per_fiche" in r else ""
        lines.append(f"- {r['fiches']} fiches: {parts}{extra}")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, *args = sys.argv[2:]
        if kind == "build":
            child_build(args[0], args[1], args[2], args[3] == "1")
        else:
            child_naive(*args)
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 500, 1000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--runs-over", type=int, nargs=2, metavar=("N", "RUNS"),
                        help="fewer runs from N fiches up (e.g. --runs-over 1000 1)")
    parser.add_argument("--formats", default="pdf,docx")
    parser.add_argument("--no-naive", action="store_true", help="skip the single-document baseline")
    parser.add_argument("--work", type=Path, help="where to write catalogues (default: a temp folder)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="recueil-bench-"))
    rows = []
    for n in args.sizes:
        runs = args.runs_over[1] if args.runs_over and n >= args.runs_over[0] else args.runs
        rows.append(bench(n, runs, args.formats, not args.no_naive, work))
        print(json.dumps(rows[-1]), file=sys.stderr)
    print(report(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
