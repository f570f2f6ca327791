"""`recueil unpack ARCHIVE.pdf [DIR]`: an archive edition's sources, back as a project.

An `--archive` booklet carries every file it was built from (docs/editions.md), under
its path in the project, and a build.json recording the build's options. Unpacking
writes them into a folder, creating its subfolders (which `pdfdetach -saveall` does
not), and says the command that builds the same edition again from them.

The names come from a file that may come from anywhere: none may write outside the
folder (an absolute name, `..`), none is written twice; the folder is new or empty, so
that no file of the user's is overwritten and no link of theirs is followed.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path, PurePosixPath

from generator.i18n import _

MANIFEST = "build.json"


class UnpackError(Exception):
    """The file is no archive this can unpack, or the folder cannot take it."""


def unpack(archive: Path, folder: Path) -> list[str]:
    """Write the archive's embedded files into `folder` (made, or empty); return their
    names. build.json goes to `folder/.recueil-archive/build.json`: it describes the
    build, it is no input of a new one."""
    import pikepdf

    try:
        pdf = pikepdf.open(archive)
    except (pikepdf.PdfError, OSError) as e:
        raise UnpackError(_("{file}: not a PDF that can be read ({problem})", file=archive, problem=e)) from None
    with pdf:
        files = {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}
    if not files:
        raise UnpackError(_("{file}: it carries no files (is it a booklet built with --archive?)", file=archive))
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UnpackError(_("{folder}: choose an empty or new folder, so that no file of yours is overwritten",
                            folder=folder))
    # Every name checked before anything is written: a refused archive leaves no file.
    targets = {name: folder / _safe(name) if name != MANIFEST else folder / ".recueil-archive" / MANIFEST
               for name in sorted(files)}
    written = []
    for name, target in targets.items():
        data = files[name]
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as f:  # "x": never over a file already there
                f.write(data)
        except OSError as e:
            raise UnpackError(_("{file}: cannot be written ({problem})", file=folder / name,
                                 problem=e.strerror or e)) from None
        written.append(name)
    return written


def _safe(name: str) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if not name or path.is_absolute() or any(part in ("", ".", "..") for part in path.parts):
        raise UnpackError(_("{name}: not a file name inside the project: refused", name=repr(name)))
    return path


def rebuild_command(folder: Path) -> str | None:
    """The `recueil build` command line that makes the archived edition again from the
    unpacked folder, from the options build.json recorded; None without them."""
    try:
        options = json.loads((Path(folder) / ".recueil-archive" / MANIFEST).read_text(encoding="utf-8"))["options"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    args = ["recueil", "build", str(folder)]
    if options.get("formats"):
        args += ["--format", ",".join(options["formats"])]
    for key, flag in (("layout", "--layout"), ("title", "--title"), ("subtitle", "--subtitle")):
        if options.get(key):
            args += [flag, options[key]]
    for select in options.get("select") or []:
        args += ["--select", select]
    for key, flag in (("drafts", "--drafts"), ("print", "--print"), ("impose", "--impose"), ("archive", "--archive")):
        if options.get(key):
            args.append(flag)
    return shlex.join(args)
