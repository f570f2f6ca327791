"""The archival edition (`--archive`): booklet.pdf as a PDF/A-3a and PDF/UA-1 file
carrying its sources.

An archivist must be able to read the edition in thirty years and rebuild it: the PDF is
PDF/A-3a (tagged, fonts embedded, sRGB output intent, no external dependency) and
PDF/UA-1 in one file, and holds, as embedded files, everything the build read:

  fiches/…/ID.md          every published fiche, as written (drafts never)    Source
  the images they use     under their path in the project                     Source
  publication.yaml, partners.yaml                                             Source
  build.json              the manifest of this build                          Data

It is the booklet itself, made of the same parts and the same merged structure tree
(render/booklet/, render/tags/), in the `archive` layout, finished as PDF/A-3 by
`pdfa.make_pdfa3` before it is saved: no edition is ever rendered as one WeasyPrint
document, which grows superlinearly in time and memory.

build.json lists the sha256 of every output, booklet.pdf included, and a file cannot
hold its own checksum: the embedded build.json lists the fiches with their pages and
every *other* output staged before the booklet; the one written next to booklet.pdf is
complete.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from generator.context import BuildContext
from generator.model import Edition

# Types the standard library does not know on every platform; for PDF/A-3 each embedded
# file must carry its MIME type, and an archive must know what it holds.
MIME_TYPES = {
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".json": "application/json",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".avif": "image/avif",
}


def mime_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return MIME_TYPES.get(suffix) or mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"


def archive_files(edition: Edition, manifest_bytes: bytes | None, layouts=()) -> list[tuple[str, bytes, str, str]]:
    """What the archive embeds, in a stable order: (name, bytes, relationship, description).

    Names are paths relative to the project folder, POSIX form, so that unpacking the
    attachments into a folder gives back a project that builds the same edition: with
    the fiches and their images, the project's own files of the `layouts` used (its
    templates, stylesheets, typefaces; Recueil's own come with its version, which
    build.json names).
    """
    project = edition.project
    root = project.root
    files: dict[str, tuple[bytes, str, str]] = {}
    if project.publication.raw is not None:
        files["publication.yaml"] = (project.publication.raw, "Source", "The edition: publication.yaml")
    if project.partners_raw is not None:
        files["partners.yaml"] = (project.partners_raw, "Source", "The partner registry: partners.yaml")
    for fiche in edition.fiches:
        if fiche.draft:  # a draft is never archived, even in a --drafts build
            continue
        files[fiche.rel] = (fiche.raw or fiche.path.read_bytes(), "Source", f"Source of the fiche « {fiche.title} »")
        for image in fiche.images():
            rel = Path(image).resolve().relative_to(Path(root).resolve()).as_posix()
            if rel not in files:
                # The reader checked the path lies inside the project; read it now, once.
                files[rel] = (Path(image).read_bytes(), "Source", f"Image used by the fiche {fiche.id}")
    for layout in layouts:
        for rel, path in layout.project_files(root):
            if rel not in files:
                files[rel] = (path.read_bytes(), "Source", f"Part of the layout « {layout.name} »")
    ordered = [(name, *files[name]) for name in sorted(files)]
    if manifest_bytes is not None:
        ordered.append(("build.json", manifest_bytes, "Data",
                        "Manifest of this build; booklet.pdf's own checksum is in the build.json next to it"))
    return ordered


def archive_manifest(edition: Edition, ctx: BuildContext, pages: dict[str, tuple[int, int]]) -> bytes:
    """build.json as it can be embedded: the build's options and inputs, the fiches with
    their pages and every output staged so far, except booklet.pdf (which cannot hold
    its own checksum)."""
    from generator.write.manifest import (
        build_record,
        dumps,
        manifest_data,
        staged_files,
    )


    files, known = staged_files(ctx.stage, [rel for rel in ctx.stage.staged() if rel != "booklet.pdf"])
    record = build_record(edition, ctx.options, ctx.layouts.values(), ctx.reads)
    return dumps(manifest_data(edition, pages, files, known, record)).encode("utf-8")


def render_archive(edition: Edition, layout, ctx: BuildContext):
    """Write booklet.pdf (PDF/A-3a and PDF/UA-1, sources embedded) and booklet.html into
    the staging folder; return the booklet's BookletInfo. The build.json it embeds lists
    the outputs staged before it: render the handouts and Word files first."""
    from generator.render import booklet
    from generator.render.pdfa import make_pdfa3

    made = booklet.make_booklet(edition, layout, ctx)
    info = made.info()
    stamp = ctx.date().strftime("D:%Y%m%d%H%M%SZ")

    def finish(pdf) -> None:
        # Called once booklet.html is staged and the booklet joined: the manifest then
        # lists booklet.html, and the pages are the booklet's.
        manifest = archive_manifest(edition, ctx, info.pages)
        files = [(name, data, rel, desc, mime_type(name))
                 for name, data, rel, desc in archive_files(edition, manifest, ctx.layouts.values())]
        make_pdfa3(pdf, files, stamp)

    booklet.write_booklet(made, ctx, finish)
    return info


__all__ = ["render_archive", "archive_manifest", "archive_files", "mime_type"]
