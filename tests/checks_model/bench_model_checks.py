"""Benchmark (not a test): the model-quality checks on the Adult sample with the shared
gradient-boosted pipeline. Run ``python tests/checks_model/bench_model_checks.py``.

Prints, per check, the first (cold) run, which pays for imports and the cached predictions,
the median of the warm runs that reuse those predictions as a session would, and the median
of runs on a fresh copy of X, where every check has to predict again.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1]))

from conftest import load_adult, make_adult_pipeline  # type: ignore[import-not-found]


def main(repeats: int = 5) -> None:
    from mltestscore.checks.baselines import check_simpler_model_is_not_better
    from mltestscore.checks.fairness import check_group_fairness, check_sensitive_proxies
    from mltestscore.checks.slices import check_slice_quality, check_weak_segments

    adult = load_adult()
    train = adult.sample(frac=0.7, random_state=0)
    test = adult.drop(train.index).reset_index(drop=True)
    X_train, y_train = train.drop(columns=["income"]), train["income"].to_numpy()
    X, y = test.drop(columns=["income"]), test["income"].to_numpy()
    started = time.perf_counter()
    model = make_adult_pipeline().fit(X_train, y_train)
    print(f"fit the pipeline: {time.perf_counter() - started:.2f}s")

    def suite(frame: Any) -> dict[str, Any]:
        """The five checks on ``frame``: a callable returns the same object to share the
        cached predictions, or a fresh copy to make every check predict again."""
        return {
            "simpler_model (holdout)": lambda: check_simpler_model_is_not_better(
                model, frame(), y, X_train=X_train, y_train=y_train
            ),
            "slice_quality (4 columns)": lambda: check_slice_quality(
                model, frame(), y, columns=["occupation", "sex", "age", "race"]
            ),
            "weak_segments (14 columns)": lambda: check_weak_segments(model, frame(), y),
            "group_fairness (sex, race, sex x race)": lambda: check_group_fairness(
                model, frame(), y, sensitive_features=["sex", "race"]
            ),
            "sensitive_proxies (sex, 4000 rows)": lambda: check_sensitive_proxies(
                adult.drop(columns=["income"]), "sex"
            ),
        }

    shared = suite(lambda: X)
    fresh = suite(X.copy)
    totals = {"cold": 0.0, "shared": 0.0, "fresh": 0.0}
    print(f"{'check':42s} {'cold':>7s} {'cached':>7s} {'uncached':>9s}  outcome")
    for name in shared:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            result = shared[name]()
            times.append(time.perf_counter() - started)
        uncached = []
        for _ in range(repeats - 1):
            started = time.perf_counter()
            fresh[name]()
            uncached.append(time.perf_counter() - started)
        warm, cold_miss = statistics.median(times[1:]), statistics.median(uncached)
        totals["cold"] += times[0]
        totals["shared"] += warm
        totals["fresh"] += cold_miss
        print(f"{name:42s} {times[0]:6.2f}s {warm:6.2f}s {cold_miss:8.2f}s  {result.outcome.value}")
    print(
        f"{'all five checks (medians)':42s} {totals['cold']:6.2f}s {totals['shared']:6.2f}s "
        f"{totals['fresh']:8.2f}s  uncached/cached = {totals['fresh'] / totals['shared']:.2f}"
    )


if __name__ == "__main__":
    # ``--one-thread``: OpenMP/BLAS on one thread, the sane setting on a busy 2-core machine
    if "--one-thread" in sys.argv:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            main()
    else:
        main()
