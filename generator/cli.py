"""The command line: `recueil build | check | list | new | serve`, also `python -m generator`.

Exit status: 0 fine (warnings allowed), 1 the input has errors or the output cannot be
written (a read-only or full disk, a missing permission: the path and the reason in one
line), 2 the command line is wrong, 3 Recueil itself failed (a bug), 130 interrupted
(Ctrl-C or SIGTERM; one line, outputs left as they were). Problems go to stderr one per
line as `path:line: level: message`; no traceback ever reaches a user unless
RECUEIL_DEBUG is set.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import textwrap
from pathlib import Path

from generator import __version__, i18n
from generator.context import FORMATS, SELECT_KEYS
from generator.diagnostics import print_report

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def _doc(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


MAIN_HELP = _doc("""
    Recueil turns a folder of fiches (practice sheets in Markdown with YAML front matter)
    into a printable PDF booklet, one PDF handout and one Word document per fiche, and a
    web edition: the same fiches as a static site.

    A publication folder holds publication.yaml (the edition), partners.yaml (the
    partner registry) and fiches/ (one NAME.md per fiche). DIR defaults to the current
    folder. Run `recueil COMMAND --help` for the details of a command.
""")

MAIN_EPILOG = _doc("""
    examples:
      recueil new "Une épicerie solidaire à Moulins"   write a new fiche to fill in
      recueil check                                     check every fiche, build nothing
      recueil build                                     build everything into output/
      recueil serve                                     live preview: the page follows every save
      recueil build --select theme=Insertion --out insertion/
      recueil list | sort                               the fiches, one per line

    exit status: 0 done (warnings allowed), 1 the fiches or settings have errors (each
    one printed as file:line: error: message), 2 the command line is wrong, 3 a bug in
    Recueil.
""")

BUILD_HELP = _doc("""
    Build the edition of DIR (default: the current folder) into OUT (default DIR/output):
      booklet.pdf       the whole edition: cover, contents, fiches, indexes
      booklet.html      the HTML the PDF was made from
      fiches/ID.pdf     one handout per fiche
      fiches/ID.docx    one Word document per fiche
      web/index.html    the web edition: a home page, a page per fiche and per index
      build.json        every fiche with its pages, every file with its checksum

    When a fiche or a setting has an error, nothing is written and every error is listed
    (exit status 1). A failed or interrupted build leaves OUT as it was.
""")

BUILD_EPILOG = _doc("""
    examples:
      recueil build                              everything, from the current folder
      recueil build ../recueil-2024 --out ~/pdf  another project, written elsewhere
      recueil build --format pdf                 only the booklet
      recueil build --format web                 only the web edition (open output/web/index.html)
      recueil build --select theme=Insertion     a thematic edition
      recueil build --select id=jardin,velo --format handouts
                                                 two fiches' handouts (a comma: or)
      recueil build --select region="Pays de la Loire" --select partner=ENVIE
                                                 repeated --select narrow further
      recueil build --print --impose             for the print shop: bleed, crop marks,
                                                 and the pages imposed for folding
      recueil build --archive                    PDF/A-3 that carries its own sources

    --select matches ignoring case and accents; partner= also matches the aliases of
    partners.yaml, territory= matches a place, department or region.
""")

CHECK_HELP = _doc("""
    Check everything a build would read — publication.yaml, partners.yaml, every fiche
    and the images they use — and build nothing. Every problem is printed on one line,
    file:line: level: message, followed by a count.

    Errors stop a build. Warnings (an unknown key, a low-resolution photo, a missing alt
    text...) do not, unless --strict is given.
""")

CHECK_EPILOG = _doc("""
    examples:
      recueil check                 the project in the current folder
      recueil check ../recueil-2024 another project
      recueil check --strict        fail on warnings too (for a final proofreading)

    exit status: 0 no error (warnings allowed, unless --strict), 1 errors found.
""")

LIST_HELP = _doc("""
    Print one line per fiche, in the order of the booklet, with four columns separated
    by tabs: id, title, themes (separated by commas), territory. Paste it into a
    spreadsheet, or sort and filter it with the usual tools. Problems go to stderr.
""")

LIST_EPILOG = _doc("""
    examples:
      recueil list
      recueil list --drafts                    drafts included
      recueil list > fiches.tsv                open fiches.tsv in a spreadsheet
      recueil list | grep -i insertion
""")

NEW_HELP = _doc("""
    Write a new fiche, fiches/SLUG.md, from TITLE, and print its path. SLUG is the title
    in lowercase without accents, words joined by hyphens; when a fiche of that name
    exists, -2, -3... is added: nothing is ever overwritten. The skeleton passes
    `recueil check` and is marked `draft: true`, so it is left out of builds until you
    remove that line.
""")

NEW_EPILOG = _doc("""
    examples:
      recueil new "Une épicerie solidaire à Moulins"
          writes fiches/une-epicerie-solidaire-a-moulins.md
      recueil new ../recueil-2024 "Médiation sociale en Guyane"
          writes ../recueil-2024/fiches/mediation-sociale-en-guyane.md

    Put the title in quotes when it has several words.
""")


PREFLIGHT_HELP = _doc("""
    Read PDF files back and say what stands in the way of what they should be, one line
    per problem: fonts embedded, a title and a language (always); accessible PDF/UA-1
    structure (the default, --ua); PDF/A for archives (--pdfa); trim and bleed boxes for
    a print shop (--print). Any PDF can be checked, not only Recueil's.

    This checks the structure a program can decide, not every clause of the standards:
    for an archive's formal acceptance, a validator such as veraPDF has the last word.
""")

PREFLIGHT_EPILOG = _doc("""
    examples:
      recueil preflight output/booklet.pdf
      recueil preflight --pdfa output/booklet.pdf       an --archive build
      recueil preflight --print output/booklet.pdf      a --print build
      recueil preflight output/fiches/*.pdf

    exit status: 0 no problem, 1 problems found (or a file could not be read).
""")


UNPACK_HELP = _doc("""
    Write the files an archive edition carries (booklet.pdf built with --archive: every
    fiche, image, publication.yaml, partners.yaml, the project's layouts and fonts) into
    DIR, under their paths in the project, and print the command that builds the same
    edition again from them. DIR must be new or empty: nothing of yours is overwritten.
""")

UNPACK_EPILOG = _doc("""
    examples:
      recueil unpack output/booklet.pdf ~/archives/recueil-2026
      recueil unpack recueil-2026.pdf                  into recueil-2026/

    exit status: 0 unpacked, 1 not an archive, or DIR is not empty.
""")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # exit 2 with a hint, as argparse does, but friendlier
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}\n(run `{self.prog} --help` for the manual)", file=sys.stderr)
        sys.exit(EXIT_USAGE)


SERVE_HELP = _doc("""
    Live preview: build DIR once, then watch its fiches, images, publication.yaml,
    partners.yaml, layouts and fonts, and rebuild on every save. Open the printed
    address in a browser: the page shows the fiche you are editing as its pages, then
    the booklet, lists every error and warning as file:line, and follows each save by
    itself. Outputs go to DIR/output, the same files `recueil build` writes.

    The preview listens on 127.0.0.1 only (this machine) unless --host says otherwise.
    Stop it with Ctrl-C.
""")

SERVE_EPILOG = _doc("""
    examples:
      recueil serve                          the project in the current folder
      recueil serve --open                   and open the page in the browser
      recueil serve ../recueil-2024 --port 8001
      recueil serve --select theme=Insertion a thematic edition

    exit status: 0 or 130 stopped, 1 no such folder, 2 the command line is wrong or the
    port is in use.
""")


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    # --lang, for every command: read again by main() before the parser is made.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang", choices=i18n.LANGUAGES,
                        help=i18n._("the language of messages, fr or en (default: the locale's)"))
    parser = _Parser(prog="recueil", description=MAIN_HELP, epilog=MAIN_EPILOG, formatter_class=fmt,
                     parents=[common])
    parser.add_argument("--version", action="version", version=f"recueil {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    b = sub.add_parser("build", parents=[common], help="build the booklet, handouts and Word documents",
                       description=BUILD_HELP, epilog=BUILD_EPILOG, formatter_class=fmt)
    b.set_defaults(parser=b)
    b.add_argument("dir", nargs="?", default=".", metavar="DIR", help="the publication folder (default: the current folder)")
    b.add_argument("--out", metavar="OUT", help="where to write (default: DIR/output)")
    b.add_argument("--layout", metavar="NAME", help="the layout to use instead of publication.yaml's (a folder layouts/NAME/ of the project, or a built-in one)")
    b.add_argument("--format", metavar="LIST", default=",".join(FORMATS), help="what to make, comma-separated among pdf (the booklet), handouts, docx, web (the web edition); default: all four; the other outputs already in OUT are left as they are")
    b.add_argument("--select", metavar="KEY=VALUE", action="append", default=[], help=f"keep only the fiches that match; KEY is one of {', '.join(SELECT_KEYS)}; KEY=A,B keeps those matching A or B; repeat to narrow")
    b.add_argument("--title", help="a thematic edition's own title (or name it under editions: in publication.yaml)")
    b.add_argument("--subtitle", help="a thematic edition's own subtitle")
    b.add_argument("--drafts", action="store_true", help="include the fiches marked draft: true")
    b.add_argument("--print", dest="print_edition", action="store_true", help="printer's edition: 3 mm bleed, crop marks, TrimBox and BleedBox")
    b.add_argument("--impose", action="store_true", help="also write booklet-imposed.pdf: pages two-up in folding order")
    b.add_argument("--archive", action="store_true", help="booklet.pdf as a PDF/A-3 that carries the sources of the edition")
    b.add_argument("--timings", action="store_true", help="print how long each stage took")
    b.add_argument("--jobs", metavar="N", type=_positive, help="worker processes (default: one per processor core)")
    b.add_argument("--no-cache", action="store_true", help="redo everything, ignoring what earlier builds kept")

    c = sub.add_parser("check", parents=[common], help="check fiches and settings, build nothing",
                       description=CHECK_HELP, epilog=CHECK_EPILOG, formatter_class=fmt)
    c.set_defaults(parser=c)
    c.add_argument("dir", nargs="?", default=".", metavar="DIR", help="the publication folder (default: the current folder)")
    c.add_argument("--strict", action="store_true", help="treat warnings as errors (exit status 1)")
    c.add_argument("--drafts", action="store_true", help="check drafts as if they were published (their problems become errors)")

    ls = sub.add_parser("list", parents=[common], help="one line per fiche: id, title, themes, territory",
                        description=LIST_HELP, epilog=LIST_EPILOG, formatter_class=fmt)
    ls.set_defaults(parser=ls)
    ls.add_argument("dir", nargs="?", default=".", metavar="DIR", help="the publication folder (default: the current folder)")
    ls.add_argument("--drafts", action="store_true", help="include the fiches marked draft: true")

    v = sub.add_parser("serve", parents=[common], help="live preview in a browser, rebuilt on every save",
                       description=SERVE_HELP, epilog=SERVE_EPILOG, formatter_class=fmt)
    v.set_defaults(parser=v)
    v.add_argument("dir", nargs="?", default=".", metavar="DIR", help="the publication folder (default: the current folder)")
    v.add_argument("--port", metavar="N", type=_port, default=8000, help="the port to listen on (default: 8000; 0: any free port)")
    v.add_argument("--host", metavar="ADDR", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1, this machine only)")
    v.add_argument("--open", action="store_true", help="open the page in the browser")
    v.add_argument("--layout", metavar="NAME", help="the layout to use instead of publication.yaml's")
    v.add_argument("--select", metavar="KEY=VALUE", action="append", default=[], help=f"keep only the fiches that match; KEY is one of {', '.join(SELECT_KEYS)}; KEY=A,B keeps those matching A or B; repeat to narrow")
    v.add_argument("--drafts", action="store_true", help="include the fiches marked draft: true")

    n = sub.add_parser("new", parents=[common], help="write a new fiche skeleton and print its path",
                       description=NEW_HELP, epilog=NEW_EPILOG, formatter_class=fmt)
    n.set_defaults(parser=n)
    n.add_argument("args", nargs="+", metavar="[DIR] TITLE", help="the publication folder (default: the current folder), then the fiche's title")

    u = sub.add_parser("unpack", parents=[common], help="an archive edition's sources, back as a project",
                       description=UNPACK_HELP, epilog=UNPACK_EPILOG, formatter_class=fmt)
    u.set_defaults(parser=u)
    u.add_argument("archive", metavar="ARCHIVE.pdf", help="a booklet.pdf built with --archive")
    u.add_argument("dir", nargs="?", metavar="DIR", help="where to write them: a new or empty folder "
                                                          "(default: ARCHIVE's name without .pdf)")

    p = sub.add_parser("preflight", parents=[common], help="check PDF files: accessibility, archiving, print",
                       description=PREFLIGHT_HELP, epilog=PREFLIGHT_EPILOG, formatter_class=fmt)
    p.set_defaults(parser=p)
    p.add_argument("files", nargs="+", metavar="FILE.pdf", help="the PDF files to check")
    p.add_argument("--no-ua", dest="ua", action="store_false", help="skip the PDF/UA (accessibility) checks")
    p.add_argument("--pdfa", action="store_true", help="check PDF/A (archival) too")
    p.add_argument("--print", dest="print_boxes", action="store_true", help="check trim and bleed boxes too")
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("at least 1")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is a number from 0 to 65535")
    return value


# Output ----------------------------------------------------------------------------------

# Commands --------------------------------------------------------------------------------

def cmd_check(args) -> int:
    from generator.diagnostics import Report
    from generator.edition.select import make_edition
    from generator.read.project import read_project

    report = Report()
    project = read_project(Path(args.dir), report, drafts=args.drafts)
    n = 0
    if project is not None:
        n = len(project.fiches)
        make_edition(project, [], report)
        _preflight(project, report)
    print_report(report, args.strict, f"{n} fiche{'s' * (n != 1)} checked" if project else "check failed")
    return EXIT_INPUT if report.failed(args.strict) else EXIT_OK


def _preflight(project, report) -> None:
    """What a build would stop on besides the fiches (the layout, its design tokens and
    typefaces, its reference.docx), characters no typeface of the edition has, and
    print-quality warnings."""
    from generator.diagnostics import InputError
    from generator.read import layouts
    from generator.read.glyphs import check_glyphs
    from generator.read.preflight import preflight
    from generator.render.word import checked_reference

    settings = {}
    try:
        layout = layouts.load_layout(project, project.publication.layout)
        settings = layout.settings
        for warning in layout.warnings:
            report.warning(*warning)
        checked_reference(layout, project.root)
        check_glyphs(project, layout.design, report)
    except InputError as e:
        report.items += e.report.items
    preflight(project, settings, report)


def cmd_unpack(args) -> int:
    from generator.unpack import UnpackError, rebuild_command, unpack

    archive = Path(args.archive)
    folder = Path(args.dir) if args.dir else archive.with_suffix("")
    try:
        names = unpack(archive, folder)
    except UnpackError as e:
        print(f"recueil unpack: error: {e}", file=sys.stderr)
        return EXIT_INPUT
    print(f"{len(names)} files written into {folder}")
    command = rebuild_command(folder)
    if command:
        print(f"to build the same edition again: {command}")
    return EXIT_OK


def cmd_preflight(args) -> int:
    from generator.verify.pdf import verify

    problems = 0
    for name in args.files:
        found = verify(Path(name), ua=args.ua, pdfa=args.pdfa, print_boxes=args.print_boxes)
        for message in found.problems:
            print(f"{name}: {message}")
        problems += len(found.problems)
        if not found.problems:
            print(f"{name}: no problem found")
    return EXIT_INPUT if problems else EXIT_OK


def cmd_list(args) -> int:
    from generator.diagnostics import Report
    from generator.edition.select import make_edition
    from generator.read.project import read_project

    report = Report()
    project = read_project(Path(args.dir), report, drafts=args.drafts)
    if project is None:
        print_report(report, summary="cannot list")
        return EXIT_INPUT
    edition = make_edition(project, [], report)
    for d in report.sorted():
        print(d, file=sys.stderr)
    for f in edition.fiches:
        cells = [f.id, f.title, ", ".join(f.themes), f.territory.label()]
        print("\t".join(re.sub(r"[\t\n\r]+", " ", c) for c in cells))
    return EXIT_OK


def cmd_new(args, parser) -> int:
    from generator.scaffold import new_fiche

    if len(args.args) > 2:
        parser.error("too many arguments: put the title in quotes, as in  recueil new \"Une épicerie solidaire\"")
    folder, title = (Path(args.args[0]), args.args[1]) if len(args.args) == 2 else (Path("."), args.args[0])
    if not title.strip():
        parser.error("the title is empty")
    if not folder.is_dir():
        print(f"{folder}: error: no such folder", file=sys.stderr)
        return EXIT_INPUT
    path = new_fiche(folder, title, _lang(folder))
    print(path)
    return EXIT_OK


def _lang(folder: Path) -> str:
    """The project's language, for the skeleton's placeholders; French when unsure."""
    from generator.read.frontmatter import YamlError, load_yaml

    try:
        data = load_yaml((folder / "publication.yaml").read_text("utf-8")).value
        return str(data.get("lang") or "fr") if isinstance(data, dict) else "fr"
    except (OSError, UnicodeDecodeError, YamlError):
        return "fr"


def cmd_build(args, parser) -> int:
    from generator.build import BuildOptions, run

    formats = tuple(dict.fromkeys(f.strip().lower() for f in args.format.split(",") if f.strip()))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        parser.error(f"--format: unknown format '{','.join(unknown)}'; choose among {', '.join(FORMATS)}, comma-separated")
    selects = []
    for item in args.select:
        key, eq, value = item.partition("=")
        key = key.strip().lower()
        if not eq or not value.strip():
            parser.error(f"--select {item}: write KEY=VALUE, e.g. --select theme=Insertion")
        if key not in SELECT_KEYS:
            parser.error(f"--select {item}: unknown key '{key}'; use one of {', '.join(SELECT_KEYS)}")
        selects.append((key, value.strip()))
    root = Path(args.dir)
    options = BuildOptions(
        out=Path(args.out) if args.out else root / "output",
        formats=formats,
        layout=args.layout,
        selects=selects,
        title=args.title,
        subtitle=args.subtitle,
        drafts=args.drafts,
        print_edition=args.print_edition,
        impose=args.impose,
        archive=args.archive,
        timings=args.timings,
        jobs=args.jobs,
        cache=not args.no_cache,
    )
    return run(root, options)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _stop_listening() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)


def _asked_lang(argv: list[str]) -> str | None:
    """--lang's value, read before the parser exists (its help is in that language)."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a fiche title must never crash a pipe
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    # A build stopped by SIGTERM (a closed terminal, a CI timeout) unwinds like Ctrl-C, so
    # that its staging folder is removed at once rather than at the next build.
    signal.signal(signal.SIGTERM, _interrupt)
    i18n.use(i18n.choose(_asked_lang(sys.argv[1:] if argv is None else argv)))  # before the help is made
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    sub = args.parser  # the command's own parser, for its usage errors
    try:
        if args.command == "build":
            return cmd_build(args, sub)
        if args.command == "check":
            return cmd_check(args)
        if args.command == "preflight":
            return cmd_preflight(args)
        if args.command == "unpack":
            return cmd_unpack(args)
        if args.command == "list":
            return cmd_list(args)
        if args.command == "serve":
            from generator import serve

            return serve.run(args, sub)
        return cmd_new(args, sub)
    except KeyboardInterrupt:
        _stop_listening()  # a second Ctrl-C must not interrupt the way out
        print("recueil: interrupted" + ("; the output folder was left as it was" if args.command == "build" else ""),
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `recueil list | head`
        sys.stderr.close()
        return EXIT_OK
    except OSError as e:  # `recueil new` in a read-only folder, say: the machine, not a bug
        from generator.diagnostics import printable
        from generator.write.staging import environment_error

        found = environment_error(e)
        if found is None or os.environ.get("RECUEIL_DEBUG"):
            return _bug(e)
        print(f"recueil: error: {printable(found, 1000)}", file=sys.stderr)
        return EXIT_INPUT
    except Exception as e:  # noqa: BLE001 - the user gets one line, the developer a trace
        return _bug(e)


def _bug(e: Exception) -> int:
    """The user gets one line, the developer a trace (RECUEIL_DEBUG=1)."""
    from generator.diagnostics import printable

    if os.environ.get("RECUEIL_DEBUG"):
        raise e
    print(
        f"recueil: internal error ({type(e).__name__}: {printable(e, 200)}). This is a bug in Recueil, "
        "not a problem in your fiches: please report it to the Recueil maintainers with the "
        "command you ran (run it again with RECUEIL_DEBUG=1 for the details).",
        file=sys.stderr,
    )
    return EXIT_BUG
