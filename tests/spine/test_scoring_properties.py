"""Properties of the scoring engine that must hold for every input, checked with hypothesis."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mltestscore.rubric import load_rubric
from mltestscore.scoring import (
    CreditMode,
    Signal,
    Status,
    final_score,
    next_steps,
    section_scores,
    signal_of_test,
    statuses_from_signals,
)

RUBRIC = load_rubric("ml-test-score-2017")
RUBRIC_2016 = load_rubric("ml-test-score-2016")
IDS = RUBRIC.item_ids
OUTCOMES = ["passed", "failed", "error", "skipped", "xfailed", "xpassed"]

status_maps = st.fixed_dictionaries({item_id: st.sampled_from(list(Status)) for item_id in IDS})
outcome_maps = st.dictionaries(st.sampled_from(IDS), st.lists(st.sampled_from(OUTCOMES)))
attested_sets = st.sets(st.sampled_from(IDS))


def score_of(outcomes: dict[str, list[str]], attested: set[str], mode: CreditMode) -> tuple:
    signals = {i: [signal_of_test(o, mode) for o in found] for i, found in outcomes.items()}
    sections = section_scores(RUBRIC, statuses_from_signals(RUBRIC, signals, attested))
    return final_score(sections), sections


@given(status_maps)
def test_the_final_score_is_the_minimum_of_the_sections(statuses: dict[str, Status]) -> None:
    sections = section_scores(RUBRIC, statuses)
    assert final_score(sections) == min(sections.values())


@given(status_maps)
def test_scores_stay_within_bounds_and_move_in_half_points(statuses: dict[str, Status]) -> None:
    sections = section_scores(RUBRIC, statuses)
    for score in sections.values():
        assert 0 <= score <= 7
        assert (score * 2) == int(score * 2)
    doubled = section_scores(RUBRIC_2016, statuses)
    assert doubled == {k: 2 * v for k, v in sections.items()}


@given(outcome_maps, attested_sets, st.sampled_from(IDS), st.booleans())
def test_adding_a_passing_test_or_an_attestation_never_lowers_a_score(
    outcomes: dict[str, list[str]], attested: set[str], item_id: str, attest: bool
) -> None:
    before_final, before = score_of(outcomes, attested, CreditMode.PASSED)
    if attest:
        attested = attested | {item_id}
    else:
        outcomes = {**outcomes, item_id: [*outcomes.get(item_id, []), "passed"]}
    after_final, after = score_of(outcomes, attested, CreditMode.PASSED)
    assert after_final >= before_final
    assert all(after[s] >= before[s] for s in before)


@given(outcome_maps, attested_sets, st.sampled_from(IDS), st.sampled_from(OUTCOMES))
def test_in_the_paper_literal_mode_no_test_outcome_lowers_a_score(
    outcomes: dict[str, list[str]], attested: set[str], item_id: str, outcome: str
) -> None:
    before_final, _ = score_of(outcomes, attested, CreditMode.PRESENT)
    outcomes = {**outcomes, item_id: [*outcomes.get(item_id, []), outcome]}
    after_final, _ = score_of(outcomes, attested, CreditMode.PRESENT)
    assert after_final >= before_final


@given(outcome_maps, st.sampled_from(IDS))
def test_a_failing_claim_always_zeroes_its_item(
    outcomes: dict[str, list[str]], item_id: str
) -> None:
    outcomes = {**outcomes, item_id: [*outcomes.get(item_id, []), "failed"]}
    signals = {i: [signal_of_test(o, CreditMode.PASSED) for o in f] for i, f in outcomes.items()}
    statuses = statuses_from_signals(RUBRIC, signals, attested=IDS)
    assert statuses[item_id] is Status.FAILING


@given(st.integers(min_value=0, max_value=14).map(lambda n: n / 2))
def test_every_score_falls_in_exactly_the_band_its_interval_names(score: float) -> None:
    index = RUBRIC.band_index(score)
    uppers = [band.upper for band in RUBRIC.bands]
    lower = uppers[index - 1] if index > 0 else None
    upper = uppers[index]
    assert upper is None or score <= upper
    if lower is None:
        assert score == 0
    else:
        assert score > lower


@given(status_maps)
def test_following_the_next_steps_never_lowers_the_score(statuses: dict[str, Status]) -> None:
    plan = next_steps(RUBRIC, statuses, count=5)
    finals = [step.final_after for step in plan]
    start = final_score(section_scores(RUBRIC, statuses))
    assert finals == sorted(finals)
    assert all(f >= start for f in finals)
    assert all(statuses[step.item_id] is not Status.AUTOMATED for step in plan)


def test_signals_cover_every_pytest_outcome_in_both_modes() -> None:
    for mode in CreditMode:
        assert {signal_of_test(o, mode) for o in OUTCOMES} <= set(Signal)
