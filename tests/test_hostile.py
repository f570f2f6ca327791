"""Fiches are untrusted: a hostile fiche may not read outside the project, reach the
network, embed an attachment, run script or evaluate a template (SPEC: "Fiches are
untrusted"). Some payloads are errors by design (exit 1, nothing written); the others are
neutralised with a warning and the build succeeds.

These run the real command line, so they wait until the whole build exists.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pikepdf  # noqa: E402
import pytest
from conftest import (  # noqa: E402
    REPO,
    fiche_text,
    minimal_front,
    png_bytes,
    run_recueil,
    write_project,
)
from lxml import etree  # noqa: E402
from lxml import html as lxml_html
from pypdf import PdfReader  # noqa: E402

from tests.test_fetcher import Server  # noqa: E402

TEMPLATE = "{{ 7*7 }}"
INCLUDE = "{% include '/etc/passwd' %}"


def png_with_text(secret: bytes) -> bytes:
    """A valid 1x1 PNG whose tEXt chunk carries `secret`: copied anywhere, it shows."""
    return png_bytes(1, 1, comment=secret)


@pytest.fixture
def world(tmp_path):
    """A canary text file and a canary PNG outside the project, with unique content,
    and a local HTTP server that counts the requests it gets."""
    secret = f"CANARY-{uuid.uuid4().hex}".encode()
    (tmp_path / "canary.txt").write_bytes(secret)
    (tmp_path / "canary.png").write_bytes(png_with_text(secret))
    with Server() as server:
        yield tmp_path, secret, server


def good_fiche(title: str = "Une fiche saine") -> str:
    return fiche_text(minimal_front(title))


# What every output must not hold ----------------------------------------------------------

def pdf_payloads(path: Path) -> list[bytes]:
    """The PDF file and every stream in it, decompressed where possible."""
    found = [path.read_bytes()]
    with pikepdf.open(path) as pdf:
        assert len(pdf.attachments) == 0, f"{path.name} carries attachments"
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                try:
                    found.append(obj.read_bytes())
                except pikepdf.PdfError:  # an image codec qpdf does not decode
                    found.append(obj.read_raw_bytes())
            if isinstance(obj, pikepdf.Dictionary):
                keys = set(obj.keys())
                assert not keys & {"/JS", "/JavaScript", "/EmbeddedFiles", "/AA", "/OpenAction"}, f"{path.name}: {keys}"
                assert obj.get("/Type") not in ("/EmbeddedFile", "/Filespec"), path.name
                assert obj.get("/S") not in ("/JavaScript", "/Launch", "/ImportData", "/SubmitForm"), path.name
                uri = obj.get("/URI")
                if uri is not None:
                    assert str(uri).lower().startswith(("http://", "https://", "mailto:")), str(uri)
    return found


def docx_parts(path: Path) -> list[bytes]:
    with zipfile.ZipFile(path) as z:
        parts = [z.read(name) for name in z.namelist()]
        for name in z.namelist():
            if name.endswith(".rels"):
                for rel in etree.fromstring(z.read(name)).iter():
                    target = (rel.get("Target") or "").lower()
                    if rel.get("TargetMode") == "External":
                        assert target.startswith(("http://", "https://", "mailto:")), f"{path.name}: {target}"
            if name.endswith(".xml"):
                for element in etree.fromstring(z.read(name)).iter():
                    for value in element.attrib.values():
                        assert "javascript:" not in value.lower(), f"{path.name}/{name}: {value}"
    return parts


def check_html(path: Path) -> None:
    tree = lxml_html.fromstring(path.read_bytes())
    # The one script allowed is the web edition's own filter, a file of its layout.
    own = "//script[not(@src='assets/filter.js') or normalize-space(.) != '']"
    assert not tree.xpath(own + " | //iframe | //object | //embed | //link[@rel='attachment'] | //a[@rel='attachment']")
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), f"{name}={value}"
            assert "javascript:" not in value.lower(), f"{name}={value}"
            if name in ("href", "src"):
                assert not value.lower().startswith("file:"), value


def outputs(out: Path) -> list[Path]:
    """Files under their real output names: not the lock, the cache or a killed build's
    staging folder, which are Recueil's own bookkeeping."""
    return sorted(p for p in out.rglob("*")
                  if p.is_file() and not p.relative_to(out).parts[0].startswith(".recueil"))


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in outputs(out)}


def flat(text: str) -> str:
    # Extracted text keeps the typographic spaces; compare words, not spacing.
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


# Payloads neutralised with a warning --------------------------------------------------------

def neutralised_project(root: Path, base: Path, url: str) -> Path:
    canary = base / "canary.txt"
    body = f"""
Texte avant {TEMPLATE} et {INCLUDE}.

<link rel="attachment" href="{canary.as_uri()}">

<link rel="attachment" href="fiches/saine.md">

<p>Un <img src="{canary.as_uri()}"> et <img src="../../canary.png"></p>

<iframe src="{canary.as_uri()}"></iframe>

<script>alert(1)</script>

<style>@import url({url}/style.css); body {{ background: url({canary.as_uri()}) }}</style>

Un lien <a href="javascript:alert(1)">piégé</a>, un <a rel="attachment" href="../../canary.txt">fichier</a>.

Un [lien local](file:///etc/passwd), ![image locale](file:///etc/passwd), un [script](javascript:alert(1)), un [autre](data:text/html,x).

![image distante]({url}/img.png)

<object data="{canary.as_uri()}"></object><embed src="{url}/embed.swf">
"""
    front = minimal_front(
        f"Titre {TEMPLATE} {INCLUDE}",
        summary=f"Chapô {TEMPLATE} {INCLUDE}",
        themes=[f"Thème {TEMPLATE}"],
        partners=[{"name": f"Partenaire {TEMPLATE}", "url": f"{url}/partner"}],
        source=f"{url}/source",
        contact={"name": "X", "url": f"{url}/contact"},
    )
    return write_project(root, {"hostile": fiche_text(front, body), "saine": good_fiche()})


def test_neutralised_payloads_build_but_leak_nothing(world):
    base, secret, server = world
    root = neutralised_project(base / "projet", base, server.url)
    out = base / "out"
    result = run_recueil("build", str(root), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "warning" in result.stderr and "fiches/hostile.md" in result.stderr

    assert server.requests == [], "the build reached the network"
    produced = outputs(out)
    names = {p.relative_to(out).as_posix() for p in produced}
    assert {"booklet.pdf", "booklet.html", "fiches/hostile.pdf", "fiches/hostile.docx"} <= names

    for path in produced:
        if path.suffix == ".pdf":
            # No script action nor javascript: link (checked inside); "javascript:" as
            # printed text, from a Markdown link that was not a link, is harmless.
            blobs = pdf_payloads(path)
        elif path.suffix == ".docx":
            blobs = docx_parts(path)
        else:
            blobs = [path.read_bytes()]
            if path.suffix == ".html":
                check_html(path)
        assert not any(secret in blob for blob in blobs), f"the canary leaked into {path.name}"
        assert not any(b"root:x:0:0" in blob for blob in blobs), f"/etc/passwd leaked into {path.name}"

    # Template syntax is text: printed as written, never evaluated.
    for pdf in ("booklet.pdf", "fiches/hostile.pdf"):
        text = flat("\n".join(page.extract_text() or "" for page in PdfReader(out / pdf).pages))
        assert TEMPLATE in text, f"{pdf} lost the template text"
        assert "{%" in text and "%}" in text
    import docx

    document = docx.Document(out / "fiches" / "hostile.docx")
    text = flat("\n".join(p.text for p in document.paragraphs))
    assert TEMPLATE in text and "{%" in text
    assert TEMPLATE in flat(lxml_html.fromstring((out / "booklet.html").read_bytes()).text_content())


def test_remote_links_are_links_not_fetches_even_when_remote_is_allowed(world):
    base, secret, server = world
    front = minimal_front(source=f"{server.url}/source", partners=[{"name": "P", "url": f"{server.url}/p"}])
    root = write_project(base / "projet", {"a": fiche_text(front, f"[lien]({server.url}/lien)\n")},
                         publication={"title": "Recueil", "allow_remote": True})
    result = run_recueil("build", str(root), "--out", str(base / "out"), "--format", "pdf")
    assert result.returncode == 0, result.stderr
    assert server.requests == []


# Payloads that are errors: exit 1, one line naming the file, nothing written -----------------

ERRORS = {
    "markdown image leaving the project": ({}, "![x](../../canary.txt)\n"),
    "markdown png leaving the project": ({}, "![x](../../canary.png)\n"),
    "front-matter image leaving the project": ({"image": {"file": "../../canary.png", "alt": "x"}}, "Texte.\n"),
    "front-matter image, absolute": ({"image": {"file": "/etc/passwd", "alt": "x"}}, "Texte.\n"),
    "source as javascript": ({"source": "javascript:alert(1)"}, "Texte.\n"),
    "contact url as javascript": ({"contact": {"name": "X", "url": "javascript:alert(1)"}}, "Texte.\n"),
    "partner url as a file": ({"partners": [{"name": "P", "url": "file:///etc/passwd"}]}, "Texte.\n"),
}


@pytest.mark.parametrize("payload", sorted(ERRORS))
def test_error_payloads_fail_cleanly_and_change_nothing(world, payload):
    base, secret, server = world
    extra, body = ERRORS[payload]
    root = write_project(base / "projet", {"hostile": fiche_text(minimal_front(**extra), body), "saine": good_fiche()})
    out = base / "out"
    (out / "fiches").mkdir(parents=True)
    (out / "booklet.pdf").write_bytes(b"%PDF previous good booklet")
    (out / "fiches" / "saine.docx").write_bytes(b"previous docx")
    before = snapshot(out)

    result = run_recueil("build", str(root), "--out", str(out))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert errors and all(line.startswith("fiches/hostile.md:") for line in errors), result.stderr
    assert snapshot(out) == before
    assert server.requests == []


# Failure safety of the real build ---------------------------------------------------------------

def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""


def test_a_killed_build_and_a_failed_build_leave_previous_outputs_identical(tmp_path):
    fiches = {f"f{i:02}": fiche_text(minimal_front(f"Fiche {i}"), "Un paragraphe.\n" * 40) for i in range(12)}
    root = write_project(tmp_path / "projet", fiches)
    out = tmp_path / "out"
    assert run_recueil("build", str(root), "--out", str(out)).returncode == 0
    before = snapshot(out)
    assert "build.json" in before

    # A changed source, so the killed build would have written different bytes.
    (root / "fiches" / "f00.md").write_text(fiche_text(minimal_front("Fiche changée")), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "generator", "build", str(root), "--out", str(out)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not list(out.glob(".recueil-staging-*")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # well inside rendering
    assert proc.poll() is None, "the build ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert snapshot(out) == before
    for _ in range(400):  # its workers go with it
        left = [p for p in Path("/proc").iterdir() if p.name.isdigit() and str(root).encode() in _cmdline(p)]
        if not left:
            break
        time.sleep(0.01)
    assert not left, "the killed build's workers are still running"

    (root / "fiches" / "cassée.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    result = run_recueil("build", str(root), "--out", str(out))
    assert result.returncode == 1, result.stderr
    assert snapshot(out) == before
