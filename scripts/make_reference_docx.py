"""Write a reference.docx made from a layout's design tokens, to restyle in Word.

Recueil makes the Word fiches' styles from the design tokens by itself
(generator/render/word/design_reference.py): nothing needs this script to build. It is
for a person who prefers to restyle in Word: write the reference, edit it in Word, save
it as the project's layouts/brochure/reference.docx, which is then used as it is
(docs/word.md).

    python scripts/make_reference_docx.py [OUT.docx] [--project DIR] [--layout NAME]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main(argv: list[str]) -> int:
    from generator.diagnostics import InputError, Report
    from generator.read.layouts import load_layout
    from generator.read.project import read_project
    from generator.render.word.design_reference import reference_for

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="reference.docx")
    parser.add_argument("--project", default=".")
    parser.add_argument("--layout", default=None)
    args = parser.parse_args(argv[1:])
    report = Report()
    project = read_project(Path(args.project).resolve(), report)
    if project is None:
        print("\n".join(str(d) for d in report.items), file=sys.stderr)
        return 1
    try:
        layout = load_layout(project, args.layout or project.publication.layout)
    except InputError as e:
        print("\n".join(str(d) for d in e.report.items), file=sys.stderr)
        return 1
    Path(args.out).write_bytes(reference_for(layout.design))
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
