"""The web edition (`--format web`): a static site in OUT/web/, tested as a reader meets it,
in a real browser (tests/browser.py: Debian's Chromium, axe-core), opened from the disk
and from a web server under a sub-path, and as files: relative links only, byte-identical
builds, an edit that rewrites only what it must, hostile fiches kept inert, base_url
making the QR codes of print lead to the site.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import shutil
import threading
import urllib.parse
from functools import partial
from pathlib import Path

import pytest
from browser import audit
from conftest import (
    REPO,
    fiche_text,
    minimal_front,
    png_bytes,
    run_recueil,
    write_project,
)
from lxml import html as lxml_html

HOME = "index.html"
FICHE = "fiches/envie-autonomie-49.html"
INDEXES = ("index-partners.html", "index-themes.html", "index-territories.html")


def build(project: Path, out: Path, *extra: str, formats: str = "web") -> None:
    done = run_recueil("build", str(project), "--out", str(out), "--format", formats, *extra)
    assert done.returncode == 0, done.stderr


def web_files(out: Path) -> dict[str, str]:
    """sha256 of every file of the site, by path relative to OUT/web."""
    top = out / "web"
    return {p.relative_to(top).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(top.rglob("*")) if p.is_file()}


def copy_sample(dest: Path) -> Path:
    """The sample edition (the repository's own project), copied so a test may edit it."""
    dest.mkdir(parents=True)
    for name in ("publication.yaml", "partners.yaml"):
        shutil.copy(REPO / name, dest / name)
    shutil.copytree(REPO / "fiches", dest / "fiches")
    return dest


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """The sample edition built whole (booklet, handouts, Word files, site): OUT."""
    out = tmp_path_factory.mktemp("sample") / "output"
    build(REPO, out, formats="pdf,handouts,docx,web")
    return out


class Served:
    """OUT served by a local web server under a sub-path: http://127.0.0.1:PORT/a/b/."""

    def __init__(self, out: Path, tmp: Path, prefix: str = "publications/recueil 2025"):
        self.top = tmp / "www"
        (self.top / prefix).parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(out, self.top / prefix)
        handler = partial(_QuietHandler, directory=str(self.top))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/{urllib.parse.quote(prefix)}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D102 - the test output is no place for an access log
        pass


@pytest.fixture(scope="module")
def served(sample, tmp_path_factory):
    server = Served(sample, tmp_path_factory.mktemp("served"))
    try:
        yield server
    finally:
        server.close()


def visit(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")


def outside(requests: list[str], site: str) -> list[str]:
    return [r for r in requests if not r.startswith(site) and not r.startswith("data:")]


# the files ----------------------------------------------------------------------------

def test_the_site_has_a_page_per_fiche_and_per_index_and_build_json_lists_every_file(sample):
    files = web_files(sample)
    manifest = json.loads((sample / "build.json").read_text(encoding="utf-8"))
    ids = [f["id"] for f in manifest["fiches"]]
    assert {HOME, *INDEXES, "assets/site.css", "assets/tokens.css", "assets/filter.js"} <= set(files)
    assert {f"fiches/{i}.html" for i in ids} <= set(files)
    assert any(p.startswith("fonts/") and p.endswith((".woff2", ".ttf")) for p in files)
    listed = {o["path"]: o["sha256"] for o in manifest["outputs"] if o["path"].startswith("web/")}
    assert listed == {f"web/{p}": sha for p, sha in files.items()}


def test_every_link_is_relative_and_leads_to_a_file_of_the_build(sample):
    """No address leaves OUT, nothing is absolute: the site works from the disk and
    under any sub-path; links to the booklet, handouts and Word files reach them."""
    top = sample / "web"
    for page in sorted(top.rglob("*.html")):
        tree = lxml_html.fromstring(page.read_bytes())
        for element, _, link, _ in tree.iterlinks():
            if element.tag == "a" and link.startswith(("http://", "https://", "mailto:")):
                continue  # a fiche's own links, followed only when clicked
            assert not re.match(r"^[a-z]+:|^/", link), f"{page.name}: {link}"
            target = urllib.parse.unquote(link.split("#")[0])
            if target:
                assert (page.parent / target).resolve().is_file(), f"{page.relative_to(top)}: {link}"
            if "#" in link and not link.split("#")[0].endswith(".pdf"):
                doc = lxml_html.fromstring(((page.parent / target) if target else page).read_bytes())
                assert doc.get_element_by_id(link.split("#")[1], None) is not None, f"{page.name}: {link}"
    css = (top / "assets" / "tokens.css").read_text(encoding="utf-8")
    for url in re.findall(r"url\(\"?([^\")]+)", css):
        assert not re.match(r"^[a-z]+:|^/", url) and (top / "assets" / url).resolve().is_file()


def test_a_fiche_page_links_to_its_page_in_the_booklet_and_its_downloads(sample):
    manifest = json.loads((sample / "build.json").read_text(encoding="utf-8"))
    first = {f["id"]: f["first_page"] for f in manifest["fiches"]}["envie-autonomie-49"]
    text = (sample / "web" / FICHE).read_text(encoding="utf-8")
    assert f'href="../../booklet.pdf#page={first}"' in text
    assert 'href="../../fiches/envie-autonomie-49.pdf"' in text
    assert 'href="../../fiches/envie-autonomie-49.docx"' in text
    home = (sample / "web" / HOME).read_text(encoding="utf-8")
    assert 'href="../booklet.pdf"' in home and 'href="../booklet.docx"' in home
    last = max(f["last_page"] for f in manifest["fiches"])
    for name in INDEXES:  # the indexes follow the fiches in the booklet
        found = re.search(r'href="../booklet.pdf#page=(\d+)"', (sample / "web" / name).read_text(encoding="utf-8"))
        assert found and int(found[1]) > last, name


def test_a_web_only_build_links_to_no_file_it_did_not_build(tmp_path):
    out = tmp_path / "out"
    build(REPO, out)
    text = (out / "web" / FICHE).read_text(encoding="utf-8")
    home = (out / "web" / HOME).read_text(encoding="utf-8")
    assert "booklet.pdf" not in text + home and ".docx" not in text + home and "fiches/envie-autonomie-49.pdf" not in text


def test_pages_are_semantic_html(sample):
    for name in (HOME, FICHE, *INDEXES):
        tree = lxml_html.fromstring((sample / "web" / name).read_bytes())
        assert tree.get("lang") == "fr"
        assert len(tree.xpath("//h1")) == 1, name
        assert len(tree.xpath("//main")) == 1 and tree.xpath("//header") and tree.xpath("//footer")
        assert tree.xpath("//a[@class='skip-link']/@href") == ["#main"]
        levels = [int(h.tag[1]) for h in tree.xpath("//main//*[self::h1 or self::h2 or self::h3 or self::h4]")]
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), f"{name}: headings {levels}"
    fiche = lxml_html.fromstring((sample / "web" / FICHE).read_bytes())
    assert fiche.xpath("//main//article//h1")
    assert fiche.xpath("//a[contains(@href, 'index-territories.html#')]")
    assert fiche.xpath("//a[contains(@href, 'index-themes.html#')]")


# in a browser -------------------------------------------------------------------------

def test_every_page_loads_from_the_disk_without_error_or_outside_request(sample, page):
    top = sample / "web"
    site = top.as_uri() + "/"
    for path in sorted(top.rglob("*.html")):
        visit(page, path.as_uri())
    assert page.watched.console_errors == []
    assert outside(page.watched.requests, site) == []
    assert any(r.endswith((".woff2", ".ttf")) for r in page.watched.requests), "the site's own fonts are used"


def test_every_page_loads_from_a_web_server_under_a_sub_path(served, sample, page):
    top = sample / "web"
    site = served.base + "web/"
    for path in sorted(top.rglob("*.html")):
        rel = path.relative_to(top).as_posix()
        visit(page, site + urllib.parse.quote(rel))
        assert page.evaluate("document.styleSheets.length") >= 2, rel
    assert page.watched.console_errors == []
    assert outside(page.watched.requests, site) == []


@pytest.mark.parametrize("name", [HOME, FICHE, "index-partners.html", "index-territories.html"])
def test_axe_finds_no_accessibility_violation(served, page, name):
    visit(page, served.base + "web/" + name)
    assert audit(page) == []


def test_the_filter_narrows_the_list_and_says_how_many(sample, page):
    visit(page, (sample / "web" / HOME).as_uri())
    cards = page.locator("[data-card]")
    total = cards.count()
    assert total == 5 and page.locator("#filter").is_visible()
    page.select_option("#filter-theme", label="Jeunesse")
    visible = page.locator("[data-card]:visible")
    assert 0 < visible.count() < total
    assert all("Jeunesse" in visible.nth(i).inner_text() or "JEUNESSE" in visible.nth(i).inner_text()
               for i in range(visible.count()))
    assert page.locator(".filter-count").inner_text().startswith(f"{visible.count()} fiche")
    page.select_option("#filter-territory", label="Guyane")
    assert page.locator("[data-card]:visible").count() == 0
    assert "Aucune fiche" in page.locator(".filter-count").inner_text()
    page.click("button[type=reset]")
    page.wait_for_function("document.querySelectorAll('[data-card]:not([hidden])').length === 5")
    page.select_option("#filter-partner", label="Viltaïs")
    assert page.locator("[data-card]:visible").count() == 1
    assert page.watched.console_errors == []


def test_a_link_may_preselect_the_filter(sample, page):
    home = lxml_html.fromstring((sample / "web" / HOME).read_bytes())
    key = home.xpath("//select[@id='filter-theme']/option[text()='Autonomie']/@value")[0]
    visit(page, (sample / "web" / HOME).as_uri() + f"?theme={key}&partner=%E2%82%AC%ZZ")
    assert page.locator("[data-card]:visible").count() == 1
    assert page.watched.console_errors == []


def test_without_javascript_every_fiche_is_listed_and_the_filter_is_hidden(sample, browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    try:
        p = context.new_page()
        p.goto((sample / "web" / HOME).as_uri())
        assert p.locator("[data-card]:visible").count() == 5
        assert not p.locator("#filter").is_visible()
    finally:
        context.close()


@pytest.mark.parametrize("width", [320, 390])
def test_a_phone_sized_window_shows_every_page_without_sideways_scrolling(sample, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 844}, device_scale_factor=2, is_mobile=True)
    try:
        p = context.new_page()
        for name in (HOME, FICHE, *INDEXES):
            p.goto((sample / "web" / name).as_uri())
            assert p.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
    finally:
        context.close()


def test_the_print_stylesheet_leaves_out_navigation(sample, page):
    visit(page, (sample / "web" / FICHE).as_uri())
    page.emulate_media(media="print")
    assert not page.locator(".banner").is_visible() and not page.locator(".pager").is_visible()
    assert page.locator("article h1").is_visible()


def test_keyboard_focus_is_visible_and_the_skip_link_leads_to_the_content(sample, page):
    visit(page, (sample / "web" / FICHE).as_uri())
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


# guarantees ---------------------------------------------------------------------------

def test_two_builds_give_byte_identical_sites(tmp_path):
    """Two builds of the same sources, in other folders and without a shared cache."""
    a, b = copy_sample(tmp_path / "a"), copy_sample(tmp_path / "b")
    build(a, tmp_path / "out-a", "--no-cache")
    build(b, tmp_path / "out-b")
    assert web_files(tmp_path / "out-a") == web_files(tmp_path / "out-b")


def test_a_one_fiche_edit_rewrites_its_page_the_home_and_the_indexes_only(tmp_path):
    project = copy_sample(tmp_path / "projet")
    out = tmp_path / "out"
    build(project, out)
    before = web_files(out)
    dates = {p: (out / "web" / p).stat().st_mtime_ns for p in before}
    fiche = project / "fiches" / "autonomie" / "envie-autonomie-49.md"
    fiche.write_text(fiche.read_text(encoding="utf-8") + "\nUne phrase de plus.\n", encoding="utf-8")
    build(project, out)
    after = web_files(out)
    assert set(after) == set(before)
    changed = {p for p in after if after[p] != before[p]}
    assert FICHE in changed
    assert changed <= {FICHE, HOME, *INDEXES}
    moved = {p for p in after if (out / "web" / p).stat().st_mtime_ns != dates[p]}
    assert moved <= {FICHE, HOME, *INDEXES}, "unchanged files keep their date"


def test_a_hostile_fiche_stays_inert(tmp_path, page):
    body = ("Du texte <script>alert('x')</script> et <img src=x onerror=alert(1)> et "
            "[un lien](javascript:alert(2)) et <a href='javascript:alert(3)'>un autre</a>.\n\n"
            "<iframe src='https://example.org'></iframe>\n\nUne note[^1].\n\n[^1]: {{ 7*7 }} <b>gras</b>\n")
    front = minimal_front("{{ 7*7 }} <em>titre</em>", summary="{% include '/etc/passwd' %}",
                          themes=["<script>x</script>"], contact={"url": "https://example.org/?a=<b>"})
    project = write_project(tmp_path / "projet", {"piege": fiche_text(front, body), "sage": minimal_front("Sage")})
    out = tmp_path / "out"
    build(project, out)
    top = out / "web"
    for path in top.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "<script>" not in text.replace('<script src="assets/filter.js"></script>', "")
        assert "onerror" not in text and "<iframe" not in text and "49" not in text
        tree = lxml_html.fromstring(text.encode())
        assert not [v for v in tree.xpath("//@href | //@src") if "javascript" in v.lower()]
    page_text = (top / "fiches" / "piege.html").read_text(encoding="utf-8")
    assert "{{ 7*7 }}" in page_text and "{% include" in page_text
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for name in (HOME, "index-themes.html", "fiches/piege.html"):
        visit(page, (top / name).as_uri())
    assert page.locator("h1").inner_text().startswith("{{ 7*7 }} <em>")
    assert dialogs == [] and page.watched.console_errors == []


def test_ids_that_need_escaping_get_working_links(tmp_path, page):
    project = write_project(tmp_path / "projet", {"un #1 ?": minimal_front("Dièse"), "été à 50%": minimal_front("Été")})
    out = tmp_path / "out"
    build(project, out)
    assert (out / "web" / "fiches" / "un #1 ?.html").is_file()
    visit(page, (out / "web" / HOME).as_uri())
    page.click("text=Dièse")
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "Dièse"
    page.click(".pager a")  # the other fiche, before or after it
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "Été"
    assert page.watched.console_errors == []


def test_images_are_resized_to_a_few_widths_with_their_alt_text(tmp_path, page):
    project = write_project(tmp_path / "projet", {"photo": minimal_front(
        "Une photo", image={"file": "../images/grande.png", "alt": "Des bénévoles au jardin",
                            "caption": "Le jardin", "credit": "Photo : A. B."})}, )
    (project / "images").mkdir()
    (project / "images" / "grande.png").write_bytes(png_bytes(2000, 1000, (120, 160, 90)))
    out = tmp_path / "out"
    build(project, out)
    images = sorted(p.name for p in (out / "web" / "images").iterdir())
    assert [re.sub(r"^[0-9a-f]+-", "", n) for n in images] == ["1440.png", "480.png", "960.png"]
    from PIL import Image

    for name in images:
        with Image.open(out / "web" / "images" / name) as im:
            assert im.width == int(name.split("-")[1].split(".")[0]) and im.height * 2 == im.width
            assert not im.info.get("exif") and "Comment" not in im.info
    tree = lxml_html.fromstring((out / "web" / "fiches" / "photo.html").read_bytes())
    img = tree.xpath("//figure//img")[0]
    assert img.get("alt") == "Des bénévoles au jardin" and len(img.get("srcset").split(",")) == 3
    assert " ".join(tree.xpath("//figcaption")[0].text_content().split()) == "Le jardin Photo : A. B."
    visit(page, (out / "web" / "fiches" / "photo.html").as_uri())
    shown = page.evaluate("document.querySelector('figure img').currentSrc")
    assert shown.rsplit("/", 1)[1] in images
    assert page.watched.console_errors == []


def test_an_svg_image_is_not_served_and_its_alt_text_stands_in(tmp_path):
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
    project = write_project(tmp_path / "projet", {"dessin": fiche_text(minimal_front("Un dessin"),
                                                                       "![Un schéma du projet](../images/s.svg)\n")})
    (project / "images").mkdir()
    (project / "images" / "s.svg").write_text(svg, encoding="utf-8")
    out = tmp_path / "out"
    build(project, out)
    assert not (out / "web" / "images").exists()
    text = (out / "web" / "fiches" / "dessin.html").read_text(encoding="utf-8")
    assert "<p>Un schéma du projet</p>" in text and "<svg" not in text and "s.svg" not in text


def test_the_introduction_opens_the_home_page(tmp_path):
    publication = ("title: Deux initiatives\nintroduction: |\n  Ce recueil présente *deux* initiatives : voir "
                   "[le site](https://example.org/a).\n\n  <script>alert(1)</script>\n")
    project = write_project(tmp_path / "projet", {"a": minimal_front("A"), "b": minimal_front("B")}, publication=publication)
    done = run_recueil("build", str(project), "--out", str(tmp_path / "out"), "--format", "web")
    assert done.returncode == 0 and "publication.yaml:2: warning: raw HTML" in done.stderr
    home = lxml_html.fromstring((tmp_path / "out" / "web" / HOME).read_bytes())
    intro = home.xpath("//div[@class='intro']")[0]
    assert intro.xpath(".//em/text()") == ["deux"] and intro.xpath(".//a/@href") == ["https://example.org/a"]
    assert "\u00a0:" in intro.text_content() and not home.xpath("//script[not(@src)]")


def test_an_english_edition_gets_an_english_site(tmp_path):
    project = write_project(tmp_path / "projet", {"a": minimal_front("A community garden")},
                            publication={"title": "Local initiatives", "lang": "en"})
    build(project, tmp_path / "out")
    tree = lxml_html.fromstring((tmp_path / "out" / "web" / HOME).read_bytes())
    assert tree.get("lang") == "en" and tree.xpath("//a[@class='skip-link']/text()") == ["Skip to content"]
    assert tree.xpath("//nav//a/text()") == ["Partners", "Themes", "Places"]


# base_url and print ---------------------------------------------------------------------

def test_base_url_makes_the_qr_code_and_printed_address_lead_to_the_fiche_page(tmp_path):
    from generator.model import Publication
    from generator.render.html import online_url

    class F:
        id, source = "un #1", "https://example.org/source"

    assert online_url(F, Publication()) == "https://example.org/source"
    assert online_url(F, Publication(base_url="https://example.org/r/web/")) == "https://example.org/r/web/fiches/un%20%231.html"
    project = copy_sample(tmp_path / "projet")
    pub = project / "publication.yaml"
    pub.write_text(pub.read_text(encoding="utf-8") + "base_url: https://example.org/recueil/web\n", encoding="utf-8")
    out = tmp_path / "out"
    build(project, out, formats="pdf,web")
    booklet = (out / "booklet.html").read_text(encoding="utf-8")
    assert "https://example.org/recueil/web/fiches/envie-autonomie-49.html" in booklet
    fiche = (out / "web" / FICHE).read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://example.org/recueil/web/fiches/envie-autonomie-49.html">' in fiche
    from generator.read import layouts
    from generator.render.handout import handout_html
    from tests.catalogue import load_edition

    edition = load_edition(project)
    fiche = next(f for f in edition.fiches if f.id == "envie-autonomie-49")
    handout = handout_html(fiche, edition, layouts.load_layout(edition.project, "handout"), "2026-01-01T00:00:00Z")
    assert 'href="https://example.org/recueil/web/fiches/envie-autonomie-49.html"' in handout


def test_base_url_must_be_a_web_address(tmp_path):
    project = write_project(tmp_path / "projet", {"a": minimal_front()},
                            publication={"title": "T", "base_url": "ftp://example.org/?x"})
    done = run_recueil("check", str(project))
    assert done.returncode == 1 and "publication.yaml:2: error:" in done.stderr and "base_url" in done.stderr


# a catalogue ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def catalogue(tmp_path_factory) -> Path:
    """The 500-fiche synthetic catalogue (tests/catalogue.py), its site built: OUT."""
    from tests.catalogue import make_catalogue

    top = tmp_path_factory.mktemp("catalogue")
    out = top / "out"
    build(make_catalogue(top / "projet", 500), out)
    return out


def test_the_catalogue_home_page_is_clean_and_accessible(catalogue, page, tmp_path):
    home = catalogue / "web" / HOME
    visit(page, home.as_uri())
    assert page.locator("[data-card]").count() == 500
    page.select_option("#filter-theme", index=1)
    assert 0 < page.locator("[data-card]:visible").count() < 500
    assert page.watched.console_errors == []
    assert outside(page.watched.requests, (catalogue / "web").as_uri() + "/") == []
    server = Served(catalogue, tmp_path)
    try:
        visit(page, server.base + "web/" + HOME)
        assert audit(page) == []
        visit(page, server.base + "web/fiches/f0003.html")  # a long fiche: notes, a table, a quote
        assert audit(page) == []
    finally:
        server.close()
