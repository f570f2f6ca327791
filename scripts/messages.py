"""Keep the message catalogues in step with the code (see generator/i18n.py).

    python scripts/messages.py            extract, update the catalogues, compile them
    python scripts/messages.py --check    exit 1 if a catalogue is not up to date

Extracts every `_("…")`, `n_("…", "…", n)` and `p_("context", "…")` of generator/
(Babel's extractor), updates generator/locale/LANG/LC_MESSAGES/recueil.po (new messages
empty, vanished ones dropped) and compiles recueil.mo. Both files are committed: Recueil reads the .mo with
the standard library alone. The output is the same for the same messages: no dates.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "generator"
LOCALES = PACKAGE / "locale"
DOMAIN = "recueil"
KEYWORDS = {"_": None, "n_": (1, 2), "p_": ((1, "c"), 2)}


def template():
    """The catalogue of every message in the code, translations empty."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalog = Catalog(project="Recueil", domain=DOMAIN, charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=("Translators:",),
            strip_comment_tags=True):
        catalog.add(message, None, [(f"generator/{filename}", lineno)], auto_comments=comments, context=context)
    return catalog


def updated(lang: str):
    from babel.messages.pofile import read_po

    po = LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if po.is_file():
        with po.open("rb") as f:
            catalog = read_po(f, locale=lang, domain=DOMAIN)
    else:
        from babel.messages.catalog import Catalog

        catalog = Catalog(locale=lang, domain=DOMAIN, project="Recueil", charset="utf-8")
    catalog.update(template(), no_fuzzy_matching=True)
    catalog.obsolete.clear()
    catalog.fuzzy = False
    catalog.project, catalog.version = "Recueil", ""
    catalog.copyright_holder, catalog.msgid_bugs_address = "the Recueil authors", ""
    catalog.last_translator, catalog.language_team = "the Recueil authors", "the Recueil authors"
    catalog.header_comment = (f"# Recueil's messages in {lang}: each English message (msgid, the code's own text)\n"
                              "# with its translation (msgstr). Made by scripts/messages.py; write the msgstr.")
    return catalog


def po_bytes(catalog) -> bytes:
    import datetime as dt

    from babel.messages.pofile import write_po

    out = io.BytesIO()
    catalog.creation_date = catalog.revision_date = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)  # no clock
    write_po(out, catalog, width=100, sort_output=True, omit_header=False, include_previous=False, no_location=True)
    # The file says what it holds, not which Babel wrote it: another version makes the same.
    return b"".join(line for line in out.getvalue().splitlines(keepends=True) if not line.startswith(b'"Generated-By'))


def mo_bytes(catalog) -> bytes:
    from babel.messages.mofile import write_mo

    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def same_mo(data: bytes, catalog) -> bool:
    """Whether a compiled catalogue translates every message as `catalog` does (its
    bytes may differ by the version of the Babel that wrote it)."""
    import gettext

    try:
        compiled = gettext.GNUTranslations(io.BytesIO(data))
    except (OSError, ValueError):
        return False
    for message in catalog:
        if not message.id:
            continue
        if message.pluralizable:
            singular, plural = message.id
            for n in (1, 2, 1_000_000):
                wanted = message.string[gettext.c2py(catalog.plural_expr)(n)] if all(message.string) else (
                    singular if n == 1 else plural)
                if compiled.ngettext(singular, plural, n) != wanted:
                    return False
        elif (compiled.pgettext(message.context, message.id) if message.context else compiled.gettext(message.id)) != (
                message.string or message.id):
            return False
    return True


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a catalogue is stale")
    args = parser.parse_args(argv)
    stale = []
    for lang_dir in sorted(p for p in LOCALES.iterdir() if p.is_dir()):
        catalog = updated(lang_dir.name)
        files = {lang_dir / "LC_MESSAGES" / f"{DOMAIN}.po": po_bytes(catalog)}
        files[lang_dir / "LC_MESSAGES" / f"{DOMAIN}.mo"] = mo_bytes(catalog)
        untranslated = [m.id for m in catalog if m.id and not m.string]
        for path, data in files.items():
            old = path.read_bytes() if path.is_file() else None
            if old is None or (not same_mo(old, catalog) if path.suffix == ".mo" else old != data):
                stale.append(path.relative_to(REPO).as_posix())
                if not args.check:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
        if untranslated:
            print(f"{lang_dir.name}: {len(untranslated)} message(s) without a translation", file=sys.stderr)
    if args.check and stale:
        print("not up to date: " + ", ".join(stale) + " (run python scripts/messages.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
