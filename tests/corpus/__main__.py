"""``python -m tests.corpus [--write docs/corpus.md] [--only NAME] [--defect NAME] [--no-sweeps]``

Builds every corpus project, scores its clean version and each planted defect with
``pytest --mlscore``, runs the drift and bias sweeps, and prints the table. Exits 0 when
the targets hold (no false failure, every defect caught, no false alarm in the sweeps).
``--flavours`` runs the LightGBM and XGBoost flavours instead (no sweeps: they call the
checks on the scikit-learn Adult model); ``--only`` also takes a flavoured project's name.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from tests.corpus import table
from tests.corpus.defects import DEFECTS
from tests.corpus.projects import FLAVOURED, PROJECTS
from tests.corpus.run import CorpusResult, combine, load, run_corpus, save
from tests.corpus.sweeps import Sweep


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.corpus", description=__doc__)
    parser.add_argument("--write", type=Path, help="put the table into this Markdown file")
    parser.add_argument(
        "--only", action="append", default=[],
        choices=[p.name for p in (*PROJECTS, *FLAVOURED)],
        help="run only this project (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--flavours", action="store_true",
        help="run the LightGBM and XGBoost flavours (docs/corpus.md), without the sweeps",
    )  # fmt: skip
    parser.add_argument(
        "--defect", action="append", default=[], choices=[d.name for d in DEFECTS],
        help="plant only this defect (repeatable)",
    )  # fmt: skip
    parser.add_argument("--no-sweeps", action="store_true", help="skip the drift/bias sweeps")
    parser.add_argument("--no-projects", action="store_true", help="run only the sweeps")
    parser.add_argument("--keep", type=Path, help="build the projects here and keep them")
    parser.add_argument("--save", type=Path, help="also save the result as JSON (after each run)")
    parser.add_argument(
        "--combine", type=Path, nargs="+",
        help="run nothing: combine results saved with --save into one table",
    )  # fmt: skip
    options = parser.parse_args(argv)
    result = combine([load(path) for path in options.combine]) if options.combine else _run(options)
    print(table.render_flavours(result) if table.is_flavours(result) else table.render(result))
    if options.write:
        table.write(result, options.write)
        print(f"wrote {options.write}", file=sys.stderr)
    if options.save:
        save(result, options.save)
    sweep_alarms = sum(
        sweep.false_alarms(size)[0]
        for sweep in result.sweeps
        if isinstance(sweep, Sweep)
        for size in {cell.size for cell in sweep.cells}
    )
    return 0 if result.false_failures == 0 and result.missed == 0 and sweep_alarms == 0 else 1


def _after_each(options: argparse.Namespace) -> Callable[[CorpusResult], None]:
    def after_each(partial: CorpusResult) -> None:
        if options.write:
            table.write(partial, options.write)
        if options.save:
            save(partial, options.save)

    return after_each


def _run(options: argparse.Namespace) -> CorpusResult:
    only = [*options.only, *(p.name for p in FLAVOURED if options.flavours)]
    return run_corpus(
        only=only,
        defects=options.defect,
        sweeps=not (options.no_sweeps or options.flavours),
        projects=not options.no_projects,
        workdir=options.keep,
        # the table so far after each run: a long run can be read while it runs
        after_each=_after_each(options),
    )


if __name__ == "__main__":
    sys.exit(main())
