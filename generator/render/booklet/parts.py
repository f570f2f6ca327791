"""The booklet's parts: what makes a part of the booklet different from any WeasyPrint
document (render/weasy.py), and how the booklet asks for one.

A fiche part is the fiche alone: running heads, folios and crop marks are drawn by the
furniture part and laid under it (join.py), so that the fiche's layout never depends on
the page number it lands on. A part is taken from the cache when it is there, else
rendered by the build's workers; the main process alone writes the cache.
"""

from __future__ import annotations

from concurrent.futures import Future

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


def offset_css(first_page: int) -> str:
    """CSS that makes a part's first page number `first_page`, on the matching side."""
    side = "right" if first_page % 2 else "left"
    return "html { break-before: %s; } @page :first { counter-reset: page %d; }" % (side, first_page)


class Parts:
    """Asks for parts: `parts.get(job, done)` is a future of its `Rendered`."""

    def __init__(self, ctx: BuildContext):
        self.ctx = ctx
        self.digest = FileDigests()

    def get(self, job: PdfJob, done=None) -> Future:
        """The render of `job`, from the cache or the workers; `done()` is called once ready."""
        cache = self.ctx.cache
        k = job_key(job, self.digest) if cache.enabled else None
        found = cache.get("part", k) if k else None
        if found is not None:
            future: Future = Future()
            future.set_result(Rendered.from_cache(*found))
        else:
            future = self.ctx.pool.submit(render, job)
            if k:
                future.add_done_callback(lambda f: f.exception() or cache.put("part", k, f.result().pdf,
                                                                            f.result().meta()))
        if done is not None:
            future.add_done_callback(lambda f: done())
        return future
