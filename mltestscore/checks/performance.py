"""Computing performance has not regressed (monitor-6): latency, throughput, memory, size.

Serving cost creeps: one release adds a feature that doubles latency, another grows the
artifact a little every retrain until it no longer fits. The check measures p50/p95/p99
latency for single-row and batch prediction, throughput, peak memory of a batch prediction
and the artifact size, and compares them with a JSONL history of earlier runs. Two failure
modes: a sudden regression beyond a tolerance against the median of the last few runs, and a
slow leak (the figure rose in each of the last N runs and by more than a limit overall).

Timings are noisy on shared machines, so each figure is measured in ``repeats`` independent
rounds and the median across rounds is reported; latency regressions, sudden or slow, must
also exceed a small absolute margin before they count.
"""

from __future__ import annotations

import itertools
import json
import os
import statistics
import time
import tracemalloc
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mltestscore.checks import _infra_inputs as inputs
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table

RUBRIC = ("monitor-6",)
CHECK = "check_computing_performance"
HIGHER_IS_BETTER = frozenset({"throughput_rows_per_s"})
LATENCY_METRICS = frozenset(
    f"{kind}_{p}_ms" for kind in ("single", "batch") for p in ("p50", "p95", "p99")
)
# Judged for sudden regressions only. The tail of a few dozen calls wanders by 10-30% from
# run to run, so five rising runs in a row happen by chance (1 in 120 per figure, about one
# run in 15 over the four of them on the example's model, measured); a slow leak in compute
# moves the median too, and that is watched.
TAIL_LATENCIES = frozenset(name for name in LATENCY_METRICS if not name.endswith("_p50_ms"))


def regression(current: float, baseline: float, higher_is_better: bool = False) -> float:
    """How much worse ``current`` is than ``baseline``, as a fraction (0.25 = 25% worse)."""
    if higher_is_better:
        return baseline / current - 1.0 if current > 0 else float("inf")
    return current / baseline - 1.0 if baseline > 0 else (0.0 if current <= 0 else float("inf"))


def slow_leak(values: Sequence[float], max_growth: float, higher_is_better: bool = False) -> bool:
    """True when the figure got worse at every step of ``values`` and by more than
    ``max_growth`` from the first to the last value."""
    if len(values) < 2:
        return False
    steps = list(itertools.pairwise(values))
    worsening = all((b < a) if higher_is_better else (b > a) for a, b in steps)
    return worsening and regression(values[-1], values[0], higher_is_better) > max_growth


def _percentiles(milliseconds: Sequence[float]) -> dict[str, float]:
    import numpy as np

    values = np.asarray(milliseconds)
    return {p: float(np.percentile(values, q)) for p, q in (("p50", 50), ("p95", 95), ("p99", 99))}


def _time_calls(model: Any, batches: Sequence[Any]) -> list[float]:
    durations = []
    for batch in batches:
        begin = time.perf_counter()
        model.predict(batch)
        durations.append((time.perf_counter() - begin) * 1000.0)
    return durations


def measure(
    model: Any,
    X: Any,
    *,
    repeats: int = 5,
    single_calls: int = 50,
    batch_size: int = 1000,
    batch_calls: int = 5,
    seed: int = 0,
    artifact: str | os.PathLike[str] | None = None,
) -> dict[str, float]:
    """The performance figures of one run: per-round percentiles, median over ``repeats``."""
    rows = inputs.sample_rows(X, single_calls, seed)
    singles = [inputs.take_rows(X, [int(i)]) for i in rows]
    batch = inputs.take_rows(X, inputs.sample_rows(X, batch_size, seed))
    model.predict(singles[0])  # warm-up: lazy initialisation is not serving latency
    model.predict(batch)
    rounds: dict[str, list[float]] = {}
    for _ in range(repeats):
        for kind, calls in (("single", singles), ("batch", [batch] * batch_calls)):
            for p, value in _percentiles(_time_calls(model, calls)).items():
                rounds.setdefault(f"{kind}_{p}_ms", []).append(value)
    figures = {name: statistics.median(values) for name, values in rounds.items()}
    figures["throughput_rows_per_s"] = len(batch) / (figures["batch_p50_ms"] / 1000.0)
    # One traced prediction: the peak of the same allocations is the same each time (five
    # rounds on the example's pipeline spread by 0.2%), and tracing makes a prediction about
    # five times slower, so more rounds would only cost time.
    tracemalloc.start()
    try:
        model.predict(batch)
        figures["peak_memory_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    if artifact is not None:
        figures["artifact_mb"] = Path(artifact).stat().st_size / 2**20
    return figures


def _time_margin_ms(name: str, value: float, baseline: float, batch_size: int) -> float | None:
    """How many milliseconds a timing figure moved (None for figures that are not timings).

    Throughput is converted back to the batch latency it came from, so a sub-millisecond
    wobble on a fast batch does not fail the check through throughput either.
    """
    if name in LATENCY_METRICS:
        return abs(value - baseline)
    if name == "throughput_rows_per_s" and value > 0 and baseline > 0:
        return abs(batch_size / value - batch_size / baseline) * 1000.0
    return None


def read_history(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Earlier runs, oldest first; a missing file is an empty history."""
    source = Path(path)
    if not source.is_file():
        return []
    records = []
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CheckInputError("history", f"{source} line {number} is not JSON: {exc}") from exc
        if not isinstance(record, dict) or not isinstance(record.get("measurements"), dict):
            raise CheckInputError("history", f"{source} line {number} has no measurements")
        records.append(record)
    return records


def append_history(
    path: str | os.PathLike[str], figures: Mapping[str, float], parameters: Mapping[str, Any]
) -> None:
    record = {
        "recorded_at": datetime.now(UTC).isoformat(),
        "measurements": dict(figures),
        "parameters": dict(parameters),
    }
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")


@register_check(*RUBRIC)
def check_computing_performance(
    model: Any,
    X: Any,
    *,
    history: str | os.PathLike[str] | None = None,
    artifact: str | os.PathLike[str] | None = None,
    record: bool = True,
    max_regression: float = 0.25,
    min_latency_regression_ms: float = 1.0,
    baseline_runs: int = 3,
    leak_window: int = 5,
    max_leak_growth: float = 0.10,
    limits: Mapping[str, float] | None = None,
    repeats: int = 5,
    single_calls: int = 50,
    batch_size: int = 1000,
    batch_calls: int = 5,
    seed: int = 0,
) -> CheckResult:
    """Latency, throughput, peak memory and artifact size have not regressed vs earlier runs.

    Measures ``model.predict`` on single rows (``single_calls`` rows) and on a batch of
    ``batch_size`` rows (``batch_calls`` calls), each in ``repeats`` rounds, reporting the
    median of each round's p50/p95/p99; throughput is batch rows per second at the median
    batch latency; peak memory is the tracemalloc peak of one batch prediction; artifact size
    is the size of ``artifact``. Against the JSONL ``history`` (runs with the same batch size):
    fails when a figure is more than ``max_regression`` worse than the median of the last
    ``baseline_runs`` runs (latency also by at least ``min_latency_regression_ms``), or when it
    got worse in each of the last ``leak_window`` runs by more than ``max_leak_growth`` in
    total (a timing also by ``min_latency_regression_ms``; p95 and p99 latencies, too noisy
    for that, are judged for sudden regressions only). ``limits`` sets absolute ceilings by
    figure name (a floor for throughput). The run is appended to ``history`` when ``record``
    is true.
    """
    inputs.require_model(model, "model")
    X = inputs.require_rows(X, "X")
    if artifact is not None and not Path(artifact).is_file():
        raise CheckInputError("artifact", f"file not found: {artifact}")
    if repeats < 1 or single_calls < 1 or batch_size < 1 or batch_calls < 1:
        raise CheckInputError(
            "repeats", "repeats, single_calls, batch_size and batch_calls must be >= 1"
        )
    figures = measure(
        model,
        X,
        repeats=repeats,
        single_calls=single_calls,
        batch_size=batch_size,
        batch_calls=batch_calls,
        seed=seed,
        artifact=artifact,
    )
    unknown = sorted(set(limits or {}) - set(figures))
    if unknown:
        raise CheckInputError(
            "limits", f"unknown figure(s) {', '.join(unknown)}; use {sorted(figures)}"
        )
    effective_batch = min(batch_size, len(X))
    runs = read_history(history) if history is not None else []
    comparable = [r for r in runs if r.get("parameters", {}).get("batch_size") == effective_batch]

    problems: list[str] = []
    rows: list[tuple[object, ...]] = []
    for name, value in figures.items():
        higher = name in HIGHER_IS_BETTER
        past = [float(r["measurements"][name]) for r in comparable if name in r["measurements"]]
        baseline = statistics.median(past[-baseline_runs:]) if past else None
        change = regression(value, baseline, higher) if baseline is not None else None
        verdict = "ok"
        if change is not None and baseline is not None and change > max_regression:
            margin = _time_margin_ms(name, value, baseline, effective_batch)
            if margin is None or margin >= min_latency_regression_ms:
                verdict = "regressed"
                problems.append(
                    f"{name} {inputs.fmt(value)} is {change:+.0%} vs {inputs.fmt(baseline or 0.0)}"
                )
        window = [*past[-(leak_window - 1) :], value] if leak_window > 1 else []
        leaking = (
            name not in TAIL_LATENCIES
            and len(window) == leak_window
            and slow_leak(window, max_leak_growth, higher)
        )
        if leaking:  # a timing's leak must also add up to the absolute margin, as a jump must
            margin = _time_margin_ms(name, window[-1], window[0], effective_batch)
            leaking = margin is None or margin >= min_latency_regression_ms
        if leaking:
            verdict = "leaking"
            problems.append(
                f"{name} worsened in each of the last {leak_window} runs "
                f"({regression(window[-1], window[0], higher):+.0%} overall)"
            )
        limit = (limits or {}).get(name)
        if limit is not None and (value < limit if higher else value > limit):
            verdict = "over limit"
            problems.append(f"{name} {inputs.fmt(value)} is past its limit {limit}")
        rows.append(
            (name, value, baseline, None if change is None else 100 * change, limit, verdict)
        )

    parameters = {
        "repeats": repeats,
        "single_calls": min(single_calls, len(X)),
        "batch_size": effective_batch,
        "batch_calls": batch_calls,
        "seed": seed,
        "baseline_runs": baseline_runs,
        "leak_window": leak_window,
    }
    if history is not None and record:
        append_history(history, figures, parameters)

    if problems:
        reason = f"{len(problems)} performance problem(s): " + "; ".join(problems[:3])
    else:
        reason = (
            f"single-row p99 {inputs.fmt(figures['single_p99_ms'])} ms, batch of "
            f"{effective_batch} p50 {inputs.fmt(figures['batch_p50_ms'])} ms, "
            f"{figures['throughput_rows_per_s']:.0f} rows/s"
        )
        reason += (
            f", within {max_regression:.0%} of the median of the last "
            f"{min(len(comparable), baseline_runs)} run(s)"
            if comparable
            else "; no earlier runs to compare with yet"
        )
    return CheckResult.judge(
        not problems,
        CHECK,
        RUBRIC,
        reason,
        measurements=figures,
        thresholds={
            "max_regression": max_regression,
            "min_latency_regression_ms": min_latency_regression_ms,
            "max_leak_growth": max_leak_growth,
            **{f"limit_{k}": v for k, v in (limits or {}).items()},
        },
        parameters={**parameters, "history_runs": len(comparable)},
        tables=[
            Table.build(
                "Performance vs earlier runs",
                ["figure", "now", "baseline (median)", "change %", "limit", "verdict"],
                rows,
                chart="change %",
            )
        ],
    )
