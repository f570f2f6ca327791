"""Problems found in a project, reported one line each as `path:line: level: message`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Diagnostic:
    level: str  # "error" or "warning"
    path: str  # relative to the project folder
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.level}: {self.message}"


@dataclass
class Report:
    """Collects every problem of a run, so that a user fixes them all in one go."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, path: str, line: int | None, message: str) -> None:
        self.items.append(Diagnostic("error", path, line, message))

    def warning(self, path: str, line: int | None, message: str) -> None:
        self.items.append(Diagnostic("warning", path, line, message))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.level == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.level == "warning"]

    def failed(self, strict: bool = False) -> bool:
        return bool(self.errors or (strict and self.warnings))

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=lambda d: (d.path, d.line or 0))


class InputError(Exception):
    """Bad input that stops a build; the report says why."""

    def __init__(self, report: Report):
        super().__init__(f"{len(report.errors)} error(s)")
        self.report = report



def print_report(report: Report, strict: bool = False, summary: str | None = None, stream=None) -> None:
    """Every problem, one line each and sorted by file and line, then a summary line.

    Colour only on a terminal that wants it, so that scripts and CI logs get plain text.
    With `strict`, warnings are shown, and counted, as the errors they then are."""
    import os
    import sys

    stream = stream or sys.stderr
    items = report.sorted()
    if strict:
        items = [Diagnostic("error", d.path, d.line, d.message) for d in items]
    errors = sum(d.level == "error" for d in items)
    warnings = len(items) - errors
    if not items and summary is None:
        return
    counts = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    last = f"{summary}: {counts}" if summary else counts
    colour = stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
    if colour:
        from rich.console import Console
        from rich.markup import escape

        console = Console(file=stream, highlight=False, soft_wrap=True)
        for d in items:
            style = "bold red" if d.level == "error" else "yellow"
            where = f"{d.path}:{d.line}" if d.line else d.path
            console.print(f"{escape(where)}: [{style}]{d.level}[/{style}]: {escape(d.message)}")
        console.print(f"[{'bold red' if errors else 'green'}]{escape(last)}[/]")
        return
    for d in items:
        print(d, file=stream)
    print(last, file=stream)
