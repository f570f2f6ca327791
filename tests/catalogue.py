"""A deterministic synthetic catalogue: a valid publication project of n fiches.

Used by the booklet tests and by the benchmarks. The same (n, seed) always writes the
same bytes. What it holds, on purpose:
  - sections in publication.yaml, and a few fiches left out of them (they form the last
    section);
  - partners.yaml with aliases; partners shared by many fiches; fiches naming a partner
    by an alias; names that test French collation (« Œuvre … », « Éducation … », a
    lower-case « école … »);
  - themes, territories with department and region, and a few bare place names;
  - bodies with headings, lists, a table, footnotes, a quote, links, French punctuation
    (« ? », « ! », « : ») for the typography; some long fiches (3+ pages), many short ones;
  - a small generated image on some fiches.

`shape="varied"` writes a catalogue unlike that one, for the benchmarks: fiches from one
paragraph to ten pages (most of them short), one to six themes each among twenty, and
a partners.yaml of 220 partners (aliases for a third of them), each fiche naming one to
eight.
"""

from __future__ import annotations

import random
import struct
import zlib
from pathlib import Path

import yaml

PARTNERS = [
    {"name": "Agence nationale pour la rénovation urbaine", "aliases": ["ANRU"], "type": "Établissement public"},
    {"name": "Caisse d’allocations familiales de l’Allier", "aliases": ["CAF 03", "CAF de l’Allier"], "type": "Organisme de sécurité sociale"},
    {"name": "Œuvre des pupilles orphelins", "aliases": ["OPO"], "type": "Association"},
    {"name": "Éducation nationale", "aliases": ["Rectorat"], "type": "Administration"},
    {"name": "école des parents et des éducateurs", "aliases": ["EPE"], "type": "Association"},
    {"name": "Ecole de la deuxième chance", "aliases": ["E2C"], "type": "Association"},
    {"name": "Mission locale du Bourbonnais", "aliases": ["Mission locale"], "type": "Association"},
    {"name": "France Travail", "aliases": ["Pôle emploi"], "type": "Établissement public"},
    {"name": "Conseil départemental de l’Allier", "aliases": ["CD 03"], "type": "Collectivité"},
    {"name": "Région Auvergne-Rhône-Alpes", "aliases": ["AURA"], "type": "Collectivité"},
    {"name": "Fondation de France", "type": "Fondation"},
    {"name": "Secours populaire", "aliases": ["SPF"], "type": "Association"},
    {"name": "Emmaüs Connect", "type": "Association"},
    {"name": "Union régionale des Scop", "aliases": ["URSCOP"], "type": "Réseau"},
    {"name": "Ademe", "type": "Établissement public"},
    {"name": "Œcuménique solidarité", "type": "Association"},
]

THEMES = ["Insertion", "Éducation", "Santé", "Logement", "Culture", "Mobilité",
          "Économie sociale et solidaire", "Numérique", "environnement"]

TERRITORIES = [
    {"place": "Moulins", "department": "Allier", "region": "Auvergne-Rhône-Alpes"},
    {"place": "Vichy", "department": "Allier", "region": "Auvergne-Rhône-Alpes"},
    {"place": "Montluçon", "department": "Allier", "region": "Auvergne-Rhône-Alpes"},
    {"place": "Clermont-Ferrand", "department": "Puy-de-Dôme", "region": "Auvergne-Rhône-Alpes"},
    {"place": "Aurillac", "department": "Cantal", "region": "Auvergne-Rhône-Alpes"},
    {"place": "Évian-les-Bains", "department": "Haute-Savoie", "region": "Auvergne-Rhône-Alpes"},
    {"place": "Saint-Étienne", "department": "Loire", "region": "Auvergne-Rhône-Alpes"},
    {"place": "Brest", "department": "Finistère", "region": "Bretagne"},
    {"place": "Quimper", "department": "Finistère", "region": "Bretagne"},
    {"place": "Rennes", "department": "Ille-et-Vilaine", "region": "Bretagne"},
    {"place": "Lille", "department": "Nord", "region": "Hauts-de-France"},
    {"place": "Amiens", "department": "Somme", "region": "Hauts-de-France"},
    "Île d’Yeu",
    "Ouessant",
]

SUBJECTS = ["Un jardin partagé", "Une épicerie solidaire", "Un atelier vélo", "Une ressourcerie",
            "Un tiers-lieu", "Un café des parents", "Une cantine bio", "Une école du numérique",
            "Un chantier d’insertion", "Une maison de santé", "Un habitat partagé", "Une radio locale",
            "Un festival de quartier", "Un garage solidaire", "Une crèche à horaires atypiques",
            "Une plateforme de covoiturage"]

WORDS = ("habitants quartier projet association bénévoles accompagnement ateliers jeunes familles "
         "commune partenaires financement insertion emploi formation logement santé culture "
         "mobilité réseau territoire solidarité action publique collectif usagers services "
         "rencontre parcours autonomie animation transition énergie alimentation durable").split()

SECTIONS = ["Agir pour l’emploi", "Vivre ensemble", "Prendre soin", "Habiter et se déplacer"]


def _sentence(rng: random.Random, words: int) -> str:
    picked = [rng.choice(WORDS) for _ in range(words)]
    text = " ".join(picked)
    return text[0].upper() + text[1:]


def _paragraph(rng: random.Random, sentences: int) -> str:
    out = []
    for _ in range(sentences):
        s = _sentence(rng, rng.randint(8, 18))
        ending = rng.choice([".", ".", ".", " ?", " !", " : " + _sentence(rng, 5).lower() + "."])
        out.append(s + ending)
    return " ".join(out)


def _body(rng: random.Random, i: int, long: bool) -> str:
    parts = [_paragraph(rng, 3) + "[^1]", ""]
    parts += ["## Le contexte", "", _paragraph(rng, 4 if not long else 7), ""]
    if long:
        for k in range(6):
            parts += [f"## Étape {k + 1} : {rng.choice(WORDS)}", "", _paragraph(rng, 6), ""]
            parts += [_paragraph(rng, 5), ""]
            if k == 2:
                parts += ["- " + _sentence(rng, 6), "- " + _sentence(rng, 8), "- " + _sentence(rng, 5), ""]
                parts += ["> « " + _sentence(rng, 14) + " », raconte une bénévole.", ""]
            if k == 4:
                parts += ["### Le budget", "", "| Poste | Montant | Part |", "|:---|---:|---:|"]
                parts += [f"| {rng.choice(WORDS).capitalize()} | {rng.randint(1, 90)} 000 € | {rng.randint(5, 40)} % |"
                          for _ in range(5)]
                parts += ["| **Total** | **180 000 €** | **100 %** |", ""]
    else:
        parts += ["## Ce qui marche", "", "1. " + _sentence(rng, 7), "2. " + _sentence(rng, 9), ""]
        if i % 3 == 0:
            parts += ["| Indicateur | Valeur |", "|:---|---:|", f"| Participants | {rng.randint(10, 400)} |",
                      f"| Bénévoles | {rng.randint(3, 60)} |", ""]
    parts += [f"Pour en savoir plus, voir [le site du projet](https://example.org/projets/{i})[^2].", ""]
    parts += ["[^1]: " + _sentence(rng, 10) + ".", "[^2]: Consulté en mars 2024 ; voir aussi le rapport annuel.", ""]
    return "\n".join(parts)


def _png(path: Path, rgb: tuple[int, int, int], w: int = 240, h: int = 120) -> None:
    # A small gradient written by hand: no imaging library needed, same bytes every time.
    rows = b"".join(b"\x00" + bytes(
        v for x in range(w) for v in (min(255, rgb[0] + x // 4), min(255, rgb[1] + y), rgb[2])) for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def make_catalogue(root: Path, n: int, seed: int = 0, shape: str = "standard", **publication) -> Path:
    """Write a project of `n` fiches under `root` (created) and return `root`.
    `shape`: "standard" (the tests' catalogue) or "varied" (see the module doc).

    Extra keyword arguments override publication.yaml keys (lang, page_size, ...)."""
    if shape == "varied":
        return _varied(Path(root), n, seed, publication)
    rng = random.Random(seed)
    root = Path(root)
    (root / "fiches").mkdir(parents=True, exist_ok=True)
    (root / "images").mkdir(exist_ok=True)
    for k, rgb in enumerate([(40, 90, 140), (150, 60, 50), (60, 120, 70)]):
        _png(root / "images" / f"photo-{k}.png", rgb)

    ids: list[str] = []
    for i in range(n):
        subject = SUBJECTS[i % len(SUBJECTS)]
        terr = TERRITORIES[rng.randrange(len(TERRITORIES))]
        place = terr if isinstance(terr, str) else terr["place"]
        fid = f"f{i:04d}"
        ids.append(fid)
        long = i % 7 == 3
        picked = rng.sample(PARTNERS, rng.randint(1, 3))
        if i % 2 == 0:  # a partner shared by half the catalogue
            picked = [PARTNERS[1]] + [p for p in picked if p is not PARTNERS[1]]
        partners = []
        for j, p in enumerate(picked):
            name = p["aliases"][(i + j) % len(p["aliases"])] if p.get("aliases") and (i + j) % 3 == 0 else p["name"]
            partners.append(name if j else {"name": name, "role": "Porteur du projet"})
        front = {
            "title": f"{subject} à {place}" + (f" ({i})" if i >= len(SUBJECTS) else ""),
            "subtitle": "Quand les habitants s’en mêlent !" if i % 4 == 0 else None,
            "summary": _paragraph(rng, 2),
            "themes": rng.sample(THEMES, rng.randint(1, 2)),
            "territory": terr,
            "partners": partners,
            "date": f"20{18 + i % 6}-0{1 + i % 9}",
            "key_figures": [{"value": str(rng.randint(12, 950)), "label": "personnes accompagnées"},
                            {"value": f"{rng.randint(2, 30)} %", "label": "de retour à l’emploi"}] if i % 2 else [],
            "contact": {"name": "Camille Martin", "organisation": "Association Élan", "email": f"contact{i}@example.org",
                        "phone": "04 70 00 00 00"},
            "source": f"https://example.org/fiches/{fid}",
            "image": {"file": f"../images/photo-{i % 3}.png", "alt": "Une photo du projet",
                      "caption": "Le lancement du projet", "credit": "Photo : association"} if i % 3 == 1 else None,
            "keywords": ["solidarité", rng.choice(WORDS)],
        }
        if i == 5:
            front["subtitle"] = "Un titre avec {{ 7*7 }} et <b>du HTML</b>"
        front = {k: v for k, v in front.items() if v not in (None, [])}
        text = "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n\n" + _body(rng, i, long)
        (root / "fiches" / f"{fid}.md").write_text(text, encoding="utf-8")

    # Sections take most fiches; a few (every 11th) are left for the last section.
    listed = [fid for k, fid in enumerate(ids) if k % 11 != 10]
    size = max(1, -(-len(listed) // len(SECTIONS)))
    sections = [{"title": t, "fiches": listed[k * size:(k + 1) * size]} for k, t in enumerate(SECTIONS)]
    pub = {
        "title": "Initiatives solidaires en région",
        "subtitle": "Un recueil d’expériences de terrain",
        "publisher": "Réseau des territoires solidaires",
        "edition": "Édition 2024",
        "date": "2024-03-15",
        "lang": "fr",
        "sections": [s for s in sections if s["fiches"]],
    }
    pub.update(publication)
    (root / "publication.yaml").write_text(yaml.safe_dump(pub, allow_unicode=True, sort_keys=False), encoding="utf-8")
    partners = [{k: v for k, v in p.items()} for p in PARTNERS]
    (root / "partners.yaml").write_text(yaml.safe_dump(partners, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root


def load_edition(root: Path):
    """The edition of a project, as a build sees it.

    Uses the reader (`project.read_project`, `select.make_edition`) when it works; while it
    is being written, a small stand-in reader that is enough for the renderer's tests."""
    from generator.diagnostics import Report

    report = Report()
    try:
        from generator.edition.select import make_edition
        from generator.read import project

        proj = project.read_project(Path(root), report)
        edition = make_edition(proj, [], report) if proj is not None else None
        if edition is not None and not report.failed():
            return edition
    except Exception:  # the reader is work in progress in the shared tree
        pass
    return _stand_in_edition(Path(root))


def _stand_in_edition(root: Path):
    from generator.model import (
        Contact,
        Edition,
        Fiche,
        Image,
        KeyFigure,
        Partner,
        PartnerRef,
        Project,
        Publication,
        Section,
        SectionSpec,
        Territory,
    )
    from generator.read import markdown
    from generator.read.typography import french, french_tree

    root = root.resolve()
    pub_doc = yaml.safe_load((root / "publication.yaml").read_text(encoding="utf-8")) or {}
    specs = [SectionSpec(s["title"], tuple(s["fiches"])) for s in pub_doc.pop("sections", [])]
    pub = Publication(**{k: v for k, v in pub_doc.items() if k in Publication.__dataclass_fields__}, sections=specs)
    t = (lambda s: french(s) if s else s) if pub.lang == "fr" else (lambda s: s)
    registry, partners = {}, []
    if (root / "partners.yaml").exists():
        for p in yaml.safe_load((root / "partners.yaml").read_text(encoding="utf-8")) or []:
            partner = Partner(p["name"], tuple(p.get("aliases", ())), p.get("type"), p.get("url"))
            partners.append(partner)
            for name in (partner.name, *partner.aliases):
                registry[name.casefold()] = partner
    fiches = []
    for path in sorted((root / "fiches").rglob("*.md")):
        raw = path.read_bytes()
        _, front, body_text = raw.decode("utf-8").split("---\n", 2)
        d = yaml.safe_load(front)
        body, _ = markdown.parse(body_text, front.count("\n") + 3)
        if pub.lang == "fr":
            french_tree(body)
        terr = d["territory"] if isinstance(d["territory"], dict) else {"place": d["territory"]}
        refs = []
        for p in d["partners"]:
            p = p if isinstance(p, dict) else {"name": p}
            known = registry.get(p["name"].casefold())
            refs.append(PartnerRef(t(known.name if known else p["name"]), t(p["name"]), t(p.get("role")),
                                   t(p.get("type") or (known.type if known else None))))
        img = d.get("image")
        c = d.get("contact")
        fiches.append(Fiche(
            id=path.stem, path=path, rel=path.relative_to(root).as_posix(), title=t(d["title"]),
            summary=t(d["summary"]), themes=[t(x) for x in d["themes"]],
            territory=Territory(t(terr["place"]), t(terr.get("department")), t(terr.get("region"))),
            partners=refs, body=body, subtitle=t(d.get("subtitle")), date=d.get("date"),
            key_figures=[KeyFigure(t(k["value"]), t(k["label"])) for k in d.get("key_figures", [])],
            contact=Contact(c.get("name"), c.get("organisation"), c.get("email"), c.get("phone")) if c else None,
            source=d.get("source"),
            image=Image((path.parent / img["file"]).resolve(), (path.parent / img["file"]).resolve().relative_to(root).as_posix(),
                        t(img.get("alt")), t(img.get("caption")), t(img.get("credit"))) if img else None,
            keywords=d.get("keywords", []), raw=raw))
    proj = Project(root, pub, partners, fiches)
    by_id = {f.id: f for f in fiches}
    sections, used = [], set()
    for spec in specs:
        sections.append(Section(spec.title, [by_id[i] for i in spec.fiches]))
        used.update(spec.fiches)
    rest = [f for f in sorted(fiches, key=lambda f: f.id) if f.id not in used]
    if rest:
        sections.append(Section("Autres fiches" if specs else None, rest))
    return Edition(proj, sections)


# --- the varied shape ---------------------------------------------------------------------

MORE_THEMES = THEMES + ["Alimentation", "Sport", "Jeunesse", "Petite enfance", "Vieillissement", "Handicap",
                        "Accès aux droits", "Illettrisme", "Parentalité", "Égalité femmes-hommes", "Tourisme"]
KINDS = ["Association", "Centre social", "Maison de quartier", "Collectif", "Régie de quartier", "Fondation",
         "Coopérative", "Comité", "Union locale", "Réseau"]
NAMES = ["des Jardins", "de l’Entraide", "du Lien", "des Familles", "de la Solidarité", "des Habitants", "du Partage",
         "des Quartiers", "de l’Insertion", "des Aînés", "de la Jeunesse", "du Bocage"]
PLACES = ["de Moulins", "de Vichy", "de Brest", "d’Amiens", "de Lille", "de Rennes", "de Quimper", "d’Aurillac",
          "de Montluçon", "du Puy", "de Lorient", "de Laval"]
# Pages a fiche takes, roughly, and how many fiches of a hundred are that long: most are
# one or two pages, a few run to ten.
LENGTHS = [(0, 12), (1, 40), (2, 25), (3, 12), (5, 7), (10, 4)]


def _registry(rng: random.Random, size: int = 220) -> list[dict]:
    partners, seen = [], set()
    while len(partners) < size:
        name = f"{rng.choice(KINDS)} {rng.choice(NAMES)} {rng.choice(PLACES)}"
        if name in seen:
            continue
        seen.add(name)
        entry = {"name": name, "type": rng.choice(["Association", "Collectivité", "Établissement public", "Fondation"])}
        if len(partners) % 3 == 0:
            entry["aliases"] = ["".join(w[0] for w in name.replace("’", " ").split() if w[0].isupper()) + f" {len(partners)}"]
        partners.append(entry)
    return partners


def _varied_body(rng: random.Random, i: int, pages: int) -> str:
    if pages == 0:  # one paragraph, nothing else
        return _paragraph(rng, rng.randint(2, 5)) + "\n"
    parts = [_paragraph(rng, 3) + "[^1]", ""]
    # A section (a heading, two paragraphs of four or five sentences) is about a quarter
    # of a page; the header, the chapô and the facts card take most of a page's first.
    for k in range(max(1, pages * 4 - 3)):
        parts += [f"## Étape {k + 1} : {rng.choice(WORDS)}", "", _paragraph(rng, 5), "", _paragraph(rng, 4), ""]
        if k % 4 == 1:
            parts += ["- " + _sentence(rng, 6), "- " + _sentence(rng, 8), "- " + _sentence(rng, 5), ""]
        if k % 6 == 3:
            parts += ["| Poste | Montant |", "|:---|---:|"]
            parts += [f"| {rng.choice(WORDS).capitalize()} | {rng.randint(1, 90)} 000 € |" for _ in range(4)]
            parts += [""]
    parts += [f"Voir [le site du projet](https://example.org/projets/{i}).", ""]
    parts += ["[^1]: " + _sentence(rng, 10) + ".", ""]
    return "\n".join(parts)


def _varied(root: Path, n: int, seed: int, publication: dict) -> Path:
    rng = random.Random(seed)
    (root / "fiches").mkdir(parents=True, exist_ok=True)
    (root / "images").mkdir(exist_ok=True)
    for k, rgb in enumerate([(40, 90, 140), (150, 60, 50), (60, 120, 70)]):
        _png(root / "images" / f"photo-{k}.png", rgb)
    registry = _registry(rng)
    lengths = [p for p, weight in LENGTHS for _ in range(weight)]
    ids = []
    for i in range(n):
        fid = f"v{i:04d}"
        ids.append(fid)
        terr = TERRITORIES[rng.randrange(len(TERRITORIES))]
        place = terr if isinstance(terr, str) else terr["place"]
        picked = rng.sample(registry, rng.randint(1, 8))
        partners = [p["aliases"][0] if p.get("aliases") and rng.random() < 0.3 else p["name"] for p in picked]
        front = {
            "title": f"{SUBJECTS[i % len(SUBJECTS)]} à {place} ({i})",
            "summary": _paragraph(rng, rng.randint(1, 3)),
            "themes": rng.sample(MORE_THEMES, rng.randint(1, 6)),
            "territory": terr,
            "partners": [{"name": partners[0], "role": "Porteur du projet"}] + partners[1:],
            "key_figures": [{"value": str(rng.randint(12, 950)), "label": "personnes accompagnées"}] if i % 3 else [],
            "source": f"https://example.org/fiches/{fid}" if i % 4 else None,
            "image": {"file": f"../images/photo-{i % 3}.png", "alt": "Une photo du projet"} if i % 5 == 2 else None,
        }
        front = {k: v for k, v in front.items() if v not in (None, [])}
        text = ("---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n\n"
                + _varied_body(rng, i, rng.choice(lengths)))
        (root / "fiches" / f"{fid}.md").write_text(text, encoding="utf-8")
    size = max(1, -(-n // len(SECTIONS)))
    pub = {"title": "Initiatives solidaires, catalogue", "publisher": "Réseau des territoires solidaires",
           "date": "2025-06", "lang": "fr",
           "sections": [{"title": t, "fiches": ids[k * size:(k + 1) * size]} for k, t in enumerate(SECTIONS)
                        if ids[k * size:(k + 1) * size]]}
    pub.update(publication)
    (root / "publication.yaml").write_text(yaml.safe_dump(pub, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (root / "partners.yaml").write_text(yaml.safe_dump(registry, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root
