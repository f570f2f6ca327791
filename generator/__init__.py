"""Recueil: a folder of fiches becomes a PDF booklet and one Word document per fiche."""

__version__ = "0.1.0"
