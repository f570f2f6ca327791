"""Layouts: folders of data (templates, CSS, layout.yaml) that renderers look up by name.

A layout NAME is looked up first in the project's `layouts/NAME/`, then among the
built-in `layouts/NAME/`: a project overrides a built-in layout file by file (a template
it does not provide comes from the built-in one) and its `layout.yaml` is merged over
the built-in settings, mapping by mapping.

`load_layout` raises `diagnostics.InputError` for an unknown name; its report holds
`publication.yaml:N: error: unknown layout 'x' (available: archive, brochure, handout)`
(or `--layout: error: ...` when the name did not come from publication.yaml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import yaml

from generator.diagnostics import InputError, Report
from generator.model import Project
from generator.paths import builtin_layouts

_COLOUR = re.compile(r"^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$")
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass
class Layout:
    name: str
    dirs: list[Path]  # the project's folder first (when it has one), then the built-in one
    settings: dict
    env: jinja2.Environment = field(repr=False)

    def file(self, name: str) -> Path | None:
        """The first `name` found in the layout's folders, or None."""
        for d in self.dirs:
            candidate = d / name
            if candidate.is_file():
                return candidate
        return None

    def labels(self, lang: str) -> dict[str, str]:
        """The printed words (« Sommaire », « Index des thèmes »...) in `lang`, falling
        back word by word to French, which every layout must provide."""
        all_labels = self.settings.get("labels", {})
        return {**all_labels.get("fr", {}), **all_labels.get(lang, {})}

    def theme_colours(self, themes: list[str]) -> dict[str, str]:
        """A colour for each theme: layout.yaml's `theme_colours` where it names the
        theme, else the palette in turn, in the order the themes are given."""
        named = self.settings.get("theme_colours") or {}
        palette = self.settings.get("palette") or [self.settings.get("accent", "#333333")]
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
    """The layout `name` for `project`. Raises InputError (with a report) when no
    layout of that name exists or its layout.yaml is unreadable."""
    dirs = []
    if _NAME.match(name or ""):
        for base in (project.root / "layouts", builtin_layouts()):
            if (base / name).is_dir():
                dirs.append(base / name)
    if not dirs:
        report = Report()
        path, line = _where_named(project, name)
        report.error(path, line, f"unknown layout '{name}' (available: {', '.join(available(project))})")
        raise InputError(report)

    settings: dict = {}
    for d in reversed(dirs):  # built-in first, the project's merged over it
        settings = _merge(settings, _read_settings(project, d))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        autoescape=True,  # fiche text is untrusted: always escaped, never a template
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return Layout(name=name, dirs=dirs, settings=settings, env=env)


def _where_named(project: Project, name: str) -> tuple[str, int | None]:
    raw = project.publication.raw
    if raw and project.publication.layout == name:
        for n, text in enumerate(raw.decode("utf-8", "replace").splitlines(), 1):
            if re.match(r"^layout\s*:", text):
                return "publication.yaml", n
        return "publication.yaml", None
    return "--layout", None


def _read_settings(project: Project, folder: Path) -> dict:
    path = folder / "layout.yaml"
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        mark = getattr(e, "problem_mark", None)
        _fail(project, path, mark.line + 1 if mark else None, f"layout.yaml is not valid YAML: {getattr(e, 'problem', e)}")
    if not isinstance(data, dict):
        _fail(project, path, 1, "layout.yaml must be a mapping of settings")
    for key in ("accent",):
        if key in data and not _COLOUR.match(str(data[key])):
            _fail(project, path, None, f"'{key}' must be a colour such as '#1f5f8b', not {data[key]!r}")
    for colour in list(data.get("palette") or []) + list((data.get("theme_colours") or {}).values()):
        if not _COLOUR.match(str(colour)):
            _fail(project, path, None, f"colours must be written like '#1f5f8b', not {colour!r}")
    if data.get("fiche_starts_on", "any") not in ("any", "right"):
        _fail(project, path, None, f"'fiche_starts_on' is 'any' or 'right', not {data['fiche_starts_on']!r}")
    return data


def _fail(project: Project, path: Path, line: int | None, message: str):
    report = Report()
    try:
        shown = path.relative_to(project.root).as_posix()
    except ValueError:
        shown = path.as_posix()
    report.error(shown, line, message)
    raise InputError(report)


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out
