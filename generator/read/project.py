"""Read a whole publication project: publication.yaml, partners.yaml, every fiche.

`read_project` is the only way into the model: everything it returns has been checked,
and every problem it found is in the report, one line each, all of them in one run.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from generator.diagnostics import Report
from generator.i18n import _, n_
from generator.model import (
    EditionSpec,
    Fiche,
    Partner,
    Project,
    Publication,
    SectionSpec,
    Theme,
)
from generator.read import limits, markdown, schema
from generator.read.clean import UNWANTED
from generator.read.fiche import Context, read_fiche, read_source
from generator.read.frontmatter import Doc, YamlError, load_yaml
from generator.read.matching import fold, id_key
from generator.read.remembered import Remembered, entry
from generator.read.typography import french, french_tree

if TYPE_CHECKING:
    from generator.pool import Pool

MAX_YAML_BYTES = limits.MAX_YAML_BYTES
SKIPPED_DIRS = {"output", "node_modules", "__pycache__"}


def read_project(root: Path, report: Report, *, drafts: bool = False, pool: Pool | None = None,
                 meanwhile: Callable[[], None] | None = None,
                 remembered: Remembered | None = None) -> Project | None:
    """The project in `root`, or None when it has errors (all of them in `report`).

    Drafts are read and checked either way; without `drafts` they are left out, and
    their problems are only warnings, so that a draft in progress never blocks a build.
    With the build's `pool`, its workers read the fiches of a catalogue, and
    `meanwhile()` is called while they do. Fiches an earlier build read are taken
    from `remembered` (read/remembered.py), and those read here are kept there.
    """
    root = Path(root)
    if not root.is_dir():
        report.error(str(root), None, _("no such folder: give the folder that holds publication.yaml and fiches/"))
        return None
    root = root.resolve()
    pub, pub_lines = _read_publication(root, report)
    registry, partners_raw = _read_partners(root, report)
    if pub.lang.startswith("fr"):
        _french_publication(pub)
        registry = [
            Partner(french(p.name), tuple(french(a) for a in p.aliases), french(p.type) if p.type else None, p.url)
            for p in registry
        ]
    ctx = Context(
        root=root,
        lang=pub.lang.split("-")[0],
        allow_remote=pub.allow_remote,
        registry={key: p for p in registry for key in [fold(p.name), *map(fold, p.aliases)]},
    )
    fiches, all_ids = _read_fiches(root, ctx, report, drafts, pool, meanwhile, remembered and remembered.reading(ctx))
    _check_sections(pub, pub_lines, fiches, all_ids, report)
    if report.errors:
        return None
    return Project(root=root, publication=pub, partners=registry, fiches=fiches, partners_raw=partners_raw)


# publication.yaml ------------------------------------------------------------------------

def _load(root: Path, name: str, report: Report) -> tuple[Doc, bytes] | None:
    path = root / name
    if not os.path.lexists(path):  # a link that leads nowhere is read, and said to be so
        return None
    source = read_source(path, name, report, MAX_YAML_BYTES)
    if source is None:
        return None
    raw, text = source
    try:
        return load_yaml(text), raw
    except YamlError as e:
        report.error(name, e.line, e.message)
        return None


def _read_publication(root: Path, report: Report) -> tuple[Publication, dict]:
    pub = Publication()
    loaded = _load(root, "publication.yaml", report)
    if loaded is None:
        return pub, {}
    doc, pub.raw = loaded
    fields = schema.publication_fields(schema.Checker(doc, "publication.yaml", report))
    for key, value in fields.items():
        if key == "sections":
            pub.sections = [SectionSpec(s["title"], tuple(s["fiches"]), s["line"]) for s in value]
        elif key == "themes":
            pub.themes = [Theme(t["name"], tuple(t["aliases"]), t["line"]) for t in value]
        elif key == "editions":
            pub.editions = [EditionSpec(tuple(e["select"]), e["title"], e["subtitle"], e["isbn"], e["line"])
                            for e in value]
        elif key == "introduction" and value is not None:
            pub.introduction = _markdown(value["text"], value["line"], report)
        elif value is not None:
            setattr(pub, key, value)
    id_lines = {(i, j): line for i, s in enumerate(fields.get("sections", [])) for j, line in enumerate(s["id_lines"])}
    return pub, id_lines


def _markdown(text: str, line: int | None, report: Report):
    """publication.yaml's Markdown text (the introduction), sanitised as a fiche's body
    is; what is dropped is reported at the key's line."""
    node, warnings = markdown.parse(text, line or 1)
    for _line, message in warnings:
        report.warning("publication.yaml", line, message)
    return node


def _french_publication(pub: Publication) -> None:
    for key in ("title", "subtitle", "publisher", "edition"):
        value = getattr(pub, key)
        if value:
            setattr(pub, key, french(value))
    pub.sections = [SectionSpec(french(s.title), s.fiches, s.line) for s in pub.sections]
    pub.themes = [Theme(french(t.name), tuple(map(french, t.aliases)), t.line) for t in pub.themes]
    pub.editions = [dataclasses.replace(e, title=french(e.title), subtitle=e.subtitle and french(e.subtitle))
                    for e in pub.editions]
    if pub.introduction is not None:
        french_tree(pub.introduction)
    if pub.colophon:
        pub.colophon = {k: (v if k == "isbn" else french(v)) for k, v in pub.colophon.items()}


def _check_sections(pub: Publication, id_lines: dict, fiches: list[Fiche], all_ids: set[str], report: Report) -> None:
    known = {id_key(f.id): f.id for f in fiches}
    seen: dict[str, str] = {}
    for i, section in enumerate(pub.sections):
        ids = []
        for j, given in enumerate(section.fiches):
            line = id_lines.get((i, j), section.line)
            key = id_key(given.removesuffix(".md"))
            if key in seen:
                report.warning("publication.yaml", line, _("fiche '{id}' is already in section « {section} »: listed "
                                                           "once only", id=given, section=seen[key]))
                continue
            if key not in known:
                if key not in all_ids:
                    report.error("publication.yaml", line, _("section « {section} » names fiche '{id}', but there is "
                                                             "no fiches/**/{id}.md", section=section.title, id=given))
                continue  # a draft left out of this build
            seen[key] = section.title
            ids.append(known[key])
        pub.sections[i] = SectionSpec(section.title, tuple(ids), section.line)


# partners.yaml ---------------------------------------------------------------------------

def _read_partners(root: Path, report: Report) -> tuple[list[Partner], bytes | None]:
    loaded = _load(root, "partners.yaml", report)
    if loaded is None:
        return [], None
    doc, raw = loaded
    entries = schema.partner_entries(schema.Checker(doc, "partners.yaml", report))
    owner: dict[str, tuple[str, int | None]] = {}  # fold(name or alias) -> (canonical, line)
    partners = []
    for e in entries:
        names = [(e["name"], e["line"], "name")] + [(a, line, "alias") for a, line in zip(e["aliases"], e["alias_lines"])]
        aliases = []
        for name, line, kind in names:
            key = fold(name)
            if key in owner and owner[key][0] != e["name"]:
                first, first_line = owner[key]
                report.error("partners.yaml", line, _("'{name}' already names partner '{first}' (line {line}): a name "
                                                      "or alias can belong to one partner only", name=name,
                                                      first=first, line=first_line))
                continue
            if key in owner:
                continue  # an alias repeating the partner's own name: harmless
            owner[key] = (e["name"], line)
            if kind == "alias":
                aliases.append(name)
        partners.append(Partner(e["name"], tuple(aliases), e["type"], e["url"]))
    return partners, raw


# fiches ------------------------------------------------------------------------------------

def fiche_files(root: Path) -> list[Path]:
    """Every fiches/**/*.md, in a stable order; hidden files and folders are skipped."""
    top = root / "fiches"
    found = []
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        found += [Path(folder) / f for f in files if f.endswith(".md") and not f.startswith(".")]
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def _read_fiches(root: Path, ctx: Context, report: Report, drafts: bool, pool: Pool | None,
                 meanwhile: Callable[[], None] | None,
                 remembered: Remembered | None) -> tuple[list[Fiche], set[str]]:
    """The fiches to publish, and the id_key of every fiche on disk, drafts included."""
    files = fiche_files(root)
    if not files:
        report.warning("fiches", None, _("no fiche found: write them as fiches/NAME.md (`recueil new \"Title\"` "
                                         "makes one)"))
    ids: dict[str, str] = {}  # id_key(id) -> rel of the first file with it
    todo = []
    for path in files:
        rel = path.relative_to(root).as_posix()
        problem = name_problem(path.name)
        if problem:
            report.error(rel, None, _("this file name cannot name the fiche's outputs (fiches/ID.pdf, "
                                      "fiches/ID.docx): {problem}; rename the file", problem=problem))
            continue
        try:
            outside = not path.resolve().is_relative_to(root)
        except (OSError, RuntimeError):  # a symbolic link loop: read_source says so
            outside = False
        if outside:
            report.error(rel, None, _("this file is a link to outside the project folder: copy the fiche into the "
                                      "project instead"))
            continue
        key = id_key(path.stem)
        if key in ids:
            report.error(rel, None, _("id '{id}' is already used by {path}: fiche ids are file names, compared "
                                      "ignoring case; rename one of them", id=path.stem, path=ids[key]))
            continue
        ids[key] = rel
        todo.append((path, rel))
    fiches = []
    for fiche, is_draft, items in _read_all(todo, ctx, pool, meanwhile, remembered):
        if is_draft and not drafts:
            for d in items:
                report.warning(d.path, d.line, _("(draft, not published) {message}", message=d.message))
            continue
        report.items += items
        if fiche is not None:
            fiches.append(fiche)
    return fiches, set(ids)


def name_problem(name: str) -> str | None:
    """Why a fiche file name cannot name its outputs, or None. The id (the name without
    `.md`) names fiches/ID.pdf and fiches/ID.docx in the output folder, on this machine
    and on the machines the files are copied to."""
    fiche_id = name[:-3] if name.endswith(".md") else name
    if any(0xD800 <= ord(c) <= 0xDFFF for c in fiche_id):
        return _("it is not valid UTF-8 (a name made on a machine with another encoding)")
    if "\\" in fiche_id:
        return _("it holds a backslash '\\', a folder separator on Windows")
    bad = sorted({c for c in fiche_id if c in "\t\n\r" or UNWANTED.match(c)})
    if bad:
        return n_("it holds the control character {chars}", "it holds the control characters {chars}", len(bad),
                  chars=", ".join(f"U+{ord(c):04X}" for c in bad))
    size = len((fiche_id + limits.LONGEST_SUFFIX).encode("utf-8"))
    if size > limits.NAME_MAX:
        return _("it is too long: with {suffix} it makes {size} bytes, and file systems allow {limit}",
                 suffix=limits.LONGEST_SUFFIX, size=size, limit=limits.NAME_MAX)
    return None


# Below this, sending fiches to the workers and back costs more than it saves.
PARALLEL_FROM = 60


def _read_all(todo: list[tuple[Path, str]], ctx: Context, pool: Pool | None,
              meanwhile: Callable[[], None] | None,
              remembered: Remembered | None) -> list[tuple[Fiche | None, bool, list]]:
    """read_fiche over `todo`, in order: what an earlier build read from `remembered`, the
    rest in the build's workers when there are some and enough fiches (Markdown parsing
    is most of a catalogue's reading time), else here."""
    parallel = pool is not None and pool.parallel and len(todo) >= PARALLEL_FROM
    results: list = [None] * len(todo)
    for n, (path, rel) in enumerate(todo if remembered else ()):
        results[n] = remembered.get(path, rel)
        if n == 0 and results[0] is not None and parallel and meanwhile is not None:
            # The first fiche was read before, the others likely too: the workers have
            # little reading to do, and can get ready at once.
            meanwhile()
            meanwhile = None
    missing = [n for n, r in enumerate(results) if r is None]
    if parallel and len(missing) >= PARALLEL_FROM:
        size = max(8, len(missing) // 16)
        futures = [pool.submit(_read_chunk, [todo[n] for n in missing[i:i + size]], ctx, remembered is not None)
                   for i in range(0, len(missing), size)]
        if meanwhile is not None:
            meanwhile()
        read = [result for f in futures for result in f.result()]
    else:
        if parallel and meanwhile is not None:
            meanwhile()
        read = _read_chunk([todo[n] for n in missing], ctx, remembered is not None)
    for n, (fiche, is_draft, items, kept) in zip(missing, read):
        results[n] = fiche, is_draft, items
        if remembered is not None and fiche is not None:
            remembered.keep(fiche, kept)
    return results


def _read_chunk(todo: list[tuple[Path, str]], ctx: Context,
                remember: bool = False) -> list[tuple[Fiche | None, bool, list, bytes | None]]:
    """The readings of `todo`; with `remember`, each with what the cache is to keep of
    it (remembered.entry), made here: in a worker, beside the others."""
    out = []
    for path, rel in todo:
        own, checked = Report(), []
        fiche, is_draft = read_fiche(path, rel, ctx, own, checked)
        out.append((fiche, is_draft, own.items, entry((fiche, is_draft, own.items), checked) if remember else None))
    return out
