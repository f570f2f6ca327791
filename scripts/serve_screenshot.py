"""Write docs/images/serve.png: the live preview's page, as a user sees it.

    python scripts/serve_screenshot.py [OUT.png]

Copies the sample edition to a temporary folder, runs `recueil serve` on it, opens the
page in Debian's Chromium (headless, through Playwright), then saves a fiche with an
unknown key, so that the picture shows the contents, the problems listed as file:line
with their fix, the fiche's pages and the status line. The PNG is reduced to 256
colours to stay small in the repository.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

FICHE = "fiches/autonomie/envie-autonomie-49.md"


def main() -> None:
    from browser import CHROMIUM_FLAGS, chromium_path
    from PIL import Image
    from playwright.sync_api import sync_playwright

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "images" / "serve.png"
    work = Path(tempfile.mkdtemp(prefix="recueil-screenshot-"))
    project = work / "edition"
    project.mkdir()
    for name in ("fiches", "publication.yaml", "partners.yaml"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, project / name)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    server = subprocess.Popen([sys.executable, "-m", "generator", "serve", str(project), "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
                              start_new_session=True)
    try:
        url = re.search(r"http://\S+/", server.stdout.readline()).group(0)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 860}, device_scale_factor=1)
            page.goto(url)
            page.wait_for_selector('#etat[data-phase="ready"]', timeout=300_000)
            fiche = project / FICHE
            text = fiche.read_text(encoding="utf-8")
            fiche.write_text(text.replace("\nthemes:", "\npartenaires: ENVIE Anjou\nthemes:", 1), encoding="utf-8")
            page.wait_for_selector("#problemes .problem-warning", timeout=60_000)
            page.wait_for_selector('#etat[data-phase="ready"]', timeout=300_000)
            page.wait_for_function("() => Array.from(document.images).every((i) => i.complete)")
            page.screenshot(path=str(work / "shot.png"))
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGINT)
        server.wait(60)
    target.parent.mkdir(parents=True, exist_ok=True)
    Image.open(work / "shot.png").convert("RGB").quantize(colors=256).save(target, optimize=True)
    shutil.rmtree(work, ignore_errors=True)
    print(f"{target}: {target.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
