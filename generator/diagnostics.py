"""Problems found in a project, reported one line each as `path:line: level: message`.

A line is a line: file names and values come from fiches, e-mails and web pages, and may
hold newlines, tabs, terminal escapes or right-to-left overrides. `printable` shows every
such character escaped (as Python does: \\n, \\x1b, \\u202e) and cuts what is too long,
and every path and message goes through it before it is printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from generator.i18n import _, n_

# What cannot be printed as it is on one line of a terminal or a log: C0 and C1
# controls, DEL, the line and paragraph separators, bidirectional controls and marks,
# zero-width and invisible format characters, lone surrogates (undecodable file names).
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]")
MAX_SHOWN = 300  # characters of one value in a message


def _escape(c: str) -> str:
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(c) or (
        f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")


def printable(value, limit: int | None = MAX_SHOWN) -> str:
    """`value` as text that prints on one line, each control, format or bidirectional
    character shown escaped; cut to `limit` characters (an ellipsis says so)."""
    text = str(value)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    return _UNPRINTABLE.sub(lambda m: _escape(m.group()), text)


@dataclass(frozen=True)
class Diagnostic:
    level: str  # "error" or "warning"
    path: str  # relative to the project folder
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.where()}: {self.level_shown()}: {self.shown()}"

    def level_shown(self) -> str:
        """« error » or « warning », in the language messages are printed in."""
        return _("error") if self.level == "error" else _("warning")

    def where(self) -> str:
        path = printable(self.path)
        return f"{path}:{self.line}" if self.line else path

    def shown(self) -> str:
        """The message on one line; a long message is cut, not its start."""
        return printable(self.message, 2000)


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
        """Every problem once, by file and line."""
        return sorted(dict.fromkeys(self.items), key=lambda d: (d.path, d.line or 0))


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
        items = list(dict.fromkeys(Diagnostic("error", d.path, d.line, d.message) for d in items))
    errors = sum(d.level == "error" for d in items)
    warnings = len(items) - errors
    if not items and summary is None:
        return
    counts = _("{errors}, {warnings}", errors=n_("{n} error", "{n} errors", errors),
               warnings=n_("{n} warning", "{n} warnings", warnings))
    last = _("{summary}: {counts}", summary=summary, counts=counts) if summary else counts
    colour = stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
    if colour:
        from rich.console import Console
        from rich.markup import escape

        console = Console(file=stream, highlight=False, soft_wrap=True)
        for d in items:
            style = "bold red" if d.level == "error" else "yellow"
            console.print(f"{escape(d.where())}: [{style}]{d.level_shown()}[/{style}]: {escape(d.shown())}")
        console.print(f"[{'bold red' if errors else 'green'}]{escape(printable(last, None))}[/]")
        return
    for d in items:
        print(d, file=stream)
    print(printable(last, None), file=stream)
