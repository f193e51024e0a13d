"""Scoring exactly as the paper says, as pure functions on plain values.

evidence per item -> status -> points -> section sums -> final = minimum of sections -> band.
Nothing here knows about pytest; the plugin and the CLI both feed it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from mltestscore.rubric import Rubric


class Status(enum.StrEnum):
    AUTOMATED = "automated"
    MANUAL = "manual"
    FAILING = "failing"
    MISSING = "missing"


class CreditMode(enum.StrEnum):
    """How a claiming test earns automated credit.

    ``passed`` (the default, stricter than the paper): it must pass, and any failing claim
    makes the item failing. ``present`` (the paper-literal reading): a test that ran counts,
    whatever its outcome.
    """

    PASSED = "passed"
    PRESENT = "present"


class Signal(enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    NONE = "none"


# What one piece of evidence says about its items, per credit mode. Test outcomes come from
# pytest (xpassed is a test its author expects to fail: no credit either way); check outcomes
# from CheckResult.
_TEST_SIGNALS = {
    CreditMode.PASSED: {
        "passed": Signal.PASS,
        "failed": Signal.FAIL,
        "error": Signal.FAIL,
        "skipped": Signal.NONE,
        "xfailed": Signal.NONE,
        "xpassed": Signal.NONE,
    },
    CreditMode.PRESENT: {
        "passed": Signal.PASS,
        "failed": Signal.PASS,
        "error": Signal.NONE,
        "skipped": Signal.NONE,
        "xfailed": Signal.PASS,
        "xpassed": Signal.PASS,
    },
}
_CHECK_SIGNALS = {
    CreditMode.PASSED: {
        "passed": Signal.PASS,
        "failed": Signal.FAIL,
        "error": Signal.FAIL,
        "not_applicable": Signal.NONE,
    },
    CreditMode.PRESENT: {
        "passed": Signal.PASS,
        "failed": Signal.PASS,
        "error": Signal.NONE,
        "not_applicable": Signal.NONE,
    },
}


def signal_of_test(outcome: str, mode: CreditMode) -> Signal:
    return _TEST_SIGNALS[mode][outcome]


def signal_of_check(outcome: str, mode: CreditMode) -> Signal:
    return _CHECK_SIGNALS[mode][outcome]


def item_status(signals: Iterable[Signal], has_valid_attestation: bool) -> Status:
    """A failing signal beats everything (an attestation cannot hide a failing test); then
    a passing one makes the item automated; then a valid attestation makes it manual."""
    seen = set(signals)
    if Signal.FAIL in seen:
        return Status.FAILING
    if Signal.PASS in seen:
        return Status.AUTOMATED
    return Status.MANUAL if has_valid_attestation else Status.MISSING


def item_points(status: Status, rubric: Rubric) -> float:
    points = rubric.points
    return {
        Status.AUTOMATED: points.automated,
        Status.MANUAL: points.manual,
        Status.FAILING: points.missing,
        Status.MISSING: points.missing,
    }[status]


def _tidy(value: float) -> float:
    """Section sums of halves are exact in binary; rounding guards user rubrics with other
    point values against 0.1 + 0.2 style drift at band edges."""
    return round(value, 9) + 0.0


def section_scores(rubric: Rubric, statuses: Mapping[str, Status]) -> dict[str, float]:
    return {
        section.id: _tidy(sum(item_points(statuses[i.id], rubric) for i in section.items))
        for section in rubric.sections
    }


def final_score(sections: Mapping[str, float]) -> float:
    """The paper's rule: every section matters, so the final score is the minimum."""
    return min(sections.values())


@dataclass(frozen=True)
class NextStep:
    item_id: str
    status: Status
    final_before: float
    final_after: float

    @property
    def gain(self) -> float:
        return _tidy(self.final_after - self.final_before)


def next_steps(rubric: Rubric, statuses: Mapping[str, Status], count: int = 3) -> list[NextStep]:
    """The items that would raise the final score most, in the order to do them.

    Greedy: each step automates the item that gives the highest final score given the steps
    before it. Ties go to the item in the weakest section, then to the one gaining more
    points, then to rubric order. With two sections tied at the minimum no single item
    raises the final score, but the plan still leads through both of them.
    """
    current = dict(statuses)
    order = {item_id: index for index, item_id in enumerate(rubric.item_ids)}
    section_of = {item.id: item.section for item in rubric.items}
    plan: list[NextStep] = []
    for _ in range(count):
        sections = section_scores(rubric, current)
        before = final_score(sections)
        best: tuple[tuple[float, float, float, int], NextStep] | None = None
        for item_id, status in current.items():
            if status is Status.AUTOMATED:
                continue
            trial = dict(current)
            trial[item_id] = Status.AUTOMATED
            after = final_score(section_scores(rubric, trial))
            gain = item_points(Status.AUTOMATED, rubric) - item_points(status, rubric)
            key = (after, -sections[section_of[item_id]], gain, -order[item_id])
            if best is None or key > best[0]:
                best = (key, NextStep(item_id, status, before, after))
        if best is None:
            break
        plan.append(best[1])
        current[best[1].item_id] = Status.AUTOMATED
    return plan


def weakest_sections(sections: Mapping[str, float]) -> list[str]:
    lowest = final_score(sections)
    return [section for section, score in sections.items() if score == lowest]


def statuses_from_signals(
    rubric: Rubric,
    signals: Mapping[str, Sequence[Signal]],
    attested: Iterable[str],
) -> dict[str, Status]:
    valid = set(attested)
    return {
        item_id: item_status(signals.get(item_id, ()), item_id in valid)
        for item_id in rubric.item_ids
    }
