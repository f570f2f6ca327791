"""Messages in the user's language: French or English.

Every message Recueil prints (errors, warnings, progress, summaries, the command line's
help) is written in English in the code, marked `_("…")`, and translated through a
gettext catalogue: generator/locale/fr/LC_MESSAGES/recueil.po, compiled to recueil.mo
(`python scripts/messages.py` extracts the messages and compiles the catalogue; a test
checks both are up to date). The English text is the message's id: it does not change
with the language, so a script that matches messages runs Recueil in English
(`--lang en`, or `LANG=C`).

One message is one whole sentence, its variable parts named fields filled in by `_`:
`_("image '{src}' not found", src=name)`; `n_` when a count decides between singular and
plural (French has three forms: 0 and 1, millions, the others); `p_` when the same
English words need two translations (a context tells them apart).

The language is, in order: `--lang`, RECUEIL_LANG, then the locale's (LANGUAGE, LC_ALL,
LC_MESSAGES, LANG): French when it says French, else English. Worker processes inherit
it: the build forks them after the command line has chosen.
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path

DOMAIN = "recueil"
LOCALES = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("en", "fr")

_translation: gettext.NullTranslations = gettext.NullTranslations()
_current = "en"


def choose(asked: str | None = None) -> str:
    """The language messages are printed in (see the module docstring)."""
    for value in (asked, os.environ.get("RECUEIL_LANG"), *_locale()):
        if value:
            code = value.split(":")[0].split(".")[0].split("_")[0].split("-")[0].lower()
            if code in ("c", "posix"):
                return "en"
            if code:
                return code if code in LANGUAGES else "en"
    return "en"


def _locale() -> list[str | None]:
    return [os.environ.get(name) for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")]


def use(lang: str) -> None:
    """Print messages in `lang` from now on (in this process and the workers it forks)."""
    global _translation, _current
    _current = lang if lang in LANGUAGES else "en"
    _translation = (gettext.translation(DOMAIN, LOCALES, [_current], fallback=True)
                    if _current != "en" else gettext.NullTranslations())


def current() -> str:
    return _current


def _(message: str, /, **values) -> str:
    """`message` in the current language, its {fields} filled with `values`."""
    text = _translation.gettext(message)
    return text.format(**values) if values else text


def p_(context: str, message: str, /, **values) -> str:
    """`message` in the current language, where the same English words need another
    translation in another `context` (« item 2 » alone, or in a list of keys)."""
    text = _translation.pgettext(context, message)
    return text.format(**values) if values else text


def translate(message: str) -> str:
    """`message` in the current language, as it is (for a library's own messages, such as
    argparse's, which fills in its %-fields itself)."""
    return _translation.gettext(message)


def translate_n(singular: str, plural: str, n: int) -> str:
    """The singular or the plural of a library's own message, as it is (see translate)."""
    return _translation.ngettext(singular, plural, n)


def n_(singular: str, plural: str, n: int, /, **values) -> str:
    """The singular or the plural of a message, as `n` asks, in the current language."""
    text = _translation.ngettext(singular, plural, n)
    return text.format(n=n, **values)
