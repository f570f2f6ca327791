"""A real browser for the tests: Debian's Chromium, driven by Playwright.

`browser` is a session-wide fixture (one Chromium for the whole run); `page` gives a
fresh page that records its console errors and every request it makes, so a test can
assert that nothing left the site. `audit(page)` runs axe-core (vendored, see
vendor/axe-core/README.md) in the page and returns its violations.

Chromium is started with the flags a machine without network needs: no background
networking, no component updates, no sync, a fresh profile.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        pytest.fail("Chromium is missing: ./setup.sh installs Debian's package 'chromium'")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        try:
            yield b
        finally:
            b.close()


@dataclass
class Watched:
    """What a page did: console errors, uncaught exceptions, every URL it requested."""

    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    watched = Watched()
    p.on("console", lambda m: m.type == "error" and watched.console_errors.append(m.text))
    p.on("pageerror", lambda e: watched.console_errors.append(str(e)))
    p.on("request", lambda r: watched.requests.append(r.url))
    p.watched = watched
    try:
        yield p
    finally:
        context.close()


def audit(p, context: str | None = None) -> list[dict]:
    """axe-core's violations on the page as it is now (WCAG 2.x A and AA rules, best
    practices included): each a dict with id, impact, help and the nodes at fault."""
    p.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    return p.evaluate(
        """async (context) => {
            const result = await axe.run(context || document, {resultTypes: ['violations']});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' '))}));
        }""",
        context,
    )
