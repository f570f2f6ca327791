"""The fuzzing harness: hostile fiches, made up by hypothesis, never crash, hang or go
unexplained (issue 18).

Strategies build what a fiche pasted from anywhere may hold — nesting far too deep in
the front matter and the Markdown, long labels, odd file names, control and
bidirectional characters written every way, mixed scripts, junk syntax — and every
example must end as a user is promised it will:
  - exit status 0 or 1, never 3 (a bug) nor a signal;
  - every line of the error output a problem (`path[:line]: error|warning: message`)
    or the summary that ends the report;
  - a build that fails leaves the output folder as it was;
  - within a time budget, which hypothesis enforces (`deadline`), not the wall clock.

Small in CI. RECUEIL_FUZZ=1 runs many more examples, with inputs up to the sizes that
used to crash or hang (30 000 brackets, 800 kB labels, 20 000 footnotes):

    RECUEIL_FUZZ=1 .venv/bin/python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from conftest import REPO
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

LARGE = os.environ.get("RECUEIL_FUZZ", "") not in ("", "0")
# How far the strategies go: nesting depth, label length, footnotes, pieces of text.
DEPTH = 40_000 if LARGE else 60
LABEL = 800_000 if LARGE else 400
NOTES = 20_000 if LARGE else 130
PIECES = 80 if LARGE else 25

CHECKS = settings(max_examples=400 if LARGE else 60, deadline=timedelta(seconds=60 if LARGE else 15),
                  suppress_health_check=list(HealthCheck), derandomize=not LARGE)
BUILDS = settings(max_examples=25 if LARGE else 3, deadline=timedelta(seconds=600 if LARGE else 240),
                  suppress_health_check=list(HealthCheck), derandomize=not LARGE)

PROBLEM = re.compile(r"^[^\n]+: (error|warning): [^\n]+$")
SUMMARY = re.compile(r"^[^\n]*\d+ errors?, \d+ warnings?$")


# Strategies ------------------------------------------------------------------------------

SCRIPTS = st.sampled_from([
    "Insertion", "Éducation populaire", "l'économie sociale", "العربية الفصحى", "עברית", "中文字符", "日本語のテキスト",
    "Ελληνικά", "Кириллица", "😀 👍🏽 👨‍👩‍👧", "e\u0301 combinant\u0327", "ß ǅ ﬁ ŉ", "«\u00a0guillemets\u00a0»",
    "\u202eevil gnp.exe", "a\u2066b\u2069c", "\u200b\u200d\u2060", "\ufeff", "\x07\x1b[31m", "{{ 7*7 }}", "{% x %}",
    "javascript:alert(1)", "../../etc/passwd", "a" * 40,
])
YAML_ESCAPES = st.sampled_from(["\\0", "\\a", "\\x07", "\\e", "\\x1b", "\\u202e", "\\u2066", "\\u2069", "\\x85",
                                "\\t", "\\n", "\\r", "\\u0000", "\\\\", '\\"'])


def label(max_size: int = LABEL) -> st.SearchStrategy[str]:
    """A text for a title or a label: mixed scripts, controls, sometimes very long."""
    return st.one_of(
        SCRIPTS,
        st.text(min_size=1, max_size=40),
        st.tuples(SCRIPTS, st.integers(1, max_size)).map(lambda t: (t[0] * (t[1] // max(1, len(t[0])) + 1))[:t[1]]),
    )


def quoted(text: str, escapes: list[str]) -> str:
    """`text` as a YAML double-quoted scalar, with YAML escapes spliced in."""
    body = text.replace("\\", "\\\\").replace('"', '\\"')
    body = "".join(c if c.isprintable() or c == " " else f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}"
                   for c in body)
    return '"' + body + "".join(escapes) + '"'


def nesting(depth: int, kind: str) -> str:
    if kind == "flow":
        return "[" * depth + "x" + "]" * depth
    if kind == "map":
        return "{a: " * depth + "x" + "}" * depth
    if kind == "unclosed":
        return "[" * depth
    if kind == "dashes":
        return "\n" + "- " * depth + "x"
    return "\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(min(depth, 2000))) + " " * (min(depth, 2000) + 1) + "x"


NESTED_VALUES = st.builds(nesting, st.integers(0, DEPTH), st.sampled_from(["flow", "map", "unclosed", "dashes", "indent"]))


@st.composite
def front_matter(draw) -> str:
    esc = lambda: draw(st.lists(YAML_ESCAPES, max_size=3))  # noqa: E731
    lines = [f"title: {quoted(draw(label(600)), esc())}",
             f"summary: {quoted(draw(label(6000)), esc())}"]
    themes = draw(st.one_of(st.lists(label(), min_size=1, max_size=4).map(lambda t: "[" + ", ".join(quoted(x, []) for x in t) + "]"),
                            NESTED_VALUES))
    lines.append(f"themes: {themes}")
    lines.append(f"territory: {quoted(draw(label()), esc())}")
    partners = draw(st.lists(label(), max_size=3))
    lines.append("partners: [" + ", ".join(quoted(p, esc()) for p in partners) + "]")
    if draw(st.booleans()):
        lines.append(f"keywords: {draw(NESTED_VALUES)}")
    if draw(st.booleans()):
        source = draw(st.sampled_from(["http://a.fr/x", "http://a\nb", "javascript:x", "ftp://x"]))
        lines.append("source: " + quoted(source, []))
    if draw(st.booleans()):  # junk: tabs, aliases, tags, stray quotes and colons
        lines.append(draw(st.sampled_from(["\tx: y", "a: &a [1]\nb: *a", "c: !!python/object x", "d: 'e", "f: g: h",
                                           "? [k]\n: v", "%YAML 1.1", "- liste"])))
    return "\n".join(lines)


def _body_piece(kind: str, n: int) -> str:
    return {
        "emphasis": "*a " * n + "x" + " a*" * n,
        "strong": "**a " * n + "x" + " a**" * n,
        "quotes": "> " * n + "cité",
        "lists": "\n".join("  " * i + f"- niveau {i}" for i in range(min(n, 3000))),
        "brackets": "[" * n + "x",
        "images": "![" * n,
        "links": "[a](" * n,
        "sup": "<sup>" * n + "x",
        "footnotes": " ".join(f"x[^{i}]" for i in range(n)) + "\n\n" + "".join(f"[^{i}]: n {i}\n" for i in range(n)),
        "chain": "x[^0]\n\n" + "".join(f"[^{i}]: n[^{i + 1}]\n" for i in range(n)) + f"[^{n}]: fin\n",
        "table": "| a | b |\n|---|---|\n" + "| x | y |\n" * n,
        "headings": "".join(f"## Titre {i}\n\n" for i in range(min(n, 3000))),
    }[kind]


BODY_PIECES = st.one_of(
    SCRIPTS,
    st.text(max_size=80),
    st.sampled_from([
        "[js](javascript:alert(1))", "![x](file:///etc/passwd)", "![y](data:image/png;base64,AAAA)", "<javascript:x>",
        "![r](http://127.0.0.1:9/r.png)", "[f](file:///etc/passwd)", "&#x202E;inversé", "&#0;&#7;&#x85;", "`code [`",
        "<script>alert(1)</script>", "<img src=x onerror=y>", "<!--", "```\n[[[[\n", "---", "| a |\n|--|", "[^1]",
        "^[inline]", "<sup>haut</sup>", "\\[", "\t\tindenté",
    ]),
    st.builds(_body_piece, st.sampled_from(["emphasis", "strong", "quotes", "lists", "brackets", "images", "links",
                                            "sup", "table", "headings"]), st.integers(0, DEPTH)),
    st.builds(_body_piece, st.sampled_from(["footnotes", "chain"]), st.integers(0, NOTES)),
)
BODIES = st.lists(BODY_PIECES, max_size=PIECES).map("\n\n".join)

FILE_NAMES = st.one_of(
    st.sampled_from(["fiche", "a\\b", "a\nb", "a\tb", "a\x1bb", "\u202egnp.exe", "é" * 125, "é" * 126, "x" * 251,
                     " espace ", "-tiret", "a:b", "a*b?c", "日本語", "émoji😀", "Fiche", "FICHE", "a\u0301", "\u00e1"]),
    st.text(min_size=1, max_size=60).filter(lambda s: "/" not in s and "\x00" not in s and not s.startswith(".")),
)


@st.composite
def fiche(draw) -> str:
    text = f"---\n{draw(front_matter())}\n---\n\n{draw(BODIES)}\n"
    if draw(st.integers(0, 9)) == 0:  # raw controls and line ends, as pasted
        text = text.replace("\n", draw(st.sampled_from(["\r\n", "\r", "\n"])))
        text = draw(st.sampled_from(["\ufeff", "", "\x00"])) + text
    return text


@st.composite
def projects(draw) -> dict[str, str]:
    files = {}
    for name in draw(st.lists(FILE_NAMES, min_size=1, max_size=3, unique=True)):
        files[f"fiches/{name}.md"] = draw(fiche())
    if draw(st.booleans()):
        files["publication.yaml"] = draw(st.sampled_from([
            "title: Recueil\n", "title: [\n", "title: R\nlang: en\n", "title: R\nallow_remote: true\nremote_timeout: 2\n",
            "title: R\nsections:\n  - title: S\n    fiches: [fiche, absente]\n", "title: " + "[" * 100 + "\n",
        ]))
    return files


@st.composite
def publishable(draw) -> dict[str, str]:
    """Projects a build goes through more often than not: the front matter valid, its
    texts hostile (controls, bidi, scripts); the text around the limits."""
    files = {}
    names = draw(st.lists(st.sampled_from(["fiche", "a\\b", "日本語", "émoji😀", "\u202egnp", "b", "c-d"]), min_size=1,
                          max_size=2, unique=True))
    for name in names:
        esc = lambda: draw(st.lists(YAML_ESCAPES.filter(lambda e: e not in ("\\n", "\\r", "\\t")), max_size=2))  # noqa: E731
        front = "\n".join([
            f"title: {quoted(draw(label(150)), esc())}",
            f"summary: {quoted(draw(label(300)), esc())}",
            "themes: [" + ", ".join(quoted(t, esc()) for t in draw(st.lists(label(150), min_size=1, max_size=3))) + "]",
            f"territory: {quoted(draw(label(150)), esc())}",
            "partners: [" + ", ".join(quoted(p, esc()) for p in draw(st.lists(label(150), max_size=2))) + "]",
        ])
        pieces = st.one_of(SCRIPTS, BODY_PIECES.filter(lambda p: len(p) < 4000),
                           st.builds(_body_piece, st.sampled_from(["emphasis", "quotes", "lists", "brackets", "sup",
                                                                   "table", "headings"]), st.integers(0, 24)),
                           st.builds(_body_piece, st.sampled_from(["footnotes", "chain"]), st.integers(0, 105)))
        files[f"fiches/{name}.md"] = f"---\n{front}\n---\n\n" + "\n\n".join(draw(st.lists(pieces, max_size=6))) + "\n"
    return files


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        except OSError:  # a name this file system refuses: another fiche tells the tale
            continue


def assert_promises(code: int, stderr: str) -> None:
    assert code in (0, 1), (code, stderr[-3000:])
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr[-3000:]
    for line in stderr.splitlines():
        assert PROBLEM.match(line) or SUMMARY.match(line), (line[:300], stderr[-3000:])


# check, in this process ----------------------------------------------------------------

def check(root: Path) -> tuple[int, str]:
    from generator.cli import main

    err = io.StringIO()
    previous = signal.getsignal(signal.SIGTERM)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["check", str(root)])
    finally:
        signal.signal(signal.SIGTERM, previous)
    return code, err.getvalue()


@CHECKS
@given(projects())
def test_check_keeps_its_promises_whatever_the_fiches(files):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "projet"
        write(root, files)
        (root / "fiches").mkdir(parents=True, exist_ok=True)
        assert_promises(*check(root))


@CHECKS
@given(st.lists(BODY_PIECES, min_size=1, max_size=4).map("\n\n".join), st.integers(1, 10_000))
def test_markdown_is_a_tree_or_an_error_with_its_line(text, first_line):
    from generator.read.markdown import TooMuch, parse

    try:
        doc, warnings = parse(text, first_line)
    except TooMuch as e:
        assert e.message and "\n" not in e.message
        assert e.line is None or first_line <= e.line <= first_line + text.count("\n")
        return
    for node in doc.walk():
        if node.type == "link":
            assert node.attrs["href"].lower().startswith(("http://", "https://", "mailto:"))
    assert all(first_line <= line for line, _ in warnings if line is not None)


# The worst of it in a process of its own: a crash there is a signal, not a dead test run.

@settings(max_examples=20 if LARGE else 4, deadline=timedelta(seconds=300 if LARGE else 60),
          suppress_health_check=list(HealthCheck), derandomize=not LARGE)
@given(st.integers(DEPTH // 2, DEPTH), st.sampled_from(["flow", "map", "dashes", "unclosed"]),
       st.sampled_from(["emphasis", "quotes", "brackets", "sup"]))
def test_the_deepest_fiches_never_kill_check(depth, yaml_kind, body_kind):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "projet"
        front = f"title: T\nsummary: S\nterritory: M\npartners: []\nthemes: {nesting(depth, yaml_kind)}"
        write(root, {"fiches/yaml.md": f"---\n{front}\n---\nTexte.\n",
                     "fiches/markdown.md": "---\ntitle: T\nsummary: S\nthemes: [a]\nterritory: M\npartners: []\n---\n"
                                           + _body_piece(body_kind, depth) + "\n"})
        result = subprocess.run([sys.executable, "-m", "generator", "check", str(root)], cwd=REPO, capture_output=True,
                                text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=600)
        assert result.returncode == 1, (result.returncode, result.stderr[-2000:])  # not a signal: both are refused
        assert_promises(result.returncode, result.stderr)


# A few builds ------------------------------------------------------------------------------

def outputs(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.relative_to(out).parts[0].startswith(".recueil")}


HOSTILE_BUT_PUBLISHABLE = {
    "fiches/日本語.md": ('---\ntitle: "Évil \\u202egnp.exe \\x07 العربية"\nsummary: "\\0 😀 עברית"\n'
                       'themes: ["e\\u0301cole", "\\u2066isolé\\u2069"]\nterritory: "Moulins"\npartners: ["ß ǅ ﬁ"]\n---\n\n'
                       + "*a " * 19 + "x" + " a*" * 19 + "\n\n" + _body_piece("chain", 98) + "\n\n"
                       + " ".join(f"[lien {i}](https://exemple.fr/{i})" for i in range(30))
                       + "\n\n[js](javascript:alert(1)) ![x](file:///etc/passwd) &#x202E;fin\n"),
}


@BUILDS
@example(HOSTILE_BUT_PUBLISHABLE)
@given(st.one_of(publishable(), projects()))
def test_a_build_exits_0_or_1_and_a_failed_one_changes_nothing(files):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "projet"
        write(root, files)
        (root / "fiches").mkdir(parents=True, exist_ok=True)
        out = Path(tmp) / "out"
        (out / "fiches").mkdir(parents=True)
        (out / "booklet.pdf").write_bytes(b"%PDF previous")
        (out / "fiches" / "autre.docx").write_bytes(b"previous")
        before = outputs(out)
        result = subprocess.run([sys.executable, "-m", "generator", "build", str(root), "--out", str(out)], cwd=REPO,
                                capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=1200)
        assert_promises(result.returncode, result.stderr)
        if result.returncode == 1:
            assert outputs(out) == before
        else:
            assert (out / "build.json").is_file()


def test_the_sizes_of_the_issue_are_refused(tmp_path):
    """80 kB and 800 kB themes, a 600 kB partner name, 20 000 footnotes: errors at once."""
    front = "---\ntitle: T\nsummary: S\nterritory: M\n"
    files = {
        "fiches/theme80.md": front + f"partners: []\nthemes: ['{'x' * 80_000}']\n---\n",
        "fiches/theme800.md": front + f"partners: []\nthemes: ['{'x' * 800_000}']\n---\n",
        "fiches/partner.md": front + f"themes: [a]\npartners: ['{'x' * 600_000}']\n---\n",
        "fiches/notes.md": front + "themes: [a]\npartners: []\n---\n" + _body_piece("footnotes", 20_000) + "\n",
    }
    write(tmp_path / "projet", files)
    code, err = check(tmp_path / "projet")
    assert code == 1
    assert_promises(code, err)
    assert len([line for line in err.splitlines() if ": error: " in line]) == 4, err
