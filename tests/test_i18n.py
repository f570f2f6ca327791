"""Messages in French or English: the locale's language, or --lang; the catalogues up to
date with the code."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO, minimal_front, run_recueil, write_project


def test_the_catalogues_hold_every_message_of_the_code():
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "messages.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "without a translation" not in result.stderr, result.stderr


def _broken(tmp_path):
    return write_project(tmp_path / "p", {"a": {**minimal_front(), "themes": 3}})


def test_a_french_locale_gets_french_messages_and_lang_overrides_it(tmp_path):
    root = _broken(tmp_path)
    french = run_recueil("check", str(root), env={"RECUEIL_LANG": "", "LANG": "fr_FR.UTF-8"})
    assert french.returncode == 1
    assert ": erreur: " in french.stderr and french.stderr.strip().endswith("1 erreur, 0 avertissement")
    english = run_recueil("check", str(root), "--lang", "en", env={"RECUEIL_LANG": "", "LANG": "fr_FR.UTF-8"})
    assert ": error: " in english.stderr and english.stderr.strip().endswith("1 error, 0 warnings")
    c_locale = run_recueil("check", str(root), env={"RECUEIL_LANG": "", "LANG": "C", "LC_ALL": "C"})
    assert ": error: " in c_locale.stderr


def test_the_help_speaks_the_language_asked_for():
    result = run_recueil("--lang", "fr", "check", "--help")
    assert result.returncode == 0 and "la langue des messages" in result.stdout
