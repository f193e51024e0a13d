"""Benchmark (not a test): the model-quality checks on the Adult sample with the shared
gradient-boosted pipeline. Run ``python tests/checks_model/bench_model_checks.py``.

Prints, per check, the first (cold) run, which pays for imports and the cached predictions,
and the median of the warm runs that reuse those predictions as a session would.
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

    runs: dict[str, Any] = {
        "simpler_model (holdout)": lambda: check_simpler_model_is_not_better(
            model, X, y, X_train=X_train, y_train=y_train
        ),
        "slice_quality (4 columns)": lambda: check_slice_quality(
            model, X, y, columns=["occupation", "sex", "age", "race"]
        ),
        "weak_segments (14 columns)": lambda: check_weak_segments(model, X, y),
        "group_fairness (sex, race, sex x race)": lambda: check_group_fairness(
            model, X, y, sensitive_features=["sex", "race"]
        ),
        "sensitive_proxies (sex, 4000 rows)": lambda: check_sensitive_proxies(
            adult.drop(columns=["income"]), "sex"
        ),
    }
    total_cold = total_warm = 0.0
    for name, run in runs.items():
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            result = run()
            times.append(time.perf_counter() - started)
        warm = statistics.median(times[1:])
        total_cold += times[0]
        total_warm += warm
        print(f"{name:42s} cold {times[0]:6.2f}s  warm median {warm:6.2f}s  {result.outcome.value}")
    print(f"{'all five checks':42s} cold {total_cold:6.2f}s  warm median {total_warm:6.2f}s")


if __name__ == "__main__":
    main()
