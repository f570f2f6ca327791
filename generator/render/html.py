"""HTML for WeasyPrint and for browsers: the fiche body, the fiche, the booklet's parts.

Every piece of fiche text reaches the HTML through `markupsafe.escape` (the Markdown
tree) or as a Jinja2 variable of an autoescaping environment (the templates): a fiche
can never add markup, and `{{ 7*7 }}` in a title prints as written.

Reusable pieces (the handout and web renderers use them):
  body_html(node, url_for=None, screen=None) -> Markup  the fiche body, footnotes included
  online_url(fiche, pub) -> str | None              where the QR code of a fiche leads
  fiche_page(fiche_id) -> str                       a fiche's page in the web edition
  qr_svg(url, dark="#222222") -> Markup             an inline SVG QR code
  RenderContext / make_context(edition, layout, url_for=None)
  fiche_html(fiche, ctx, section=None) -> Markup    the <article> of one fiche
  document_html(ctx, parts, ...) -> str             a whole HTML document around parts
"""

from __future__ import annotations

import base64
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

import segno
from markupsafe import Markup, escape

from generator.edition.indexes import Index
from generator.model import Edition, Fiche
from generator.read.limits import MAX_FOOTNOTES
from generator.read.markdown import Node
from generator.render.faces import FACES

UrlFor = Callable[[Path], str]


def _file_uri(path: Path) -> str:
    return Path(path).resolve().as_uri()


# --- the Markdown tree ------------------------------------------------------------

def body_html(node: Node, url_for: UrlFor | None = None, screen: dict[str, str] | None = None) -> Markup:
    """The HTML of a fiche body (a `markdown.parse` document).

    Footnotes become WeasyPrint footnotes (`<span class="footnote">`, which the CSS
    floats to the page foot) at the place of their first call; a later call of the same
    note prints its number. A note called from a note follows its caller's text in the
    same footnote, as in the Word files (a chain of notes is no chain of nested
    footnotes). The target of each link is printed in a footnote too, since paper has
    no links, while the fiche's footnotes number fewer than limits.MAX_FOOTNOTES (each
    one costs WeasyPrint a layout of its page's footnote area); beyond, it is printed
    after the link's text. `url_for(path)` gives the URL of a local image (default: a
    file:// URI); a remote image (allow_remote) keeps its URL, for the render's fetcher
    to fetch or refuse; an image the reader did not resolve, or for which url_for gives
    no URL, is left out: its alt text stands in.

    `screen`, for a browser (the web edition), gives the words it prints (`notes`, the
    notes' title; `back`, the name of a note's link back to its call): footnotes are
    then numbered calls linking to a list of notes after the text, a link's target is
    not repeated, and a heading never skips a level (« ## » then « #### » would read as
    a missing level to a screen reader's user).
    """
    notes = {n.attrs["number"]: n for n in node.attrs.get("footnotes", ())}
    state = _BodyState(notes, url_for or _file_uri, screen, link_notes=max(0, MAX_FOOTNOTES - len(notes)))
    body = Markup("").join(state.block(c) for c in node.children)
    return body + state.endnotes() if screen is not None else body


@dataclass
class _BodyState:
    notes: dict[int, Node]
    url_for: UrlFor
    screen: dict[str, str] | None = None  # see body_html
    link_notes: int = MAX_FOOTNOTES  # links whose target may still go to a footnote
    called: dict[int, int] = field(default_factory=dict)  # note number -> printed order
    inner: set[int] = field(default_factory=set)  # notes printed inside another note
    following: list[Node] | None = None  # while a note is printed: the notes it calls
    level: int = 1  # the last heading's level, on screen

    def endnotes(self) -> Markup:
        """On screen: the notes called, in the order of their calls, after the text (a
        note may call another: it joins the list)."""
        items, done = [], 0
        while done < len(self.called):
            number, shown = sorted(self.called.items(), key=lambda item: item[1])[done]
            done += 1
            items.append(Markup('<li id="note-%d">%s <a class="note-back" href="#note-call-%d" aria-label="%s">↩</a></li>\n')
                         % (shown, self.blocks(self.notes[number].children), shown, self.screen.get("back", "")))
        if not items:
            return Markup("")
        return Markup('<section class="notes" aria-labelledby="notes-title">\n<h2 id="notes-title">%s</h2>\n'
                      '<ol>\n%s</ol>\n</section>\n') % (self.screen.get("notes", "Notes"), Markup("").join(items))

    def blocks(self, nodes: Iterable[Node]) -> Markup:
        return Markup("").join(self.block(n) for n in nodes)

    def inlines(self, nodes: Iterable[Node]) -> Markup:
        # Two calls side by side (« projet²³ ») would read as one number: the second
        # gets the class footnote-next, which the CSS prints with a comma before it.
        return Markup(_NEXT_CALL.sub(_mark_next, str(Markup("").join(self.inline(n) for n in nodes))))

    def block(self, n: Node) -> Markup:
        t = n.type
        if t == "paragraph":
            return Markup("<p>%s</p>\n") % self.inlines(n.children)
        if t == "heading":
            level = n.attrs.get("level", 2)
            if self.screen is not None:
                level = self.level = min(level, self.level + 1)
            return Markup("<h%d>%s</h%d>\n") % (level, self.inlines(n.children), level)
        if t == "bullet_list":
            return Markup("<ul>\n%s</ul>\n") % self.blocks(n.children)
        if t == "ordered_list":
            start = int(n.attrs.get("start", 1))
            attr = Markup(' start="%d"') % start if start != 1 else Markup("")
            return Markup("<ol%s>\n%s</ol>\n") % (attr, self.blocks(n.children))
        if t == "list_item":
            # Tight list items hold one paragraph: print it without a <p> margin.
            if len(n.children) == 1 and n.children[0].type == "paragraph":
                return Markup("<li>%s</li>\n") % self.inlines(n.children[0].children)
            return Markup("<li>%s</li>\n") % self.blocks(n.children)
        if t == "blockquote":
            return Markup("<blockquote>%s</blockquote>\n") % self.blocks(n.children)
        if t == "code_block":
            return Markup("<pre>%s</pre>\n") % n.text
        if t == "hr":
            return Markup("<hr>\n")
        if t == "table":
            return Markup('<table>\n%s</table>\n') % self.blocks(n.children)
        if t in ("thead", "tbody", "tr"):
            return Markup("<%s>%s</%s>\n") % (t, self.blocks(n.children), t)
        if t in ("th", "td"):
            align = n.attrs.get("align")
            cls = Markup(' class="align-%s"') % align if align in ("left", "center", "right") else Markup("")
            return Markup("<%s%s>%s</%s>") % (t, cls, self.inlines(n.children), t)
        return self.inline(n)

    def inline(self, n: Node) -> Markup:
        t = n.type
        if t == "text":
            return escape(n.text)
        if t == "softbreak":
            return Markup("\n")
        if t == "hardbreak":
            return Markup("<br>")
        if t == "code":
            return Markup("<code>%s</code>") % n.text
        if t in ("strong", "em", "sup", "sub"):
            return Markup("<%s>%s</%s>") % (t, self.inlines(n.children), t)
        if t == "span":
            return self.inlines(n.children)
        if t == "link":
            href = n.attrs.get("href", "")
            text = self.inlines(n.children)
            shown = href[7:] if href.lower().startswith("mailto:") else href
            link = Markup('<a href="%s">%s</a>') % (href, text)
            if self.screen is not None or n.plain().strip() in (href, shown):
                return link
            if self.link_notes <= 0 or self.following is not None:
                return link + Markup(' <span class="link-url">(%s)</span>') % shown
            self.link_notes -= 1
            return link + Markup('<span class="footnote link-note">%s</span>') % shown
        if t == "image":
            path = n.attrs.get("path")
            if n.attrs.get("remote") and n.attrs.get("src", "").lower().startswith(("http://", "https://")):
                return Markup('<img src="%s" alt="%s">') % (n.attrs["src"], n.attrs.get("alt") or "")
            src = self.url_for(Path(path)) if path else None
            if not src:  # not resolved by the reader, or not served (the web edition's SVG)
                return escape(n.attrs.get("alt") or "")
            return Markup('<img src="%s" alt="%s">') % (src, n.attrs.get("alt") or "")
        if t == "footnote_ref":
            return self.footnote(n.attrs.get("number"))
        return escape(n.plain())

    def footnote(self, number) -> Markup:
        if number in self.called:
            if self.screen is not None:
                return Markup('<sup class="note-call"><a href="#note-%d">%d</a></sup>') % ((self.called[number],) * 2)
            return Markup('<sup class="footnote-again">%d</sup>') % self.called[number]
        note = self.notes.get(number)
        if note is None:
            return Markup("")
        if self.screen is not None:  # a numbered call, the note listed after the text
            shown = self.called[number] = len(self.called) + 1
            return Markup('<sup class="note-call"><a id="note-call-%d" href="#note-%d">%d</a></sup>') % (shown, shown, shown)
        if self.following is not None:  # called from a note: it follows that note's text
            if number not in self.inner:
                self.inner.add(number)
                self.following.append(note)
            return Markup('<sup class="footnote-again">%d</sup>') % number
        self.called[number] = len(self.called) + 1
        self.following = []
        try:
            parts = [self._note_text(note)]
            while self.following:
                inner = self.following.pop(0)
                parts.append(Markup("%d.\u00a0") % inner.attrs.get("number", 0) + self._note_text(inner))
        finally:
            self.following = None
        return Markup('<span class="footnote">%s</span>') % Markup(" ").join(parts)

    def _note_text(self, note: Node) -> Markup:
        # A footnote is inline content at the page foot: its paragraphs run together.
        return Markup(" ").join(self.inlines(b.children) if b.type == "paragraph" else escape(b.plain())
                                for b in note.children)


_NEXT_CALL = re.compile(r'(</span>|</sup>)<(span class="footnote|sup class="footnote-again)')


def _mark_next(m: re.Match) -> str:
    return f"{m.group(1)}<{m.group(2)} footnote-next"


@lru_cache(maxsize=4096)
def qr_svg(url: str, dark: str = "#222222") -> Markup:
    """A QR code of `url` as inline SVG (no external file), sized by CSS. Remembered:
    a build makes each fiche's HTML more than once (cache keys, booklet.html), and
    segno takes some 5 ms a code."""
    qr = segno.make(url, error="m")
    svg = qr.svg_inline(scale=1, border=0, dark=dark, omitsize=True)
    return Markup(svg)


# --- the booklet's parts ------------------------------------------------------------

@dataclass
class RenderContext:
    """What every template of an edition needs, computed once per build."""

    edition: Edition
    layout: object  # layouts.Layout
    labels: dict[str, str]
    theme_colours: dict[str, str]  # theme -> colour
    theme_class: dict[str, str]  # theme -> CSS class
    url_for: UrlFor = _file_uri
    sections: dict[str, str | None] = field(default_factory=dict)  # fiche id -> section title
    qr: Callable[[str], Markup] = qr_svg  # a source URL -> its QR code (cached_qr keeps them between builds)

    def template(self, name: str):
        return self.layout.env.get_template(name)


def cached_qr(cache) -> Callable[[str], Markup]:
    """qr_svg, its codes kept in `cache` (generator.cache.Cache) between builds: making
    them is most of the time spent writing a catalogue's HTML (3 to 4 ms a code)."""
    from generator.cache import key

    def qr(url: str) -> Markup:
        svg, _ = cache.memo("qr", key("qr", segno.__version__, url), lambda: (str(qr_svg(url)).encode("utf-8"), {}))
        return Markup(svg.decode("utf-8"))
    return qr


def theme_classes(themes: list[str]) -> dict[str, str]:
    """theme -> CSS class, named after the theme (« Santé » -> theme-sante), so that a
    fiche's HTML does not change when other fiches bring or drop themes."""
    out: dict[str, str] = {}
    for theme in themes:
        plain = unicodedata.normalize("NFKD", theme).encode("ascii", "ignore").decode().lower()
        name = "theme-" + (re.sub(r"[^a-z0-9]+", "-", plain).strip("-") or "x")
        taken = set(out.values())
        candidate, n = name, 2
        while candidate in taken:
            candidate, n = f"{name}-{n}", n + 1
        out[theme] = candidate
    return out


def make_context(edition: Edition, layout, url_for: UrlFor | None = None, qr=None) -> RenderContext:
    themes: list[str] = []
    for fiche in edition.fiches:
        for theme in fiche.themes:
            if theme not in themes:
                themes.append(theme)
    colours = layout.theme_colours(themes)
    return RenderContext(
        edition=edition,
        layout=layout,
        labels=layout.labels(edition.publication.lang),
        theme_colours=colours,
        theme_class=theme_classes(themes),
        url_for=url_for or _file_uri,
        sections={f.id: s.title for s in edition.sections for f in s.fiches},
        qr=qr or qr_svg,
    )


def fiche_page(fiche_id: str) -> str:
    """The address of a fiche's page in the web edition, relative to the site's top
    (`web/` in OUT): `fiches/ID.html`, the id percent-encoded (ids are file names: any
    character goes, « # » and « ? » included)."""
    return "fiches/" + urllib.parse.quote(fiche_id, safe="") + ".html"


def online_url(fiche: Fiche, pub) -> str | None:
    """Where a fiche's QR code and printed address lead: its page in the web edition
    when publication.yaml gives `base_url`, else the fiche's own `source`, if any."""
    base = getattr(pub, "base_url", None)
    if base:
        return base + fiche_page(fiche.id)
    return fiche.source


def anchor(fiche_id: str) -> str:
    """The HTML id of a fiche's article: fiche ids are file names, any character goes."""
    return "fiche-" + re.sub(r"[^A-Za-z0-9_-]", lambda m: f"_{ord(m.group()):x}_", fiche_id)


def fiche_html(fiche: Fiche, ctx: RenderContext, section: str | None = None) -> Markup:
    """One fiche as an <article>, from the layout's `fiche.html` template."""
    online = online_url(fiche, ctx.edition.publication)
    return Markup(ctx.template(ctx.layout.settings.get("templates", {}).get("fiche", "fiche.html")).render(
        fiche=fiche,
        anchor=anchor(fiche.id),
        section=section if section is not None else ctx.sections.get(fiche.id),
        body=body_html(fiche.body, ctx.url_for),
        image_url=ctx.url_for(fiche.image.path) if fiche.image else None,
        qr=ctx.qr(online) if online else None,
        online=online,
        theme_class=ctx.theme_class,
        labels=ctx.labels,
        pub=ctx.edition.publication,
    ))


def part_html(ctx: RenderContext, template: str, **values) -> Markup:
    """A part of the booklet (cover, contents, indexes, furniture) from its template."""
    return Markup(ctx.template(template).render(labels=ctx.labels, pub=ctx.edition.publication,
                                                theme_class=ctx.theme_class, anchor=anchor, **values))


def contents_rows(ctx: RenderContext, pages: dict[str, tuple[int, int]], href: Callable[[str], str]) -> list[dict]:
    """The contents: one row per section heading and per fiche, with page and link.
    `href(target)`: a fiche id, "index-KIND", or "section:ID" for a section's line (it
    goes to the section's first fiche, ID; the PDF describes it by the section's title).
    Each row's `anchor` is an HTML id: booklet/pagination.py reads where rows fall."""
    rows = []
    for section in ctx.edition.sections:
        if section.title and len(ctx.edition.sections) > 1 or section.title and section.fiches:
            first = pages.get(section.fiches[0].id, (0, 0))[0] if section.fiches else 0
            rows.append({"kind": "section", "title": section.title, "page": first, "anchor": f"toc-{len(rows)}",
                         "href": href("section:" + section.fiches[0].id) if section.fiches else None})
        for fiche in section.fiches:
            rows.append({"kind": "fiche", "title": fiche.title, "page": pages.get(fiche.id, (0, 0))[0],
                         "href": href(fiche.id), "fiche": fiche, "anchor": f"toc-{len(rows)}"})
    return rows


def index_views(indexes: dict[str, Index], pages: dict[str, tuple[int, int]],
                href: Callable[[str], str]) -> list[dict]:
    """The indexes with their page numbers: each entry lists, ascending and once each,
    the first page of every fiche it occurs in, each number linked to that page."""
    views = []
    for kind, index in indexes.items():
        groups = []
        for group in index.groups:
            entries = []
            for entry in group.entries:
                firsts = sorted({pages[f][0]: f for f in entry.fiches if f in pages}.items())
                entries.append({"label": entry.label, "see": entry.see,
                                "pages": [{"number": n, "href": href(f)} for n, f in firsts]})
            groups.append({"title": group.title, "entries": entries})
        views.append({"kind": kind, "title": index.title, "groups": groups})
    return views


def css_family(family: str) -> str:
    """The CSS family name of a vendored face: « Recueil Vollkorn » for Vollkorn. Its
    own name would lose to a copy of the font installed on the machine (fontconfig
    prefers it), and every machine would then embed a different font."""
    return f"Recueil {family}"


def font_faces_css(url_for_face: Callable[[object], str], design=None, faces=None) -> str:
    """@font-face rules for every face of the edition's `design` (its typefaces and the
    fallback; `faces` to choose some), or of the vendored FACES without one;
    `url_for_face(face)` gives its URL."""
    if design is not None:
        return design.font_faces_css(url_for_face, faces)
    rules = []
    for face in FACES:
        rules.append(
            "@font-face { font-family: \"%s\"; src: url(%s) format('truetype'); font-weight: %d; font-style: %s; }"
            % (css_family(face.family), url_for_face(face), face.weight, "italic" if face.italic else "normal"))
    return "\n".join(rules)


def _design(layout):
    """The layout's design tokens (a stand-in layout without them: the defaults)."""
    found = getattr(layout, "design", None)
    if found is None:
        from generator import design

        found = design.resolve(getattr(layout, "settings", {}) or {}, None, [])
    return found


def data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def document_html(ctx: RenderContext, parts: Iterable[Markup], *, css: str, body_class: str = "",
                  dates: tuple[str, str] | None = None, stylesheet_href: str | None = None,
                  themes: Iterable[str] | None = None) -> str:
    """A complete HTML document holding `parts`, styled by `css` (inlined) or by a
    linked stylesheet. `dates` (ISO) become dcterms.created/modified, which WeasyPrint
    writes as the PDF's dates. `themes`: the themes whose colours it needs (default all):
    a booklet part names only its own, so that its cache entry outlives other fiches."""
    pub = ctx.edition.publication
    wanted = None if themes is None else set(themes)
    design = _design(ctx.layout)
    # (class, colour, as text, ink on it): what a theme's colour becomes where it carries text
    styles = [(ctx.theme_class[t], c, design.text_colour(c), design.ink_on(c))
              for t, c in ctx.theme_colours.items() if wanted is None or t in wanted]
    return ctx.template(ctx.layout.settings.get("templates", {}).get("document", "document.html")).render(
        pub=pub,
        lang=pub.lang,
        css=Markup(css),  # layout CSS and our generated @font-face rules: not fiche text
        stylesheet_href=stylesheet_href,
        # theme_colours: (class, colour), kept for layouts of a project that name it
        theme_colours=[(cls, c) for cls, c, _text, _ink in styles],
        theme_styles=styles,
        accent=design.values["accent"],
        cover_background=design.values["cover_background"] or design.values["accent"],
        body_class=body_class,
        parts=list(parts),
        dates=dates,
        labels=ctx.labels,
    )
