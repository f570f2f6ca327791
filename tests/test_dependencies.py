"""pyproject.toml declares what the code imports, and nothing it does not: generator/
imports only the standard library, itself and [project.dependencies]; the tests
import [project.optional-dependencies].test besides."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _declared(group: str | None) -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = project["dependencies"] if group is None else project["optional-dependencies"][group]
    return {_canonical(re.match(r"[A-Za-z0-9_.-]+", spec).group()) for spec in specs}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported(folder: Path) -> set[str]:
    """Top-level names of the modules imported by the .py files under `folder`."""
    found = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def _distributions(modules: set[str]) -> set[str]:
    """The installed distributions providing third-party `modules`."""
    providers = metadata.packages_distributions()
    local = {"generator", "conftest", "tests", "browser", "catalogue", "benchmarks"}
    third_party = {m for m in modules if m not in sys.stdlib_module_names and m not in local}
    missing = sorted(m for m in third_party if m not in providers)
    assert not missing, f"imported but not installed: {missing}"
    return {_canonical(d) for m in third_party for d in providers[m]}


def test_the_generator_imports_exactly_its_dependencies():
    used = _distributions(_imported(REPO / "generator"))
    assert used == _declared(None), "pyproject.toml [project.dependencies] and generator/'s imports differ"


def test_the_tests_import_only_declared_packages():
    used = _distributions(_imported(REPO / "tests") | _imported(REPO / "benchmarks"))
    undeclared = used - _declared(None) - _declared("test")
    assert not undeclared, f"tests import packages pyproject.toml does not declare: {sorted(undeclared)}"
