"""Time and peak memory of a Recueil build, per stage, on a synthetic catalogue.

    python3 benchmarks/bench.py 100 500 1000 --runs 3
    python3 benchmarks/bench.py 150 500 --shape standard varied --compare fac23a1 --archive

For each N (and each `--shape` of catalogue: tests/catalogue.py's "standard", or
"varied": fiches from one paragraph to ten pages, one to six themes, 220 partners) it
writes a deterministic catalogue of N fiches, then measures, each `--runs` times, in a
fresh process, the runs of the variants interleaved (the machine drifts):
  - a full build (cache cleared), stage by stage;
  - with `--compare REV`: the same full build by the code of git revision REV
    (exported into the work folder), e.g. the last untagged booklet;
  - with `--archive`: the same full build with --archive (PDF/A-3a + PDF/UA-1);
  - a no-change rebuild, and a rebuild after a one-word edit of one fiche;
  - the naive baseline: WeasyPrint rendering the same booklet.html as one document;
    with `--naive-tagged`, also tagged (PDF/UA-1, as WeasyPrint tags one document): the
    single-document render of what the booklet now is;
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
import resource
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


# Not generator.pool.process_tree: a child of this benchmark imports the Recueil it
# measures, which may be an older revision (--compare), so this file imports none.
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
    """Samples the tree's memory in a thread, with the time of each sample.

    A sample costs the kernel a walk of every process's page tables (milliseconds for a
    few hundred MiB), and the processes wait on it. The pause after a sample is 20
    times what it cost (at least 50 ms), so the sampler takes at most 5 % of a core
    whatever the build's size; and the build never waits on a sample: a stage's peak
    is read from the samples taken while it ran (sampled at each stage's start and end,
    in the build's own thread, a one-fiche edit took a tenth longer)."""

    def __init__(self, pid: int):
        self.pid, self.samples, self._stop = pid, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        pause = 0.0
        while not self._stop.wait(pause):
            started = time.perf_counter()
            self.samples.append((started, tree_rss(self.pid)))
            pause = max(0.05, 20 * (time.perf_counter() - started))

    def stop(self) -> int:
        """Stop sampling; the peak of the whole run."""
        self._stop.set()
        self._thread.join()
        return max((v for _, v in self.samples), default=0)

    def peak(self, start: float, end: float) -> int:
        """The peak of the samples taken between `start` and `end`; for a stage shorter
        than a pause, the larger of the samples just before and just after it."""
        inside = [v for t, v in self.samples if start <= t <= end]
        if inside:
            return max(inside)
        before = [v for t, v in self.samples if t < start][-1:]
        after = [v for t, v in self.samples if t > end][:1]
        return max(before + after, default=0)


def child_build(project: str, out: str, formats: str, cache: bool, archive: bool = False) -> None:
    """Runs in a fresh process: one build, and a JSON line of per-stage time and memory."""
    from generator.build import BuildOptions, build
    from generator.context import Timings
    from generator.diagnostics import Report

    sampler = Sampler(os.getpid())
    spans: dict[str, list[tuple[float, float]]] = {}

    class Measured(Timings):
        @contextmanager
        def __call__(self, name):
            start = time.perf_counter()
            with super().__call__(name):
                yield
            spans.setdefault(name, []).append((start, time.perf_counter()))

    options = BuildOptions(out=Path(out), formats=tuple(formats.split(",")), cache=cache, archive=archive)
    timings = Measured()
    start = time.perf_counter()
    build(Path(project), options, Report(), timings)
    wall = time.perf_counter() - start
    peak = sampler.stop()
    results = {name: {"seconds": timings.seconds[name],
                      "peak_mib": max(sampler.peak(a, b) for a, b in spans[name]) / 2**20} for name in spans}
    booklet = sum(r["seconds"] for name, r in results.items() if name.startswith("booklet"))
    # CPU time of the build and its workers (reaped when the build closed its pool): on a
    # shared machine, steadier than the wall clock.
    me, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime + workers.ru_utime + workers.ru_stime
    print(json.dumps({"wall": wall, "cpu": cpu, "booklet_s": booklet, "peak_mib": peak / 2**20,
                      "stages": results}))


def child_naive(html: str, pdf: str, tagged: str = "") -> None:
    from weasyprint import HTML

    sampler = Sampler(os.getpid())
    start = time.perf_counter()
    HTML(filename=html).write_pdf(pdf, **({"pdf_variant": "pdf/ua-1"} if tagged else {}))
    wall = time.perf_counter() - start
    print(json.dumps({"wall": wall, "peak_mib": sampler.stop() / 2**20}))


def run_child(*args: str, code: Path = REPO) -> dict:
    """One measurement in a fresh process, running the Recueil of the folder `code`.
    The child's temporary files go into a folder removed after it: the builds of older
    revisions (fac23a1) leave WeasyPrint's copies of the fonts in /tmp, one folder a
    worker."""
    with tempfile.TemporaryDirectory(prefix="recueil-bench-") as tmp:
        env = {**os.environ, "PYTHONPATH": str(code), "TMPDIR": tmp}
        proc = subprocess.run([sys.executable, __file__, "--child", str(code), *args], capture_output=True,
                              text=True, env=env)
    if proc.returncode:
        sys.exit(f"benchmark child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median(values):
    return statistics.median(values) if values else float("nan")


def export(rev: str, work: Path) -> Path:
    """The code of git revision `rev`, exported (not checked out: no worktree is touched)."""
    target = work / f"code-{rev}"
    if not target.exists():
        target.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def bench(n: int, runs: int, formats: str, naive: bool, work: Path, shape: str = "standard",
          baseline: Path | None = None, archive: bool = False, naive_tagged: bool = False) -> dict:
    from tests.catalogue import make_catalogue

    project = work / f"catalogue-{shape}-{n}"
    if project.exists():
        shutil.rmtree(project)
    make_catalogue(project, n, shape=shape)
    out = project / "output"
    full, nochange, edit, baseline_runs, docx_only = [], [], [], [], []
    untagged, archived, tagged_naive = [], [], []
    victim = sorted((project / "fiches").rglob("*.md"))[n // 2]
    original = victim.read_text(encoding="utf-8")
    for i in range(runs):
        if baseline is not None:  # the variants first, each from scratch, the runs interleaved
            shutil.rmtree(work / "out-baseline", ignore_errors=True)
            untagged.append(run_child("build", str(project), str(work / "out-baseline"), formats, "1", code=baseline))
        if archive:
            shutil.rmtree(work / "out-archive", ignore_errors=True)
            archived.append(run_child("build", str(project), str(work / "out-archive"), formats, "1", "archive"))
        shutil.rmtree(out, ignore_errors=True)
        full.append(run_child("build", str(project), str(out), formats, "1"))
        nochange.append(run_child("build", str(project), str(out), formats, "1"))
        victim.write_text(original.replace("\n\n", f"\n\nModification {i}.\n\n", 1), encoding="utf-8")
        edit.append(run_child("build", str(project), str(out), formats, "1"))
        victim.write_text(original, encoding="utf-8")
        if naive and "pdf" in formats:
            baseline_runs.append(run_child("naive", str(out / "booklet.html"), str(work / "naive.pdf")))
            if naive_tagged:
                tagged_naive.append(run_child("naive", str(out / "booklet.html"), str(work / "naive-ua.pdf"), "1"))
        if "docx" in formats:  # Word files alone, from scratch: the DOCX target is per fiche, wall
            shutil.rmtree(work / "docx-only", ignore_errors=True)
            docx_only.append(run_child("build", str(project), str(work / "docx-only"), "docx", "0"))
    stages = sorted({s for r in full for s in r["stages"]}, key=list(full[0]["stages"]).index)
    row = {
        "shape": shape,
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
        "all": {"full": full, "untagged": untagged, "archive": archived, "nochange": nochange, "edit": edit},
    }
    row["full_cpu_s"] = median([r.get("cpu", float("nan")) for r in full])
    for name, results in (("untagged", untagged), ("archive", archived)):
        if results:
            row[f"{name}_cpu_s"] = median([r.get("cpu", float("nan")) for r in results])
            row[f"{name}_full_s"] = median([r["wall"] for r in results])
            row[f"{name}_booklet_s"] = median([r["booklet_s"] for r in results])
            row[f"{name}_peak_mib"] = median([r["peak_mib"] for r in results])
    if untagged:
        row["untagged_size"] = (work / "out-baseline" / "booklet.pdf").stat().st_size
    if archived:
        row["archive_size"] = (work / "out-archive" / "booklet.pdf").stat().st_size
    if baseline_runs:
        row["naive_s"] = median([r["wall"] for r in baseline_runs])
        row["naive_peak_mib"] = median([r["peak_mib"] for r in baseline_runs])
        row["naive_size"] = (work / "naive.pdf").stat().st_size
    if tagged_naive:
        row["naive_tagged_s"] = median([r["wall"] for r in tagged_naive])
        row["naive_tagged_peak_mib"] = median([r["peak_mib"] for r in tagged_naive])
    row["booklet_size"] = (out / "booklet.pdf").stat().st_size if (out / "booklet.pdf").exists() else None
    if docx_only:
        row["docx_ms_per_fiche"] = 1000 * median([r["wall"] for r in docx_only]) / n
    return row


def report(rows: list[dict]) -> str:
    nan = float("nan")
    lines = ["| shape | fiches | runs | full build | of which booklet | peak memory | no-change rebuild | one-fiche edit "
             "| naive render | naive / booklet time | peak / naive peak |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['shape']} | {r['fiches']} | {r['runs']} | {r['full_s']:.1f} s | {r['booklet_s']:.1f} s "
            f"| {r['full_peak_mib']:.0f} MiB | {r['nochange_s']:.1f} s | {r['edit_s']:.1f} s "
            f"| {r.get('naive_s', nan):.1f} s | {r.get('naive_s', nan) / r['booklet_s']:.2f}× "
            f"| {100 * r['full_peak_mib'] / r.get('naive_peak_mib', nan):.0f} % |")
    if any("untagged_booklet_s" in r or "archive_booklet_s" in r for r in rows):
        lines += ["", "| shape | fiches | runs | booklet, tagged | untagged (baseline) | tagged / untagged "
                  "| CPU, tagged / untagged | peak, tagged | untagged | tagged / untagged | size, tagged / untagged "
                  "| archive booklet | archive / booklet | archive peak |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            ub, up = r.get("untagged_booklet_s", nan), r.get("untagged_peak_mib", nan)
            ab, ap = r.get("archive_booklet_s", nan), r.get("archive_peak_mib", nan)
            size = r["booklet_size"] / r["untagged_size"] if r.get("untagged_size") and r.get("booklet_size") else nan
            lines.append(
                f"| {r['shape']} | {r['fiches']} | {r['runs']} | {r['booklet_s']:.1f} s | {ub:.1f} s "
                f"| {r['booklet_s'] / ub:.2f}× | {r['full_cpu_s'] / r.get('untagged_cpu_s', nan):.2f}× "
                f"| {r['full_peak_mib']:.0f} MiB | {up:.0f} MiB "
                f"| {r['full_peak_mib'] / up:.2f}× | {size:.2f}× | {ab:.1f} s | {ab / r['booklet_s']:.2f}× "
                f"| {ap:.0f} MiB |")
    if any("naive_tagged_s" in r for r in rows):
        lines += ["", "| shape | fiches | runs | naive render, tagged (PDF/UA-1) | its peak "
                  "| naive tagged / booklet time | booklet peak / its peak |", "|---|---|---|---|---|---|---|"]
        for r in rows:
            t, p = r.get("naive_tagged_s", nan), r.get("naive_tagged_peak_mib", nan)
            lines.append(f"| {r['shape']} | {r['fiches']} | {r['runs']} | {t:.1f} s | {p:.0f} MiB "
                         f"| {t / r['booklet_s']:.2f}× | {100 * r['full_peak_mib'] / p:.0f} % |")
    lines += ["", "Per stage (full build, median): seconds / peak MiB"]
    for r in rows:
        parts = ", ".join(f"{k} {v['s']:.2f} s / {v['peak_mib']:.0f} MiB" for k, v in r["stages"].items())
        extra = f"; DOCX alone {r['docx_ms_per_fiche']:.1f} ms per fiche" if "docx_ms_per_fiche" in r else ""
        lines.append(f"- {r['shape']}, {r['fiches']} fiches: {parts}{extra}")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        code, kind, *args = sys.argv[2:]
        sys.path.insert(0, code)  # the Recueil measured: this one, or an exported revision
        if kind == "build":
            child_build(args[0], args[1], args[2], args[3] == "1", len(args) > 4 and args[4] == "archive")
        else:
            child_naive(*args)
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 500, 1000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--runs-over", type=int, nargs=2, metavar=("N", "RUNS"),
                        help="fewer runs from N fiches up (e.g. --runs-over 1000 1)")
    parser.add_argument("--formats", default="pdf,docx")
    parser.add_argument("--shape", nargs="+", default=["standard"], choices=["standard", "varied"],
                        help="the catalogues: tests/catalogue.py's standard one, or a varied one")
    parser.add_argument("--compare", metavar="REV", help="also build with the code of git revision REV")
    parser.add_argument("--archive", action="store_true", help="also build with --archive")
    parser.add_argument("--no-naive", action="store_true", help="skip the single-document baseline")
    parser.add_argument("--naive-tagged", action="store_true",
                        help="also render the single document tagged (PDF/UA-1)")
    parser.add_argument("--work", type=Path, help="where to write catalogues (default: a temp folder)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="recueil-bench-"))
    baseline = export(args.compare, work) if args.compare else None
    rows = []
    for shape in args.shape:
        for n in args.sizes:
            runs = args.runs_over[1] if args.runs_over and n >= args.runs_over[0] else args.runs
            rows.append(bench(n, runs, args.formats, not args.no_naive, work, shape, baseline, args.archive,
                              args.naive_tagged))
            print(json.dumps({k: v for k, v in rows[-1].items() if k != "all"}), file=sys.stderr)
            if args.json:  # as it goes: a long benchmark keeps what it measured
                args.json.write_text(json.dumps(rows, indent=2) + "\n")
    print(report(rows))


if __name__ == "__main__":
    main()
