"""Benchmark of the skew check (monitor-3) on 1,000,000 rows x 20 columns (not a test).

Times ``check_feature_drift`` on a synthetic reference/serving pair (15 numeric columns, 5
categorical string columns, three columns shifted) and compares it with the plain way of
computing the same statistics: a per-column loop of ``scipy.stats.ks_2samp``, a PSI over
``np.quantile`` edges with ``np.histogram``, and ``chi2_contingency`` + ``jensenshannon`` for
the categorical columns. Prints medians over repeated runs and the peak memory the check
allocates (tracemalloc, which numpy reports to) relative to the size of one frame.

    .venv/bin/python benchmarks/bench_drift.py [--rows 1000000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

N_NUMERIC = 15
N_CATEGORICAL = 5


def make_frames(rows: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A reference frame and a serving frame with three drifted columns and some NaNs."""
    rng = np.random.default_rng(seed)
    categories = np.array([f"value_{i}" for i in range(12)])

    def frame(shift: bool) -> pd.DataFrame:
        data: dict[str, Any] = {}
        for i in range(N_NUMERIC):
            if i % 3 == 2:
                values = rng.poisson(3.0 + (1.0 if shift and i == 2 else 0.0), rows).astype(
                    np.int64
                )
            else:
                values = rng.normal(0.5 if shift and i == 0 else 0.0, 1.0, rows)
                if i % 4 == 1:
                    values[rng.random(rows) < 0.02] = np.nan
            data[f"num_{i}"] = values
        weights = np.linspace(1.0, 3.0, len(categories))
        for j in range(N_CATEGORICAL):
            w = weights[::-1] if shift and j == 0 else weights
            data[f"cat_{j}"] = pd.array(rng.choice(categories, rows, p=w / w.sum()), dtype="str")
        return pd.DataFrame(data)

    return frame(False), frame(True)


def scipy_loop(reference: pd.DataFrame, current: pd.DataFrame, bins: int = 10) -> dict[str, Any]:
    """The straightforward per-column computation with scipy, for comparison."""
    from scipy.spatial.distance import jensenshannon
    from scipy.stats import chi2_contingency, ks_2samp

    out: dict[str, Any] = {}
    for column in reference.columns:
        ref, cur = reference[column], current[column]
        if pd.api.types.is_numeric_dtype(ref):
            r = ref.dropna().to_numpy(dtype=float)
            c = cur.dropna().to_numpy(dtype=float)
            ks = ks_2samp(r, c)
            edges = np.unique(np.quantile(r, np.linspace(0, 1, bins + 1)))
            edges[0], edges[-1] = -np.inf, np.inf
            p = np.maximum(np.histogram(r, edges)[0] / len(r), 1e-4)
            q = np.maximum(np.histogram(c, edges)[0] / len(c), 1e-4)
            out[column] = (ks.statistic, ks.pvalue, float(np.sum((q - p) * np.log(q / p))))
        else:
            table = pd.concat([ref.value_counts(), cur.value_counts()], axis=1).fillna(0)
            counts = table.to_numpy().T
            out[column] = (
                chi2_contingency(counts)[1],
                jensenshannon(counts[0], counts[1], base=2),
                float(np.max(np.abs(counts[0] / counts[0].sum() - counts[1] / counts[1].sum()))),
            )
    return out


def timed(function: Callable[[], object], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def peak_memory(function: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scipy-repeats", type=int, default=3)
    args = parser.parse_args()

    from mltestscore.checks.drift import check_feature_drift

    reference, current = make_frames(args.rows)
    frame_bytes = int(reference.memory_usage(deep=True).sum())
    result = check_feature_drift(reference, current)
    print(result.summary())
    assert result.outcome.value == "failed", "the three shifted columns must be flagged"

    ours = timed(lambda: check_feature_drift(reference, current), args.repeats)
    ours2 = timed(lambda: check_feature_drift(reference, current, n_jobs=2), args.repeats)
    plain = timed(lambda: scipy_loop(reference, current), args.scipy_repeats)
    peak = peak_memory(lambda: check_feature_drift(reference, current))
    peak2 = peak_memory(lambda: check_feature_drift(reference, current, n_jobs=2))
    plain_peak = peak_memory(lambda: scipy_loop(reference, current))

    plain_median = statistics.median(plain)
    print()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average {load} (1/5/15 min) after the runs")
    print(
        f"{args.rows:,} rows x {reference.shape[1]} columns "
        f"({N_NUMERIC} numeric, {N_CATEGORICAL} categorical strings), "
        f"one frame = {frame_bytes / 2**20:.0f} MiB, two frames compared"
    )
    print(
        f"{'method':<42} {'median s':>9} {'min s':>7} {'runs':>5} {'vs scipy':>9} "
        f"{'peak MiB':>9} {'x frame':>8}"
    )
    for label, times, bytes_ in (
        ("mltestscore check_feature_drift n_jobs=1", ours, peak),
        ("mltestscore check_feature_drift n_jobs=2", ours2, peak2),
        ("plain scipy per-column loop", plain, plain_peak),
    ):
        median = statistics.median(times)
        print(
            f"{label:<42} {median:>9.3f} {min(times):>7.3f} {len(times):>5} "
            f"{plain_median / median:>8.1f}x {bytes_ / 2**20:>9.0f} {bytes_ / frame_bytes:>8.2f}"
        )
    best = min(statistics.median(ours), statistics.median(ours2))
    memory_ok = max(peak, peak2) < 3 * frame_bytes
    print(
        f"target: under 2 s -> {'met' if best < 2 else 'MISSED'}; "
        f"peak under 3x frame -> {'met' if memory_ok else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
