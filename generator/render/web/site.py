"""The web edition's pages: what the site holds, planned once, and each page from it.

`plan_site` reads the edition once, in the build's process, and gives a `Site`: the
publication, the words, the colours, every fiche's address, the index entries and the
anchor of each, the images and their sizes, which downloads exist. A Site is plain data
(it is sent to the workers): `fiche_page(site, fiche)` makes one fiche's page from it
alone, wherever it runs; the home page and the index pages need the whole edition and
are made where it lives.

Every address is relative (`../index.html`, `fiches/x%23y.html`): the site works opened
from the disk and from any folder of any web server. Fiche text only ever reaches the
HTML as a variable of an autoescaping Jinja2 environment, or through render/html.py's
Markdown converter; URLs that a fiche gives go through `safe_href`.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2

from generator.edition.indexes import KINDS, Index, build_indexes
from generator.model import Edition, Fiche, Publication
from generator.render import html as H
from generator.render.filters import date_label, register

INDEX_PAGES = {"partners": "index-partners.html", "themes": "index-themes.html",
               "territories": "index-territories.html"}
HOME = "index.html"
_SAFE_HREF = ("http://", "https://", "mailto:")


@dataclass(frozen=True)
class Picture:
    """A raster image of a fiche, as the site serves it: resized copies of a few widths."""

    stem: str  # images/<sha256 prefix>: the copies are <stem>-<width>.<ext>
    ext: str  # "jpg" or "png"
    widths: tuple[int, ...]  # ascending, the largest at most the original's
    width: int  # of the largest copy
    height: int

    def src(self, width: int) -> str:
        return f"{self.stem}-{width}.{self.ext}"


@dataclass
class Site:
    """What every page of the web edition shares; see the module docstring."""

    pub: Publication  # without its raw bytes or sections
    lang: str
    labels: dict[str, str]
    dirs: tuple[str, ...]  # the web layout's folders: its templates
    theme_class: dict[str, str]  # theme -> CSS class (its colour is in assets/tokens.css)
    anchors: dict[str, dict[str, str]]  # index kind -> entry label -> HTML id on its page
    regions: dict[str, str]  # region -> the filter's key for it
    indexes: list[dict]  # [{kind, title, nav, href, page}]: the published indexes, in order (page: in the booklet)
    sections: dict[str, tuple[int, str | None]]  # fiche id -> (section number, title)
    neighbours: dict[str, tuple[str | None, str | None]]  # fiche id -> (previous, next) ids
    pictures: dict[str, Picture]  # image file (absolute path) -> its copies
    pages: dict[str, int]  # fiche id -> first page in booklet.pdf (when built in this build)
    downloads: frozenset[str]  # among "pdf", "handouts", "docx": formats built beside the site
    date: str | None  # the publication's date, in words


# addresses ----------------------------------------------------------------------------

def page_of(fiche_id: str) -> str:
    """The link to a fiche's page from the site's top folder (the id percent-encoded)."""
    return H.fiche_page(fiche_id)


def file_of(fiche_id: str) -> str:
    """The file of a fiche's page, relative to the site's top folder: the id as it is."""
    return f"fiches/{fiche_id}.html"


def safe_href(url: str | None) -> str | None:
    """A URL a fiche gave, kept only for http, https and mailto (checked when read, and
    again here: a `javascript:` link must never reach a page)."""
    return url if url and url.strip().lower().startswith(_SAFE_HREF) else None


def slug(text: str) -> str:
    """A readable HTML id from a label: « Santé publique » -> sante-publique."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-") or "x"


def _unique(ids: dict[str, str]) -> dict[str, str]:
    """label -> id, each id made unique by -2, -3... in the order given."""
    taken: set[str] = set()
    out = {}
    for label, base in ids.items():
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}-{n}", n + 1
        taken.add(candidate)
        out[label] = candidate
    return out


def _anchors(index: Index, prefix: str) -> dict[str, str]:
    """label -> id for every entry of an index; two labels of the same slug (« École »
    and « école ») get -2, -3... in the index's order, which no other entry changes."""
    return _unique({entry.label: f"{prefix}-{slug(entry.label)}" for entry in index.entries})


# planning -----------------------------------------------------------------------------

def plan_site(edition: Edition, layout, web_layout, *, pictures: dict[str, Picture] | None = None,
              pages: dict[str, tuple[int, int]] | None = None, index_pages: dict[str, int] | None = None,
              downloads=()) -> tuple[Site, dict[str, Index]]:
    """The Site of an edition, and its indexes. `layout` is the print layout (its words
    and colours), `web_layout` the web one (templates, web words), `pages` the booklet's
    pages by fiche id when the booklet is built too."""
    lang = edition.publication.lang
    labels = {**web_layout.labels(lang), **layout.labels(lang)}  # the print layout's words win
    # Every index, published or not: the filter and the cards use them all; the pages
    # and links are those of the indexes publication.yaml asks for.
    every = dataclasses.replace(edition.publication, indexes=list(KINDS))
    indexes = build_indexes(dataclasses.replace(edition, project=dataclasses.replace(edition.project, publication=every)),
                            labels)
    published = [k for k in edition.publication.indexes if k in indexes]
    themes = list(dict.fromkeys(t for fiche in edition.fiches for t in fiche.themes))
    fiches = edition.fiches
    ids = [f.id for f in fiches]
    sections = {}
    for number, section in enumerate(edition.sections, 1):
        for f in section.fiches:
            sections[f.id] = (number, section.title)
    pub = dataclasses.replace(edition.publication, raw=None, sections=[])
    site = Site(
        pub=pub,
        lang=lang,
        labels=labels,
        dirs=tuple(str(d) for d in web_layout.dirs),
        theme_class=H.theme_classes(themes),
        anchors={kind: _anchors(ix, {"partners": "p", "themes": "t", "territories": "l"}[kind])
                 for kind, ix in indexes.items()},
        regions=_unique({g.title: "r-" + slug(g.title) for g in indexes["territories"].groups if g.title}),
        indexes=[{"kind": kind, "title": indexes[kind].title, "nav": labels.get(f"nav_{kind}", indexes[kind].title),
                  "href": INDEX_PAGES[kind], "page": (index_pages or {}).get(kind) if "pdf" in downloads else None}
                 for kind in published],
        sections=sections,
        neighbours={fid: (ids[i - 1] if i else None, ids[i + 1] if i + 1 < len(ids) else None)
                    for i, fid in enumerate(ids)},
        pictures=dict(pictures or {}),
        pages={fid: first for fid, (first, _) in (pages or {}).items()},
        downloads=frozenset(downloads),
        date=date_label(pub.date, lang, labels.get("months") or []),
    )
    return site, indexes


# templates ----------------------------------------------------------------------------

@lru_cache(maxsize=8)
def environment(dirs: tuple[str, ...], lang: str, months: tuple[str, ...]) -> jinja2.Environment:
    """The web layout's templates, configured as layouts.load_layout does (autoescape,
    strict undefined, the filters every layout has), made once per process from the
    layout's folders."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(dirs)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["safe_href"] = safe_href
    env.filters["url"] = lambda text: urllib.parse.quote(str(text), safe="")
    register(env, lang, list(months))
    return env


def _render(site: Site, template: str, root: str, **values) -> bytes:
    html = environment(site.dirs, site.lang, tuple(site.labels.get("months") or ())).get_template(template).render(
        site=site, pub=site.pub, labels=site.labels, lang=site.lang, root=root, **values)
    return html.encode("utf-8")


def _entry_href(site: Site, kind: str, label: str, root: str) -> str | None:
    """The link to `label`'s entry on its index page, when that index is published."""
    if not any(ix["kind"] == kind for ix in site.indexes):
        return None
    anchor = site.anchors.get(kind, {}).get(label)
    return f"{root}{INDEX_PAGES[kind]}#{anchor}" if anchor else None


def _picture(site: Site, path: Path | None, root: str) -> dict | None:
    pic = site.pictures.get(str(path)) if path is not None else None
    if pic is None:
        return None
    return {"src": root + pic.src(pic.width),
            "srcset": ", ".join(f"{root}{pic.src(w)} {w}w" for w in pic.widths),
            "width": pic.width, "height": pic.height}


# pages --------------------------------------------------------------------------------

def fiche_page(site: Site, fiche: Fiche) -> bytes:
    """The page of one fiche, `fiches/ID.html`: from the site and the fiche alone, so
    that it changes only when they do."""
    root = "../"

    def url_for(path: Path) -> str:
        pic = site.pictures.get(str(path))
        return root + pic.src(pic.widths[-1]) if pic else ""

    body = H.body_html(fiche.body, url_for, screen={"notes": site.labels.get("notes", "Notes"),
                                                   "back": site.labels.get("back_to_text", "")})
    number, section = site.sections.get(fiche.id, (0, None))
    previous, following = site.neighbours.get(fiche.id, (None, None))
    t = fiche.territory
    themes = [{"label": th, "class": site.theme_class.get(th, ""), "href": _entry_href(site, "themes", th, root)}
              for th in fiche.themes]
    partners = [{"ref": p, "href": _entry_href(site, "partners", p.name, root), "url": safe_href(p.url)}
                for p in fiche.partners]
    contact = fiche.contact
    return _render(
        site, "fiche-page.html", root,
        fiche=fiche,
        body=body,
        page_title=fiche.title,
        current=None,
        description=fiche.summary,
        canonical=site.pub.base_url + page_of(fiche.id) if site.pub.base_url else None,
        section=section,
        section_href=f"{root}{HOME}#section-{number}" if section else None,
        theme=site.theme_class.get(fiche.themes[0], "") if fiche.themes else "",
        themes=themes,
        territory={"label": t.label(), "region": t.region_shown,
                   "href": _entry_href(site, "territories", t.label(), root)},
        partners=partners,
        contact={"name": contact.name, "organisation": contact.organisation, "email": contact.email,
                 "phone": contact.phone, "url": safe_href(contact.url)} if contact else None,
        source=safe_href(fiche.source),
        picture=_picture(site, fiche.image.path if fiche.image else None, root),
        booklet_page=site.pages.get(fiche.id) if "pdf" in site.downloads else None,
        handout="handouts" in site.downloads,
        docx="docx" in site.downloads,
        file_name=urllib.parse.quote(fiche.id, safe=""),
        previous=root + page_of(previous) if previous else None,
        next=root + page_of(following) if following else None,
    )


def _card(site: Site, fiche: Fiche) -> dict:
    """A fiche on the home page, with the keys the filter matches it by."""
    t = fiche.territory
    keys = site.anchors
    return {
        "fiche": fiche,
        "href": page_of(fiche.id),
        "theme": site.theme_class.get(fiche.themes[0], "") if fiche.themes else "",
        "themes": [{"label": th, "class": site.theme_class.get(th, "")} for th in fiche.themes],
        "place": t.label() + (f" · {t.region_shown}" if t.region_shown else ""),
        "match": {
            "theme": " ".join(dict.fromkeys(keys["themes"][th] for th in fiche.themes)),
            "territory": " ".join(k for k in (keys["territories"][t.label()], site.regions.get(t.region or "")) if k),
            "partner": " ".join(dict.fromkeys(keys["partners"][p.name] for p in fiche.partners)),
        },
    }


def _filters(site: Site, indexes: dict[str, Index]) -> list[dict]:
    """The filter's lists, theme, territory (by region) and partner, each option with
    the key the cards carry; a list with nothing to choose is left out."""
    keys, words = site.anchors, site.labels
    places = []
    for group in indexes["territories"].groups:
        options = [(site.regions[group.title], words.get("filter_whole_region", "{region}").format(region=group.title))] \
            if group.title in site.regions else []
        places.append({"title": group.title, "options": options + [(keys["territories"][e.label], e.label)
                                                                   for e in group.entries]})
    filters = [
        {"name": "theme", "label": words.get("filter_theme", "Theme"), "all": words.get("filter_all_themes", "—"),
         "groups": [{"title": None, "options": [(keys["themes"][e.label], e.label) for e in indexes["themes"].entries]}]},
        {"name": "territory", "label": words.get("filter_territory", "Place"),
         "all": words.get("filter_all_territories", "—"), "groups": places},
        {"name": "partner", "label": words.get("filter_partner", "Partner"), "all": words.get("filter_all_partners", "—"),
         "groups": [{"title": None, "options": [(keys["partners"][e.label], e.label)
                                                for e in indexes["partners"].entries if not e.see]}]},
    ]
    return [f for f in filters if sum(len(g["options"]) for g in f["groups"]) > 1]


def home_page(site: Site, edition: Edition, indexes: dict[str, Index]) -> bytes:
    """The home page, `index.html`: title, introduction, downloads, the filter and the
    contents by section."""
    sections = []
    for number, section in enumerate(edition.sections, 1):
        if section.fiches:
            sections.append({"number": number, "title": section.title,
                             "cards": [_card(site, f) for f in section.fiches]})
    intro = site.pub.introduction
    return _render(
        site, "home.html", "",
        intro=H.body_html(intro, lambda path: None, screen={"notes": site.labels.get("notes", "Notes"),
                                                           "back": site.labels.get("back_to_text", "")}) if intro else None,
        page_title=None,
        description=site.pub.subtitle,
        canonical=site.pub.base_url + HOME if site.pub.base_url else None,
        current=HOME,
        sections=sections,
        filters=_filters(site, indexes),
        count=len(edition.fiches),
        booklet_pdf="pdf" in site.downloads,
        booklet_docx="docx" in site.downloads,
    )


def index_page(site: Site, kind: str, index: Index, edition: Edition) -> bytes:
    """The page of one index: each entry with its anchor and a link to each of its fiches."""
    by_id = {f.id: f for f in edition.fiches}
    anchors = site.anchors.get(kind, {})
    groups = []
    for group in index.groups:
        entries = []
        for entry in group.entries:
            entries.append({
                "label": entry.label,
                "id": anchors.get(entry.label),
                "see": entry.see,
                "see_id": anchors.get(entry.see) if entry.see else None,
                "fiches": [{"title": by_id[f].title, "href": page_of(f), "place": by_id[f].territory.label()}
                           for f in entry.fiches if f in by_id],
            })
        groups.append({"title": group.title, "id": "g-" + slug(group.title) if group.title else None,
                       "entries": entries})
    page = INDEX_PAGES[kind]
    return _render(
        site, "index-page.html", "",
        page_title=index.title,
        description=None,
        canonical=site.pub.base_url + page if site.pub.base_url else None,
        kind=kind,
        current=page,
        index=index,
        groups=groups,
        entry_count=sum(1 for e in index.entries if not e.see),
        booklet_page=next((ix["page"] for ix in site.indexes if ix["kind"] == kind), None),
    )


def pages(site: Site, edition: Edition, indexes: dict[str, Index]) -> dict[str, bytes]:
    """Every page but the fiches': the home page and the published index pages, by
    path in web/. `indexes` are plan_site's (all of them)."""
    out = {HOME: home_page(site, edition, indexes)}
    for ix in site.indexes:
        out[ix["href"]] = index_page(site, ix["kind"], indexes[ix["kind"]], edition)
    return out


def characters(labels: dict) -> str:
    """Characters the site's own words (`labels`) and signs print, beyond the edition's
    text: the fonts are subset to these too."""
    words = [v for v in labels.values() if isinstance(v, str)]
    words += [m for v in labels.values() if isinstance(v, list) for m in v if isinstance(m, str)]
    return "".join(sorted(set("".join(words)) | set("↩←→↑›·–—…’«»0123456789")))


__all__ = ["Site", "Picture", "plan_site", "fiche_page", "home_page", "index_page", "pages", "page_of", "file_of",
           "INDEX_PAGES", "HOME", "environment", "characters", "safe_href"]
