"""Messages in French or English: the locale's language, or --lang; the catalogues up to
date with the code, every message translated, its fields and French typography kept."""

from __future__ import annotations

import re
import string
import subprocess
import sys

import pytest
from conftest import REPO, fiche_text, minimal_front, run_recueil, write_project

NBSP = "\u00a0"
FRENCH = {"RECUEIL_LANG": "", "LANG": "fr_FR.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""}
# A problem line, whatever the language: `path:line: level: message` (the line may be absent).
LINE = re.compile(r"^[^\s:][^:]*(:\d+)?: (erreur|avertissement|error|warning): \S.*$")
CATALOGUE = REPO / "generator" / "locale" / "fr" / "LC_MESSAGES" / "recueil.po"


def test_the_catalogues_hold_every_message_of_the_code():
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "messages.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "without a translation" not in result.stderr, result.stderr


def _french_catalogue():
    from babel.messages.pofile import read_po

    with CATALOGUE.open("rb") as f:
        return [m for m in read_po(f, locale="fr") if m.id]


def _fields(text: str) -> set[str] | None:
    """The {fields} of a message, or None when it is no format (its braces are text)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return None


def test_every_translation_keeps_the_fields_of_its_message():
    for m in _french_catalogue():
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        translations = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(translations), f"untranslated: {ids[0]!r}"
        percent = sorted(re.findall(r"%(?:\(\w+\))?[sr]", ids[0]))
        if _fields(ids[0]) is None:  # printed as it is: the braces are the user's to type
            assert all(t.count("{") == ids[0].count("{") for t in translations), (ids[0], translations)
            continue
        wanted = set().union(*map(_fields, ids))
        for text in translations:
            found = _fields(text)
            # A plural form may leave {n} out ("un seul"); every other field stays, none is added.
            assert found <= wanted and wanted - found <= {"n"}, (ids[0], text)
            assert sorted(re.findall(r"%(?:\(\w+\))?[sr]", text)) == percent, (ids[0], text)


def test_the_french_follows_french_typography():
    for m in _french_catalogue():
        for text in m.string if isinstance(m.string, tuple) else (m.string,):
            # Keys, values, commands and Markdown stay as the user types them.
            prose = re.sub(r"'[^']*'|`[^`]*`|!\[[^\]]*\]\([^)]*\)", "", text)
            # A no-break space before : ; ? ! and inside « », never a plain one; the ’ apostrophe.
            assert not re.search(r" [:;?!]|« | »", prose), (m.id, text)
            assert not re.search(r"\w[;?!]|«(?!~)|(?<!~)»", prose.replace(NBSP, "~")), (m.id, text)
            assert not re.search(r"\b[dlnsjqu]'", prose, re.I) and "qu'" not in prose, (m.id, text)


# A project with several kinds of problems: in the fiche's front matter, in its YAML, in
# its Markdown, in publication.yaml and partners.yaml.
def _broken(tmp_path):
    return write_project(tmp_path / "p", {
        "a": {**minimal_front(), "themes": 3, "titre": "x"},
        "b": fiche_text(minimal_front(), "Du <div>HTML</div> et un [lien](javascript:alert(1)).\n"),
        "c": "---\ntitle: Un titre\ntitle: Deux fois\n---\n",
        "d": minimal_front(image={"file": "photo.png", "alt": "Le jardin"}),
    }, publication={"title": "Recueil", "lang": "fr", "indexes": ["themez"], "date": "2024-02-30"},
        partners=[{"name": "ENVIE"}])


def test_a_french_locale_gets_french_messages_and_lang_overrides_it(tmp_path):
    root = _broken(tmp_path)
    french = run_recueil("check", str(root), env=FRENCH)
    assert french.returncode == 1, french.stderr
    said = french.stderr.splitlines()
    for line in [
        "fiches/a.md:4: erreur: 'themes' doit être une liste (un élément par ligne, commençant par '- '), "
        "pas un nombre",
        f"fiches/a.md:7: avertissement: clé inconnue 'titre' ignorée{NBSP}: vouliez-vous dire 'title'{NBSP}?",
        f"fiches/b.md:10: avertissement: HTML brut '<div>' supprimé{NBSP}: seuls <sup>, <sub> et <br> sont conservés",
        f"fiches/b.md:10: avertissement: cible de lien 'javascript:alert(1)' supprimée{NBSP}: seuls les liens http, "
        "https et mailto sont conservés",
        f"fiches/c.md:3: erreur: la clé 'title' apparaît deux fois (d’abord ligne 2){NBSP}; n’en gardez qu’une",
        "fiches/d.md:9: erreur: image 'photo.png' introuvable (cherchée à l’emplacement fiches/photo.png)",
        f"publication.yaml:4: erreur: index inconnu 'themez'{NBSP}: vouliez-vous dire 'themes'{NBSP}?",
        f"publication.yaml:5: erreur: 'date'{NBSP}: 2024-02-30 n’est pas une date qui existe",
    ]:
        assert line in said, (line, french.stderr)
    *problems, summary = said
    assert summary == f"vérification impossible{NBSP}: 5 erreurs, 4 avertissements", french.stderr
    assert problems and all(LINE.match(line) for line in problems), french.stderr

    english = run_recueil("check", str(root), "--lang", "en", env=FRENCH)
    assert "fiches/a.md:4: error: 'themes' must be a list (one item per line starting with '- '), not a number" \
        in english.stderr.splitlines(), english.stderr
    assert english.stderr.strip().endswith("check failed: 5 errors, 4 warnings"), english.stderr
    assert len(english.stderr.splitlines()) == len(said)  # the same problems, one line each
    assert all(LINE.match(line) for line in english.stderr.splitlines()[:-1]), english.stderr
    for env in ({**FRENCH, "LANG": "C", "LC_ALL": "C"}, {**FRENCH, "RECUEIL_LANG": "en"}):
        assert ": error: 'themes' must be a list" in run_recueil("check", str(root), env=env).stderr


def test_the_plural_follows_the_count_in_french(tmp_path):
    root = write_project(tmp_path / "p", {"a": minimal_front()})
    one = run_recueil("check", str(root), env=FRENCH)
    assert one.returncode == 0 and one.stderr.strip() == f"1 fiche vérifiée{NBSP}: 0 erreur, 0 avertissement"
    # What only a project without errors gets to (the print preflight): in French too.
    write_project(root, {"b": minimal_front("Une autre", partners=["Inconnu"])}, partners=[{"name": "ENVIE"}])
    two = run_recueil("check", str(root), "--lang", "fr")
    assert two.stderr.splitlines() == [
        f"fiches/b.md:8: avertissement: le partenaire 'Inconnu' n’est pas dans partners.yaml{NBSP}: il est indexé "
        f"tel qu’il est écrit{NBSP}; ajoutez-le, ou l’un de ses alias, à partners.yaml",
        f"2 fiches vérifiées{NBSP}: 0 erreur, 1 avertissement"], two.stderr


@pytest.mark.parametrize("command, words", [
    (None, "Recueil transforme un dossier de fiches"),
    ("build", "Génère l’édition de DIR"),
    ("check", "Vérifie tout ce que lirait une génération"),
    ("list", "Affiche une ligne par fiche"),
    ("new", "Écrit une nouvelle fiche"),
    ("preflight", "Relit des fichiers PDF"),
])
def test_the_help_of_every_command_speaks_the_language_asked_for(command, words):
    result = run_recueil("--lang", "fr", *([command] if command else []), "--help")
    assert result.returncode == 0, result.stderr
    help_text = result.stdout
    assert help_text.startswith(f"utilisation{NBSP}: recueil"), help_text
    assert words in help_text and f"options{NBSP}:" in help_text and f"exemples{NBSP}:" in help_text, help_text
    assert "affiche cette aide et quitte" in help_text and "la langue des messages" in help_text, help_text
    assert "show this help" not in help_text and "examples:" not in help_text, help_text
    # The same help in English, from a French locale: --lang wins.
    english = run_recueil("--lang", "en", *([command] if command else []), "--help", env=FRENCH)
    assert english.stdout.startswith("usage: recueil") and "examples:" in english.stdout, english.stdout


def test_a_usage_error_is_in_french_and_keeps_its_form():
    result = run_recueil("build", "--format", "odt", env=FRENCH)
    assert result.returncode == 2
    said = result.stderr.splitlines()
    assert said[0].startswith(f"utilisation{NBSP}: recueil build"), result.stderr
    assert (f"recueil build: erreur: --format{NBSP}: format inconnu 'odt'{NBSP}; choisissez parmi pdf, handouts, "
            "docx, web, séparés par des virgules") in said, result.stderr
    assert said[-1] == "(lancez `recueil build --help` pour le mode d’emploi)", result.stderr
    # argparse's own errors too.
    missing = run_recueil("--lang", "fr", "new")
    assert f"recueil new: erreur: les arguments suivants sont obligatoires{NBSP}: [DIR] TITLE" in missing.stderr


def _main_raising(error: str, *args: str, env=None) -> subprocess.CompletedProcess:
    """The real `recueil` command line, its command replaced by one that raises `error`
    (a Python expression): what a user sees when a build is interrupted, hits a bug..."""
    code = ("import sys\nfrom generator import cli\n"
            f"def fail(*a):\n    raise {error}\n"
            "cli.cmd_build = cli.cmd_check = fail\n"
            "sys.exit(cli.main(sys.argv[1:]))\n")
    return subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, capture_output=True, text=True,
                          env={**__import__("os").environ, "PYTHONPATH": str(REPO), **(env or FRENCH)})


def test_the_interrupted_bug_and_environment_lines_are_in_french():
    interrupted = _main_raising("KeyboardInterrupt", "build")
    assert interrupted.returncode == 130
    assert interrupted.stderr.splitlines() == [
        f"recueil: interrompu{NBSP}; le dossier de sortie est resté tel qu’il était"], interrupted.stderr
    assert _main_raising("KeyboardInterrupt", "check").stderr.splitlines() == ["recueil: interrompu"]
    english = _main_raising("KeyboardInterrupt", "build", "--lang", "en")
    assert english.stderr.splitlines() == ["recueil: interrupted; the output folder was left as it was"]

    bug = _main_raising("RuntimeError('boum')", "check")
    assert bug.returncode == 3 and "Traceback" not in bug.stderr
    assert bug.stderr.startswith("recueil: erreur interne (RuntimeError: boum). C’est un bogue de Recueil, "
                                 f"pas un problème dans vos fiches{NBSP}: "), bug.stderr

    full = _main_raising("OSError(28, 'No space left on device', '/srv/sortie/booklet.pdf')", "build")
    assert full.returncode == 1
    assert full.stderr.splitlines() == [
        f"recueil: erreur: impossible d’écrire /srv/sortie/booklet.pdf{NBSP}: le disque est plein"], full.stderr


def test_an_up_to_date_build_replays_its_warnings_in_the_language_asked_for(tmp_path):
    root = write_project(tmp_path / "p", {"a": {**minimal_front(), "clef": "x"}})
    first = run_recueil("build", str(root), "--format", "docx", env=FRENCH)
    assert first.returncode == 0 and "avertissement: clé inconnue 'clef' ignorée" in first.stderr, first.stderr
    again = run_recueil("build", str(root), "--format", "docx", env=FRENCH)
    assert f"output est à jour (1 fiche){NBSP}: rien à faire" in again.stderr, again.stderr
    assert "avertissement: clé inconnue 'clef' ignorée" in again.stderr, again.stderr
    english = run_recueil("build", str(root), "--format", "docx", "--lang", "en", env=FRENCH)
    assert "warning: unknown key 'clef' ignored" in english.stderr and "avertissement" not in english.stderr
    assert "built 1 fiche into" in english.stderr, english.stderr


def test_messages_made_in_the_build_workers_are_in_the_language_asked_for(tmp_path):
    from generator.read.project import PARALLEL_FROM

    fiches = {f"f{i:02}": {**minimal_front(f"Fiche {i}"), **({"clef": "x"} if i == 7 else {})}
              for i in range(PARALLEL_FROM)}  # enough for the workers to read them
    root = write_project(tmp_path / "p", fiches)
    result = run_recueil("build", str(root), "--format", "docx", "--jobs", "2", "--no-cache", env=FRENCH)
    assert result.returncode == 0, result.stderr
    assert "fiches/f07.md:8: avertissement: clé inconnue 'clef' ignorée" in result.stderr, result.stderr
    assert result.stderr.splitlines()[-1].startswith(f"{PARALLEL_FROM} fiches générées dans "), result.stderr
