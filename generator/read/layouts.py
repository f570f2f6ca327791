"""Layouts: folders of data (templates, CSS, layout.yaml) that renderers look up by name.

A layout NAME is looked up first in the project's `layouts/NAME/`, then among the
built-in `layouts/NAME/`: a project overrides a built-in layout file by file (a template
it does not provide comes from the built-in one) and its `layout.yaml` is merged over
the built-in settings, mapping by mapping.

A layout may build on another: `extends: NAME` in its layout.yaml lays it over layout
NAME (itself looked up the same way, and possibly extending a third). Its settings are
merged over NAME's, and its templates and stylesheets are looked up in its own folders
first, then in NAME's. A loop (`a` extends `b` extends `a`) is an error naming the file.

Settings that differ with the page size go under `page_size_settings: {A4: {...}, A5:
{...}}`: the edition's page size (the design's `page_size`, else publication.yaml's)
picks one, merged over the other settings (the A5 brochure's smaller margins and type).

The design tokens (`design:` in layout.yaml, or a `design.yaml` beside it) are checked
and resolved here into `Layout.design` (generator/design.py); every layout.yaml key is
checked against design.LAYOUT_KEYS, an unknown one is a warning with "did you mean".
Warnings are kept in `Layout.warnings` for the build's or check's report.

`load_layout` raises `diagnostics.InputError` for an unknown name; its report holds
`publication.yaml:N: error: unknown layout 'x' (available: archive, brochure, handout)`
(or `--layout: error: ...` when the name did not come from publication.yaml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from generator import design as tokens
from generator.diagnostics import InputError, Report
from generator.i18n import _
from generator.model import Project
from generator.paths import builtin_fonts, builtin_layouts, is_builtin
from generator.render.filters import register

_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass
class Layout:
    name: str
    dirs: list[Path]  # the project's folder first (when it has one), then the built-in one,
    #                   then those of the layout it extends
    settings: dict
    env: jinja2.Environment = field(repr=False)
    bases: list[str] = field(default_factory=list)  # the layouts it extends, nearest first
    design: tokens.Design | None = None  # its design tokens, resolved
    warnings: list = field(default_factory=list)  # (path, line, message) for the report

    def file(self, name: str) -> Path | None:
        """The first `name` found in the layout's folders, or None."""
        for d in self.dirs:
            candidate = d / name
            if candidate.is_file():
                return candidate
        return None

    def project_files(self, root: Path) -> list[tuple[str, Path]]:
        """The files of this layout that are the project's own (its templates,
        stylesheets, settings, typefaces), as (path relative to `root`, file): what an
        archive carries and build.json checksums. Recueil's own files are left out,
        even when the project is Recueil's checkout: its version names them."""
        found = [p for d in self.dirs for p in sorted(Path(d).rglob("*")) if p.is_file()]
        if self.design is not None:
            found += [face.path for face in self.design.all_faces()]
        out, base = [], Path(root).resolve()
        for path in found:
            real = Path(path).resolve()
            if real.is_relative_to(base) and not is_builtin(real):
                out.append((real.relative_to(base).as_posix(), real))
        return out

    def labels(self, lang: str) -> dict[str, str]:
        """The printed words (« Sommaire », « Index des thèmes »...) in `lang`, falling
        back word by word to French, which every layout must provide. `{body_font}` and
        `{heading_font}` in a label name the design's typefaces (the colophon's)."""
        all_labels = self.settings.get("labels", {})
        out = {**all_labels.get("fr", {}), **all_labels.get(lang, {})}
        if self.design is not None:
            names = {"{body_font}": self.design.faces["body"][0].family,
                     "{heading_font}": self.design.faces["heading"][0].family}
            for k, v in out.items():
                if isinstance(v, str) and "{" in v:
                    for token, name in names.items():
                        v = v.replace(token, name)
                    out[k] = v
        return out

    def theme_colours(self, themes: list[str]) -> dict[str, str]:
        """A colour for each theme: layout.yaml's `theme_colours` where it names the
        theme, else the palette in turn, in the order the themes are given."""
        d = self.design or tokens.resolve(self.settings, None, [])
        named = d.values["theme_colours"]
        palette = d.values["palette"]
        out, k = {}, 0
        for theme in themes:
            if theme in named:
                out[theme] = named[theme]
            else:
                out[theme] = palette[k % len(palette)]
                k += 1
        return out


def available(project: Project | None) -> list[str]:
    names = {d.name for d in builtin_layouts().iterdir() if d.is_dir()}
    if project is not None and (project.root / "layouts").is_dir():
        names |= {d.name for d in (project.root / "layouts").iterdir() if d.is_dir()}
    return sorted(n for n in names if _NAME.match(n))


def load_layout(project: Project, name: str) -> Layout:
    """The layout `name` for `project`, with what it `extends:` underneath. Raises
    InputError (with a report) when no layout of that name exists, its layout.yaml is
    unreadable, or its `extends:` chain names an unknown layout or loops."""
    where: dict = {}
    warned = Report()
    dirs, settings, bases = _resolve(project, name, [], where, warned)
    by_size = settings.get("page_size_settings") or {}
    page = (tokens.page_size(tokens.design_settings(settings).get("page_size"))
            or tokens.page_size(project.publication.page_size) or tokens.page_size("A4"))
    chosen = by_size.get(page[0]) if isinstance(by_size, dict) else None
    if isinstance(chosen, dict):
        settings = _merge(settings, chosen)
    font_dirs = [project.root / "fonts"] + [p for d in dirs for p in (d / "fonts", d)] + [builtin_fonts()]
    font_dirs = [d for d in dict.fromkeys(font_dirs) if d.is_dir()]
    design = tokens.resolve(settings, project.publication.page_size, font_dirs, where)
    # What preflight reads: the text block's width, from the page and its margins.
    settings = {**settings, "text_width_mm": round(design.text_width_mm, 1)}
    errors = Report()
    for path, line, level, message in design.problems:
        (errors.error if level == "error" else warned.warning)(path, line, message)
    if errors.failed():
        errors.items += warned.items
        raise InputError(errors)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        autoescape=True,  # fiche text is untrusted: always escaped, never a template
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    layout = Layout(name=name, dirs=dirs, settings=settings, env=env, bases=bases, design=design,
                    warnings=list(dict.fromkeys((d.path, d.line, d.message) for d in warned.items)))
    lang = project.publication.lang
    register(env, lang, layout.labels(lang).get("months") or [])
    return layout


def _folders(project: Project, name: str) -> list[Path]:
    dirs = []
    if _NAME.match(name or ""):
        for base in (project.root / "layouts", builtin_layouts()):
            if (base / name).is_dir():
                dirs.append(base / name)
    return dirs


def _resolve(project: Project, name: str, chain: list[tuple[str, Path]], where: dict,
             warned: Report) -> tuple[list[Path], dict, list[str]]:
    """(folders, settings, bases) of layout `name`; `chain` holds the layouts that
    extend it, each with the layout.yaml that says so, nearest last. `where` gets the
    file and line of every design token read (the nearest layout's last)."""
    dirs = _folders(project, name)
    if not dirs:
        report = Report()
        if chain:
            path = chain[-1][1]
            report.error(_shown(project, path), _line_of(path, "extends"),
                         _("'extends': unknown layout '{name}' (available: {names})", name=name,
                           names=", ".join(available(project))))
        else:
            path, line = _where_named(project, name)
            report.error(path, line, _("unknown layout '{name}' (available: {names})", name=name,
                                       names=", ".join(available(project))))
        raise InputError(report)

    settings: dict = {}
    declared: Path | None = None  # the layout.yaml whose `extends:` wins
    base_where: dict = {}
    own_where: dict = {}
    for d in reversed(dirs):  # built-in first, the project's merged over it
        own = _read_settings(project, d, own_where, warned)
        if "extends" in own:
            declared = d / "layout.yaml"
        settings = _merge(settings, own)
    base = settings.pop("extends", None)
    if base is None or base == "":
        where.update(own_where)
        return dirs, settings, []
    if not isinstance(base, str):
        _fail(project, declared, _line_of(declared, "extends"),
              _("'extends' names one layout, such as 'brochure', not {value}", value=repr(base)))
    names = [n for n, _folder in chain] + [name]
    if base in names:
        loop = " → ".join(names[names.index(base):] + [base])
        _fail(project, declared, _line_of(declared, "extends"),
              _("'extends: {base}' makes a loop ({loop}): a layout cannot extend itself", base=base, loop=loop))
    base_dirs, base_settings, base_bases = _resolve(project, base, chain + [(name, declared)], base_where, warned)
    where.update(base_where)
    where.update(own_where)
    return (dirs + [d for d in base_dirs if d not in dirs],
            _merge(base_settings, settings),
            [base] + base_bases)


def _line_of(path: Path | None, key: str) -> int | None:
    """The line of a top-level `key:` in a YAML file, for error messages."""
    if path is None or not path.is_file():
        return None
    for n, text in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if re.match(rf"^{re.escape(key)}\s*:", text):
            return n
    return None


def _shown(project: Project, path: Path) -> str:
    try:
        return path.relative_to(project.root).as_posix()
    except ValueError:
        return path.as_posix()


def _where_named(project: Project, name: str) -> tuple[str, int | None]:
    raw = project.publication.raw
    if raw and project.publication.layout == name:
        for n, text in enumerate(raw.decode("utf-8", "replace").splitlines(), 1):
            if re.match(r"^layout\s*:", text):
                return "publication.yaml", n
        return "publication.yaml", None
    return "--layout", None


def _load(project: Project, path: Path):
    from generator.read.frontmatter import YamlError, load_yaml

    try:
        return load_yaml(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        _fail(project, path, None, _("{file} is not UTF-8 text: save it again as UTF-8", file=path.name))
    except YamlError as e:
        _fail(project, path, e.line, f"{path.name}: {e.message}")


def _read_settings(project: Project, folder: Path, where: dict, warned: Report) -> dict:
    """A layout folder's layout.yaml, with its design.yaml (merged over its `design:`),
    checked: errors raise InputError, warnings go into `warned`; `where` gets the file and
    line of each design token it sets."""
    data: dict = {}
    path = folder / "layout.yaml"
    report = Report()
    if path.is_file():
        doc = _load(project, path)
        data = doc.value if doc.value is not None else {}
        if not isinstance(data, dict):
            _fail(project, path, 1, _("layout.yaml must be a mapping of settings"))
        rel = _shown(project, path)
        tokens.check_layout(doc, rel, report)
        for key in list(tokens.design_settings(data)) + ["typefaces"]:
            line = doc.line(("design", key)) if key in (data.get("design") or {}) else doc.line((key,))
            where[key] = (rel, line)
        legacy = {k: data.pop(k) for k in tokens.LEGACY if k in data}  # old spelling: into the design
        if legacy:
            data["design"] = {**legacy, **(data.get("design") or {})}
        if data.get("fiche_starts_on", "any") not in ("any", "right"):
            report.error(rel, doc.line(("fiche_starts_on",)),
                         _("'fiche_starts_on' is 'any' or 'right', not {value}", value=repr(data['fiche_starts_on'])))
    extra = folder / "design.yaml"
    if extra.is_file():
        doc = _load(project, extra)
        rel = _shown(project, extra)
        if doc.value is not None:
            if not isinstance(doc.value, dict):
                _fail(project, extra, 1, _("design.yaml must be a group of 'token: value' lines"))
            from generator.read.schema import Checker

            tokens.check_tokens(Checker(doc, rel, report), (), doc.value)
            for key in doc.value:
                where[key] = (rel, doc.line((key,)))
            data = _merge(data, {"design": doc.value})
    if report.failed():
        raise InputError(report)
    warned.items += report.items
    return data


def _fail(project: Project, path: Path, line: int | None, message: str):
    report = Report()
    report.error(_shown(project, path), line, message)
    raise InputError(report)


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out
