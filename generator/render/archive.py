"""The archival edition (`--archive`): booklet.pdf as a tagged PDF/A-3 carrying its sources.

An archivist must be able to read the edition in thirty years and rebuild it: the PDF is
PDF/A-3a (tagged, fonts embedded, sRGB output intent, no external dependency) and holds,
as embedded files, everything the build read:

  fiches/…/ID.md          every published fiche, as written (drafts never)    Source
  the images they use     under their path in the project                     Source
  publication.yaml, partners.yaml                                             Source
  build.json              the manifest of this build                          Data

build.json lists the sha256 of every output, booklet.pdf included, and a file cannot
hold its own checksum: the embedded build.json lists the fiches with their pages and
every *other* output; the one written next to booklet.pdf is complete.

WeasyPrint 70 does most of PDF/A-3 itself; `finish_pdfa` fixes what it leaves out:
MIME types it cannot guess (YAML), the /AF array it fills twice, links not marked
printable. It leaves the XMP metadata and the document information as WeasyPrint made
them, so that they keep matching.
"""

from __future__ import annotations

import datetime as dt
import io
import mimetypes
from pathlib import Path

import pikepdf
import weasyprint
from pikepdf import Array, Name

from generator.context import BuildContext
from generator.model import Edition

PDF_VARIANT = "pdf/a-3a"  # "a": tagged, the level an accessible archive asks for

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
        owned = [p for d in layout.dirs for p in sorted(Path(d).rglob("*")) if p.is_file()]
        for path in owned + [face.path for face in layout.design.all_faces()]:
            try:
                rel = Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
            except ValueError:
                continue  # Recueil's own
            if rel not in files:
                files[rel] = (Path(path).read_bytes(), "Source", f"Part of the layout « {layout.name} »")
    ordered = [(name, *files[name]) for name in sorted(files)]
    if manifest_bytes is not None:
        ordered.append(("build.json", manifest_bytes, "Data",
                        "Manifest of this build; booklet.pdf's own checksum is in the build.json next to it"))
    return ordered


def archive_attachments(edition: Edition, manifest_bytes: bytes | None, when: dt.datetime) -> list[weasyprint.Attachment]:
    """The embedded files of the archival booklet, as WeasyPrint attachments dated `when`
    (the build's date), with an AFRelationship (Source, or Data for the manifest) and a
    file name whose extension gives the MIME type (checked again by `finish_pdfa`)."""
    return [
        weasyprint.Attachment(string=data, name=name, description=description,
                              created=when, modified=when, relationship=relationship)
        for name, data, relationship, description in archive_files(edition, manifest_bytes)
    ]


def finish_pdfa(pdf_bytes: bytes, extra: list[tuple[str, bytes, str, str]] = (), when: dt.datetime | None = None) -> bytes:
    """What WeasyPrint's PDF/A-3 output still lacks, added without touching its metadata.

    `extra` files (name, bytes, relationship, description) are embedded here, dated
    `when`: build.json, whose page numbers are only known once the booklet is laid out.

    - every embedded file stream carries its MIME type (/Subtype) and a /Params /Size;
    - every file specification has an /AFRelationship and appears once in the catalog's
      /AF array (WeasyPrint 70 lists each twice);
    - every link annotation is printable (/F 4), as PDF/A requires.
    """
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        stamp = (when or dt.datetime.fromtimestamp(0, dt.timezone.utc)).strftime("D:%Y%m%d%H%M%SZ")
        for name, data, relationship, description in extra:
            pdf.attachments[name] = pikepdf.AttachedFileSpec(
                pdf, data, description=description, filename=name, mime_type=mime_type(name),
                creation_date=stamp, mod_date=stamp, relationship=Name("/" + relationship))
        specs = []
        seen = set()
        for name, spec in sorted(pdf.attachments.items()):
            obj = spec.obj
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
            specs.append(obj)
            stream = obj.EF.F
            stream.Subtype = Name("/" + mime_type(name))
            if "/AFRelationship" not in obj:
                obj.AFRelationship = Name.Unspecified
        if specs:
            pdf.Root.AF = pdf.make_indirect(Array([s for s in specs]))
        elif "/AF" in pdf.Root:
            del pdf.Root["/AF"]
        for page in pdf.pages:
            for annot in page.obj.get("/Annots") or []:
                if annot.get("/Subtype") == Name.Link:
                    annot.F = (int(annot.get("/F", 0)) | 4) & ~(1 | 2 | 32)  # print; not hidden/invisible/noview
        out = io.BytesIO()
        # deterministic_id: the /ID stays derived from the content, as WeasyPrint's was.
        pdf.save(out, deterministic_id=True, preserve_pdfa=True, fix_metadata_version=False)
        return out.getvalue()


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
    """Write booklet.pdf (PDF/A-3a, tagged, sources embedded) and booklet.html into the
    staging folder; return the booklet's BookletInfo. The build.json it embeds lists the
    outputs staged before it: render the handouts and Word files first."""
    from generator.render import booklet

    info = booklet.render_booklet_single(
        edition, layout, ctx,
        pdf_variant=PDF_VARIANT, pdf_tags=True, attachments=archive_attachments(edition, None, ctx.date()))
    manifest_bytes = archive_manifest(edition, ctx, info.pages)
    target = ctx.stage.path("booklet.pdf")
    extra = [("build.json", manifest_bytes, "Data",
              "Manifest of this build; booklet.pdf's own checksum is in the build.json next to it")]
    target.write_bytes(finish_pdfa(target.read_bytes(), extra, ctx.date()))
    return info


__all__ = ["render_archive", "archive_manifest", "archive_attachments", "archive_files", "finish_pdfa", "mime_type",
           "PDF_VARIANT"]
