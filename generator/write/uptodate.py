"""The no-change fast path: is this build the previous one again?

A build records, next to its cache (OUT/.recueil-cache/last-build.json), a digest of
every input it read and the size and mtime of every output it committed. The next build
with the same digest and the same outputs in OUT does nothing: it says so and replays the
warnings. Any doubt (no record, a file that cannot be read, an output changed, a remote
image allowed, an image that did not resolve) means a full, cached build.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import urllib.parse
from pathlib import Path

from generator.diagnostics import Report
from generator.write.manifest import MANIFEST, sha256_regular

STAMP = "last-build.json"
STAMP_FORMAT = 1
_CSS_URL = re.compile(r"""url\(\s*["']?([^"')\s]+)["']?\s*\)""", re.I)


def _sha(path: Path) -> str | None:
    try:
        return sha256_regular(path)  # a FIFO or a device is hashed as missing, never waited on
    except OSError:
        return None


def _tree(top: Path) -> list[Path]:
    """Every file under `top` (hidden ones and __pycache__ included: when in doubt, hash)."""
    if not top.is_dir():
        return []
    return sorted(p for p in top.rglob("*") if p.is_file() or p.is_symlink())


def _options_digest(options) -> list:
    from generator import i18n

    # The language of messages too: the record's warnings are replayed as they were written.
    return [list(options.formats), options.layout, [list(s) for s in options.selects], options.title,
            options.subtitle, options.drafts,
            options.print_edition, options.impose, options.archive, str(Path(options.out).resolve()), i18n.current()]


def _versions() -> list:
    from importlib import metadata

    found = []
    for dist in ("weasyprint", "pikepdf", "fonttools", "uharfbuzz", "pydyf", "python-docx", "markdown-it-py", "jinja2", "pyyaml",
                 "segno", "tinycss2", "cssselect2", "pillow", "pyphen"):
        try:
            found.append((dist, metadata.version(dist)))
        except metadata.PackageNotFoundError:
            found.append((dist, None))
    return [sys.version, found]


def _input_digest(root: Path, options, extra: list[str], out: Path, epoch_env: str | None,
                  since_ns: int | None = None) -> str | None:
    """The digest of what a build of `root` reads: the fixed places (the fiches folder,
    publication.yaml, partners.yaml, the project's and the built-in layouts, the
    project's fonts/ and the built-in fonts, Recueil's own code), the files listed in `extra` (the images the fiches used, files a
    layout's CSS names), the options and the environment that reaches the outputs.
    None when a file was modified at or after `since_ns` (during the build being recorded:
    which version it used cannot be known)."""
    from generator import __version__
    from generator.paths import builtin_fonts, builtin_layouts

    root = root.resolve()
    out = out.resolve()
    h = hashlib.sha256(f"recueil {__version__} up-to-date {STAMP_FORMAT}\0".encode())
    h.update(json.dumps([_options_digest(options), _versions(), epoch_env]).encode())
    code = Path(__file__).resolve().parent.parent  # the generator package
    places = [root / "fiches", root / "layouts", root / "fonts", builtin_layouts(), builtin_fonts()]
    files = [root / "publication.yaml", root / "partners.yaml"]
    for place in places:
        files += [p for p in _tree(place) if not p.resolve().is_relative_to(out)]
    files += sorted(code.rglob("*.py"))
    files += [Path(p) for p in extra]
    for path in dict.fromkeys(files):
        if since_ns is not None:
            try:
                if os.stat(path).st_mtime_ns >= since_ns:
                    return None
            except OSError:
                pass  # a missing file is hashed as missing
        h.update(f"{path}\0{_sha(path)}\0".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def extra_inputs(proj, layouts_used, reads: dict | None = None) -> list[str] | None:
    """Files the build read beyond the fixed places, or None when they cannot be known.
    `reads` is what the renders' fetchers served (context.BuildContext.reads): an SVG's
    own images, say, which no fiche names; a remote resource among them means None."""
    if proj.publication.allow_remote:
        return None
    reads = reads or {}
    if any(sha is None for sha in reads.values()):
        return None
    extra = set(reads)
    for fiche in proj.fiches:
        if fiche.image:
            extra.add(str(fiche.image.path))
        for node in fiche.body.walk():
            if node.type == "image":
                if not node.attrs.get("path"):
                    return None  # an image that did not resolve: adding it later must rebuild
                extra.add(str(node.attrs["path"]))
    for layout in layouts_used:
        for d in layout.dirs:
            for css in _tree(Path(d)):
                if css.suffix.lower() not in (".css", ".html"):
                    continue
                try:
                    text = css.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    return None
                for m in _CSS_URL.finditer(text):
                    url = m.group(1)
                    if url.startswith("data:"):
                        continue
                    if "://" in url:
                        if not url.startswith("file:"):
                            continue  # fetched remotely only with allow_remote, refused above
                        return None
                    extra.add(str((css.parent / urllib.parse.unquote(url.split("#")[0].split("?")[0])).resolve()))
    return sorted(extra)


def stamp_path(out: Path) -> Path:
    from generator.cache import DIRNAME

    return Path(out) / DIRNAME / STAMP


def changed_since(out: Path, fiches) -> frozenset[str]:
    """Ids of the `fiches` whose file was changed after the last build in `out` (all of
    them when there is no such build): a hint of what the cache lacks, no more."""
    try:
        since = stamp_path(out).stat().st_mtime_ns
    except OSError:
        return frozenset(f.id for f in fiches)
    changed = set()
    for f in fiches:
        try:
            if f.path.stat().st_mtime_ns >= since:
                changed.add(f.id)
        except OSError:
            changed.add(f.id)
    return frozenset(changed)


def forget(out: Path) -> None:
    try:
        stamp_path(out).unlink(missing_ok=True)
    except OSError:
        pass


def record(root: Path, options, out: Path, extra: list[str], report: Report, n: int,
            started_ns: int, epoch_env: str | None) -> None:
    """After a commit: what the next build compares itself with."""
    inputs = _input_digest(root, options, extra, out, epoch_env, since_ns=started_ns)
    if inputs is None:
        return
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        outputs = {}
        for entry in manifest["outputs"] + [{"path": MANIFEST}]:
            st = os.stat(out / entry["path"])
            outputs[entry["path"]] = [st.st_size, st.st_mtime_ns]
        data = {"format": STAMP_FORMAT, "inputs": inputs, "extra": extra,
                "manifest_sha256": _sha(out / MANIFEST), "outputs": outputs, "fiches": n,
                "warnings": [[d.path, d.line, d.message] for d in report.warnings]}
        path = stamp_path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except (OSError, ValueError, KeyError, TypeError):
        forget(out)


def previous_if_unchanged(root: Path, options, out: Path, epoch_env: str | None) -> dict | None:
    """The previous build's record when this build would redo it exactly, else None."""
    try:
        data = json.loads(stamp_path(out).read_text(encoding="utf-8"))
        if data.get("format") != STAMP_FORMAT:
            return None
        if _sha(out / MANIFEST) != data["manifest_sha256"]:
            return None
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        listed = {e["path"]: e for e in manifest["outputs"]}
        if set(listed) | {MANIFEST} != set(data["outputs"]):
            return None
        for rel, entry in listed.items():
            path = out / rel
            if path.is_symlink():
                return None
            st = os.stat(path)
            if st.st_size != entry["size"]:
                return None
            if [st.st_size, st.st_mtime_ns] != data["outputs"][rel] and _sha(path) != entry["sha256"]:
                return None
        if _input_digest(root, options, list(data["extra"]), out, epoch_env) != data["inputs"]:
            return None
        return data
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
