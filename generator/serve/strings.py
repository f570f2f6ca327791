"""Every word the preview page shows, in one place. The users are French: so is the page.

The messages of a build (`fiches/x.md:3: error: ...`) come from the readers and are
shown as they are; only the words around them are here. The page's script gets the few
it needs through data- attributes of <body>, so that none is written in page.js.
"""

from __future__ import annotations

TEXTS = {
    "app": "Recueil",
    "app_role": "aperçu en direct",
    "page_title": "{title} — aperçu Recueil",
    "skip": "Aller à l’aperçu",
    # the status line
    "status_ready": "À jour",
    "status_ready_at": "À jour · {time}",
    "status_reading": "Lecture du projet…",
    "status_first": "Première construction du livret…",
    "status_fiche": "Mise en page de « {title} »…",
    "status_booklet": "Livret : {stage}…",
    "status_failed": "Le livret n’a pas été refait : corrigez les erreurs ci-dessous",
    "status_broken": "Erreur dans {path} : le livret attend la correction",
    "status_offline": "Aperçu arrêté : relancez « recueil serve », puis rechargez la page",
    "status_reconnecting": "Connexion perdue, nouvel essai…",
    # the contents
    "contents": "Sommaire",
    "contents_count": "{fiches} · {pages}",
    "fiches_n": ["{n} fiche", "{n} fiches"],
    "pages_n": ["{n} page", "{n} pages"],
    "warnings_n": ["{n} avertissement", "{n} avertissements"],
    "errors_n": ["{n} erreur", "{n} erreurs"],
    "page_short": "p. {first}",
    "pages_short": "p. {first}–{last}",
    "no_section": "Fiches",
    "edited": "en cours",
    "outside": "Hors du livret",
    # problems
    "problems": "Problèmes",
    "problems_here": "Problèmes de cette fiche",
    "problems_elsewhere": "{count} ailleurs dans l’édition",
    "level_error": "erreur",
    "level_warning": "avertissement",
    "where_project": "projet",
    # the fiche
    "fiche": "Fiche",
    "fiche_edited": "Fiche enregistrée à {time}",
    "fiche_first": "Première fiche de l’édition",
    "fiche_chosen": "Fiche choisie dans le sommaire",
    "in_booklet_one": "page {first} du livret",
    "in_booklet": "pages {first} à {last} du livret",
    "not_in_booklet": "pas encore dans le livret",
    "preview_ahead": "Aperçu de la fiche seule ; le livret suit.",
    "last_good": "Dernier aperçu valide, avant l’erreur signalée ci-dessus.",
    "no_preview": "Pas encore d’aperçu : corrigez l’erreur signalée ci-dessus.",
    "draft": "Brouillon : cette fiche n’est pas publiée tant que son en-tête dit « draft: true ».",
    "not_selected": "Cette fiche n’est pas dans la sélection de cet aperçu (--select).",
    "fiche_page_alt": "« {title} », page {n} sur {total}",
    "downloads": "Télécharger",
    "download_handout": "Fiche à imprimer (PDF)",
    "download_docx": "Fiche (Word)",
    "no_fiche": "Aucune fiche publiée pour l’instant : écrivez-en une dans fiches/ (recueil new \"Titre\").",
    # the booklet
    "booklet": "Livret",
    "booklet_none": "Le livret n’a pas encore été construit.",
    "download_booklet_pdf": "Livret (PDF)",
    "download_booklet_docx": "Livret (Word)",
    "open_booklet": "Ouvrir le livret à la page {n}",
    "front": "Couverture et sommaire",
    "fiche_in_booklet": "La fiche dans le livret",
    "indexes": "Index et dernières pages",
    "all_pages": "Toutes les pages ({n})",
    "page_alt": "Page {n} du livret",
    "built_at": "construit à {time}",
    # the build's stages, as the status line names them (unknown ones: "mise à jour")
    "stage_default": "mise à jour",
}

STAGES = {
    "up to date?": "vérification",
    "read": "lecture des fiches",
    "assemble": "assemblage",
    "docx": "fichiers Word",
    "docx: rest": "fichiers Word",
    "handouts": "fiches à imprimer",
    "booklet: fiches": "mise en page des fiches",
    "booklet: front, indexes, furniture": "sommaire et index",
    "booklet: assembly": "assemblage du PDF",
    "booklet: html": "version HTML",
    "booklet (PDF/A)": "PDF/A",
    "impose": "imposition",
    "write": "écriture dans output/",
}


def text(key: str, **values) -> str:
    return TEXTS[key].format(**values)


def count(key: str, n: int) -> str:
    """« 1 fiche », « 3 fiches »: French takes the singular for 0 and 1."""
    one, many = TEXTS[key]
    return (one if n <= 1 else many).format(n=f"{n:,}".replace(",", "\u202f"))


def stage(name: str) -> str:
    return STAGES.get(name, TEXTS["stage_default"])
