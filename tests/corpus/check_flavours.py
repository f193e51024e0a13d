"""The corpus in a LightGBM and an XGBoost flavour (issue 16) as tests: the same targets as
``check_targets.py`` (no false failure on a clean project, every planted defect caught at its
stated strength) on a project of each task with its model swapped for the library's
scikit-learn estimator (``FLAVOURED`` in ``projects.py``).

Not part of the default run (the file name does not match ``test_*.py``): ``tox -e models``
names it, under ``pytest -n 2 --dist loadscope``. Each flavoured project (its clean run and
its defects) is one part and one test class (``TestFlavour_digits_lightgbm``), which
loadscope sends whole to one worker, so each part runs once. (Not ``xdist_group`` marks with
``--dist loadgroup``: under pytest 9, pytest-xdist 3.8's group suffix on the node id is lost,
the groups are split between the workers, and each worker ran every part it got a test of,
doubling the work.) The table of every part is written to ``reports/corpus-flavours.md``. What a flavour still shows against the targets is listed in
``check_targets.py``'s known-lists, under the flavoured project's name (``digits-lightgbm``).
A flavour whose library is not installed is skipped.

CI plants the defects the model changes (``MODEL_DEFECTS``); the others' must-catch checks read
the data alone, so their verdicts are the scikit-learn corpus' on the same data (``tox -e
corpus``). ``CORPUS_FLAVOURS_ALL_DEFECTS=1`` plants every defect (docs/corpus.md's table is
such a run).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from tests.corpus import table
from tests.corpus.check_targets import judge_clean as judge_clean_run
from tests.corpus.check_targets import judge_planted
from tests.corpus.defects import DEFECTS
from tests.corpus.projects import FLAVOURED, project
from tests.corpus.run import CorpusResult, Run, Verdict, combine, load, run_corpus, save

REPORTS = Path(__file__).resolve().parent.parent.parent / "reports"
REPORT = REPORTS / "corpus-flavours.md"
PARTS = REPORTS / "corpus-flavours-parts"
_parts: dict[str, CorpusResult] = {}
# leakage: monitor-3 must catch it on the data, monitor-7's verdict on the model's served
# quality is reported beside it; bias: model-7 the model's outcomes by group; slow: monitor-6
# the model's predict time. pii (data-5), drift and skew (monitor-3) and the broken feature
# function (monitor-2) are judged on the data files alone.
MODEL_DEFECTS = ("leakage", "bias", "slow")
ALL_DEFECTS = os.environ.get("CORPUS_FLAVOURS_ALL_DEFECTS") == "1"


def _part(name: str) -> CorpusResult:
    """A flavoured project's clean run and defects, run once per process, saved beside the
    report; the report is the table of every saved part."""
    library = project(name).model
    if importlib.util.find_spec(library) is None:
        pytest.skip(f"{library} is not installed (tox -e models installs it)")
    if name not in _parts:
        planted = [d.name for d in DEFECTS if ALL_DEFECTS or d.name in MODEL_DEFECTS]
        result = run_corpus(only=[name], defects=planted, sweeps=False, progress=True)
        _parts[name] = result
        PARTS.mkdir(parents=True, exist_ok=True)
        save(result, PARTS / f"{name}.json")
        combined = combine([load(path) for path in sorted(PARTS.glob("*.json"))])
        temporary = REPORT.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(
            "# Corpus run: the LightGBM and XGBoost flavours\n\n" + table.render_flavours(combined)
        )
        temporary.replace(REPORT)
    return _parts[name]


def _clean(name: str) -> Run:
    return next(run for run in _part(name).clean if run.project == name)


def _verdict(name: str, defect: str) -> Verdict:
    return next(v for v in _part(name).verdicts if v.project == name and v.defect == defect)


def judge_clean(name: str) -> None:
    judge_clean_run(name, _clean(name))


def judge_defect(name: str, defect: str) -> None:
    if not ALL_DEFECTS and defect not in MODEL_DEFECTS:
        pytest.skip(
            f"{defect}: its must-catch check reads the data alone, judged by tox -e corpus on "
            "the same data (CORPUS_FLAVOURS_ALL_DEFECTS=1 plants it here too)"
        )
    judge_planted(name, defect, _verdict(name, defect))


def _flavour_tests(name: str) -> type:
    """The tests of one flavoured project, as a class: loadscope's unit of distribution."""

    class Flavour:
        def test_a_clean_flavoured_project_has_no_failing_or_erroring_generated_item(
            self,
        ) -> None:
            judge_clean(name)

        @pytest.mark.parametrize("defect", [d.name for d in DEFECTS])
        def test_a_planted_defect_is_caught_in_the_flavour_too(self, defect: str) -> None:
            judge_defect(name, defect)

    Flavour.__name__ = Flavour.__qualname__ = "TestFlavour_" + name.replace("-", "_")
    return Flavour


for _spec in FLAVOURED:
    _class = _flavour_tests(_spec.name)
    globals()[_class.__name__] = _class
