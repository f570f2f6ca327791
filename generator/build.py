"""One build: read → assemble → render → write, in that order and only that order."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from generator.diagnostics import InputError, Report

FORMATS = ("pdf", "handouts", "docx")


@dataclass
class BuildOptions:
    out: Path
    formats: tuple[str, ...] = FORMATS
    layout: str | None = None  # overrides publication.yaml's layout
    selects: list[tuple[str, str]] = field(default_factory=list)  # --select KEY=VALUE
    drafts: bool = False
    print_edition: bool = False  # --print: bleed, crop marks, TrimBox/BleedBox
    impose: bool = False
    archive: bool = False  # PDF/A-3 with the sources embedded
    timings: bool = False
    jobs: int | None = None  # worker processes; None: one per core
    cache: bool = True


class Stages:
    """Times each stage, for `--timings`; a build is judged stage by stage."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    def lines(self) -> list[str]:
        total = sum(self.seconds.values())
        rows = [f"{name:<16}{secs:8.2f} s" for name, secs in self.seconds.items()]
        return rows + [f"{'total':<16}{total:8.2f} s"]


def source_date_epoch(publication_date: str | None) -> int:
    """The build's one date: SOURCE_DATE_EPOCH if set, else the publication's date."""
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env.isdigit():
        return int(env)
    if publication_date:
        import datetime as dt

        parts = [int(p) for p in publication_date.split("-")] + [1, 1]
        day = dt.datetime(parts[0], parts[1], parts[2], tzinfo=dt.timezone.utc)
        return int(day.timestamp())
    return 0


def build(root: Path, options: BuildOptions, report: Report, stages: Stages | None = None) -> dict:
    """Build the edition of `root` into `options.out`. Raises InputError on bad input, in
    which case nothing in `options.out` has changed. Returns what was written."""
    from generator import assemble, layouts, project
    from generator.fetcher import make_fetcher
    from generator.cache import Cache
    from generator.manifest import write_manifest
    from generator.output import Staging
    from generator.paths import builtin_fonts

    stages = stages or Stages()
    started_ns = time.time_ns()
    epoch_env = os.environ.get("SOURCE_DATE_EPOCH")  # before this build sets it from the publication
    if options.cache and _stamp_path(options.out).is_file():
        with stages("up to date?"):
            lock = Staging(options.out)  # its lock only: no build commits while OUT is checked
            lock._lock()
            try:
                previous = _up_to_date(root, options, options.out, epoch_env)
            finally:
                lock._unlock()
        if previous is not None:
            for path, line, message in previous["warnings"]:
                report.warning(path, line, message)
            return {"edition": None, "written": [], "pages": None, "up_to_date": True,
                    "fiches": previous["fiches"]}
    with stages("read"):
        proj = project.read_project(root, report, drafts=options.drafts)
        if proj is None or report.failed():
            raise InputError(report)
    with stages("assemble"):
        edition = assemble.assemble(proj, options.selects, report)
        if report.failed():
            raise InputError(report)
        if not edition.fiches:
            report.error("fiches", None, "nothing to build: no fiche is published")
            raise InputError(report)
        default_layout = "archive" if options.archive else proj.publication.layout
        layout = layouts.load_layout(proj, options.layout or default_layout)

    # Every date printed or stamped comes from here, never from the clock; fontTools
    # reads the variable when it subsets fonts inside WeasyPrint.
    os.environ.setdefault("SOURCE_DATE_EPOCH", str(source_date_epoch(proj.publication.date)))
    try:
        return _render_and_write(root, options, report, stages, proj, edition, layout, started_ns, epoch_env)
    finally:
        if epoch_env is None:  # the next build in this process decides its own date again
            os.environ.pop("SOURCE_DATE_EPOCH", None)


def _render_and_write(root, options, report, stages, proj, edition, layout, started_ns, epoch_env) -> dict:
    from generator import layouts
    from generator.cache import Cache
    from generator.fetcher import make_fetcher
    from generator.manifest import write_manifest
    from generator.output import Staging
    from generator.paths import builtin_fonts


    def warn(message: str) -> None:
        report.warning(".", None, message)

    fetch_roots = list(layout.dirs) + [builtin_fonts()]
    fetcher = make_fetcher(proj.root, fetch_roots, allow_remote=proj.publication.allow_remote, warn=warn)
    written: list[str] = []
    pages = None
    out = options.out
    with Staging(out) as stage:
        _forget(out)  # this build's outputs replace the ones the record describes
        # Word files and handouts first: the archive booklet embeds a build.json that
        # lists every output staged before it.
        if "docx" in options.formats:
            from generator.render import docx

            with stages("docx"):
                written += docx.render_docx(edition, layout, stage, options)
        if "handouts" in options.formats:
            from generator.render import handout

            handout_layout = layouts.load_layout(proj, "handout")
            with stages("handouts"):
                written += handout.render_handouts(edition, handout_layout, stage, options, fetcher)
        if "pdf" in options.formats:
            if options.archive:
                from generator.render import archive

                with stages("booklet (PDF/A)"):
                    info = archive.render_archive(edition, layout, stage, options, fetcher)
            else:
                from generator.render import pdf

                # The booklet times its own steps (fiches, front and indexes, assembly...).
                info = pdf.render_booklet(edition, layout, stage, options, fetcher, stages=stages)
            pages = info.pages
            written += ["booklet.pdf", "booklet.html"]
            if options.impose:
                from generator.render.impose import impose

                with stages("impose"):
                    impose(stage.path("booklet.pdf"), stage.path("booklet-imposed.pdf"))
                written.append("booklet-imposed.pdf")
        with stages("write"):
            write_manifest(stage, edition, pages, written)
            stage.commit()
            # Still under OUT's lock: no other build uses the cache while it is pruned.
            Cache.for_output(out, options.cache).prune()
            used = [layout] + ([handout_layout] if "handouts" in options.formats else [])
            extra = _extra_inputs(proj, used) if options.cache else None
            if extra is not None:
                _record(root, options, out, extra, report, len(edition.fiches), started_ns, epoch_env)
    return {"edition": edition, "written": written, "pages": pages}


def run(root: Path, options: BuildOptions) -> int:
    """The `recueil build` command: 0 built, 1 bad input or busy output (nothing written)."""
    from generator.diagnostics import print_report
    from generator.output import OutputBusy, OutputError

    from generator import progress

    report = Report()
    stages = Stages()
    try:
        with progress.bar():
            result = build(root, options, report, stages)
    except InputError as e:
        if e.report is not report:  # a renderer found bad input of its own (a layout file)
            report.items += e.report.items
        print_report(report, summary="nothing was built")
        return 1
    except (OutputBusy, OutputError) as e:
        print_report(report)
        print(f"{options.out}: error: {e}", file=sys.stderr)
        return 1
    if result.get("up_to_date"):
        n = result["fiches"]
        print_report(report, summary=f"{options.out} is up to date ({n} fiche{'s' * (n != 1)}): nothing to do")
    else:
        n = len(result["edition"].fiches)
        print_report(report, summary=f"built {n} fiche{'s' * (n != 1)} into {options.out}")
    if options.timings:
        for line in stages.lines():
            print(line, file=sys.stderr)
    return 0


# --- the no-change fast path ----------------------------------------------------------
# A build records, next to its cache (OUT/.recueil-cache/last-build.json), a digest of
# every input it read and the size and mtime of every output it committed. The next build
# with the same digest and the same outputs in OUT does nothing: it says so and replays the
# warnings. Any doubt (no record, a file that cannot be read, an output changed, a remote
# image allowed, an image that did not resolve) means a full, cached build.

STAMP = "last-build.json"
STAMP_FORMAT = 1
_CSS_URL = re.compile(r"""url\(\s*["']?([^"')\s]+)["']?\s*\)""", re.I)


def _sha(path: Path) -> str | None:
    try:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    except OSError:
        return None


def _tree(top: Path) -> list[Path]:
    """Every file under `top` (hidden ones and __pycache__ included: when in doubt, hash)."""
    if not top.is_dir():
        return []
    return sorted(p for p in top.rglob("*") if p.is_file() or p.is_symlink())


def _options_digest(options: BuildOptions) -> list:
    return [list(options.formats), options.layout, [list(s) for s in options.selects], options.drafts,
            options.print_edition, options.impose, options.archive, str(Path(options.out).resolve())]


def _versions() -> list:
    from importlib import metadata

    found = []
    for dist in ("weasyprint", "pikepdf", "fonttools", "pydyf", "python-docx", "markdown-it-py", "jinja2", "pyyaml",
                 "segno", "tinycss2", "cssselect2", "pillow", "pyphen"):
        try:
            found.append((dist, metadata.version(dist)))
        except metadata.PackageNotFoundError:
            found.append((dist, None))
    return [sys.version, found]


def _input_digest(root: Path, options: BuildOptions, extra: list[str], out: Path, epoch_env: str | None,
                  since_ns: int | None = None) -> str | None:
    """The digest of what a build of `root` reads: the fixed places (the fiches folder,
    publication.yaml, partners.yaml, the project's and the built-in layouts, the fonts,
    Recueil's own code), the files listed in `extra` (the images the fiches used, files a
    layout's CSS names), the options and the environment that reaches the outputs.
    None when a file was modified at or after `since_ns` (during the build being recorded:
    which version it used cannot be known)."""
    from generator import __version__
    from generator.paths import builtin_fonts, builtin_layouts

    root = root.resolve()
    out = out.resolve()
    h = hashlib.sha256(f"recueil {__version__} up-to-date {STAMP_FORMAT}\0".encode())
    h.update(json.dumps([_options_digest(options), _versions(), epoch_env]).encode())
    code = Path(__file__).resolve().parent
    places = [root / "fiches", root / "layouts", builtin_layouts(), builtin_fonts()]
    files = [root / "publication.yaml", root / "partners.yaml"]
    for place in places:
        files += [p for p in _tree(place) if not p.resolve().is_relative_to(out)]
    files += sorted(code.rglob("*.py"))
    files += [Path(p) for p in extra]
    for path in dict.fromkeys(files):
        if since_ns is not None:
            try:
                if os.stat(path).st_mtime_ns >= since_ns:
                    return None
            except OSError:
                pass  # a missing file is hashed as missing
        h.update(f"{path}\0{_sha(path)}\0".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _extra_inputs(proj, layouts_used) -> list[str] | None:
    """Files the build read beyond the fixed places, or None when they cannot be known."""
    if proj.publication.allow_remote:
        return None
    extra = set()
    for fiche in proj.fiches:
        if fiche.image:
            extra.add(str(fiche.image.path))
        for node in fiche.body.walk():
            if node.type == "image":
                if not node.attrs.get("path"):
                    return None  # an image that did not resolve: adding it later must rebuild
                extra.add(str(node.attrs["path"]))
    for layout in layouts_used:
        for d in layout.dirs:
            for css in _tree(Path(d)):
                if css.suffix.lower() not in (".css", ".html"):
                    continue
                try:
                    text = css.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    return None
                for m in _CSS_URL.finditer(text):
                    url = m.group(1)
                    if url.startswith("data:"):
                        continue
                    if "://" in url:
                        if not url.startswith("file:"):
                            continue  # fetched remotely only with allow_remote, refused above
                        return None
                    extra.add(str((css.parent / urllib.parse.unquote(url.split("#")[0].split("?")[0])).resolve()))
    return sorted(extra)


def _stamp_path(out: Path) -> Path:
    from generator.cache import DIRNAME

    return Path(out) / DIRNAME / STAMP


def _forget(out: Path) -> None:
    try:
        _stamp_path(out).unlink(missing_ok=True)
    except OSError:
        pass


def _record(root: Path, options: BuildOptions, out: Path, extra: list[str], report: Report, n: int,
            started_ns: int, epoch_env: str | None) -> None:
    """After a commit: what the next build compares itself with."""
    from generator.manifest import MANIFEST

    inputs = _input_digest(root, options, extra, out, epoch_env, since_ns=started_ns)
    if inputs is None:
        return
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        outputs = {}
        for entry in manifest["outputs"] + [{"path": MANIFEST}]:
            st = os.stat(out / entry["path"])
            outputs[entry["path"]] = [st.st_size, st.st_mtime_ns]
        data = {"format": STAMP_FORMAT, "inputs": inputs, "extra": extra,
                "manifest_sha256": _sha(out / MANIFEST), "outputs": outputs, "fiches": n,
                "warnings": [[d.path, d.line, d.message] for d in report.warnings]}
        path = _stamp_path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except (OSError, ValueError, KeyError, TypeError):
        _forget(out)


def _up_to_date(root: Path, options: BuildOptions, out: Path, epoch_env: str | None) -> dict | None:
    """The previous build's record when this build would redo it exactly, else None."""
    from generator.manifest import MANIFEST

    try:
        data = json.loads(_stamp_path(out).read_text(encoding="utf-8"))
        if data.get("format") != STAMP_FORMAT:
            return None
        if _sha(out / MANIFEST) != data["manifest_sha256"]:
            return None
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        listed = {e["path"]: e for e in manifest["outputs"]}
        if set(listed) | {MANIFEST} != set(data["outputs"]):
            return None
        for rel, entry in listed.items():
            path = out / rel
            if path.is_symlink():
                return None
            st = os.stat(path)
            if st.st_size != entry["size"]:
                return None
            if [st.st_size, st.st_mtime_ns] != data["outputs"][rel] and _sha(path) != entry["sha256"]:
                return None
        if _input_digest(root, options, list(data["extra"]), out, epoch_env) != data["inputs"]:
            return None
        return data
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
