"""The booklet's parts: what makes a part of the booklet different from any WeasyPrint
document (render/weasy.py), and how the booklet asks for one.

A fiche part is the fiche alone: running heads, folios and crop marks are drawn by the
furniture part and laid under it (join.py), so that the fiche's layout never depends on
the page number it lands on. A part is taken from the cache when it is there, else
rendered by the build's workers; the main process alone writes the cache.
"""

from __future__ import annotations

import re
from concurrent.futures import Future
from pathlib import Path

from markupsafe import escape

from generator.cache import FileDigests
from generator.context import BuildContext
from generator.render.weasy import PdfJob, Rendered, job_key, render

# !important wins over every @page rule of any layout.
_BOXES = ("top-left-corner", "top-left", "top-center", "top-right", "top-right-corner",
          "bottom-left-corner", "bottom-left", "bottom-center", "bottom-right", "bottom-right-corner",
          "left-top", "left-middle", "left-bottom", "right-top", "right-middle", "right-bottom")
CONTENT_ONLY_CSS = "@page { marks: none !important; %s }" % " ".join(
    "@%s { content: none !important; }" % box for box in _BOXES)
# And the furniture part is the page alone: no crop marks twice.
FURNITURE_CSS = "@page { marks: none !important; }"


# leader( dotted | solid | space | <string> ), CSS Generated Content level 3.
_LEADER = re.compile(r"""leader\(\s*(dotted|solid|space|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*\)""", re.I)
_LEADER_TEXT = {"dotted": '". "', "solid": '"_"', "space": '" "'}


def without_leaders(css: str) -> str:
    """`css` with each leader() replaced by one copy of its text. A contents' length
    comes out the same (a line is broken with one copy of its leader, which then
    fills what is left of it), at half the cost: each dot of a leader is a text box of
    its own. For the provisional contents, whose length alone is read."""
    return _LEADER.sub(lambda m: _LEADER_TEXT.get(m.group(1).lower(), m.group(1)), css)


def attributed(rendered: Rendered, fiches: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(path, message) for each warning of a render that laid out `fiches`, given as
    (path, HTML): a refused URL goes to the fiches whose HTML names it; one that no
    fiche names (an SVG's own image) to the fiches that show an SVG; else to them all."""
    out = []
    for message in rendered.warnings:
        url = rendered.refused.get(message)
        named = [path for path, html in fiches if url and (url in html or str(escape(url)) in html)]
        if not named:
            named = [path for path, html in fiches if ".svg" in html.lower()]
        out += [(path, message) for path in named or [path for path, _ in fiches]]
    return out


def offset_css(first_page: int) -> str:
    """CSS that makes a part's first page number `first_page`, on the matching side."""
    side = "right" if first_page % 2 else "left"
    return "html { break-before: %s; } @page :first { counter-reset: page %d; }" % (side, first_page)


def _made(future: Future) -> bool:
    """Whether a render finished with a result. A callback may not ask a cancelled
    future for its exception (that raises): an interrupted build cancels its renders."""
    return not future.cancelled() and future.exception() is None


class Parts:
    """Asks for parts: `parts.get(job, done)` is a future of its `Rendered`."""

    def __init__(self, ctx: BuildContext):
        self.ctx = ctx
        self.digest = FileDigests()

    def get(self, job: PdfJob, done=None, later: bool = False) -> Future:
        """The render of `job`, from the cache or the workers; `done()` is called once ready.
        `later`: a render nothing waits for before the assembly (the page furniture),
        which lets the renders asked for after it go first.

        A cached render is used only while every file it read is unchanged (its key
        holds the files its HTML names; an SVG's own images it finds only by reading);
        one that read a remote resource is never cached. What each render read is noted
        in the build's context, for the up-to-date record."""
        cache = self.ctx.cache
        k = job_key(job, self.digest) if cache.enabled else None
        found = cache.get("part", k) if k else None
        cached = Rendered.from_cache(*found) if found is not None else None
        if cached is not None and self._unchanged(cached):
            future: Future = Future()
            future.set_result(cached)
        else:
            pool = self.ctx.pool
            future = pool.later(render, job) if later else pool.submit(render, job)
            if k:
                future.add_done_callback(lambda f: _made(f) and not f.result().remote and cache.put(
                    "part", k, f.result().pdf, f.result().meta()))
        future.add_done_callback(lambda f: _made(f) and self.ctx.read(f.result().reads))
        if done is not None:
            future.add_done_callback(lambda f: _made(f) and done())
        return future

    def _unchanged(self, rendered: Rendered) -> bool:
        return not rendered.remote and all(
            isinstance(path, str) and self.digest(Path(path)) == sha for path, sha in rendered.reads)
