"""Bad input, as a user meets it: `recueil check DIR` exits 1, names the file and the
line and never shows a traceback."""

from __future__ import annotations

import re

import pytest
from conftest import fiche_text, minimal_front, png_bytes, run_recueil


def check(root, *extra):
    result = run_recueil("check", str(root), *extra)
    out = result.stdout + result.stderr
    assert "Traceback" not in out, out
    return result


def assert_error(result, where: str, *fragments: str):
    assert result.returncode == 1, result.stderr
    # "path:line" must match exactly; a bare "path" accepts any line, or none.
    pattern = re.compile(re.escape(where) + (r": error:" if where[-1].isdigit() else r"(:\d+)?: error:"))
    lines = [line for line in result.stderr.splitlines() if pattern.match(line)]
    assert lines, f"no error at {where}:\n{result.stderr}"
    for fragment in fragments:
        assert any(fragment in line for line in lines), f"{fragment!r} not in {lines}"


def front_with(**changes) -> str:
    front = minimal_front()
    for key, value in changes.items():
        if value is None:
            del front[key]
        else:
            front[key] = value
    return fiche_text(front)


# Each case: the fiche file's text, the expected "path:line", fragments of the message.
FICHE_CASES = {
    "yaml syntax": ("---\ntitle: Une initiative\nsummary: deux points: ici\nthemes: [a]\n---\n", "fiches/x.md:3", ["invalid YAML", "quotes"]),
    "unclosed list": ("---\ntitle: T\nsummary: S\nthemes: [a, b\nterritory: M\npartners: []\n---\n", "fiches/x.md", ["invalid YAML"]),
    "missing required key": ("---\ntitle: T\nthemes: [a]\nterritory: M\npartners: []\n---\n", "fiches/x.md:2", ["missing required key 'summary'"]),
    "number for a list": ("---\ntitle: T\nsummary: S\nthemes: 3\nterritory: M\npartners: []\n---\n", "fiches/x.md:4", ["'themes' must be a list", "not a number"]),
    "mapping for a string": ("---\ntitle: {a: b}\nsummary: S\nthemes: [a]\nterritory: M\npartners: []\n---\n", "fiches/x.md:2", ["'title' must be a text", "group of keys"]),
    "partners a number": ("---\ntitle: T\nsummary: S\nthemes: [a]\nterritory: M\npartners: 12\n---\n", "fiches/x.md:6", ["'partners' must be a list"]),
    "empty required string": ("---\ntitle: '  '\nsummary: S\nthemes: [a]\nterritory: M\npartners: []\n---\n", "fiches/x.md:2", ["'title' is empty"]),
    "empty themes": ("---\ntitle: T\nsummary: S\nthemes: []\nterritory: M\npartners: []\n---\n", "fiches/x.md:4", ["at least one"]),
    "no front matter": ("Juste un paragraphe.\n", "fiches/x.md:1", ["no front matter"]),
    "keys without fences": ("title: T\nsummary: S\n", "fiches/x.md:1", ["no front matter", "'---'"]),
    "unclosed front matter": ("---\ntitle: T\nsummary: S\n", "fiches/x.md:1", ["never closed"]),
    "empty file": ("", "fiches/x.md:1", ["empty"]),
    "blank file": ("\n \n\t\n", "fiches/x.md:1", ["empty"]),
    "empty front matter": ("---\n---\nTexte\n", "fiches/x.md", ["front matter is empty"]),
    "front matter a list": ("---\n- a\n- b\n---\n", "fiches/x.md:2", ["group of 'key: value'"]),
    "impossible date": (front_with(date="2023-02-30"), "fiches/x.md", ["2023-02-30 is not a real date"]),
    "impossible month": ("---\ntitle: T\nsummary: S\nthemes: [a]\nterritory: M\npartners: []\ndate: 2023-13\n---\n", "fiches/x.md:7", ["not a real date"]),
    "badly written date": ("---\ntitle: T\nsummary: S\nthemes: [a]\nterritory: M\npartners: []\ndate: 12/03/2023\n---\n", "fiches/x.md:7", ["YYYY, YYYY-MM or YYYY-MM-DD"]),
    "unquoted impossible date": ("---\ntitle: T\nsummary: S\nthemes: [a]\nterritory: M\npartners: []\ndate: 2023-02-30\n---\n", "fiches/x.md:7", ["not a real date"]),
    "missing image": ("---\ntitle: T\nsummary: S\nthemes: [a]\nterritory: M\npartners: []\nimage:\n  file: photos/absente.jpg\n---\n", "fiches/x.md:8", ["not found"]),
    "image outside": ("---\ntitle: T\nsummary: S\nthemes: [a]\nterritory: M\npartners: []\nimage: {file: ../../secret.png}\n---\n", "fiches/x.md:7", ["outside the project"]),
    "body image outside": (fiche_text(minimal_front(), "Texte.\n\n![x](/etc/passwd)\n"), "fiches/x.md", ["outside the project"]),
    "body image missing": ("---\ntitle: T\nsummary: S\nthemes: [a]\nterritory: M\npartners: []\n---\n\nTexte\n\n![x](nope.png)\n", "fiches/x.md:11", ["not found"]),
    "billion laughs": (
        "---\ntitle: T\nsummary: S\nthemes: [a]\nterritory: M\npartners: []\n"
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        + "".join(f"{n}: &{n} [{','.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi"))
        + "---\n",
        "fiches/x.md:8", ["alias", "refused"],
    ),
    "unquoted braces": ("---\ntitle: {{ 7*7 }}\nsummary: S\nthemes: [a]\nterritory: M\npartners: []\n---\n", "fiches/x.md:2", ["quotes"]),
    "yaml tag": ("---\ntitle: !!python/object/apply:os.system ['true']\nsummary: S\nthemes: [a]\nterritory: M\npartners: []\n---\n", "fiches/x.md:2", ["tag"]),
    "duplicate key": ("---\ntitle: T\nsummary: S\nthemes: [a]\nterritory: M\npartners: []\ntitle: U\n---\n", "fiches/x.md:7", ["twice", "line 2"]),
    "source not a url": (front_with(source="www.exemple.fr"), "fiches/x.md", ["http://"]),
    "bad email": ("---\ntitle: T\nsummary: S\nthemes: [a]\nterritory: M\npartners: []\ncontact:\n  email: jean.dupont(at)exemple.fr\n---\n", "fiches/x.md:8", ["e-mail"]),
    "partner without name": ("---\ntitle: T\nsummary: S\nthemes: [a]\nterritory: M\npartners:\n  - role: financeur\n---\n", "fiches/x.md:7", ["missing required key 'name'"]),
    "partner bad url": ("---\ntitle: T\nsummary: S\nthemes: [a]\nterritory: M\npartners:\n  - name: X\n    url: ftp://x.org\n---\n", "fiches/x.md:8", ["http://"]),
    "territory without place": ("---\ntitle: T\nsummary: S\nthemes: [a]\nterritory:\n  region: Bretagne\npartners: []\n---\n", "fiches/x.md:5", ["missing required key 'place'"]),
    "key figure without label": ("---\ntitle: T\nsummary: S\nthemes: [a]\nterritory: M\npartners: []\nkey_figures:\n  - value: 12\n---\n", "fiches/x.md:8", ["missing required key 'label'"]),
    "draft not a bool": ("---\ntitle: T\nsummary: S\nthemes: [a]\nterritory: M\npartners: []\ndraft: peut-être\n---\n", "fiches/x.md:7", ["true or false"]),
}


@pytest.mark.parametrize("case", sorted(FICHE_CASES))
def test_bad_fiche_is_reported_with_file_and_line(project, case):
    text, where, fragments = FICHE_CASES[case]
    root = project({"x": text})
    assert_error(check(root), where, *fragments)


def test_not_utf8_says_how_to_convert(project):
    root = project({})
    (root / "fiches").mkdir()
    body = fiche_text(minimal_front(summary="Un chapô écrit sous Windows")).encode("cp1252")
    (root / "fiches" / "x.md").write_bytes(body)
    assert_error(check(root), "fiches/x.md:3", "not UTF-8", "iconv -f latin1 -t utf-8")


def test_byte_order_mark_is_tolerated(project):
    root = project({})
    (root / "fiches").mkdir()
    (root / "fiches" / "x.md").write_bytes(b"\xef\xbb\xbf" + fiche_text(minimal_front()).encode())
    assert check(root).returncode == 0


def test_duplicate_ids_name_both_files(project):
    root = project({"a/seconde-vie": minimal_front("Un"), "b/Seconde-Vie": minimal_front("Deux")})
    result = check(root)
    assert_error(result, "fiches/b/Seconde-Vie.md", "fiches/a/seconde-vie.md")


def test_section_naming_a_missing_fiche_points_at_publication_yaml(project):
    publication = "title: R\nsections:\n  - title: Une\n    fiches:\n      - x\n      - fantome\n"
    root = project({"x": minimal_front()}, publication=publication)
    assert_error(check(root), "publication.yaml:6", "fantome")


def test_an_image_says_what_it_shows_or_is_decorative(project):
    root = project({
        "a": fiche_text(minimal_front(image={"file": "../images/p.png"}), "Texte.\n\n![](../images/p.png)\n"),
        "b": fiche_text(minimal_front(image={"file": "../images/p.png", "decorative": True})),
    })
    (root / "images").mkdir()
    (root / "images" / "p.png").write_bytes(png_bytes(20, 10))
    result = check(root)
    lines = (root / "fiches" / "a.md").read_text(encoding="utf-8").splitlines()
    image, body = (1 + next(i for i, line in enumerate(lines) if line.startswith(s)) for s in ("image:", "![]"))
    assert_error(result, f"fiches/a.md:{image}", "the image needs 'alt:'", "'decorative: true'")
    assert_error(result, f"fiches/a.md:{body}", "needs a text saying what it shows", "![Une photo du jardin](...)")
    assert "fiches/b.md" not in result.stderr


def test_billion_laughs_is_refused_before_it_expands():
    from generator.read.frontmatter import YamlError, load_yaml

    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
        f"{n}: &{n} [{','.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi")
    )
    with pytest.raises(YamlError) as caught:  # expanded, it would hold 9^9 strings
        load_yaml(bomb)
    assert caught.value.line == 2 and "alias" in caught.value.message


def test_control_characters_are_stripped_with_a_warning_naming_the_line(project):
    root = project({"x": "---\ntitle: Une\x0b initiative\x1b[31m\nsummary: S\x00\nthemes: [a]\nterritory: M\npartners: []\n---\n"})
    result = check(root)
    assert result.returncode == 0, result.stderr
    assert "fiches/x.md:2: warning:" in result.stderr and "U+000B" in result.stderr and "U+001B" in result.stderr
    assert "fiches/x.md:3: warning:" in result.stderr and "U+0000" in result.stderr
    listed = run_recueil("list", str(root)).stdout
    assert "Une initiative[31m" in listed and "\x1b" not in listed
    assert check(root, "--strict").returncode == 1


def test_unknown_key_warns_with_the_closest_known_key(project):
    root = project({"x": fiche_text({**minimal_front(), "partenrs": ["X"]})})
    result = check(root)
    assert result.returncode == 0
    assert "fiches/x.md:8: warning: unknown key 'partenrs'" in result.stderr
    assert "did you mean 'partners'?" in result.stderr
    strict = check(root, "--strict")
    assert strict.returncode == 1 and "fiches/x.md:8: error: unknown key 'partenrs'" in strict.stderr


def test_french_key_names_point_at_the_english_key(project):
    root = project({"x": fiche_text({**minimal_front(), "partenaires": ["X"]})})
    assert "did you mean 'partners'?" in check(root).stderr


PUBLICATION_CASES = {
    "yaml syntax": ("title: R\nsubtitle: a: b\n", "publication.yaml:2", ["invalid YAML"]),
    "missing title": ("subtitle: S\n", "publication.yaml:1", ["missing required key 'title'"]),
    "page size": ("title: R\npage_size: A3\n", "publication.yaml:2", ["A4, A5"]),
    "lang": ("title: R\nlang: 12345\n", "publication.yaml:2", ["language tag"]),
    "indexes": ("title: R\nindexes: [partners, themas]\n", "publication.yaml:2", ["unknown index 'themas'", "themes"]),
    "sections not a list": ("title: R\nsections: 3\n", "publication.yaml:2", ["must be a list"]),
    "section without fiches": ("title: R\nsections:\n  - title: Une\n", "publication.yaml:3", ["missing required key 'fiches'"]),
    "isbn checksum": ("title: R\nisbn: 978-2-1234-5680-4\n", "publication.yaml:2", ["check digit"]),
    "colophon isbn": ("title: R\ncolophon:\n  printer: Imprimerie\n  isbn: 2-266-11156-7\n", "publication.yaml:4", ["check digit"]),
    "allow_remote": ("title: R\nallow_remote: sometimes\n", "publication.yaml:2", ["true or false"]),
    "colophon text": ("title: R\ncolophon: Imprimé à Moulins\n", "publication.yaml:2", ["'colophon' must be a group"]),
    "date": ("title: R\ndate: 2024-02-30\n", "publication.yaml:2", ["not a real date"]),
    "alias bomb": ("title: &t R\nsubtitle: *t\n", "publication.yaml:2", ["alias"]),
}


@pytest.mark.parametrize("case", sorted(PUBLICATION_CASES))
def test_bad_publication_yaml(project, case):
    text, where, fragments = PUBLICATION_CASES[case]
    root = project({"x": minimal_front()}, publication=text)
    assert_error(check(root), where, *fragments)


PARTNERS_CASES = {
    "not a list": ("name: X\n", "partners.yaml:1", ["must be a list"]),
    "missing name": ("- name: A\n- type: association\n", "partners.yaml:2", ["missing required key 'name'"]),
    "alias of two partners": ("- name: A\n  aliases: [AB]\n- name: B\n  aliases:\n    - ab\n", "partners.yaml:5", ["'ab' already names partner 'A'"]),
    "alias is another's name": ("- name: A\n- name: B\n  aliases: [A]\n", "partners.yaml:3", ["already names partner 'A'"]),
    "aliases a number": ("- name: A\n  aliases: 3\n", "partners.yaml:2", ["must be a list"]),
    "bad url": ("- name: A\n  url: exemple\n", "partners.yaml:2", ["http://"]),
}


@pytest.mark.parametrize("case", sorted(PARTNERS_CASES))
def test_bad_partners_yaml(project, case):
    text, where, fragments = PARTNERS_CASES[case]
    root = project({"x": minimal_front()}, partners=text)
    assert_error(check(root), where, *fragments)


def test_every_problem_is_reported_in_one_run(project):
    root = project(
        {"a": "---\ntitle: T\n---\n", "b": "", "c": minimal_front(date="2023-02-30")},
        publication="title: R\npage_size: B5\n",
    )
    result = check(root)
    assert result.returncode == 1
    for where in ("fiches/a.md:2", "fiches/b.md:1", "fiches/c.md:8", "publication.yaml:2"):
        assert f"{where}: error:" in result.stderr
    assert result.stderr.strip().splitlines()[-1].endswith("errors, 0 warnings")


def test_a_single_text_for_a_list_is_accepted(project):
    root = project({"x": "---\ntitle: T\nsummary: S\nthemes: Insertion\nterritory: M\npartners: Mairie\n---\n"})
    result = check(root)
    assert result.returncode == 0, result.stderr
    assert "\tInsertion\t" in run_recueil("list", str(root)).stdout


def test_a_comma_in_a_single_text_list_warns(project):
    root = project({"x": "---\ntitle: T\nsummary: S\nthemes: Insertion, Jeunesse\nterritory: M\npartners: []\n---\n"})
    result = check(root)
    assert result.returncode == 0 and "fiches/x.md:4: warning:" in result.stderr


def test_errors_in_a_draft_only_warn_unless_drafts_are_asked_for(project):
    root = project({"ok": minimal_front(), "wip": "---\ntitle: T\ndraft: true\n---\n"})
    result = check(root)
    assert result.returncode == 0, result.stderr
    assert "fiches/wip.md:2: warning: (draft, not published) missing required key" in result.stderr
    assert_error(check(root, "--drafts"), "fiches/wip.md:2", "missing required key")


def test_images_that_are_not_images_or_too_large_are_errors_with_their_line(project):
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    root = project({"a": fiche_text(minimal_front(image={"file": "../images/huge.png", "alt": "x"}),
                                    "Texte.\n\n![notes](../images/notes.txt)\n")})
    (root / "images").mkdir()
    # A few bytes of PNG header claiming 1.6 gigapixels: refused before anything decodes it.
    header = struct.pack(">IIBBBBB", 40000, 40000, 8, 2, 0, 0, 0)
    (root / "images" / "huge.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))
    (root / "images" / "notes.txt").write_text("pas une image")
    lines = (root / "fiches" / "a.md").read_text().splitlines()
    file_line = 1 + next(i for i, line in enumerate(lines) if "huge.png" in line)
    body_line = 1 + next(i for i, line in enumerate(lines) if "notes.txt" in line)
    result = run_recueil("check", str(root))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"fiches/a.md:{file_line}: error: image '../images/huge.png' has 1600 megapixels" in result.stderr
    assert f"fiches/a.md:{body_line}: error: '../images/notes.txt' is not an image" in result.stderr
