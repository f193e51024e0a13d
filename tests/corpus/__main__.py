"""``python -m tests.corpus [--write docs/corpus.md] [--only NAME] [--defect NAME] [--no-sweeps]``

Builds every corpus project, scores its clean version and each planted defect with
``pytest --mlscore``, runs the drift and bias sweeps, and prints the table. Exits 0 when
the targets hold (no false failure, every defect caught, no false alarm in the sweeps).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.corpus import table
from tests.corpus.defects import DEFECTS
from tests.corpus.projects import PROJECTS
from tests.corpus.run import run_corpus
from tests.corpus.sweeps import Sweep


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.corpus", description=__doc__)
    parser.add_argument("--write", type=Path, help="put the table into this Markdown file")
    parser.add_argument(
        "--only", action="append", default=[], choices=[p.name for p in PROJECTS],
        help="run only this project (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--defect", action="append", default=[], choices=[d.name for d in DEFECTS],
        help="plant only this defect (repeatable)",
    )  # fmt: skip
    parser.add_argument("--no-sweeps", action="store_true", help="skip the drift/bias sweeps")
    parser.add_argument("--no-projects", action="store_true", help="run only the sweeps")
    parser.add_argument("--keep", type=Path, help="build the projects here and keep them")
    options = parser.parse_args(argv)
    result = run_corpus(
        only=options.only,
        defects=options.defect,
        sweeps=not options.no_sweeps,
        projects=not options.no_projects,
        workdir=options.keep,
        # the table so far after each project: a long run can be read while it runs
        after_each=(lambda partial: table.write(partial, options.write)) if options.write else None,
    )
    print(table.render(result))
    if options.write:
        table.write(result, options.write)
        print(f"wrote {options.write}", file=sys.stderr)
    sweep_alarms = sum(
        sweep.false_alarms(size)[0]
        for sweep in result.sweeps
        if isinstance(sweep, Sweep)
        for size in {cell.size for cell in sweep.cells}
    )
    return 0 if result.false_failures == 0 and result.missed == 0 and sweep_alarms == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
