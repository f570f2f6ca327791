"""`recueil serve`: from a save to the new pages on screen, idle cost, memory over rebuilds.

    python3 benchmarks/serve.py                    # the sample edition and 500 fiches
    python3 benchmarks/serve.py --sizes 100 --rebuilds 20

What it measures, with the server in its own process and Debian's Chromium (headless,
through Playwright) showing its page, as a user would have it:
  - latency: a fiche's title is changed on disk (five edits, five different fiches,
    each once the booklet of the previous one is done); the time from the write to the
    page showing the new title with the fiche's new pages decoded, and to the booklet
    being rebuilt ("À jour"). Medians. On the sample edition (a copy of the repository's)
    and on a synthetic catalogue of N fiches (tests/catalogue.py);
  - idle: the CPU time the server and its preview process use over IDLE seconds while
    nothing changes and the page stays open, and how often their threads wake up
    (voluntary context switches, from /proc);
  - memory: RSS and PSS of the server and its preview process before and after
    `--rebuilds` edits of a small project (each waits for its booklet).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from generator.pool import process_tree  # noqa: E402  (after the path it comes from)


def _cpu_seconds(pids: list[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total / tick


def _wakeups(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                for line in Path(f"/proc/{pid}/task/{tid}/status").read_text().splitlines():
                    if line.startswith("voluntary_ctxt_switches:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def _memory(pids: list[int]) -> tuple[int, int]:
    rss = pss = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1]) * 1024
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1]) * 1024
        except OSError:
            pass
    return rss, pss


class Served:
    """`recueil serve PROJECT` in its own process group, and a browser on its page."""

    def __init__(self, project: Path, browser):
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.log = open(project.parent / f"{project.name}-serve.log", "w")
        self.process = subprocess.Popen([sys.executable, "-m", "generator", "serve", str(project), "--port", "0"],
                                        stdout=subprocess.PIPE, stderr=self.log, text=True, env=env,
                                        start_new_session=True)
        line = self.process.stdout.readline()
        found = re.search(r"http://\S+/", line)
        if not found:
            self.stop()
            sys.exit(f"the server did not start: {line}{(project.parent / f'{project.name}-serve.log').read_text()}")
        self.url = found.group(0)
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.goto(self.url)

    def wait_ready(self, timeout: float) -> None:
        self.page.wait_for_selector('#etat[data-phase="ready"]', timeout=timeout * 1000)

    def pids(self) -> list[int]:
        return process_tree(self.process.pid)

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGINT)
            self.process.wait(60)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


SHOWN = """(token) => {
    const title = document.querySelector('#titre-fiche');
    if (!title || !title.textContent.includes(token)) return false;
    const images = Array.from(document.querySelectorAll('#fiche img'));
    return images.length > 0 && images.every((img) => img.complete && img.naturalWidth > 0);
}"""


def _retitle(path: Path, token: str) -> None:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^title: *(['\"]?)", lambda m: f"title: {m.group(1)}{token} ", text, count=1, flags=re.M)
    path.write_text(text, encoding="utf-8")


def latency(served: Served, fiches: list[Path], edits: int, first_timeout: float) -> dict:
    served.wait_ready(first_timeout)
    shown, booklet = [], []
    step = max(1, len(fiches) // (edits + 1))
    for i in range(edits):
        victim = fiches[(i + 1) * step % len(fiches)]
        token = f"Mesure{i}x{int(time.time() * 1000) % 100000}"
        start = time.perf_counter()
        _retitle(victim, token)
        served.page.wait_for_function(SHOWN, arg=token, timeout=60_000, polling="raf")
        shown.append(time.perf_counter() - start)
        served.page.wait_for_selector('#etat[data-phase="ready"]', timeout=600_000)
        booklet.append(time.perf_counter() - start)
    return {"shown_s": shown, "booklet_s": booklet,
            "shown_median_s": statistics.median(shown), "booklet_median_s": statistics.median(booklet)}


def idle(served: Served, seconds: float) -> dict:
    served.wait_ready(600)
    time.sleep(1.0)
    pids = served.pids()
    cpu0, wake0, t0 = _cpu_seconds(pids), _wakeups(pids), time.perf_counter()
    time.sleep(seconds)
    cpu1, wake1, t1 = _cpu_seconds(pids), _wakeups(pids), time.perf_counter()
    return {"seconds": t1 - t0, "cpu_s": cpu1 - cpu0, "cpu_percent": 100 * (cpu1 - cpu0) / (t1 - t0),
            "wakeups_per_s": (wake1 - wake0) / (t1 - t0), "processes": len(pids)}


def memory(served: Served, fiches: list[Path], rebuilds: int) -> dict:
    served.wait_ready(600)
    samples = []
    for i in range(rebuilds):
        _retitle(fiches[i % len(fiches)], f"R{i}")
        served.page.wait_for_function(SHOWN, arg=f"R{i}", timeout=60_000)
        served.wait_ready(600)
        if i % 10 == 0 or i == rebuilds - 1:
            pids = served.pids()
            rss, pss = _memory(pids)
            server_rss, server_pss = _memory(pids[:1])
            samples.append({"rebuild": i + 1, "rss_mib": rss / 2**20, "pss_mib": pss / 2**20,
                            "server_pss_mib": server_pss / 2**20, "others_pss_mib": (pss - server_pss) / 2**20})
    return {"rebuilds": rebuilds, "samples": samples,
            "server_pss_first_mib": samples[0]["server_pss_mib"], "server_pss_last_mib": samples[-1]["server_pss_mib"],
            "pss_first_mib": samples[0]["pss_mib"], "pss_last_mib": samples[-1]["pss_mib"],
            "rss_first_mib": samples[0]["rss_mib"], "rss_last_mib": samples[-1]["rss_mib"]}


def main() -> None:
    from browser import CHROMIUM_FLAGS, chromium_path
    from catalogue import make_catalogue
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[500], help="synthetic catalogues (default: 500)")
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle measured")
    parser.add_argument("--rebuilds", type=int, default=100, help="rebuilds of the memory test (0: skip it)")
    parser.add_argument("--work", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="recueil-bench-serve-"))
    try:
        results: dict = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
            sample = work / "sample"
            shutil.rmtree(sample, ignore_errors=True)
            sample.mkdir(parents=True)
            for name in ("fiches", "publication.yaml", "partners.yaml", "images"):
                if (REPO / name).is_dir():
                    shutil.copytree(REPO / name, sample / name)
                elif (REPO / name).is_file():
                    shutil.copy2(REPO / name, sample / name)
            served = Served(sample, browser)
            try:
                fiches = sorted((sample / "fiches").rglob("*.md"))
                results["sample"] = {"fiches": len(fiches), **latency(served, fiches, args.edits, 600)}
                results["sample"]["idle"] = idle(served, args.idle)
                print(json.dumps({"sample": results["sample"]}), file=sys.stderr)
                if args.rebuilds:
                    results["memory"] = memory(served, fiches, args.rebuilds)
                    print(json.dumps({"memory": results["memory"]}), file=sys.stderr)
            finally:
                served.stop()
            for n in args.sizes:
                project = work / f"catalogue-{n}"
                shutil.rmtree(project, ignore_errors=True)
                make_catalogue(project, n)
                started = time.perf_counter()
                served = Served(project, browser)
                try:
                    served.wait_ready(1800)
                    first = time.perf_counter() - started
                    fiches = sorted((project / "fiches").rglob("*.md"))
                    row = {"fiches": n, "first_build_s": first, **latency(served, fiches, args.edits, 1800)}
                    row["idle"] = idle(served, args.idle)
                    results[f"catalogue-{n}"] = row
                    print(json.dumps({f"catalogue-{n}": row}), file=sys.stderr)
                finally:
                    served.stop()
            browser.close()
        print(report(results))
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n")
    except BaseException:
        print(f"the projects and the servers' logs are kept in {work}", file=sys.stderr)
        raise
    if args.work is None:  # a folder of its own (a 500-fiche catalogue and its builds): gone
        shutil.rmtree(work, ignore_errors=True)


def report(results: dict) -> str:
    lines = ["| project | fiches | save → fiche on screen (median) | save → booklet rebuilt (median) | idle CPU | idle wake-ups |",
             "|---|---|---|---|---|---|"]
    for name, r in results.items():
        if name == "memory":
            continue
        lines.append(f"| {name} | {r['fiches']} | {r['shown_median_s']:.2f} s | {r['booklet_median_s']:.2f} s "
                     f"| {r['idle']['cpu_percent']:.2f} % | {r['idle']['wakeups_per_s']:.1f}/s |")
    if "memory" in results:
        m = results["memory"]
        lines.append("")
        lines.append(f"Memory over {m['rebuilds']} rebuilds of the sample edition (server + preview process): "
                     f"PSS {m['pss_first_mib']:.0f} → {m['pss_last_mib']:.0f} MiB, "
                     f"RSS {m['rss_first_mib']:.0f} → {m['rss_last_mib']:.0f} MiB")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
