"""What a publication is, once read and validated.

Readers build these objects; renderers only read them. Everything here has already been
checked, so a renderer never has to guess at a type or a missing key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from generator.read.markdown import Node


@dataclass(frozen=True)
class Territory:
    place: str
    department: str | None = None
    region: str | None = None

    def label(self) -> str:
        """The place as printed: « Moulins (Allier) »."""
        return f"{self.place} ({self.department})" if self.department else self.place

    @property
    def region_shown(self) -> str | None:
        """The region to print after the place, unless it only repeats it (Guyane,
        a region of one department, is not « Guyane · Guyane »)."""
        return self.region if self.region and self.region not in (self.place, self.label()) else None


@dataclass(frozen=True)
class Partner:
    """An entry of partners.yaml: one organisation under its canonical name."""

    name: str
    aliases: tuple[str, ...] = ()
    type: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class PartnerRef:
    """A partner as a fiche names it, already resolved to its canonical name."""

    name: str  # canonical
    given: str  # as the fiche wrote it (an alias, or the canonical name)
    role: str | None = None
    type: str | None = None
    url: str | None = None
    line: int | None = field(default=None, compare=False)  # in the fiche file, for messages


@dataclass(frozen=True)
class KeyFigure:
    value: str
    label: str


@dataclass(frozen=True)
class Contact:
    name: str | None = None
    organisation: str | None = None
    email: str | None = None
    phone: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Image:
    path: Path  # absolute, checked to exist inside the project
    rel: str  # relative to the project folder, POSIX form
    alt: str | None = None
    caption: str | None = None
    credit: str | None = None
    decorative: bool = False  # no alt: the image says nothing a reader would miss


@dataclass
class Fiche:
    """One fiche, read and checked: read/fields.py describes its front-matter keys,
    which are its attributes of the same names."""

    id: str
    path: Path  # absolute
    rel: str  # relative to the project folder, POSIX form: what messages show
    title: str
    summary: str
    themes: list[str]
    territory: Territory
    partners: list[PartnerRef]
    body: Node  # the Markdown, parsed once; every renderer walks this tree
    subtitle: str | None = None
    date: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD, validated
    audience: list[str] = field(default_factory=list)
    key_figures: list[KeyFigure] = field(default_factory=list)
    contact: Contact | None = None
    source: str | None = None
    image: Image | None = None
    lang: str | None = None  # the fiche's language when it differs from the edition's
    keywords: list[str] = field(default_factory=list)
    draft: bool = False
    raw: bytes = b""  # the file as read, for the archive edition and the cache key
    # Where each front-matter value is in the file: "themes" for the key, "themes.1"
    # for its second item, "territory.place"...
    lines: dict[str, int] = field(default_factory=dict)

    def images(self) -> list[Path]:
        """Every local image the fiche uses: the front-matter one and the body's."""
        found = [self.image.path] if self.image else []
        found += [n.attrs["path"] for n in self.body.walk() if n.type == "image" and n.attrs.get("path")]
        return list(dict.fromkeys(found))


@dataclass(frozen=True)
class Theme:
    """A theme publication.yaml lists: its spelling, and others fiches may use."""

    name: str
    aliases: tuple[str, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class EditionSpec:
    """A thematic edition publication.yaml describes: the selection that makes it, and
    what its cover and metadata say instead of the whole edition's."""

    select: tuple[tuple[str, str], ...]  # (key, value) as --select takes them
    title: str
    subtitle: str | None = None
    isbn: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class SectionSpec:
    title: str
    fiches: tuple[str, ...]
    line: int | None = None


@dataclass
class Publication:
    title: str = "Recueil"
    subtitle: str | None = None
    publisher: str | None = None
    edition: str | None = None
    date: str | None = None
    lang: str = "fr"
    layout: str = "brochure"
    page_size: str = "A4"
    sections: list[SectionSpec] = field(default_factory=list)
    indexes: list[str] = field(default_factory=lambda: ["partners", "themes", "territories"])
    allow_remote: bool = False
    base_url: str | None = None  # where web/ is published, ending in « / »: QR codes lead there
    introduction: Node | None = None  # Markdown, parsed: the web edition's home page opens with it
    remote_timeout: float = 60.0  # seconds for all of a build's remote fetches (context.REMOTE_TIMEOUT)
    remote_max_bytes: int = 50_000_000  # bytes for all of them (context.REMOTE_MAX_BYTES)
    colophon: dict | None = None  # free keys: legal, printer, isbn, licence...
    isbn: str | None = None
    themes: list[Theme] = field(default_factory=list)  # the edition's vocabulary; empty: any theme
    editions: list[EditionSpec] = field(default_factory=list)  # thematic editions' own titles
    raw: bytes | None = None  # publication.yaml as read, None when absent


@dataclass
class Project:
    root: Path
    publication: Publication
    partners: list[Partner]  # the registry, partners.yaml
    fiches: list[Fiche]  # every fiche read, drafts included only when asked for
    partners_raw: bytes | None = None


@dataclass
class Section:
    title: str | None
    fiches: list[Fiche]


@dataclass
class Edition:
    """What one build publishes: the fiches selected, in order, grouped in sections."""

    project: Project
    sections: list[Section]
    own: Publication | None = None  # a thematic edition's title, subtitle, ISBN

    @property
    def publication(self) -> Publication:
        return self.own or self.project.publication

    @property
    def fiches(self) -> list[Fiche]:
        return [f for s in self.sections for f in s.fiches]
