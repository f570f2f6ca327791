"""What one build is: its options, its date, where it writes, its cache, its workers, the
files it may read and where its warnings go. `build.py` makes one `BuildContext` and
hands it to every stage; nothing else decides these things.

The names a user types (formats, --select keys) are defined here once, for the command
line, the build and the docs alike.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol

from generator.diagnostics import Report

if TYPE_CHECKING:
    from generator.cache import Cache
    from generator.pool import Pool

FORMATS = ("pdf", "handouts", "docx", "web")  # what `--format` chooses among; all by default
# With allow_remote: what all of a build's remote fetches may spend together
# (publication.yaml: remote_timeout, remote_max_bytes).
REMOTE_TIMEOUT = 60.0  # seconds
REMOTE_MAX_BYTES = 50_000_000
SELECT_KEYS = ("theme", "territory", "region", "partner", "id")  # what `--select KEY=VALUE` matches


def parse_selects(items: list[str], error) -> list[tuple[str, str]]:
    """`--select KEY=VALUE` options as (key, value) pairs; `error(message)` for a bad one
    (argparse's parser.error: one line, exit 2)."""
    from generator.i18n import _

    selects = []
    for item in items:
        key, eq, value = item.partition("=")
        key = key.strip().lower()
        if not eq or not value.strip():
            error(_("--select {item}: write KEY=VALUE, e.g. --select theme=Insertion", item=item))
        if key not in SELECT_KEYS:
            error(_("--select {item}: unknown key '{key}'; use one of {keys}", item=item, key=key,
                    keys=", ".join(SELECT_KEYS)))
        selects.append((key, value.strip()))
    return selects


def format_of(rel: str) -> str | None:
    """The `--format` that makes the output `rel` (a path in OUT), or None."""
    if rel.startswith("web/"):
        return "web"
    if rel.startswith("fiches/"):
        return {".pdf": "handouts", ".docx": "docx"}.get(rel[rel.rfind("."):])
    return {"booklet.docx": "docx", "booklet.pdf": "pdf", "booklet.html": "pdf",
            "booklet-imposed.pdf": "pdf"}.get(rel)


@dataclass
class BuildOptions:
    out: Path
    formats: tuple[str, ...] = FORMATS
    layout: str | None = None  # overrides publication.yaml's layout
    selects: list[tuple[str, str]] = field(default_factory=list)  # --select KEY=VALUE
    title: str | None = None  # --title: a thematic edition's own title
    subtitle: str | None = None  # --subtitle
    drafts: bool = False
    print_edition: bool = False  # --print: bleed, crop marks, TrimBox/BleedBox
    impose: bool = False
    archive: bool = False  # PDF/A-3 with the sources embedded
    timings: bool = False
    jobs: int | None = None  # worker processes; None: one per core
    cache: bool = True

    def workers(self) -> int:
        """How many worker processes the build uses: --jobs, else one per core."""
        return max(1, self.jobs or os.cpu_count() or 1)


def build_epoch(publication_date: str | None) -> int:
    """The build's one date, in seconds since 1970: SOURCE_DATE_EPOCH when set, else the
    publication's date, else 0. Never the clock: the same sources give the same bytes."""
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env.isdigit():
        return int(env)
    if publication_date:
        parts = [int(p) for p in publication_date.split("-")] + [1, 1]
        try:
            day = dt.datetime(parts[0], parts[1], parts[2], tzinfo=dt.timezone.utc)
        except (ValueError, OverflowError):
            return 0
        return max(0, int(day.timestamp()))
    return 0


@dataclass(frozen=True)
class FetchRules:
    """What a render may read: files inside the project and the `roots` (the layout's
    folders, the fonts), remote files only when the publication allows them, within
    `remote_timeout` seconds and `remote_max_bytes` for the whole build. Plain data
    that crosses to worker processes; render/fetcher.py makes WeasyPrint's fetcher of it.

    `deadline` (on time.monotonic()) and `budget_file` (where the build's processes
    count the bytes fetched) are the build's own, set by build.py when it starts; they
    are not part of what a render is (its cache key), and not in repr()."""

    project_root: Path
    roots: tuple[Path, ...]
    allow_remote: bool = False
    remote_timeout: float = REMOTE_TIMEOUT
    remote_max_bytes: int = REMOTE_MAX_BYTES
    deadline: float | None = field(default=None, compare=False, repr=False)
    budget_file: str | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, project_root: Path, roots, allow_remote: bool, remote_timeout: float = REMOTE_TIMEOUT,
           remote_max_bytes: int = REMOTE_MAX_BYTES) -> FetchRules:
        resolved = tuple(dict.fromkeys(Path(r).resolve() for r in roots))
        return cls(Path(project_root).resolve(), resolved, bool(allow_remote), float(remote_timeout),
                   int(remote_max_bytes))

    def all_roots(self) -> list[Path]:
        return [self.project_root, *self.roots]


class Stage(Protocol):
    """Where a renderer writes (write/staging.Staging; the tests' FolderStage)."""

    def path(self, rel: str) -> Path: ...
    def keep(self, rel: str, sha256: str) -> None: ...
    def synced(self, path: str | Path, sha256: str) -> None: ...


class Timings:
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


@dataclass
class BuildContext:
    """Everything a renderer needs besides the edition and its layout."""

    options: BuildOptions
    epoch: int  # see build_epoch
    stage: Stage
    cache: Cache
    pool: Pool
    fetch: FetchRules
    report: Report = field(default_factory=Report)
    timings: Timings = field(default_factory=Timings)
    booklet: object | None = None  # the booklet's BookletInfo once made: its pages, for the web edition
    layouts: dict = field(default_factory=dict)  # the layouts the build uses, by role (see build.RENDERERS)
    # Ids of the fiches whose file changed since the last build in OUT: their parts are
    # laid out first (the others are likely cached), so an edit's rebuild waits less.
    # Only an order: what is laid out again is what the cache lacks.
    fresh: frozenset = frozenset()
    _warned: set = field(default_factory=set, repr=False)
    # Every file the build's renders read (real path -> sha256), remote URLs with None:
    # the up-to-date record must know them all (write/uptodate.py).
    reads: dict = field(default_factory=dict, repr=False)
    _chars: tuple | None = field(default=None, repr=False)  # (edition, its characters)
    _soon: list = field(default_factory=list, repr=False)  # see after_urgent_renders

    @property
    def out(self) -> Path:
        return Path(self.options.out)

    def warn(self, message: str, path: str = ".", line: int | None = None) -> None:
        """A warning for the build's report (printed once, however often it is given)."""
        if (path, line, message) not in self._warned:
            self._warned.add((path, line, message))
            self.report.warning(path, line, message)

    def edition_chars(self, edition) -> str:
        """render/faces.edition_chars(edition), once per build: the Word files, the
        booklet and the site each subset their fonts to it, and it walks every fiche."""
        if self._chars is None or self._chars[0] is not edition:
            from generator.render.faces import edition_chars

            self._chars = (edition, edition_chars(edition))
        return self._chars[1]

    def after_urgent_renders(self, start: Callable[[], None]) -> None:
        """Have `start()` run once the booklet has asked for the renders an edit waits
        for (`urgent_renders_asked`): what only fills the workers' free time (the Word
        files, the site's fonts and images) is prepared here after those."""
        self._soon.append(start)

    def urgent_renders_asked(self) -> None:
        """Run what waited for the booklet's urgent renders (once)."""
        soon, self._soon = self._soon, []
        for start in soon:
            start()

    def read(self, reads) -> None:
        """Note what a render read ((path or URL, sha256 or None) pairs)."""
        for path, sha in reads:
            self.reads[path] = sha

    def iso_date(self) -> str:
        return dt.datetime.fromtimestamp(self.epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def date(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.epoch, dt.timezone.utc)
