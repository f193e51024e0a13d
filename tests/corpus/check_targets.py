"""The corpus targets as tests: no false failure on a clean project, every planted defect
caught at its stated strength, no false alarm in the drift and bias sweeps.

Not part of the default run (the file name does not match ``test_*.py``, so ``pytest`` and
``tox -e py`` never collect it): ``tox -e corpus`` names it explicitly. The whole corpus runs
once per session (several minutes); the table is written to ``reports/corpus.md``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from tests.corpus import table
from tests.corpus.defects import DEFECTS
from tests.corpus.projects import PROJECTS
from tests.corpus.run import CorpusResult, Run, Verdict, run_corpus
from tests.corpus.sweeps import SIZES, Sweep

REPORT = Path(__file__).resolve().parent.parent.parent / "reports" / "corpus.md"

# What the corpus still shows against its targets, as explicit data (the way scikit-learn's
# check battery lists expected failures): each entry says why it is open. An item listed
# here may fail without failing the test; any other failure fails it. An entry that no
# longer fails is reported with a warning so it can be removed. Issue 15 stays open until
# both are empty.
_IMPORTANCE = (
    "data-2 flags features whose permutation importance is not clearly above 0; on small "
    "or redundant data that is a lack of power, not a finding (issue 15: judge 'clearly "
    "useless' instead)"
)
KNOWN_FALSE_FAILURES: dict[str, dict[str, str]] = {
    "breast-cancer": {"mlscore::data-2::importance": _IMPORTANCE},
    "adult-income": {
        "mlscore::data-2::importance": _IMPORTANCE,
        "mlscore::model-6::slices[education]": (
            "a real weaker slice of the Adult data (Doctorate, 65 rows, AUC CI below the "
            "limit): a property of the data, not a planted defect; whether the default "
            "limit should call it failing is open"
        ),
        "mlscore::model-6::weak_segments": (
            "a real weak two-feature segment of the Adult data (121 rows): as above"
        ),
    },
    "wine": {"mlscore::data-2::importance": _IMPORTANCE},
    "diabetes": {"mlscore::data-2::importance": _IMPORTANCE},
    "adult-hours": {
        "mlscore::data-2::importance": _IMPORTANCE,
        "mlscore::model-3::tuning": (
            "a boosted model with default settings on 8,000 rows: the better neighbour may be "
            "real; the tuning check's power against the corrected t-test is not yet measured"
        ),
        "mlscore::model-6::slices[workclass]": (
            "real weaker slices of the Adult data (self-employed hours are harder to predict)"
        ),
    },
}
_WEAK_BIAS = (
    "the fairness check's intervals on groups of 40-60 test rows are too wide for a 50% "
    "label gap (bias sweep: caught every time only from 1,000 rows); regression fairness "
    "judges one measure only"
)
KNOWN_MISSES: dict[tuple[str, str], str] = {
    ("breast-cancer", "bias"): _WEAK_BIAS,
    ("diabetes", "bias"): _WEAK_BIAS,
    ("adult-hours", "bias"): _WEAK_BIAS,
    ("wine", "leakage"): (
        "the wine forest barely leans on the leaked column: served macro F1 0.98 on 36 rows, "
        "so monitor-7 has no harm to see; a leakage check of its own (a feature that alone "
        "predicts the target) is the missing piece"
    ),
}


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
    known = KNOWN_FALSE_FAILURES.get(name, {})
    failing = run.with_outcome("failed", "error")
    bad = [f"{i.nodeid} {i.outcome}: {i.reason}" for i in failing if i.nodeid not in known]
    assert not bad, "false failures:\n" + "\n".join(bad)
    fixed = sorted(set(known) - {i.nodeid for i in failing})
    if fixed:
        warnings.warn(
            f"{name}: no longer failing, remove from KNOWN_FALSE_FAILURES: {fixed}", stacklevel=2
        )


@pytest.mark.parametrize("defect", [d.name for d in DEFECTS])
@pytest.mark.parametrize("name", [p.name for p in PROJECTS])
def test_a_planted_defect_is_caught_by_the_items_that_must_catch_it(
    corpus: CorpusResult, name: str, defect: str
) -> None:
    verdict = _verdict(corpus, name, defect)
    if verdict.caught is None:
        pytest.skip(f"not plantable here: {verdict.evidence}")
    if (name, defect) in KNOWN_MISSES:
        if verdict.caught:
            warnings.warn(f"{name} {defect}: caught now, remove it from KNOWN_MISSES", stacklevel=2)
        return
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
