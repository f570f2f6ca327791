"""The web edition (`--format web`): the fiches as a static, accessible site, OUT/web/.

    web/index.html                 the home page: title, introduction, downloads, a filter
                                   (theme, territory, partner) and the contents by section
    web/fiches/ID.html             one page per fiche (the id percent-encoded in links)
    web/index-partners.html        one page per index publication.yaml asks for, each
    web/index-themes.html          entry with an anchor and links to its fiches
    web/index-territories.html
    web/assets/                    site.css and filter.js (from the `web` layout), tokens.css
                                   (the print layout's colours and fonts as custom properties)
    web/fonts/, web/images/        the vendored faces subset for the edition, the fiches'
                                   images resized to a few widths

Every link is relative, nothing is fetched from elsewhere: the site works from the disk
and from any folder of any web server. The pages link to the booklet, the handouts and
the Word files built in the same build, which sit beside web/ in OUT (publish OUT as a
whole). See docs/web.md.

How it is built: `plan_site` (site.py) reads the edition once; fonts and images are made
in the build's workers from the start of the build, in the time the booklet's renders
leave them, and cached by the sha256 of what they are made from; once the booklet's pages
are known, the fiche pages are made in the workers, the home and index pages here. A file
whose bytes are those already in OUT is kept as it is (Staging.keep), date included: an
edit of one fiche rewrites its page, the home page and the index pages, and nothing else
unless the edit moved other fiches to other booklet pages (their pages print the number).

`site_files(...)` is the same site as {path: bytes}, made in this process: the pure core,
for tests and for callers that write files their own way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from generator.cache import Cache, FileDigests, key
from generator.context import BuildContext
from generator.model import Edition, Fiche
from generator.render import faces
from generator.render.web import assets
from generator.render.web.site import (
    Picture,
    Site,
    characters,
    fiche_page,
    file_of,
    pages,
    plan_site,
)
from generator.write.staging import existing_sha, write_output

WEB = "web"  # the site's folder in OUT
# Fiches. Below this, sending the fiches to the workers costs more than rendering them here.
PARALLEL_FROM = 60

__all__ = ["render_web", "start_web", "site_files", "WEB"]


# the pure core ------------------------------------------------------------------------

def site_files(edition: Edition, layout, web_layout, *, pages_of: dict[str, tuple[int, int]] | None = None,
               index_pages: dict[str, int] | None = None, downloads=(), cache: Cache | None = None) -> dict[str, bytes]:
    """Every file of the site, by path relative to web/, made in this process."""
    cache = cache or Cache(None)
    plan = _Plan(edition, layout, web_layout, downloads)
    files: dict[str, bytes] = {}
    for task in plan.asset_tasks():
        files[task[1]] = _make(task, cache)
    site, indexes = plan.site(pages_of, index_pages)
    for fiche in edition.fiches:
        files[file_of(fiche.id)] = fiche_page(site, fiche)
    files.update(pages(site, edition, indexes))
    files.update(plan.static(site))
    return files


# the build's entry --------------------------------------------------------------------

def render_web(edition: Edition, layout, ctx: BuildContext, pages_of: dict[str, tuple[int, int]] | None = None,
               index_pages: dict[str, int] | None = None) -> list[str]:
    """Write the site into the staging folder; return the paths written, relative to OUT.
    `layout` is the print layout (its colours and words); `pages_of` the booklet's pages
    by fiche id and `index_pages` its indexes' first pages by kind, when the booklet is
    built in the same build."""
    return start_web(edition, layout, ctx)(pages_of, index_pages)


def start_web(edition: Edition, layout, ctx: BuildContext) -> Callable[..., list[str]]:
    """Start the site: its fonts and images go to the workers now. The function returned
    takes the booklet's pages (see render_web; None without a booklet), makes the pages,
    waits for everything and returns the paths written."""
    from generator.read import layouts

    web_layout = layouts.load_layout(edition.project, "web")
    stage, cache, out = ctx.stage, ctx.cache, ctx.out
    plan = _Plan(edition, layout, web_layout, set(ctx.options.formats) & {"pdf", "handouts", "docx"},
                 ctx.edition_chars(edition))
    where = _Where(stage, out)
    store = str(cache.root) if cache.enabled else None
    waiting = ctx.pool.trickle(_write_asset, [(task, *where.of(task[1]), store) for task in plan.asset_tasks()])

    def finish(pages_of: dict[str, tuple[int, int]] | None, index_pages: dict[str, int] | None = None) -> list[str]:
        site, indexes = plan.site(pages_of, index_pages)
        fiches = edition.fiches
        jobs = [(f, *where.of(file_of(f.id))) for f in fiches]
        if ctx.pool.parallel and len(fiches) >= PARALLEL_FROM:
            size = max(10, len(jobs) // (ctx.pool.jobs * 3))
            futures = [ctx.pool.submit(_write_pages, site, jobs[i:i + size]) for i in range(0, len(jobs), size)]
        else:
            futures = [_Done(_write_pages(site, jobs))]
        others = {**pages(site, edition, indexes), **plan.static(site)}
        results = [write_output(*where.of(rel), data) for rel, data in others.items()]
        for future in futures:
            results += future.result()
        for done in waiting():
            results.append(done)
        for how, path, sha in results:
            (stage.keep if how == "kept" else stage.synced)(path, sha)
        return sorted(f"{WEB}/{rel}" for rel in plan.paths(fiches, others))
    return finish


class _Done:
    def __init__(self, value):
        self._value = value

    def result(self):
        return self._value


class _Where:
    """Where a file of the site goes: its staged path, and its path in OUT (to keep it
    when it already holds the same bytes)."""

    def __init__(self, stage, out):
        self.stage, self.out = stage, out

    def of(self, rel: str) -> tuple[str, str | None]:
        final = str(Path(self.out) / WEB / rel) if self.out else None
        return str(self.stage.path(f"{WEB}/{rel}")), final


# planning -----------------------------------------------------------------------------

class _Plan:
    """What the site is made of, known before the booklet's pages are."""

    def __init__(self, edition: Edition, layout, web_layout, downloads, chars: str | None = None):
        self.edition, self.layout, self.web_layout = edition, layout, web_layout
        self.downloads = frozenset(downloads)
        self.design = layout.design
        self.pictures = _pictures(edition, tuple(int(w) for w in web_layout.settings.get("image_widths", (480, 960, 1440))))
        lang = edition.publication.lang
        words = characters({**web_layout.labels(lang), **layout.labels(lang)})
        intro = edition.publication.introduction
        words += "".join(n.text + str(n.attrs.get("alt") or "") for n in intro.walk()) if intro else ""
        chars = faces.edition_chars(edition) if chars is None else chars
        self.chars = "".join(sorted(set(chars) | set(words)))
        # The edition's faces, and those of the fallback that draw what they lack.
        self.faces = self.design.edition_faces() + faces.needed_fallback(self.design, self.chars)

    def site(self, pages_of, index_pages=None) -> tuple[Site, dict]:
        return plan_site(self.edition, self.layout, self.web_layout, pictures=self.pictures[0], pages=pages_of,
                         index_pages=index_pages, downloads=self.downloads)

    def asset_tasks(self) -> list[tuple]:
        """("font", rel, face file, chars) and ("image", rel, source, sha256, width, ext)."""
        tasks = [("font", assets.font_name(face), str(face.path), self.chars) for face in self.faces]
        for path, pic, sha in self.pictures[1]:
            tasks += [("image", pic.src(w), path, sha, w, pic.ext) for w in pic.widths]
        return tasks

    def static(self, site: Site) -> dict[str, bytes]:
        """assets/: the layout's stylesheet and script as they are, tokens.css made."""
        out = {}
        for name in self.web_layout.settings.get("assets", ["site.css", "filter.js"]):
            path = self.web_layout.file(name)
            if path is not None:
                out[f"assets/{name}"] = path.read_bytes()
        colours = self.layout.theme_colours(list(site.theme_class))
        out["assets/tokens.css"] = assets.tokens_css(self.design, self.faces, colours, site.theme_class).encode()
        out["assets/icon.svg"] = assets.icon_svg(self.design).encode()
        return out

    def paths(self, fiches: list[Fiche], others: dict[str, bytes]) -> list[str]:
        return [t[1] for t in self.asset_tasks()] + [file_of(f.id) for f in fiches] + list(others)


def _pictures(edition: Edition, widths: tuple[int, ...]) -> tuple[dict[str, Picture], list[tuple[str, Picture, str]]]:
    """Every raster image the fiches show: {path: Picture}, and (path, Picture, sha256)
    once each, for the tasks that make their copies."""
    digest = FileDigests()
    found: dict[str, Picture] = {}
    once: dict[str, tuple[str, Picture, str]] = {}
    for fiche in edition.fiches:
        for path in fiche.images():
            if str(path) in found:
                continue
            kind = assets.image_kind(Path(path))
            sha = digest(Path(path))
            if kind is None or sha is None:
                continue
            ext, width, height = kind
            chosen = assets.widths_for(width, widths)
            top = chosen[-1]
            pic = Picture(f"images/{sha[:20]}", ext, chosen, top, max(1, round(height * top / width)))
            found[str(path)] = pic
            once.setdefault(pic.stem, (str(path), pic, sha))
    return found, list(once.values())


# in the workers -----------------------------------------------------------------------

def _make(task: tuple, cache: Cache) -> bytes:
    """The bytes of an asset task (see _Plan.asset_tasks), through the cache."""
    return cache.memo("web", _key(task), lambda: (_compute(task), {}))[0]


def _key(task: tuple) -> str:
    from PIL import __version__ as pillow

    if task[0] == "font":
        _, rel, face_file, chars = task
        path = Path(face_file)
        return key(assets.VERSION, "font", faces.SUBSETTER, faces.face_sha256(path), chars, assets.FONT_FORMAT,
                   _fonttools())
    _, rel, path, sha, width, ext = task
    return key(assets.VERSION, "image", pillow, sha, width, ext)


def _compute(task: tuple) -> bytes:
    if task[0] == "font":
        _, rel, face_file, chars = task
        return assets.web_font(faces.subset_font(Path(face_file), chars))
    _, rel, path, sha, width, ext = task
    return assets.resized(Path(path).read_bytes(), width, ext)


def _fonttools() -> str:
    """What writes the WOFF2 files: fontTools, and brotli when there is one."""
    import fontTools

    return f"{fontTools.version} brotli {getattr(assets._brotli, '__version__', None)}"


def _write_asset(task: tuple) -> tuple[str, str, str]:
    """A worker's task: (asset task, staged path, path in OUT, cache folder or None)."""
    spec, path, final, store = task
    cache = Cache(Path(store)) if store else Cache(None)
    k = _key(spec)
    recorded = cache.recorded_sha("web", k)
    if recorded is not None and final is not None and existing_sha(final) == recorded:
        return "kept", final, recorded  # what the cache would give is in OUT already
    return write_output(path, final, _make(spec, cache))


def _write_pages(site: Site, jobs: list[tuple]) -> list[tuple[str, str, str]]:
    """A worker's task: the pages of [(fiche, staged path, path in OUT)]."""
    return [write_output(path, final, fiche_page(site, fiche)) for fiche, path, final in jobs]


