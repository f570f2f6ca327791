"""The command line: `recueil build | check | list | serve | new | unpack | preflight`, also
`python -m generator`. Messages in French or English (i18n.py: --lang, RECUEIL_LANG).

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
from pathlib import Path

from generator import __version__, i18n
from generator.context import FORMATS, SELECT_KEYS, parse_selects
from generator.diagnostics import print_report
from generator.i18n import _, n_

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


# The help texts are made when the parser is (build_parser, after main() chose the
# language): each is one message, its English text written out as it is printed.

def _main_help() -> str:
    return _(
        "Recueil turns a folder of fiches (practice sheets in Markdown with YAML front matter)\n"
        "into a printable PDF booklet, one PDF handout and one Word document per fiche, and a\n"
        "web edition: the same fiches as a static site.\n"
        "\n"
        "A publication folder holds publication.yaml (the edition), partners.yaml (the\n"
        "partner registry) and fiches/ (one NAME.md per fiche). DIR defaults to the current\n"
        "folder. Run `recueil COMMAND --help` for the details of a command.")


def _main_epilog() -> str:
    return _(
        "examples:\n"
        "  recueil new \"Une épicerie solidaire à Moulins\"   write a new fiche to fill in\n"
        "  recueil check                                     check every fiche, build nothing\n"
        "  recueil build                                     build everything into output/\n"
        "  recueil serve                                     live preview: the page follows every save\n"
        "  recueil build --select theme=Insertion --out insertion/\n"
        "  recueil list | sort                               the fiches, one per line\n"
        "\n"
        "exit status: 0 done (warnings allowed), 1 the fiches or settings have errors (each\n"
        "one printed as file:line: error: message), 2 the command line is wrong, 3 a bug in\n"
        "Recueil.\n"
        "\n"
        "language: --lang fr or --lang en, else RECUEIL_LANG, else the locale (LANG); scripts\n"
        "that match messages use --lang en or LANG=C.")


def _build_help() -> str:
    return _(
        "Build the edition of DIR (default: the current folder) into OUT (default DIR/output):\n"
        "  booklet.pdf       the whole edition: cover, contents, fiches, indexes\n"
        "  booklet.html      the HTML the PDF was made from\n"
        "  fiches/ID.pdf     one handout per fiche\n"
        "  fiches/ID.docx    one Word document per fiche\n"
        "  web/index.html    the web edition: a home page, a page per fiche and per index\n"
        "  build.json        every fiche with its pages, every file with its checksum\n"
        "\n"
        "When a fiche or a setting has an error, nothing is written and every error is listed\n"
        "(exit status 1). A failed or interrupted build leaves OUT as it was.")


def _build_epilog() -> str:
    return _(
        "examples:\n"
        "  recueil build                              everything, from the current folder\n"
        "  recueil build ../recueil-2024 --out ~/pdf  another project, written elsewhere\n"
        "  recueil build --format pdf                 only the booklet\n"
        "  recueil build --format web                 only the web edition (open output/web/index.html)\n"
        "  recueil build --select theme=Insertion     a thematic edition\n"
        "  recueil build --select id=jardin,velo --format handouts\n"
        "                                             two fiches' handouts (a comma: or)\n"
        "  recueil build --select region=\"Pays de la Loire\" --select partner=ENVIE\n"
        "                                             repeated --select narrow further\n"
        "  recueil build --print --impose             for the print shop: bleed, crop marks,\n"
        "                                             and the pages imposed for folding\n"
        "  recueil build --archive                    PDF/A-3 that carries its own sources\n"
        "\n"
        "--select matches ignoring case and accents; partner= also matches the aliases of\n"
        "partners.yaml, territory= matches a place, department or region.")


def _check_help() -> str:
    return _(
        "Check everything a build would read — publication.yaml, partners.yaml, every fiche\n"
        "and the images they use — and build nothing. Every problem is printed on one line,\n"
        "file:line: level: message, followed by a count.\n"
        "\n"
        "Errors stop a build. Warnings (an unknown key, a low-resolution photo, a missing alt\n"
        "text...) do not, unless --strict is given.")


def _check_epilog() -> str:
    return _(
        "examples:\n"
        "  recueil check                 the project in the current folder\n"
        "  recueil check ../recueil-2024 another project\n"
        "  recueil check --strict        fail on warnings too (for a final proofreading)\n"
        "\n"
        "exit status: 0 no error (warnings allowed, unless --strict), 1 errors found.")


def _list_help() -> str:
    return _(
        "Print one line per fiche, in the order of the booklet, with four columns separated\n"
        "by tabs: id, title, themes (separated by commas), territory. Paste it into a\n"
        "spreadsheet, or sort and filter it with the usual tools. Problems go to stderr.")


def _list_epilog() -> str:
    return _(
        "examples:\n"
        "  recueil list\n"
        "  recueil list --drafts                    drafts included\n"
        "  recueil list > fiches.tsv                open fiches.tsv in a spreadsheet\n"
        "  recueil list | grep -i insertion")


def _new_help() -> str:
    return _(
        "Write a new fiche, fiches/SLUG.md, from TITLE, and print its path. SLUG is the title\n"
        "in lowercase without accents, words joined by hyphens; when a fiche of that name\n"
        "exists, -2, -3... is added: nothing is ever overwritten. The skeleton passes\n"
        "`recueil check` and is marked `draft: true`, so it is left out of builds until you\n"
        "remove that line.")


def _new_epilog() -> str:
    return _(
        "examples:\n"
        "  recueil new \"Une épicerie solidaire à Moulins\"\n"
        "      writes fiches/une-epicerie-solidaire-a-moulins.md\n"
        "  recueil new ../recueil-2024 \"Médiation sociale en Guyane\"\n"
        "      writes ../recueil-2024/fiches/mediation-sociale-en-guyane.md\n"
        "\n"
        "Put the title in quotes when it has several words.")


def _preflight_help() -> str:
    return _(
        "Read PDF files back and say what stands in the way of what they should be, one line\n"
        "per problem: fonts embedded, a title and a language (always); accessible PDF/UA-1\n"
        "structure (the default, --ua); PDF/A for archives (--pdfa); trim and bleed boxes for\n"
        "a print shop (--print). Any PDF can be checked, not only Recueil's.\n"
        "\n"
        "This checks the structure a program can decide, not every clause of the standards:\n"
        "for an archive's formal acceptance, a validator such as veraPDF has the last word.")


def _preflight_epilog() -> str:
    return _(
        "examples:\n"
        "  recueil preflight output/booklet.pdf\n"
        "  recueil preflight --pdfa output/booklet.pdf       an --archive build\n"
        "  recueil preflight --print output/booklet.pdf      a --print build\n"
        "  recueil preflight output/fiches/*.pdf\n"
        "\n"
        "exit status: 0 no problem, 1 problems found (or a file could not be read).")


def _serve_help() -> str:
    return _(
        "Live preview: build DIR once, then watch its fiches, images, publication.yaml,\n"
        "partners.yaml, layouts and fonts, and rebuild on every save. Open the printed\n"
        "address in a browser: the page shows the fiche you are editing as its pages, then\n"
        "the booklet, lists every error and warning as file:line, and follows each save by\n"
        "itself. Outputs go to DIR/output, the same files `recueil build` writes.\n"
        "\n"
        "The preview listens on 127.0.0.1 only (this machine) unless --host says otherwise.\n"
        "Stop it with Ctrl-C.")


def _serve_epilog() -> str:
    return _(
        "examples:\n"
        "  recueil serve                          the project in the current folder\n"
        "  recueil serve --open                   and open the page in the browser\n"
        "  recueil serve ../recueil-2024 --port 8001\n"
        "  recueil serve --select theme=Insertion a thematic edition\n"
        "\n"
        "exit status: 0 or 130 stopped, 1 no such folder, 2 the command line is wrong or the\n"
        "port is in use.")


def _unpack_help() -> str:
    return _(
        "Write the files an archive edition carries (booklet.pdf built with --archive: every\n"
        "fiche, image, publication.yaml, partners.yaml, the project's layouts and fonts) into\n"
        "DIR, under their paths in the project, and print the command that builds the same\n"
        "edition again from them. DIR must be new or empty: nothing of yours is overwritten.")


def _unpack_epilog() -> str:
    return _(
        "examples:\n"
        "  recueil unpack output/booklet.pdf ~/archives/recueil-2026\n"
        "  recueil unpack recueil-2026.pdf                  into recueil-2026/\n"
        "\n"
        "exit status: 0 unpacked, 1 not an archive, or DIR is not empty.")


def _argparse_messages() -> None:
    """argparse's own words, listed here for the catalogue: argparse looks them up through
    gettext, which _argparse_speaks() points at Recueil's catalogue. Never called."""
    _("usage: ")
    _("positional arguments")
    _("options")
    _("show this help message and exit")
    _("argument %(argument_name)s: %(message)s")
    _("the following arguments are required: %s")
    _("unrecognized arguments: %s")
    _("invalid choice: %(value)r (choose from %(choices)s)")
    _("invalid %(type)s value: %(value)r")
    _("expected one argument")
    _("expected at most one argument")
    _("expected at least one argument")
    n_("expected %s argument", "expected %s arguments", 0)
    _("ambiguous option: %(option)s could match %(matches)s")
    _("not allowed with argument %s")
    _("one of the arguments %s is required")
    _("ignored explicit argument %r")
    _("unexpected option string: %s")


def _argparse_speaks() -> None:
    """argparse's words (« usage: », « options », its usage errors) in the language of
    Recueil's messages. argparse reads them with the `gettext` functions of its own
    module, which are looked up when a message is made: they now read Recueil's
    catalogue (argparse's messages are listed in _argparse_messages)."""
    argparse._ = i18n.translate
    argparse.ngettext = i18n.translate_n


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # exit 2 with a hint, as argparse does, but friendlier
        self.print_usage(sys.stderr)
        print(f"{self.prog}: {_('error')}: {message}\n" + _("(run `{prog} --help` for the manual)", prog=self.prog),
              file=sys.stderr)
        sys.exit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    _argparse_speaks()
    fmt = argparse.RawDescriptionHelpFormatter
    folder = _("the publication folder (default: the current folder)")
    drafts = _("include the fiches marked draft: true")
    select = _("keep only the fiches that match; KEY is one of {keys}; KEY=A,B keeps those matching A or B; "
               "repeat to narrow", keys=", ".join(SELECT_KEYS))
    # --lang, for every command: read again by main() before the parser is made.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang", choices=i18n.LANGUAGES,
                        help=_("the language of messages, fr or en (default: the locale's)"))
    parser = _Parser(prog="recueil", description=_main_help(), epilog=_main_epilog(), formatter_class=fmt,
                     parents=[common])
    parser.add_argument("--version", action="version", version=f"recueil {__version__}",
                        help=_("print Recueil's version and exit"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    b = sub.add_parser("build", parents=[common], help=_("build the booklet, handouts and Word documents"),
                       description=_build_help(), epilog=_build_epilog(), formatter_class=fmt)
    b.set_defaults(parser=b)
    b.add_argument("dir", nargs="?", default=".", metavar="DIR", help=folder)
    b.add_argument("--out", metavar="OUT", help=_("where to write (default: DIR/output)"))
    b.add_argument("--layout", metavar="NAME", help=_("the layout to use instead of publication.yaml's (a folder layouts/NAME/ of the project, or a built-in one)"))
    b.add_argument("--format", metavar="LIST", default=",".join(FORMATS), help=_("what to make, comma-separated among pdf (the booklet), handouts, docx, web (the web edition); default: all four; the other outputs already in OUT are left as they are"))
    b.add_argument("--select", metavar="KEY=VALUE", action="append", default=[], help=select)
    b.add_argument("--title", help=_("a thematic edition's own title (or name it under editions: in publication.yaml)"))
    b.add_argument("--subtitle", help=_("a thematic edition's own subtitle"))
    b.add_argument("--drafts", action="store_true", help=drafts)
    b.add_argument("--print", dest="print_edition", action="store_true", help=_("printer's edition: 3 mm bleed, crop marks, TrimBox and BleedBox"))
    b.add_argument("--impose", action="store_true", help=_("also write booklet-imposed.pdf: pages two-up in folding order"))
    b.add_argument("--archive", action="store_true", help=_("booklet.pdf as a PDF/A-3 that carries the sources of the edition"))
    b.add_argument("--timings", action="store_true", help=_("print how long each stage took"))
    b.add_argument("--jobs", metavar="N", type=_positive, help=_("worker processes (default: one per processor core)"))
    b.add_argument("--no-cache", action="store_true", help=_("redo everything, ignoring what earlier builds kept"))

    c = sub.add_parser("check", parents=[common], help=_("check fiches and settings, build nothing"),
                       description=_check_help(), epilog=_check_epilog(), formatter_class=fmt)
    c.set_defaults(parser=c)
    c.add_argument("dir", nargs="?", default=".", metavar="DIR", help=folder)
    c.add_argument("--strict", action="store_true", help=_("treat warnings as errors (exit status 1)"))
    c.add_argument("--drafts", action="store_true", help=_("check drafts as if they were published (their problems become errors)"))

    ls = sub.add_parser("list", parents=[common], help=_("one line per fiche: id, title, themes, territory"),
                        description=_list_help(), epilog=_list_epilog(), formatter_class=fmt)
    ls.set_defaults(parser=ls)
    ls.add_argument("dir", nargs="?", default=".", metavar="DIR", help=folder)
    ls.add_argument("--drafts", action="store_true", help=drafts)

    v = sub.add_parser("serve", parents=[common], help=_("live preview in a browser, rebuilt on every save"),
                       description=_serve_help(), epilog=_serve_epilog(), formatter_class=fmt)
    v.set_defaults(parser=v)
    v.add_argument("dir", nargs="?", default=".", metavar="DIR", help=folder)
    v.add_argument("--port", metavar="N", type=_port, default=8000,
                   help=_("the port to listen on (default: 8000; 0: any free port)"))
    v.add_argument("--host", metavar="ADDR", default="127.0.0.1",
                   help=_("the address to listen on (default: 127.0.0.1, this machine only)"))
    v.add_argument("--open", action="store_true", help=_("open the page in the browser"))
    v.add_argument("--layout", metavar="NAME", help=_("the layout to use instead of publication.yaml's"))
    v.add_argument("--select", metavar="KEY=VALUE", action="append", default=[], help=select)
    v.add_argument("--drafts", action="store_true", help=drafts)

    n = sub.add_parser("new", parents=[common], help=_("write a new fiche skeleton and print its path"),
                       description=_new_help(), epilog=_new_epilog(), formatter_class=fmt)
    n.set_defaults(parser=n)
    n.add_argument("args", nargs="+", metavar="[DIR] TITLE", help=_("the publication folder (default: the current folder), then the fiche's title"))

    u = sub.add_parser("unpack", parents=[common], help=_("an archive edition's sources, back as a project"),
                       description=_unpack_help(), epilog=_unpack_epilog(), formatter_class=fmt)
    u.set_defaults(parser=u)
    u.add_argument("archive", metavar="ARCHIVE.pdf", help=_("a booklet.pdf built with --archive"))
    u.add_argument("dir", nargs="?", metavar="DIR",
                   help=_("where to write them: a new or empty folder (default: ARCHIVE's name without .pdf)"))

    p = sub.add_parser("preflight", parents=[common], help=_("check PDF files: accessibility, archiving, print"),
                       description=_preflight_help(), epilog=_preflight_epilog(), formatter_class=fmt)
    p.set_defaults(parser=p)
    p.add_argument("files", nargs="+", metavar="FILE.pdf", help=_("the PDF files to check"))
    p.add_argument("--no-ua", dest="ua", action="store_false", help=_("skip the PDF/UA (accessibility) checks"))
    p.add_argument("--pdfa", action="store_true", help=_("check PDF/A (archival) too"))
    p.add_argument("--print", dest="print_boxes", action="store_true", help=_("check trim and bleed boxes too"))
    return parser


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("'{text}' is not a port number", text=text)) from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(_("a port is a number from 0 to 65535"))
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("'{text}' is not a whole number", text=text)) from None
    if value < 1:
        raise argparse.ArgumentTypeError(_("at least 1"))
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
    print_report(report, args.strict, n_("{n} fiche checked", "{n} fiches checked", n) if project else _("check failed"))
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
        print(_("recueil unpack: error: {problem}", problem=e), file=sys.stderr)
        return EXIT_INPUT
    print(n_("{n} file written into {folder}", "{n} files written into {folder}", len(names), folder=folder))
    command = rebuild_command(folder)
    if command:
        print(_("to build the same edition again: {command}", command=command))
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
            print(f"{name}: " + _("no problem found"))
    return EXIT_INPUT if problems else EXIT_OK


def cmd_list(args) -> int:
    from generator.diagnostics import Report
    from generator.edition.select import make_edition
    from generator.read.project import read_project

    report = Report()
    project = read_project(Path(args.dir), report, drafts=args.drafts)
    if project is None:
        print_report(report, summary=_("cannot list"))
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
        parser.error(_("too many arguments: put the title in quotes, as in  recueil new \"Une épicerie solidaire\""))
    folder, title = (Path(args.args[0]), args.args[1]) if len(args.args) == 2 else (Path("."), args.args[0])
    if not title.strip():
        parser.error(_("the title is empty"))
    if not folder.is_dir():
        print(f"{folder}: {_('error')}: " + _("no such folder"), file=sys.stderr)
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
        parser.error(_("--format: unknown format '{format}'; choose among {formats}, comma-separated",
                       format=",".join(unknown), formats=", ".join(FORMATS)))
    selects = parse_selects(args.select, parser.error)
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
        if args.command == "serve":
            from generator import serve

            return serve.run(args, sub)
        if args.command == "list":
            return cmd_list(args)
        return cmd_new(args, sub)
    except KeyboardInterrupt:
        _stop_listening()  # a second Ctrl-C must not interrupt the way out
        print(_("recueil: interrupted; the output folder was left as it was") if args.command == "build"
              else _("recueil: interrupted"), file=sys.stderr)
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
        print(f"recueil: {_('error')}: {printable(found, 1000)}", file=sys.stderr)
        return EXIT_INPUT
    except Exception as e:  # noqa: BLE001 - the user gets one line, the developer a trace
        return _bug(e)


def _bug(e: Exception) -> int:
    """The user gets one line, the developer a trace (RECUEIL_DEBUG=1)."""
    from generator.diagnostics import printable

    if os.environ.get("RECUEIL_DEBUG"):
        raise e
    print(
        _("recueil: internal error ({kind}: {detail}). This is a bug in Recueil, "
          "not a problem in your fiches: please report it to the Recueil maintainers with the "
          "command you ran (run it again with RECUEIL_DEBUG=1 for the details).",
          kind=type(e).__name__, detail=printable(e, 200)),
        file=sys.stderr,
    )
    return EXIT_BUG
