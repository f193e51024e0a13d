"""The scoring rules, by example: each case is a sentence of the paper or of issue #2."""

from __future__ import annotations

import pytest

from mltestscore.rubric import load_rubric
from mltestscore.scoring import (
    CreditMode,
    Signal,
    Status,
    final_score,
    item_status,
    next_steps,
    section_scores,
    signal_of_check,
    signal_of_test,
)

RUBRIC_2017 = load_rubric("ml-test-score-2017")
RUBRIC_2016 = load_rubric("ml-test-score-2016")


def statuses(**overrides: Status) -> dict[str, Status]:
    base = {item_id: Status.MISSING for item_id in RUBRIC_2017.item_ids}
    base.update({key.replace("_", "-"): value for key, value in overrides.items()})
    return base


def band_of(score: float, rubric=RUBRIC_2017) -> str:
    return rubric.band_interval(rubric.band_index(score))


@pytest.mark.parametrize(
    ("score", "interval"),
    [
        (0, "0"),
        (0.5, "(0, 1]"),
        (1.0, "(0, 1]"),
        (1.5, "(1, 2]"),
        (2.0, "(1, 2]"),
        (3.0, "(2, 3]"),
        (5.0, "(3, 5]"),
        (5.5, ">5"),
        (7.0, ">5"),
    ],
)
def test_bands_are_half_open_on_the_left(score: float, interval: str) -> None:
    assert band_of(score) == interval


def test_the_2016_bands_are_the_2017_bands_doubled() -> None:
    assert [band_of(s, RUBRIC_2016) for s in (0, 2, 2.5, 10, 10.5)] == [
        "0",
        "(0, 2]",
        "(2, 4]",
        "(6, 10]",
        ">10",
    ]


def test_a_section_is_the_sum_of_its_items_and_the_final_score_is_the_minimum() -> None:
    current = statuses(data_1=Status.AUTOMATED, data_2=Status.MANUAL, model_1=Status.AUTOMATED)
    for item_id in ("infra-1", "infra-2", "monitor-1", "monitor-2", "monitor-3"):
        current[item_id] = Status.AUTOMATED
    sections = section_scores(RUBRIC_2017, current)
    assert sections == {"data": 1.5, "model": 1.0, "infra": 2.0, "monitor": 3.0}
    assert final_score(sections) == 1.0


def test_the_2016_rubric_scores_one_point_manual_and_two_automated() -> None:
    current = statuses(data_1=Status.AUTOMATED, data_2=Status.MANUAL)
    assert section_scores(RUBRIC_2016, current)["data"] == 3.0
    assert section_scores(RUBRIC_2017, current)["data"] == 1.5


def test_a_failing_test_beats_a_passing_test_and_an_attestation() -> None:
    assert item_status([Signal.PASS, Signal.FAIL], has_valid_attestation=True) is Status.FAILING


def test_an_attestation_alone_makes_an_item_manual() -> None:
    assert item_status([], has_valid_attestation=True) is Status.MANUAL
    assert item_status([Signal.NONE], has_valid_attestation=False) is Status.MISSING


@pytest.mark.parametrize("outcome", ["skipped", "xfailed", "xpassed"])
def test_skipped_and_xfailed_tests_earn_nothing_in_the_default_mode(outcome: str) -> None:
    assert signal_of_test(outcome, CreditMode.PASSED) is Signal.NONE


def test_the_present_mode_credits_a_test_that_ran_whatever_its_outcome() -> None:
    assert signal_of_test("failed", CreditMode.PRESENT) is Signal.PASS
    assert signal_of_test("skipped", CreditMode.PRESENT) is Signal.NONE
    assert signal_of_check("failed", CreditMode.PRESENT) is Signal.PASS


def test_a_check_that_does_not_apply_earns_nothing() -> None:
    assert signal_of_check("not_applicable", CreditMode.PASSED) is Signal.NONE


def test_next_steps_start_in_the_weakest_section() -> None:
    current = statuses()
    for item_id in RUBRIC_2017.item_ids:
        if not item_id.startswith("infra"):
            current[item_id] = Status.AUTOMATED
    plan = next_steps(RUBRIC_2017, current)
    assert [step.item_id for step in plan] == ["infra-1", "infra-2", "infra-3"]
    assert [step.final_after for step in plan] == [1.0, 2.0, 3.0]


def test_next_steps_prefer_fixing_a_manual_item_only_when_it_raises_the_score_most() -> None:
    current = statuses()
    for item_id in RUBRIC_2017.item_ids:
        current[item_id] = Status.AUTOMATED
    current["model-3"] = Status.MANUAL
    current["data-4"] = Status.FAILING
    plan = next_steps(RUBRIC_2017, current)
    assert plan[0].item_id == "data-4"
    assert plan[0].gain == 0.5  # data goes 6 -> 7, final min(6.5, 7, ...) = 6.5 - 6
    assert plan[1].item_id == "model-3"
