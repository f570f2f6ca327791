"""Read one fiche file into a `model.Fiche`, reporting every problem with its line.

Fiches are pasted from e-mails and web pages: the reader is tolerant where the intent is
clear (a byte-order mark, Windows line ends, a stray control character) and precise
where it is not (a Latin-1 file says how to convert it; a missing image names its line).
"""

from __future__ import annotations

import errno
import os
import re
import stat
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from generator.diagnostics import Report
from generator.i18n import _
from generator.model import (
    Contact,
    Fiche,
    Image,
    KeyFigure,
    Partner,
    PartnerRef,
    Territory,
)
from generator.read import fields, markdown, schema
from generator.read.clean import UNWANTED, clean, removed
from generator.read.frontmatter import YamlError, load_yaml, split
from generator.read.limits import MAX_FICHE_BYTES
from generator.read.matching import fold
from generator.read.pixels import MAX_PIXELS, pixel_count
from generator.read.typography import french, french_tree

MAX_BYTES = MAX_FICHE_BYTES  # a fiche is a few kilobytes; anything this big is a mistake
_REMOTE = ("http://", "https://")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass
class Context:
    """What reading a fiche needs to know about the rest of the project."""

    root: Path  # resolved
    lang: str = "fr"
    allow_remote: bool = False
    registry: dict[str, Partner] | None = None  # fold(name or alias) -> partner, as written


def read_source(path: Path, rel: str, report: Report, max_bytes: int = MAX_BYTES) -> tuple[bytes, str] | None:
    """The bytes of a text file and its text: UTF-8, BOM dropped, line ends unified,
    control and bidirectional control characters removed with a warning naming their
    line. Only a regular file is read: a FIFO, a device or a socket would block or never
    end, and is refused without being waited for (the file is opened non-blocking)."""
    raw = read_regular(path, rel, report, max_bytes)
    if raw is None:
        return None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        report.error(rel, 1, _("the file is UTF-16: save it as UTF-8 (in most editors: 'Save as…', encoding UTF-8)"))
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        byte = f"{raw[e.start]:02X}"
        report.error(
            rel, line,
            _("the file is not UTF-8 (byte 0x{byte}; it looks like Latin-1/Windows-1252): "
              "convert it with `iconv -f latin1 -t utf-8 {name} > converted.md` "
              "or save it from your editor with the UTF-8 encoding", byte=byte, name=Path(rel).name),
        )
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if UNWANTED.search(text):
        lines = text.split("\n")
        for n, line in enumerate(lines, 1):
            cleaned, found = clean(line)
            if found:
                report.warning(rel, n, removed(found))
                lines[n - 1] = cleaned
        text = "\n".join(lines)
    return raw, text


def _kinds():
    return ((stat.S_ISDIR, _("a folder")), (stat.S_ISFIFO, _("a named pipe (FIFO)")), (stat.S_ISSOCK, _("a socket")),
            (stat.S_ISCHR, _("a device")), (stat.S_ISBLK, _("a device")))


def read_regular(path: Path, rel: str, report: Report, max_bytes: int) -> bytes | None:
    """The bytes of `path` if it is a regular file of at most `max_bytes`; else None and
    an error. The type is checked on the open file itself, so that nothing can swap it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        report.error(rel, None, _cannot_open(e))
        return None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _kinds() if test(mode)), _("not a regular file"))
            report.error(rel, None, _("cannot read the file: it is {kind}, not a text file (only regular files are read)",
                                      kind=kind))
            return None
        size = os.fstat(fd).st_size
        if size > max_bytes:
            report.error(rel, None, _("the file is too large ({size} kB; at most {limit} kB): is it really a text file?",
                                      size=size // 1000, limit=max_bytes // 1000))
            return None
        chunks, total = [], 0
        while chunk := os.read(fd, min(1 << 20, max_bytes + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:  # it grew while being read
                report.error(rel, None, _("the file is too large (at most {limit} kB): is it really a text file?",
                                          limit=max_bytes // 1000))
                return None
        return b"".join(chunks)
    except OSError as e:
        report.error(rel, None, _("cannot read the file: {reason}", reason=e.strerror or e))
        return None
    finally:
        os.close(fd)


def _cannot_open(e: OSError) -> str:
    if e.errno == errno.ELOOP:
        return _("this file is a symbolic link that leads back to itself (a loop): replace it with the fiche itself")
    if e.errno == errno.ENOENT:
        return _("this file is a symbolic link to a file that does not exist: replace it with the fiche itself")
    if e.errno in (errno.EACCES, errno.EPERM):
        return _("cannot read the file: permission denied (check who owns it and its permissions)")
    return _("cannot read the file: {reason}", reason=e.strerror or e)


def read_fiche(path: Path, rel: str, ctx: Context, report: Report,
               checked: list[tuple[str, str]] | None = None) -> tuple[Fiche | None, bool]:
    """Read and check one fiche: (the fiche, whether it says `draft: true`). The fiche
    is None when it cannot be published as is; the report then says why. `checked`, when
    given, receives (as written, the file found) for each image found in the project:
    what the file system said, which a reading taken from the cache must check again
    (read/remembered.py)."""
    source = read_source(path, rel, report)
    if source is None:
        return None, False
    raw, text = source
    try:
        parts = split(text)
        doc = load_yaml(parts.front, parts.front_line)
    except YamlError as e:
        report.error(rel, e.line, e.message)
        return None, False
    errors_before = len(report.errors)
    checker = schema.Checker(doc, rel, report)
    f = fields.check_fiche(checker)
    if f is None:
        return None, False
    return _build(f, checker, parts, raw, path, rel, ctx, report, errors_before, checked), f["draft"]


def _build(f, checker, parts, raw, path, rel, ctx, report, errors_before, checked) -> Fiche | None:
    doc = checker.doc
    try:
        body, warnings = markdown.parse(parts.body, parts.body_line)
    except markdown.TooMuch as e:
        report.error(rel, e.line, e.message)
        return None
    for line, message in warnings:
        report.warning(rel, line, message)
    image = _front_image(f["image"], path, rel, checker, ctx, checked)
    _body_images(body, path, rel, ctx, report, checked)
    if not f["draft"]:  # a draft is unfinished by definition
        _placeholders(f, body, checker)
    if len(report.errors) > errors_before or not all(f[k] for k in ("title", "summary", "themes", "territory")):
        return None
    if (f["lang"] or ctx.lang).split("-")[0] == "fr":
        f = fields.typeset(f, french)
        french_tree(body)
    terr, contact, img = f["territory"], f["contact"], f["image"]
    return Fiche(
        id=path.stem,
        path=path,
        rel=rel,
        title=f["title"],
        summary=f["summary"],
        themes=f["themes"],
        territory=Territory(terr["place"], terr["department"], terr["region"]),
        partners=[_partner_ref(p, ctx) for p in f["partners"]],
        body=body,
        subtitle=f["subtitle"],
        date=f["date"],
        audience=f["audience"],
        key_figures=[KeyFigure(k["value"], k["label"]) for k in f["key_figures"]],
        contact=Contact(*(contact[k] for k in ("name", "organisation", "email", "phone", "url"))) if contact else None,
        source=f["source"],
        image=Image(image[0], image[1], img["alt"], img["caption"], img["credit"], img["decorative"]) if image else None,
        lang=f["lang"],
        keywords=f["keywords"],
        draft=f["draft"],
        raw=raw,
        lines={".".join(map(str, k)): line for k, line in doc.lines.items() if k and isinstance(k[0], str)},
    )


_PLACEHOLDERS = {fold(p).rstrip(".") for texts in fields.PLACEHOLDERS.values() for p in texts}


def _placeholders(f: dict, body: markdown.Node, c: schema.Checker) -> None:
    """An error for each text `recueil new` wrote that is still there."""
    found = [(c.line(path), text) for path, text in fields.printed_values(f)]
    found += [(n.line, n.plain()) for n in body.children if n.type == "paragraph"]
    for line, text in found:
        if fold(text).rstrip(".") in _PLACEHOLDERS:
            c.report.error(c.rel, line, _("« {text} » is what `recueil new` wrote for you to replace: write the "
                                          "fiche's own text here before publishing it", text=text))


def _partner_ref(p: dict, ctx: Context) -> PartnerRef:
    """A partner as the fiche names it, under its canonical name from partners.yaml (the
    registry is typeset when it is read)."""
    known = (ctx.registry or {}).get(fold(p["name"]))
    if known is None:
        return PartnerRef(p["name"], p["name"], p["role"], p["type"], p["url"], p["line"])
    return PartnerRef(name=known.name, given=p["name"], role=p["role"], type=p["type"] or known.type,
                      url=p["url"] or known.url, line=p["line"])


# Images ----------------------------------------------------------------------------------

def check_local(src: str, fiche_path: Path, root: Path) -> tuple[Path | None, str | None]:
    """Resolve an image path written in a fiche. Returns (absolute path, None) or
    (None, why not). Symlinks are resolved first, so none can lead outside."""
    if not src.strip():
        return None, _("an image needs a file name")
    shown = src[:80]
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", src) and not re.match(r"^[A-Za-z]:[\\/]", src):
        return None, _("image '{src}' must be a file inside the project folder", src=shown)
    rel_src = urllib.parse.unquote(src.split("#")[0].split("?")[0])
    try:
        target = (fiche_path.parent / rel_src).resolve()
    except (OSError, RuntimeError, ValueError):
        return None, _("image '{src}' cannot be found", src=shown)
    if not target.is_relative_to(root):
        return None, _("image '{src}' is outside the project folder: copy it into the project (e.g. images/) and "
                       "refer to it from there", src=shown)
    if not target.is_file():
        return None, _("image '{src}' not found (looked for {path})", src=shown,
                       path=target.relative_to(root).as_posix())
    pixels = pixel_count(target)
    if pixels is None and target.suffix.lower() != ".svg":
        return None, _("'{src}' is not an image Recueil can read: use PNG, JPEG, GIF, WebP or SVG", src=shown)
    if pixels is not None and pixels > MAX_PIXELS:
        megapixels, limit = f"{pixels / 1e6:.0f}", f"{MAX_PIXELS / 1e6:.0f}"
        return None, _("image '{src}' has {megapixels} megapixels, more than the {limit} a page can use: save a "
                       "smaller copy (300 dpi at print size is plenty)", src=shown,
                       megapixels=megapixels, limit=limit)
    return target, None


def _local(src: str, path: Path, root: Path, checked: list | None) -> tuple[Path | None, str | None]:
    found, problem = check_local(src, path, root)
    if found is not None and checked is not None:
        checked.append((src, str(found)))
    return found, problem


def _front_image(img: dict | None, path: Path, rel: str, c: schema.Checker, ctx: Context,
                 checked: list | None) -> tuple[Path, str] | None:
    if not img:
        return None
    src = img["file"]
    if src.lower().startswith(_REMOTE):
        c.warn(("image", "file"), _("a remote image cannot be the fiche's main image: download it into the project "
                                    "folder (image left out)"))
        return None
    found, problem = _local(src, path, ctx.root, checked)
    if problem:
        c.error(("image", "file"), problem)
        return None
    if not img["alt"] and not img["decorative"]:
        c.error(("image",), _("the image needs 'alt:', a sentence saying what it shows for readers who cannot see "
                              "it (or 'decorative: true' when it shows nothing they would miss)"))
        return None
    return found, found.relative_to(ctx.root).as_posix()


def _body_images(body: markdown.Node, path: Path, rel: str, ctx: Context, report: Report,
                 checked: list | None) -> None:
    """Resolve the images of the text. One that cannot be shown (remote while remote
    images are off, a `data:` URL, a scheme such as file: or javascript:) is replaced by
    its description, with a warning; one that leads outside the project, or to no
    image, is an error."""
    for parent in list(body.walk()):
        keep = []
        for node in parent.children:
            if node.type != "image":
                keep.append(node)
                continue
            src = node.attrs.get("src", "")
            instead = [markdown.Node("text", attrs={"text": node.attrs["alt"]})] if node.attrs.get("alt") else []
            shown = src[:80]
            if src.lower().startswith(_REMOTE):
                if ctx.allow_remote:  # fetched by the PDF renders (render/fetcher.py)
                    node.attrs["remote"] = True
                    keep.append(node)
                else:
                    report.warning(rel, node.line, _("remote image '{src}' left out, its description printed instead: "
                                                     "set 'allow_remote: true' in publication.yaml to fetch it, or "
                                                     "download it into the project", src=shown))
                    keep += instead
                continue
            if src.lower().startswith("data:"):
                report.warning(rel, node.line, _("embedded 'data:' image left out, its description printed instead: "
                                                 "save it as a file in the project and refer to it"))
                keep += instead
                continue
            if _SCHEME.match(src) and not re.match(r"^[A-Za-z]:[\\/]", src):
                report.warning(rel, node.line, _("image '{src}' left out, its description printed instead: an image "
                                                 "is a file inside the project folder (or, with allow_remote, an "
                                                 "http(s) address)", src=shown))
                keep += instead
                continue
            found, problem = _local(src, path, ctx.root, checked)
            if problem:
                report.error(rel, node.line, problem)
                continue
            if not (node.attrs.get("alt") or "").strip():
                report.error(rel, node.line, _("image '{src}' needs a text saying what it shows, for readers "
                                               "who cannot see it: write it between the brackets, "
                                               "![Une photo du jardin](...)", src=shown))
                continue
            node.attrs["path"] = found
            keep.append(node)
        parent.children = keep
