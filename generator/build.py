"""One build: read → assemble → render → write, in that order and only that order."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

FORMATS = ("pdf", "handouts", "docx")


@dataclass
class BuildOptions:
    out: Path
    formats: tuple[str, ...] = FORMATS
    layout: str | None = None  # overrides publication.yaml's layout
    selects: list[tuple[str, str]] = field(default_factory=list)  # --select KEY=VALUE
    drafts: bool = False
    print_edition: bool = False  # --print: bleed, crop marks, TrimBox/BleedBox
    impose: bool = False
    archive: bool = False  # PDF/A-3 with the sources embedded
    timings: bool = False
    jobs: int | None = None  # worker processes; None: one per core
    cache: bool = True
