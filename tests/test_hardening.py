"""Issue 18: no fiche crashes, hangs or goes stale; every failure is one line and an exit
code. One test (or a few) per case the issue lists, each failing on the code it was
found on; the fuzzing harness that looks for more is tests/test_fuzz.py.

These run the real command line where the case is about it (exit codes, signals,
messages), and the reader or a renderer in this process where that says more.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import http.server
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import (
    REPO,
    fiche_text,
    minimal_front,
    png_bytes,
    run_recueil,
    write_project,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.read import limits

# A line of stderr: a problem, or the summary that ends a report.
LINE = re.compile(r"^[^\n]+: (error|warning): [^\n]+$")


def lines(result) -> list[str]:
    return result.stderr.splitlines()


def assert_clean(result, codes=(0, 1)) -> None:
    """An exit the user was told about: no signal, no traceback, no internal error."""
    assert result.returncode in codes, (result.returncode, result.stderr[-3000:])
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr[-3000:]


def assert_error(result, where: str, *fragments: str) -> str:
    assert_clean(result, (1,))
    found = [line for line in lines(result) if line.startswith(where) and ": error: " in line]
    assert found, result.stderr
    for fragment in fragments:
        assert any(fragment in line for line in found), (fragment, found)
    return found[0]


def outputs(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.relative_to(out).parts[0].startswith(".recueil")}


FRONT = "---\ntitle: T\nsummary: S\nterritory: M\npartners: []\n"


# Crashes ---------------------------------------------------------------------------------

DEEP_FRONT = {
    "brackets": FRONT + "themes: " + "[" * 30_000 + "x" + "]" * 30_000 + "\n---\nTexte.\n",
    "braces": FRONT + "themes: [a]\nz: " + "{a: " * 30_000 + "x" + "}" * 30_000 + "\n---\nTexte.\n",
    "dashes": FRONT + "themes:\n" + "- " * 30_000 + "x\n---\nTexte.\n",
    "indentation": FRONT + "themes: [a]\nz:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 60)) + "---\nTexte.\n",
}


@pytest.mark.parametrize("case", sorted(DEEP_FRONT))
def test_deep_front_matter_is_an_error_with_its_line(project, case):
    # With PyYAML 6.0.3, 30 000 brackets segfaulted check and build (exit 139).
    root = project({"a": DEEP_FRONT[case]})
    line = assert_error(run_recueil("check", str(root)), "fiches/a.md:", f"more than {limits.MAX_YAML_NESTING} levels")
    assert int(line.split(":")[1]) >= 6


def test_deep_front_matter_never_reaches_a_yaml_composer(monkeypatch):
    """The text is checked before YAML is parsed, and the parser's events before
    anything is composed: the composer, which recurses once per level, never sees it."""
    import yaml

    from generator.read import frontmatter

    def composer(*args, **kwargs):
        raise AssertionError("a composer saw a too deep document")

    monkeypatch.setattr(yaml, "compose", composer)
    deep = "themes: " + "[" * 5000 + "x" + "]" * 5000
    with pytest.raises(frontmatter.YamlError) as caught:
        frontmatter.load_yaml(deep, 2)
    assert caught.value.line == 2
    # The second check alone, as if the first had missed it (PyYAML 6.0.4's parser may
    # refuse first, with its own words).
    monkeypatch.setattr(frontmatter, "yaml_nesting", lambda text: None)
    with pytest.raises(frontmatter.YamlError) as caught:
        frontmatter.load_yaml(deep, 2)
    assert caught.value.line == 2


def test_front_matter_within_the_limit_is_read():
    from generator.read.frontmatter import load_yaml

    text = "a: " + "[" * limits.MAX_YAML_NESTING + "x" + "]" * limits.MAX_YAML_NESTING
    assert limits.yaml_nesting(text) is not None  # the key's mapping is a level too
    text = "a: " + "[" * (limits.MAX_YAML_NESTING - 1) + "x" + "]" * (limits.MAX_YAML_NESTING - 1)
    value = load_yaml(text).value["a"]
    for _ in range(limits.MAX_YAML_NESTING - 1):
        value = value[0]
    assert value == "x"
    # Brackets in texts are characters, not nesting.
    assert limits.yaml_nesting("title: Un [[[[[[[[[[[[[[[[[[[[[[[[[[ titre\nsummary: '[[[[[[[[[[[[[[[[[[[[[[[['\n") is None


@pytest.mark.parametrize("n", [250, 200])
def test_deeply_nested_emphasis_is_an_error_for_check_list_and_build(project, tmp_path, n):
    # x250: RecursionError, exit 3, from check, list and build; x200: check passed and
    # build crashed in pickle.dumps.
    body = "Avant.\n\n" + "*a " * n + "x" + " a*" * n + "\n"
    root = project({"a": fiche_text(minimal_front(), body), "b": minimal_front("Saine")})
    out = tmp_path / "out"
    (out / "fiches").mkdir(parents=True)
    (out / "booklet.pdf").write_bytes(b"%PDF previous")
    before = outputs(out)
    body_line = 1 + fiche_text(minimal_front(), body).split("\n").index("*a " * n + "x" + " a*" * n)
    for command in ("check", "list"):
        assert_error(run_recueil(command, str(root)), f"fiches/a.md:{body_line}:", "nested more than")
    assert_error(run_recueil("build", str(root), "--out", str(out)), f"fiches/a.md:{body_line}:", "nested more than")
    assert outputs(out) == before


NESTED = {
    "quotes": "> " * 25 + "profond\n",
    "lists": "\n".join("  " * i + f"- niveau {i}" for i in range(25)) + "\n",
    "links in sup": "<sup>" * 30 + "x\n",
}


@pytest.mark.parametrize("case", sorted(NESTED))
def test_nesting_markdown_would_drop_is_refused_not_lost(case):
    """markdown-it drops what lies deeper than its maxNesting without a word (lists ten
    deep lost their tail): beyond the limit, the reader says so instead."""
    from generator.read.markdown import TooMuch, parse

    with pytest.raises(TooMuch) as caught:
        parse(NESTED[case], 7)
    assert caught.value.line is not None and caught.value.line >= 7


def test_nesting_within_the_limit_is_kept_whole():
    from generator.read.markdown import parse

    depth = limits.MAX_MARKDOWN_NESTING
    lists = "\n".join("  " * i + f"- niveau{i}" for i in range(depth))
    doc, _ = parse(lists, 1)
    assert [n.text for n in doc.walk() if n.type == "text"] == [f"niveau{i}" for i in range(depth)]
    quotes = "> " * depth + "profond"
    doc, _ = parse(quotes, 1)
    assert doc.plain() == "profond"


@pytest.mark.parametrize("pattern", ["![", "[", "^[", "[^", "[a][", "> [", "[`]`"])
def test_brackets_left_open_are_refused_before_markdown_takes_its_time(pattern):
    # ![ x40 000 (80 kB) took 9 s: markdown-it looks for the end of every bracket.
    from generator.read.markdown import TooMuch, parse

    with pytest.raises(TooMuch) as caught:
        parse("Avant.\n\n" + pattern * 100_000, 3)
    assert caught.value.line == 5 and "brackets" in caught.value.message


def test_brackets_the_first_check_misses_are_bounded_by_the_budget():
    """Brackets between < and > that make no tag: the text check takes them for a tag's,
    markdown-it for text; the count of markdown-it's own steps sees them."""
    from generator.read import markdown

    text = "Avant.\n\n<" + "[" * 100_000 + ">"
    assert limits.open_brackets(text) is None
    with pytest.raises(markdown.TooMuch) as caught:
        markdown.parse(text, 3)
    assert caught.value.line == 5


def test_a_fiche_that_is_a_symlink_to_itself(project):
    root = project({"a": minimal_front()})
    os.symlink("boucle.md", root / "fiches" / "boucle.md")
    assert_error(run_recueil("check", str(root)), "fiches/boucle.md:", "leads back to itself")


NAMES = {
    "backslash": ("a\\b", "backslash"),
    "too long": ("a" * 251, "too long"),
    "newline": ("a\nb", "U+000A"),
    "escape": ("a\x1b[31mb", "U+001B"),
    "override": ("Évil \u202egnp.exe", "U+202E"),
}


@pytest.mark.parametrize("case", sorted(NAMES))
def test_file_names_that_cannot_name_outputs_are_refused_by_check(project, case):
    # a\b.md and a 251-character name passed check and failed the build with exit 3.
    name, fragment = NAMES[case]
    root = project({name: minimal_front(), "b": minimal_front("Saine")})
    result = run_recueil("check", str(root))
    assert_clean(result, (1,))
    found = [line for line in lines(result) if ": error: " in line]
    assert len(found) == 1 and "cannot name the fiche's outputs" in found[0] and fragment in found[0], result.stderr
    assert all(LINE.match(line) or line.startswith("check failed") for line in lines(result)), result.stderr


def test_the_longest_name_that_fits_is_accepted(project):
    name = "é" * ((limits.NAME_MAX - len(limits.LONGEST_SUFFIX)) // 2)  # two bytes each in UTF-8
    root = project({name: minimal_front()})
    assert_clean(run_recueil("check", str(root)), (0,))


# The output folder and the machine ------------------------------------------------------

def _unshare_ok() -> bool:
    if not shutil.which("unshare") or os.geteuid() != 0:
        return False
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                            "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs $d && umount $d && rmdir $d"],
                           capture_output=True)
    return probe.returncode == 0


needs_mounts = pytest.mark.skipif(not _unshare_ok(), reason="needs root and `unshare -m` to mount a read-only or tiny "
                                                            "file system (chmod does not stop root)")


def _in_mount(tmp_path: Path, size: str, then: str) -> subprocess.CompletedProcess:
    """Build into a fresh tmpfs of `size` in a private mount namespace (gone with the
    process), change the fiche, run `then` (a shell line), build again. Prints the
    outputs' sha256 before and after the second build."""
    root = write_project(tmp_path / "projet", {"a": minimal_front()})
    out = tmp_path / "out"
    out.mkdir()
    build = f"{sys.executable} -m generator build {root} --out {out} --format docx"
    script = f"""
        mount -t tmpfs -o size={size} tmpfs {out} || exit 90
        {build} 2>/dev/null || exit 91
        find {out} -type f -not -path '*/.recueil*' | sort | xargs sha256sum
        echo 'Un paragraphe de plus.' >> {root}/fiches/a.md
        {then}
        echo ---
        {build} --format docx,pdf; echo "exit=$?"
        echo ---
        find {out} -type f -not -path '*/.recueil*' -not -name filler | sort | xargs sha256sum
    """
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script], cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=600)


@needs_mounts
@pytest.mark.parametrize("case", ["read-only", "full"])
def test_a_read_only_or_full_output_folder_is_one_line_and_exit_1(tmp_path, case):
    # EROFS on the lock, ENOSPC: exit 3 and "This is a bug in Recueil".
    then = {"read-only": f"mount -o remount,ro {tmp_path / 'out'}",
            "full": f"dd if=/dev/zero of={tmp_path / 'out'}/filler bs=64k 2>/dev/null; true"}[case]
    result = _in_mount(tmp_path, "64m", then)
    assert result.returncode == 0, result.stdout + result.stderr
    before, second, after = result.stdout.split("---\n")
    assert "exit=1" in second and before == after, result.stdout
    errors = result.stderr.splitlines()
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    reason = {"read-only": "the file system is read-only", "full": "the disk is full"}[case]
    assert errors[0].startswith(f"{tmp_path / 'out'}: error: cannot write {tmp_path / 'out'}") and reason in errors[0]


def test_an_output_path_that_is_a_file(project, tmp_path):
    root = project({"a": minimal_front()})
    (tmp_path / "out").write_text("un fichier")
    result = run_recueil("build", str(root), "--out", str(tmp_path / "out"), "--format", "docx")
    assert_clean(result, (1,))
    assert lines(result) == [line for line in lines(result) if LINE.match(line)] and len(lines(result)) == 1
    assert (tmp_path / "out").read_text() == "un fichier"


def test_a_full_disk_met_by_a_renderer_is_no_bug(project, tmp_path, monkeypatch, capsys):
    """Where no tmpfs can be mounted: the error raised where a renderer writes."""
    from generator.build import BuildOptions, run
    from generator.write import staging

    root = project({"a": minimal_front()})
    out = tmp_path / "out"
    out.mkdir()
    (out / "booklet.docx").write_bytes(b"previous")

    def full(self, rel):
        raise OSError(errno.ENOSPC, "No space left on device", str(self.root / rel))

    monkeypatch.setattr(staging.Staging, "path", full)
    assert run(root, BuildOptions(out=out, formats=("docx",), jobs=1, cache=False)) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [f"{out}: error: cannot write {out}: the disk is full; the output folder was left as it was"]
    assert outputs(out) == {"booklet.docx": b"previous"}


# Hangs -------------------------------------------------------------------------------------

def test_a_fifo_is_refused_without_blocking(project, tmp_path):
    # fiches/pipe.md, a FIFO, blocked check and build forever.
    root = project({"a": minimal_front()})
    os.mkfifo(root / "fiches" / "pipe.md")
    for args in (("check", str(root)), ("build", str(root), "--out", str(tmp_path / "out"))):
        result = run_recueil(*args)  # run_recueil's own timeout would fail the test
        assert_error(result, "fiches/pipe.md:", "named pipe")


def test_a_fifo_after_a_build_is_refused_without_blocking(project, tmp_path):
    """The up-to-date check hashes the fiches folder before anything is read: a link to a
    FIFO there must not block it either."""
    root = project({"a": minimal_front()})
    out = tmp_path / "out"
    assert_clean(run_recueil("build", str(root), "--out", str(out), "--format", "docx"), (0,))
    os.mkfifo(root / "tuyau")
    os.symlink(root / "tuyau", root / "fiches" / "pipe.md")
    assert_error(run_recueil("build", str(root), "--out", str(out), "--format", "docx"), "fiches/pipe.md:", "named pipe")


@pytest.mark.parametrize("key,size", [("themes", 80_000), ("themes", 800_000), ("partners", 600_000)])
def test_long_labels_are_refused_at_once(project, key, size):
    # An 80 kB theme took 11.8 s; 800 kB, or a 600 kB partner name, ran past 300 s.
    text = fiche_text(minimal_front(**{key: ["x" * size]}))
    root = project({"a": text})
    line = 1 + text.split("\n").index("- " + "x" * size)
    assert_error(run_recueil("check", str(root)), f"fiches/a.md:{line}:", "too long", f"at most {limits.MAX_LABEL}")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aAeéÉœŒßǅ ﬁ-'’0l·L") + ["\u0301", "\u0327", "\u0308", "\u0323", "\u031b",
                                                                          "\u0e40", "\u0e01", "\u0f71", "\u0f72",
                                                                          "\u0f80", "Л", "\u0306", "가", "\u1100",
                                                                          "\u1161", "漢", "\U00020000"]), max_size=16))
def test_sort_keys_are_pyucas(text):
    from generator.edition.indexes import sort_key

    assert sort_key(text) == _pyuca().sort_key(text)


@functools.cache
def _pyuca():
    """pyuca's own collator: the reference its linear-time keys must equal."""
    import pyuca

    return pyuca.Collator()


def test_sort_keys_take_linear_time():
    """1 MB in one key: seconds when linear, hours when quadratic (as pyuca's own)."""
    code = ("from generator.edition.indexes import collation_key; "
            "collation_key(('École Œuvre ' * 90_000)[:1_000_000])")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=120)


def test_footnotes_beyond_the_limit_are_an_error(project):
    # 20 000 footnotes ran past 300 s, 2 000 took 181 s.
    n = 2_000
    body = " ".join(f"x[^{i}]" for i in range(n)) + "\n\n" + "".join(f"[^{i}]: n.\n" for i in range(n))
    text = fiche_text(minimal_front(), body)
    root = project({"a": text})
    line = text.split("\n").index(f"[^{limits.MAX_FOOTNOTES}]: n.") + 1
    assert_error(run_recueil("check", str(root)), f"fiches/a.md:{line}:", f"more than {limits.MAX_FOOTNOTES} footnotes")


def test_a_table_of_more_rows_than_the_limit_is_an_error():
    """WeasyPrint lays a table out again on every page it spans: rows are bounded."""
    from generator.read.markdown import TooMuch, parse

    table = "Avant.\n\n| a | b |\n|---|---|\n" + "| x | y |\n" * limits.MAX_TABLE_ROWS
    doc, _ = parse(table, 1)
    assert sum(n.type == "tr" for n in doc.walk()) == limits.MAX_TABLE_ROWS + 1
    with pytest.raises(TooMuch) as caught:
        parse(table + "| x | y |\n", 1)
    assert caught.value.line == 4 + limits.MAX_TABLE_ROWS + 1 and "rows" in caught.value.message


def test_link_targets_become_footnotes_only_up_to_the_limit():
    from generator.read.markdown import parse
    from generator.render.html import body_html

    doc, _ = parse("Notes[^1].\n\n" + " ".join(f"[lien {i}](https://exemple.fr/{i})" for i in range(300)) +
                   "\n\n[^1]: Une note.\n", 1)
    html = str(body_html(doc))
    assert html.count('class="footnote') == limits.MAX_FOOTNOTES
    assert "(https://exemple.fr/299)" in html


def test_a_chain_of_notes_is_printed_flat():
    from generator.read.markdown import parse
    from generator.render.html import body_html

    n = limits.MAX_FOOTNOTES
    notes = "".join(f"[^{i}]: Note {i}[^{i + 1}].\n" for i in range(n - 1)) + f"[^{n - 1}]: Fin.\n"
    doc, _ = parse("Texte[^0].\n\n" + notes, 1)
    html = str(body_html(doc))
    assert html.count('<span class="footnote">') == 1 and "Fin." in html and "Note 98" in html


class Drip:
    """An HTTP server that sends its body one byte a second."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                try:
                    for _ in range(100_000):
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        time.sleep(1)
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_one_deadline_for_all_remote_fetches(tmp_path):
    from generator.render.fetcher import RemoteBudget, make_fetcher

    budget = RemoteBudget(2, 10_000_000)
    fetcher = make_fetcher(tmp_path, [], allow_remote=True, timeout=10, budget=budget)
    start = time.monotonic()
    with Drip() as drip:
        for name in ("a.png", "b.png"):
            with pytest.raises(ValueError, match="time for remote files ran out"):
                fetcher(f"{drip.url}/{name}")
    # Each read got its byte within its timeout; the build's deadline cut both off.
    assert time.monotonic() - start < 10


def test_one_byte_budget_for_every_process_of_a_build(tmp_path):
    from generator.render.fetcher import RemoteBudget, make_fetcher
    from tests.test_fetcher import Server

    counted = str(tmp_path / "bytes")
    with Server({"/big": (200, {"Content-Type": "image/png"}, b"x" * 3000)}) as server:
        first = make_fetcher(tmp_path, [], allow_remote=True, budget=RemoteBudget(60, 5000, path=counted))
        second = make_fetcher(tmp_path, [], allow_remote=True, budget=RemoteBudget(60, 5000, path=counted))
        assert first(server.url + "/big").read() == b"x" * 3000
        with pytest.raises(ValueError, match="budget for remote files is spent"):
            second(server.url + "/big")


def test_a_slow_server_cannot_hold_a_build(tmp_path):
    # An SVG's <image href> on a server sending a byte every 5 s ran past 240 s.
    with Drip() as drip:
        root = write_project(tmp_path / "projet", {"a": fiche_text(minimal_front(), "![dessin](../images/loin.svg)\n")},
                             publication={"title": "R", "allow_remote": True, "remote_timeout": 3})
        (root / "images").mkdir()
        (root / "images" / "loin.svg").write_text(
            f'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><image href="{drip.url}/lent.png" '
            'width="40" height="40"/></svg>')
        result = run_recueil("build", str(root), "--out", str(tmp_path / "out"), "--format", "pdf")
    assert_clean(result, (0,))
    warned = [line for line in lines(result) if "lent.png" in line]
    assert len(warned) == 1 and warned[0].startswith("fiches/a.md: warning: ") and "remote_timeout: 3 s" in warned[0]


def test_remote_images_in_the_text_follow_allow_remote(tmp_path):
    # allow_remote: true did nothing for ![x](http://...): the alt text, no warning.
    from tests.test_fetcher import Server

    with Server() as server:
        body = f"![une image distante]({server.url}/distante.png)\n"
        allowed = write_project(tmp_path / "oui", {"a": fiche_text(minimal_front(), body)},
                                publication={"title": "R", "allow_remote": True})
        result = run_recueil("build", str(allowed), "--out", str(tmp_path / "out-oui"), "--format", "pdf")
        assert_clean(result, (0,))
        assert set(server.requests) == {"/distante.png"}
        fetched = len(server.requests)
        refused = write_project(tmp_path / "non", {"a": fiche_text(minimal_front(), body)})
        result = run_recueil("check", str(refused))
        assert_clean(result, (0,))
        line = 1 + fiche_text(minimal_front(), body).split("\n").index(body.strip())
        assert f"fiches/a.md:{line}: warning: remote image" in result.stderr and "allow_remote" in result.stderr
        assert len(server.requests) == fetched


# Stale output -----------------------------------------------------------------------------

SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><image href="inner.png" width="40" '
       'height="40"/><image href="file:///etc/passwd" width="4" height="4"/></svg>')


def test_an_image_drawn_by_an_svg_is_an_input_of_the_build(tmp_path):
    # Changing inner.png: build said "up to date", and a forced rebuild reused the cached
    # render; only --no-cache saw it.
    root = write_project(tmp_path / "projet", {"a": fiche_text(minimal_front(), "![dessin](../images/outer.svg)\n"),
                                               "b": minimal_front("Autre")})
    (root / "images").mkdir()
    (root / "images" / "outer.svg").write_text(SVG)
    (root / "images" / "inner.png").write_bytes(png_bytes(4, 4, (200, 0, 0)))
    out = tmp_path / "out"

    def build():
        result = run_recueil("build", str(root), "--out", str(out), "--format", "pdf,handouts")
        assert_clean(result, (0,))
        # The refused URL inside the SVG: about fiche a, once (booklet and handout alike).
        assert [line for line in lines(result) if "passwd" in line] == [
            "fiches/a.md: warning: file:///etc/passwd not read: it leads outside the project folder"], result.stderr
        return result, hashlib.sha256((out / "booklet.pdf").read_bytes()).hexdigest()

    _, first = build()
    again, same = build()
    assert "up to date" in again.stderr and same == first
    (root / "images" / "inner.png").write_bytes(png_bytes(4, 4, (0, 0, 200)))
    changed, second = build()
    assert "up to date" not in changed.stderr and second != first
    # Forced: no up-to-date record, so the cache alone must know.
    (root / "images" / "inner.png").write_bytes(png_bytes(4, 4, (0, 200, 0)))
    (out / ".recueil-cache" / "last-build.json").unlink()
    _, third = build()
    assert third not in (first, second)


# Messages and text -------------------------------------------------------------------------

def _build_and_interrupt(tmp_path: Path, sig: int, run: int) -> subprocess.CompletedProcess:
    fiches = {f"f{i:02}": fiche_text(minimal_front(f"Fiche {i}"), "Un paragraphe.\n" * 40) for i in range(12)}
    root = write_project(tmp_path / f"projet{run}", fiches)
    out = tmp_path / f"out{run}"
    proc = subprocess.Popen([sys.executable, "-m", "generator", "build", str(root), "--out", str(out), "--no-cache"],
                            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while not list(out.glob(".recueil-staging-*")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2 * run)  # a little later each time: inside rendering
    assert proc.poll() is None, "the build ended before it could be interrupted"
    os.killpg(proc.pid, sig)  # as a terminal does: the whole process group, workers included
    stdout, stderr = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_build_says_one_line_and_exits_130(tmp_path, sig):
    # Workers printed ~36 lines of KeyboardInterrupt tracebacks, 3 runs in 4.
    for run in range(3):
        result = _build_and_interrupt(tmp_path, sig, run)
        assert result.returncode == 130, (result.returncode, result.stderr)
        assert lines(result) == ["recueil: interrupted; the output folder was left as it was"], result.stderr
        assert not list((tmp_path / f"out{run}").glob(".recueil-staging-*"))


def test_values_and_file_names_are_shown_on_one_line(project):
    root = project({"a\nb": minimal_front(), "c": minimal_front(source="http://a\nb"),
                    "d": minimal_front(subtitle="\x1b[31mrouge")})
    result = run_recueil("check", str(root))
    assert_clean(result, (1,))
    assert all(LINE.match(line) or line.startswith("check failed") for line in lines(result)), result.stderr
    assert "fiches/a\\nb.md: error:" in result.stderr
    assert "'http://a\\nb'" in result.stderr
    assert "\x1b" not in result.stderr


def test_a_redirect_loop_is_one_line(tmp_path):
    from generator.render.fetcher import make_fetcher
    from tests.test_fetcher import Server

    warnings: list[str] = []
    with Server({"/boucle": (302, {"Location": "/boucle"}, b"")}) as server:
        with pytest.raises(ValueError):
            make_fetcher(tmp_path, [], allow_remote=True, warn=warnings.append)(server.url + "/boucle")
    assert len(warnings) == 1 and "\n" not in warnings[0]


def test_diagnostics_escape_what_would_break_a_line():
    from generator.diagnostics import Diagnostic, Report, printable

    assert printable("a\nb\tc\x1b[31m\u202egnp.exe") == "a\\nb\\tc\\x1b[31m\\u202egnp.exe"
    assert printable("é « » \u202f") == "é « » \u202f"
    assert len(printable("x" * 10_000)) <= 301
    report = Report()
    report.warning("fiches/a.md", 3, "deux fois")
    report.warning("fiches/a.md", 3, "deux fois")
    assert report.sorted() == [Diagnostic("warning", "fiches/a.md", 3, "deux fois")]


YAML_ESCAPES = ('---\ntitle: "A\\0B\\x07C"\nsummary: "\\u202eS\\u2066"\nthemes: ["Évil \\u202egnp.exe"]\nterritory: M\n'
                'partners: []\n---\n\nTexte &#x202E;inversé, [js](javascript:alert(1)), ![x](file:///etc/passwd) et '
                '![décrite](data:image/png;base64,AAAA).\n')


def test_controls_written_as_yaml_escapes_are_removed_with_a_warning(project):
    # title: "A\0B\x07C" put NUL and BEL into booklet.html and BEL into the PDF's text;
    # U+202E printed « Évil ‮gnp.exe » as « Évil exe.png ».
    from generator.diagnostics import Report
    from generator.read.project import read_project

    root = project({"a": YAML_ESCAPES})
    report = Report()
    fiche = read_project(root, report).fiches[0]
    assert fiche.title == "ABC" and fiche.summary == "S" and fiche.themes == ["Évil gnp.exe"]
    assert "\u202e" not in fiche.body.plain()
    said = {(d.line, d.message.split(" ")[0]) for d in report.warnings}
    assert (2, "invisible") in said and (3, "bidirectional") in said and (4, "bidirectional") in said
    assert (9, "bidirectional") in said


def test_unsafe_links_and_images_keep_their_text_with_a_warning(project):
    # [js](javascript:...) and ![x](file:///etc/passwd) were printed as literal Markdown.
    from generator.diagnostics import Report
    from generator.read.project import read_project

    root = project({"a": YAML_ESCAPES})
    report = Report()
    body = read_project(root, report).fiches[0].body
    assert not [n for n in body.walk() if n.type in ("link", "image")]
    text = body.plain()
    assert "js" in text and "x" in text and "décrite" in text and "](" not in text and "javascript" not in text
    warned = [d.message for d in report.warnings if d.line == 9]
    assert any("javascript:alert(1)" in m for m in warned) and any("file:///etc/passwd" in m for m in warned)
    assert any("data:" in m for m in warned)


def test_controls_never_reach_the_outputs(project, tmp_path):
    root = project({"a": YAML_ESCAPES})
    out = tmp_path / "out"
    result = run_recueil("build", str(root), "--out", str(out), "--format", "pdf,docx")
    assert_clean(result, (0,))
    html = (out / "booklet.html").read_text(encoding="utf-8")
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\u202a-\u202e\u2066-\u2069]", html)
    from pypdf import PdfReader

    text = "".join(page.extract_text() or "" for page in PdfReader(out / "booklet.pdf").pages)
    assert "\x07" not in text and "\u202e" not in text and "ABC" in text


# The documented limits ------------------------------------------------------------------

def test_every_limit_is_documented():
    doc = (REPO / "docs" / "fiche-format.md").read_text(encoding="utf-8")
    section = doc[doc.index("## Limits"):]
    for value in (limits.MAX_YAML_NESTING, limits.MAX_LABEL, limits.MAX_TITLE, limits.MAX_TEXT, limits.MAX_FOOTNOTES,
                  limits.MAX_TABLE_ROWS, limits.MAX_MARKDOWN_NESTING, limits.NAME_MAX):
        assert str(value) in section, value
    for value in ("2 MB", "remote_timeout", "remote_max_bytes"):
        assert value in doc, value
