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


def print_report(report: Report, stream, strict: bool = False) -> None:
    """One line per problem, sorted by file and line, then a count when there are any."""
    for item in report.sorted():
        if strict and item.level == "warning":
            item = Diagnostic("error", item.path, item.line, item.message)
        print(item, file=stream)
    errors = len(report.errors) + (len(report.warnings) if strict else 0)
    warnings = 0 if strict else len(report.warnings)
    if errors or warnings:
        print(f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}", file=stream)
