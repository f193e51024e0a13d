"""Computing performance (monitor-6): the decision rule on samples, and the check end to end
with fake models of fixed cost. The verdict tests run on a virtual clock that the fake models
and the reference workload advance by the work planted, so no verdict asserted here rests on how
loaded this machine is; the tests on the real clocks assert only what load cannot change."""

from __future__ import annotations

import itertools
import json
import random
import time
import types
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mltestscore.checks import performance
from mltestscore.checks.performance import (
    KEPT_RUNS,
    check_computing_performance,
    compare_timings,
    read_history,
    regression,
    relative,
    slow_leak,
    tail_ratio_interval,
)
from mltestscore.checks.result import Outcome

FAST = {"single_calls": 20, "batch_size": 50, "batch_calls": 6}


class CpuBound:
    """A model whose every call costs ``milliseconds`` of CPU time: a fixed amount of work,
    the CPU clock's counterpart of a fixed sleep (a busy core elsewhere does not change it)."""

    def __init__(self, milliseconds: float, slow_calls: int = 0, slow_factor: float = 1.0) -> None:
        self.seconds = milliseconds / 1000.0
        self.slow_calls = slow_calls  # the first calls cost slow_factor times more
        self.slow_factor = slow_factor
        self.calls = 0

    def predict(self, X: Any) -> Any:
        self.calls += 1
        factor = self.slow_factor if self.calls <= self.slow_calls else 1.0
        end = time.process_time() + self.seconds * factor
        while time.process_time() < end:
            pass
        return np.zeros(len(X))


class VirtualClock:
    """The judged clock of the verdict tests: it moves only when the reference workload or a
    planted model spends time on it, by the planted amount with a seeded +-5% jitter.

    Why not the real clocks: on this 2-core machine a busy neighbour slows the reference
    workload (fixed work) but not a model that busy-waits a fixed CPU time, so a planted 2x
    slowdown once read about 1x in reference units and the regression test passed a model it
    had to fail.
    """

    REFERENCE_MS = 0.15

    def __init__(self, seed: int = 0) -> None:
        self.seconds = 0.0
        self.jitter = random.Random(seed)

    def read(self) -> float:
        return self.seconds

    def spend(self, milliseconds: float) -> None:
        self.seconds += milliseconds / 1000.0 * self.jitter.uniform(0.95, 1.05)


class Planted:
    """A model whose every call spends ``milliseconds`` on the virtual clock; the first
    ``slow_calls`` calls spend ``slow_factor`` times more."""

    def __init__(
        self, clock: VirtualClock, milliseconds: float, slow_calls: int = 0, slow_factor: float = 1
    ) -> None:
        self.clock = clock
        self.milliseconds = milliseconds
        self.slow_calls = slow_calls
        self.slow_factor = slow_factor
        self.calls = 0

    def predict(self, X: Any) -> Any:
        self.calls += 1
        factor = self.slow_factor if self.calls <= self.slow_calls else 1.0
        self.clock.spend(self.milliseconds * factor)
        return np.zeros(len(X))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> VirtualClock:
    """Both judged clocks and the reference workload on one virtual clock."""
    virtual = VirtualClock()
    monkeypatch.setitem(performance.CLOCKS, "cpu", virtual.read)
    monkeypatch.setitem(performance.CLOCKS, "wall", virtual.read)
    monkeypatch.setattr(
        performance, "reference_workload", lambda: virtual.spend(VirtualClock.REFERENCE_MS)
    )
    return virtual


class Sleeper:
    """A model whose every call sleeps ``milliseconds``: fixed wall-clock latency."""

    def __init__(self, milliseconds: float) -> None:
        self.seconds = milliseconds / 1000.0

    def predict(self, X: Any) -> Any:
        time.sleep(self.seconds)
        return np.zeros(len(X))


class Hungry:
    """A model that allocates ``megabytes`` during each prediction."""

    def __init__(self, megabytes: float) -> None:
        self.size = int(megabytes * 2**20)

    def predict(self, X: Any) -> Any:
        scratch = bytearray(self.size)
        return np.zeros(len(X)) + len(scratch) * 0


@pytest.fixture(scope="module")
def X(adult_xy: Any) -> pd.DataFrame:
    return adult_xy[2]


def _lognormal(seed: int, n: int, median: float, spread: float = 0.15) -> list[float]:
    return list(median * np.random.default_rng(seed).lognormal(0.0, spread, n))


# -- the decision rule on samples ------------------------------------------------------------


@pytest.mark.parametrize("seed", range(10))
def test_the_same_distribution_is_never_a_regression(seed: int) -> None:
    verdict = compare_timings(
        "single_ms",
        _lognormal(seed, 120, 3.0),
        _lognormal(seed + 100, 40, 3.0),
        relative(_lognormal(seed, 120, 3.0), _lognormal(seed + 1, 120, 0.2)),
        relative(_lognormal(seed + 100, 40, 3.0), _lognormal(seed + 101, 40, 0.2)),
    )
    assert verdict.verdict == "ok", verdict
    assert 0.8 < verdict.raw_ratio < 1.25


def test_a_clear_2x_slowdown_is_a_regression_with_its_p_value() -> None:
    base, now = _lognormal(1, 120, 3.0), _lognormal(2, 40, 6.0)
    reference = _lognormal(3, 120, 0.2)
    verdict = compare_timings(
        "single_ms", base, now, relative(base, reference), relative(now, reference[:40])
    )
    assert verdict.regressed
    assert verdict.raw_ratio == pytest.approx(2.0, rel=0.15)
    assert verdict.p_value < 1e-6


def test_a_runner_slower_as_a_whole_is_not_a_regression() -> None:
    """Model and reference both 2x slower: the model's cost in reference units is unchanged."""
    base, reference = _lognormal(1, 120, 3.0), _lognormal(2, 120, 0.2)
    now, now_reference = [2 * v for v in base[:40]], [2 * v for v in reference[:40]]
    verdict = compare_timings(
        "single_ms", base, now, relative(base, reference), relative(now, now_reference)
    )
    assert verdict.raw_ratio == pytest.approx(2.0, rel=0.1)
    assert verdict.ratio == pytest.approx(1.0, rel=0.1)
    assert verdict.verdict == "ok"


def test_a_faster_reference_alone_is_not_a_regression() -> None:
    """Only the yardstick changed (a faster numpy, say): the milliseconds did not move."""
    base, reference = _lognormal(1, 120, 3.0), _lognormal(2, 120, 0.2)
    now = _lognormal(3, 40, 3.0)
    verdict = compare_timings(
        "single_ms", base, now, relative(base, reference), relative(now, [0.1] * 40)
    )
    assert verdict.ratio > 1.5
    assert verdict.verdict == "ok"


def test_a_call_the_clock_cannot_resolve_is_not_measurable() -> None:
    """A 15.6 ms clock (Windows' process time) and 2 ms calls: every sample is 0 or 15.6."""
    base = [0.0] * 30 + [15.6] * 4
    now = [0.0] * 20 + [15.6] * 10
    verdict = compare_timings("single_ms", base, now, base, now, tick_ms=15.6)
    assert verdict.verdict == "not measurable"
    assert "ticks" in verdict.why


def test_samples_too_few_and_spread_for_the_minimum_effect_are_not_measurable() -> None:
    base, now = [1.0, 9.0, 2.0], [8.0, 1.5, 30.0]
    verdict = compare_timings("batch_ms", base, now, base, now)
    assert verdict.verdict == "not measurable"
    assert "spread too much" in verdict.why


def test_a_tail_percentile_is_judged_only_with_ten_calls_beyond_it() -> None:
    assert tail_ratio_interval(_lognormal(1, 40, 3.0), _lognormal(2, 40, 9.0), 95) is None
    assert tail_ratio_interval(_lognormal(1, 999, 3.0), _lognormal(2, 999, 9.0), 99) is None
    interval = tail_ratio_interval(_lognormal(1, 400, 3.0), _lognormal(2, 400, 9.0), 95)
    assert interval is not None
    assert 2.0 < interval[0] < 3.0 < interval[1]


# -- the check end to end, with models of fixed cost ------------------------------------------


def test_the_first_run_records_a_baseline_and_is_not_applicable(
    X: pd.DataFrame, tmp_path: Path
) -> None:
    history = tmp_path / "perf.jsonl"
    result = check_computing_performance(CpuBound(1.0), X, history=history, **FAST)
    assert result.outcome is Outcome.NOT_APPLICABLE
    assert "no baseline yet" in result.reason
    (recorded,) = read_history(history)
    assert len(recorded["samples"]["single"]) == FAST["single_calls"]
    assert len(recorded["samples"]["batch"]) == FAST["batch_calls"]
    assert len(recorded["samples"]["reference"]) == FAST["single_calls"] + FAST["batch_calls"]
    assert recorded["verdict"] == "passed"


def test_the_same_model_again_passes_and_a_model_doing_twice_the_work_fails(
    X: pd.DataFrame, tmp_path: Path, clock: VirtualClock
) -> None:
    history = tmp_path / "perf.jsonl"
    check_computing_performance(Planted(clock, 2.0), X, history=history, **FAST)
    same = check_computing_performance(Planted(clock, 2.0), X, history=history, **FAST)
    assert same.outcome is Outcome.PASSED, same.summary()
    assert same.measurements["measurements_taken"] == 1
    slower = check_computing_performance(Planted(clock, 4.0), X, history=history, **FAST)
    assert slower.outcome is Outcome.FAILED, slower.summary()
    assert "confirmed by a second measurement" in slower.reason
    assert slower.measurements["measurements_taken"] == 2
    verdicts = {row[0]: row[6] for row in slower.tables[0].rows}
    assert verdicts["single_ms"] == "regressed"
    assert verdicts["peak_memory_mb"] == "ok"
    # The failed run is kept in the history but is not a baseline: the next run of the
    # slower model is compared with the passing runs, and fails again.
    assert read_history(history)[-1]["verdict"] == "regressed"
    again = check_computing_performance(Planted(clock, 4.0), X, history=history, **FAST)
    assert again.outcome is Outcome.FAILED, again.summary()


def test_a_runner_twice_as_slow_as_a_whole_is_not_a_regression_end_to_end(
    X: pd.DataFrame, tmp_path: Path, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model's calls and the reference workload both take twice as long: a slower runner,
    not a slower model."""
    history = tmp_path / "perf.jsonl"
    check_computing_performance(Planted(clock, 2.0), X, history=history, **FAST)
    monkeypatch.setattr(
        performance, "reference_workload", lambda: clock.spend(2 * VirtualClock.REFERENCE_MS)
    )
    result = check_computing_performance(Planted(clock, 4.0), X, history=history, **FAST)
    assert result.outcome is Outcome.PASSED, result.summary()


def test_a_slowdown_the_second_measurement_does_not_confirm_passes_and_says_so(
    X: pd.DataFrame, tmp_path: Path, clock: VirtualClock
) -> None:
    history = tmp_path / "perf.jsonl"
    check_computing_performance(Planted(clock, 2.0), X, history=history, **FAST)
    calls_in_one_measurement = 2 + FAST["single_calls"] + FAST["batch_calls"] + 1
    burst = Planted(clock, 2.0, slow_calls=calls_in_one_measurement, slow_factor=3.0)
    result = check_computing_performance(burst, X, history=history, **FAST)
    assert result.outcome is Outcome.PASSED, result.summary()
    assert "not confirmed by a second measurement" in result.reason
    assert result.measurements["measurements_taken"] == 2


def test_beside_the_baseline_model_the_same_cost_passes_and_twice_the_work_fails(
    X: pd.DataFrame, tmp_path: Path, clock: VirtualClock
) -> None:
    """Judged model against model in this run: the stored runs' timings are only reported."""
    history = tmp_path / "perf.jsonl"
    check_computing_performance(Planted(clock, 2.0), X, history=history, **FAST)
    same = check_computing_performance(
        Planted(clock, 2.0), X, history=history, baseline_model=Planted(clock, 2.0), **FAST
    )
    assert same.outcome is Outcome.PASSED, same.summary()
    assert same.parameters["timings_against"] == "the baseline's model in this run"
    assert "reported, not judged" in same.reason
    slower = check_computing_performance(
        Planted(clock, 4.0), X, history=history, baseline_model=Planted(clock, 2.0), **FAST
    )
    assert slower.outcome is Outcome.FAILED, slower.summary()
    assert "the baseline's model's" in slower.reason
    verdicts = {row[0]: row[6] for row in slower.tables[0].rows}
    assert verdicts["single_ms vs the baseline's model"] == "regressed"
    assert verdicts["single_ms vs the stored runs"] == "reported, not judged"
    assert slower.measurements["baseline_single_ms"] == pytest.approx(2.0, rel=0.1)
    assert "baseline_single" not in read_history(history)[-1]["samples"]


def test_beside_the_baseline_model_a_model_slower_than_the_stored_runs_is_not_a_regression(
    X: pd.DataFrame, tmp_path: Path, clock: VirtualClock
) -> None:
    """Both models cost twice what the stored runs measured (a loaded runner): this run's
    comparison of the two decides, and it sees the same cost."""
    history = tmp_path / "perf.jsonl"
    check_computing_performance(Planted(clock, 2.0), X, history=history, **FAST)
    result = check_computing_performance(
        Planted(clock, 4.0), X, history=history, baseline_model=Planted(clock, 4.0), **FAST
    )
    assert result.outcome is Outcome.PASSED, result.summary()
    rows = {row[0]: row for row in result.tables[0].rows}
    assert rows["single_ms vs the stored runs"][3] == pytest.approx(2.0, rel=0.1)
    assert "against the stored runs single_ms " in result.reason


def test_an_unchanged_model_slower_than_the_stored_runs_is_reported_not_judged(
    X: pd.DataFrame, tmp_path: Path, clock: VirtualClock
) -> None:
    history = tmp_path / "perf.jsonl"
    check_computing_performance(Planted(clock, 2.0), X, history=history, **FAST)
    result = check_computing_performance(
        Planted(clock, 4.0), X, history=history, model_unchanged=True, **FAST
    )
    assert result.outcome is Outcome.PASSED, result.summary()
    assert "the model is the baseline's own artifact" in result.reason
    assert "single_ms" not in {row[0] for row in result.tables[0].rows}
    verdicts = {row[0]: row[6] for row in result.tables[0].rows}
    assert verdicts["peak_memory_mb"] == "ok"


def test_an_unchanged_model_still_fails_on_memory(X: pd.DataFrame, tmp_path: Path) -> None:
    history = tmp_path / "perf.jsonl"
    check_computing_performance(Hungry(1.0), X, history=history, **FAST)
    result = check_computing_performance(
        Hungry(20.0), X, history=history, model_unchanged=True, **FAST
    )
    assert result.outcome is Outcome.FAILED, result.summary()
    assert "peak_memory_mb" in result.reason


def test_an_unchanged_model_with_no_stored_runs_has_no_baseline_yet(
    X: pd.DataFrame, tmp_path: Path
) -> None:
    result = check_computing_performance(
        CpuBound(0.5), X, history=tmp_path / "perf.jsonl", model_unchanged=True, **FAST
    )
    assert result.outcome is Outcome.NOT_APPLICABLE
    assert "no baseline yet" in result.reason


def test_the_wall_clock_judges_fixed_waits(
    X: pd.DataFrame, tmp_path: Path, clock: VirtualClock
) -> None:
    history = tmp_path / "perf.jsonl"
    wall = {**FAST, "batch_calls": 12, "clock": "wall"}
    check_computing_performance(Planted(clock, 20.0), X, history=history, **wall)
    same = check_computing_performance(Planted(clock, 20.0), X, history=history, **wall)
    assert same.outcome is Outcome.PASSED, same.summary()
    slower = check_computing_performance(Planted(clock, 60.0), X, history=history, **wall)
    assert slower.outcome is Outcome.FAILED, slower.summary()
    assert slower.parameters["clock"] == "wall"


def test_real_sleeps_on_the_wall_clock_never_fail_the_same_model(
    X: pd.DataFrame, tmp_path: Path
) -> None:
    """On a loaded machine a sleep wakes late (by 10 ms and more here): the same model passes,
    or its timings spread too much to resolve 1.5x ("not measurable here"); it never fails."""
    history = tmp_path / "perf.jsonl"
    wall = {**FAST, "batch_calls": 12, "clock": "wall"}
    check_computing_performance(Sleeper(20.0), X, history=history, **wall)
    same = check_computing_performance(Sleeper(20.0), X, history=history, **wall)
    assert same.outcome is not Outcome.FAILED, same.summary()


def test_the_cpu_clock_does_not_count_waiting(X: pd.DataFrame, tmp_path: Path) -> None:
    """A sleep is not compute: it shows in the wall-clock figures, which are reported."""
    history = tmp_path / "perf.jsonl"
    check_computing_performance(CpuBound(2.0), X, history=history, **FAST)
    result = check_computing_performance(Sleeper(20.0), X, history=history, **FAST)
    assert result.measurements["single_wall_p50_ms"] >= 20.0
    assert result.outcome is not Outcome.FAILED


def test_a_clock_too_coarse_for_the_calls_is_not_measurable_here(
    X: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    coarse = types.SimpleNamespace(resolution=0.0156)  # 15.6 ms ticks
    monkeypatch.setattr(performance.time, "get_clock_info", lambda name: coarse)
    history = tmp_path / "perf.jsonl"
    check_computing_performance(CpuBound(1.0), X, history=history, **FAST)
    result = check_computing_performance(CpuBound(1.0), X, history=history, **FAST)
    assert result.outcome is Outcome.NOT_APPLICABLE
    assert result.reason.startswith("not measurable here")
    assert "15.6 ms clock" in result.reason


def test_tails_of_a_few_dozen_calls_are_reported_not_judged(
    X: pd.DataFrame, tmp_path: Path
) -> None:
    history = tmp_path / "perf.jsonl"
    check_computing_performance(CpuBound(1.0), X, history=history, **FAST)
    result = check_computing_performance(CpuBound(1.0), X, history=history, **FAST)
    assert "single_wall_p99_ms" in result.measurements
    assert "p95/p99 reported, not judged (20 calls; a p95 needs 200" in result.reason


@pytest.mark.parametrize(("extra_mb", "verdict"), [(0.3, "ok"), (8.0, "regressed")])
def test_memory_growth_fails_only_past_the_minimum_effect(
    extra_mb: float, verdict: str, X: pd.DataFrame, tmp_path: Path
) -> None:
    """0.3 MB on a 0.5 MB peak is +60% but under the 1 MB floor; 8 MB is past both.

    The memory figure's own verdict is asserted: allocating more per call also makes each
    call slower (0.02 ms to 0.03 ms here), a real timing change the check may report too."""
    history = tmp_path / "perf.jsonl"
    check_computing_performance(Hungry(0.5), X, history=history, **FAST)
    result = check_computing_performance(Hungry(0.5 + extra_mb), X, history=history, **FAST)
    rows = {row[0]: row for table in result.tables for row in table.rows}
    assert rows["peak_memory_mb"][-1] == verdict, result.summary()
    assert ("peak_memory_mb" in result.reason) is (verdict == "regressed"), result.summary()


def test_it_flags_an_artifact_creeping_up_in_size_over_the_last_runs(
    X: pd.DataFrame, saved_artifact: Path, tmp_path: Path
) -> None:
    size_mb = saved_artifact.stat().st_size / 2**20
    history = tmp_path / "perf.jsonl"
    with history.open("w") as handle:
        for step in (0.80, 0.85, 0.90, 0.95):  # each run a little bigger, none a jump
            record = {
                "measurements": {"artifact_mb": size_mb * step},
                "parameters": {"batch_size": FAST["batch_size"]},
            }
            handle.write(json.dumps(record) + "\n")
    result = check_computing_performance(
        CpuBound(0.5), X, history=history, artifact=saved_artifact, record=False, **FAST
    )
    assert result.outcome is Outcome.FAILED
    assert "artifact_mb worsened in each of the last 5 runs" in result.reason
    assert len(read_history(history)) == 4  # record=False leaves the history alone


def test_it_ignores_history_measured_with_another_batch_size(
    X: pd.DataFrame, tmp_path: Path
) -> None:
    history = tmp_path / "perf.jsonl"
    history.write_text(
        json.dumps({"measurements": {"batch_ms": 0.001}, "parameters": {"batch_size": 7}}) + "\n"
    )
    result = check_computing_performance(CpuBound(0.5), X, history=history, **FAST)
    assert result.outcome is Outcome.NOT_APPLICABLE, result.summary()
    assert result.parameters["history_runs"] == 0


def test_the_history_keeps_the_last_runs_only(X: pd.DataFrame, tmp_path: Path) -> None:
    history = tmp_path / "perf.jsonl"
    history.write_text(
        "".join(
            json.dumps({"measurements": {}, "parameters": {"batch_size": 1}}) + "\n"
            for _ in range(KEPT_RUNS + 5)
        )
    )
    check_computing_performance(CpuBound(0.5), X, history=history, **FAST)
    assert len(read_history(history)) == KEPT_RUNS


def test_it_enforces_absolute_limits_even_without_history(X: pd.DataFrame) -> None:
    result = check_computing_performance(
        CpuBound(0.5), X, limits={"single_ms": 0.001, "throughput_rows_per_s": 1e12}, **FAST
    )
    assert result.outcome is Outcome.FAILED
    assert "single_ms" in result.reason
    assert "throughput_rows_per_s" in result.reason


def test_a_real_pipeline_run_twice_is_not_a_regression(
    adult_model: Any, X: pd.DataFrame, tmp_path: Path
) -> None:
    history = tmp_path / "perf.jsonl"
    first = check_computing_performance(adult_model, X, history=history, **FAST)
    assert first.outcome is Outcome.NOT_APPLICABLE
    second = check_computing_performance(adult_model, X, history=history, **FAST)
    assert second.outcome is not Outcome.FAILED, second.summary()
    assert {"single_ms", "batch_ms", "reference_ms", "peak_memory_mb"} <= set(second.measurements)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"model": "model.skops"}, "model"),
        ({"X": pd.DataFrame()}, "X"),
        ({"X": pd.DataFrame({"age": [None, None]})}, "age"),
        ({"artifact": "missing.skops"}, "artifact"),
        ({"limits": {"latency": 1.0}}, "limits"),
        ({"single_calls": 1}, "single_calls"),
        ({"clock": "sundial"}, "clock"),
        ({"min_ratio": 1.0}, "min_ratio"),
        ({"baseline_model": "model.skops"}, "baseline_model"),
        ({"baseline_model": CpuBound(0.1), "model_unchanged": True}, "model_unchanged"),
    ],
)
def test_it_names_the_bad_input(kwargs: dict[str, Any], argument: str, X: pd.DataFrame) -> None:
    arguments: dict[str, Any] = {"model": CpuBound(0.1), "X": X, **FAST, **kwargs}
    result = check_computing_performance(**arguments)
    assert result.outcome is Outcome.ERROR
    assert argument in result.reason


def test_it_names_the_history_line_that_is_not_json(X: pd.DataFrame, tmp_path: Path) -> None:
    history = tmp_path / "perf.jsonl"
    history.write_text('{"measurements": {}}\n{oops\n')
    result = check_computing_performance(CpuBound(0.1), X, history=history, **FAST)
    assert result.outcome is Outcome.ERROR
    assert "line 2" in result.reason


values = st.floats(min_value=0.01, max_value=1e6, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(values, min_size=2, max_size=8))
def test_a_series_that_improves_somewhere_is_never_a_leak(series: list[float]) -> None:
    assume(any(b <= a for a, b in itertools.pairwise(series)))
    assert not slow_leak(series, max_growth=0.0)


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=0.01, max_value=1e3), st.integers(2, 8), st.floats(0.02, 0.5))
def test_a_steady_rise_past_the_limit_is_a_leak(start: float, runs: int, step: float) -> None:
    series = [start * (1 + step) ** i for i in range(runs)]
    growth = series[-1] / series[0] - 1
    assert slow_leak(series, max_growth=growth * 0.9)
    assert not slow_leak(series, max_growth=growth * 1.1)
    falling = list(reversed(series))
    assert slow_leak(falling, max_growth=growth * 0.9, higher_is_better=True)


@settings(max_examples=60, deadline=None)
@given(values, values)
def test_regression_is_zero_for_equal_figures_and_positive_when_worse(a: float, b: float) -> None:
    assert regression(a, a) == 0
    assert (regression(max(a, b), min(a, b)) > 0) == (a != b)
    assert (regression(min(a, b), max(a, b), higher_is_better=True) > 0) == (a != b)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.05, 0.4))
def test_samples_from_one_distribution_never_regress(seed: int, spread: float) -> None:
    """Whatever the spread, the rule does not call the same distribution slower."""
    base, now = _lognormal(seed, 60, 3.0, spread), _lognormal(seed + 1, 40, 3.0, spread)
    reference = _lognormal(seed + 2, 60, 0.2, spread)
    verdict = compare_timings(
        "single_ms", base, now, relative(base, reference), relative(now, reference[:40])
    )
    assert not verdict.regressed
