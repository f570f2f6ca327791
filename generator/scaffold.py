"""`recueil new`: a new fiche skeleton, ready to fill in, that already passes `check`.

The skeleton is marked `draft: true` so that a half-written fiche never reaches a
booklet by accident; its comments tell the writer what each key is for.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import yaml

from generator.i18n import _
from generator.read.fields import PLACEHOLDERS
from generator.read.matching import id_key
from generator.read.project import fiche_files

MAX_SLUG = 60

_SKELETON = {
    "fr": """\
---
{title}
# Le chapô : deux ou trois phrases qui disent l’essentiel de l’initiative.
summary: >-
  {todo}
# Les thèmes, un par ligne ; ils forment l’index des thèmes.
themes:
  - {decide}
# Le lieu, ou bien : {{place: Moulins, department: Allier, region: Auvergne-Rhône-Alpes}}
territory: {decide}
# Les partenaires, un par ligne (« - Nom »), ou [] s’il n’y en a pas.
partners: []
# Retirez la ligne suivante quand la fiche est prête à être publiée.
draft: true
---

## Le projet

{todo}
""",
    "en": """\
---
{title}
# The standfirst: two or three sentences that say what matters.
summary: >-
  {todo}
# Themes, one per line; they make the themes index.
themes:
  - {decide}
# The place, or: {{place: Moulins, department: Allier, region: Auvergne-Rhône-Alpes}}
territory: {decide}
# Partners, one per line ("- Name"), or [] when there are none.
partners: []
# Remove the next line when the fiche is ready to be published.
draft: true
---

## The project

{todo}
""",
}


def slugify(title: str) -> str:
    """A file name from a title: lowercase ASCII, accents stripped, words joined by hyphens."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae").replace("ß", "ss")
    text = text.encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0] or slug[:MAX_SLUG]
    return slug or "fiche"


def new_fiche(root: Path, title: str, lang: str = "fr") -> Path:
    """Write fiches/<slug>.md in `root` and return its path. Never overwrites: when the
    id is taken (ignoring case, in any subfolder), -2, -3… is added."""
    title = " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", title).split())
    if not title:
        raise ValueError(_("the title is empty"))
    taken = {id_key(p.stem) for p in fiche_files(root)}
    slug = base = slugify(title)
    n = 2
    while id_key(slug) in taken:
        slug = f"{base}-{n}"
        n += 1
    folder = root / "fiches"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.md"
    title_line = yaml.safe_dump({"title": title}, allow_unicode=True, width=10_000).strip()
    lang = lang.split("-")[0] if lang.split("-")[0] in _SKELETON else "en"
    todo, decide = PLACEHOLDERS[lang]
    text = _SKELETON[lang].format(title=title_line, todo=todo, decide=decide)
    with open(path, "x", encoding="utf-8", newline="\n") as f:  # "x": never overwrite
        f.write(text)
    return path
