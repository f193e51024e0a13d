"""The corpus targets as tests: no false failure on a clean project, every planted defect
caught at its stated strength, no false alarm in the drift and bias sweeps.

Not part of the default run (the file name does not match ``test_*.py``, so ``pytest`` and
``tox -e py`` never collect it): ``tox -e corpus`` names it explicitly. The whole corpus runs
once per session (several minutes); the table is written to ``reports/corpus.md``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.corpus import table
from tests.corpus.defects import DEFECTS
from tests.corpus.projects import PROJECTS
from tests.corpus.run import CorpusResult, Run, Verdict, run_corpus
from tests.corpus.sweeps import SIZES, Sweep

REPORT = Path(__file__).resolve().parent.parent.parent / "reports" / "corpus.md"


@pytest.fixture(scope="session")
def corpus() -> CorpusResult:
    result = run_corpus(progress=True)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("# Corpus run\n\n" + table.render(result))
    return result


def _clean(corpus: CorpusResult, name: str) -> Run:
    return next(run for run in corpus.clean if run.project == name)


def _verdict(corpus: CorpusResult, project: str, defect: str) -> Verdict:
    return next(v for v in corpus.verdicts if v.project == project and v.defect == defect)


@pytest.mark.parametrize("name", [p.name for p in PROJECTS])
def test_a_clean_project_has_no_failing_or_erroring_generated_item(
    corpus: CorpusResult, name: str
) -> None:
    run = _clean(corpus, name)
    assert run.items, f"pytest --mlscore ran no generated item: {run.notes}"
    bad = [f"{i.nodeid} {i.outcome}: {i.reason}" for i in run.with_outcome("failed", "error")]
    assert not bad, "false failures:\n" + "\n".join(bad)


@pytest.mark.parametrize("defect", [d.name for d in DEFECTS])
@pytest.mark.parametrize("name", [p.name for p in PROJECTS])
def test_a_planted_defect_is_caught_by_the_items_that_must_catch_it(
    corpus: CorpusResult, name: str, defect: str
) -> None:
    verdict = _verdict(corpus, name, defect)
    if verdict.caught is None:
        pytest.skip(f"not plantable here: {verdict.evidence}")
    assert verdict.caught, (
        f"{defect} ({verdict.strength}) missed by {', '.join(verdict.must_catch)}: "
        f"{verdict.evidence}"
    )


@pytest.mark.parametrize("sweep_name", ["drift", "bias"])
@pytest.mark.parametrize("size", SIZES)
def test_a_sweep_raises_no_false_alarm_on_unchanged_data(
    corpus: CorpusResult, sweep_name: str, size: int
) -> None:
    sweep = next(s for s in corpus.sweeps if isinstance(s, Sweep) and s.name == sweep_name)
    flagged, draws = sweep.false_alarms(size)
    assert draws, f"the {sweep_name} sweep has no zero-effect draws at {size} rows"
    assert flagged == 0, f"{flagged} of {draws} clean draws of {size} rows flagged {sweep_name}"


def test_the_largest_sweep_size_catches_the_largest_effect(corpus: CorpusResult) -> None:
    for sweep in corpus.sweeps:
        assert isinstance(sweep, Sweep)
        assert sweep.smallest_caught(max(SIZES)) is not None, (
            f"the {sweep.name} sweep caught no effect even at {max(SIZES)} rows"
        )
