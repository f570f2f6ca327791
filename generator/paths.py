"""Where the built-in layouts and fonts live, from a checkout or an installed package."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _data(name: str) -> Path:
    # A checkout (or an editable install) keeps them at the repository's top level; a
    # wheel carries them inside the package, under generator/data/.
    for candidate in (_PKG.parent / name, _PKG / "data" / name):
        if candidate.is_dir():
            return candidate
    from generator.i18n import _

    raise FileNotFoundError(_("Recueil's built-in {name}/ folder is missing: reinstall Recueil", name=name))


def builtin_layouts() -> Path:
    return _data("layouts")


def builtin_fonts() -> Path:
    return _data("fonts")


def is_builtin(path: Path) -> bool:
    """Whether `path` is one of Recueil's own layout or font files (a checkout's too)."""
    real = Path(path).resolve()
    return any(real.is_relative_to(d.resolve()) for d in (builtin_layouts(), builtin_fonts()))
