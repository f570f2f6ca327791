"""Structure elements as pikepdf objects: what reading the tree WeasyPrint wrote takes
(part.written_tree, nodes.export). Recueil's own work is on nodes (nodes.py).

An element's /K is one kid or an array of them; a kid is a marked-content id (an int,
"on the element's /Pg"), a marked-content reference (MCR: /Pg and /MCID), an object
reference (OBJR: an annotation) or another element.
"""

from __future__ import annotations

from pikepdf import Array, Dictionary


def kids(e: Dictionary) -> list:
    """An element's /K as a list: MCIDs (int), MCR/OBJR dictionaries, elements."""
    k = e.get("/K")
    return [] if k is None else list(k) if isinstance(k, Array) else [k]


def is_elem(k) -> bool:
    return isinstance(k, Dictionary) and "/S" in k
