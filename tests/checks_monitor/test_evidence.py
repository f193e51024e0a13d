"""Inside ``pytest --mlscore`` the monitoring checks become evidence for monitor-1/3/4/5."""

from __future__ import annotations

import json

import pytest

SUITE = """
    from datetime import UTC, datetime, timedelta

    import numpy as np
    import pandas as pd
    import pytest
    from sklearn.linear_model import LogisticRegression

    from mltestscore import environment
    from mltestscore.checks.dependencies import check_dependency_changes
    from mltestscore.checks.drift import check_feature_drift, check_feature_parity
    from mltestscore.checks.stability import check_numerical_stability
    from mltestscore.checks.staleness import check_data_freshness, check_model_age

    rng = np.random.default_rng(0)
    TRAIN = pd.DataFrame({"x": rng.normal(size=600), "kind": rng.choice(["a", "b"], 600)})
    SERVED = pd.DataFrame({"x": rng.normal(size=400), "kind": rng.choice(["a", "b"], 400)})

    def features(raw):
        return pd.DataFrame({"x2": raw["x"] ** 2, "is_a": raw["kind"] == "a"})

    def test_the_environment_is_the_training_one(tmp_path):
        environment.write_snapshot(tmp_path)
        check_dependency_changes(tmp_path).assert_ok()

    def test_serving_data_looks_like_training_data():
        check_feature_drift(TRAIN, SERVED).assert_ok()

    def test_serving_features_match_training_features():
        check_feature_parity(SERVED, features, features).assert_ok()

    def test_the_model_and_its_data_are_fresh():
        now = datetime.now(UTC)
        check_model_age(trained_at=now - timedelta(days=2)).assert_ok()
        log = SERVED.assign(at=pd.date_range(end=now, periods=len(SERVED), freq="min"))
        check_data_freshness(log, "at").assert_ok()

    def test_the_model_is_numerically_stable():
        model = LogisticRegression().fit(TRAIN[["x"]], (TRAIN["x"] > 0).astype(int))
        check_numerical_stability(
            model, SERVED[["x"]], include_missing=False, max_examples=5, rows_per_example=5
        ).assert_ok()
"""


def test_the_monitoring_checks_are_recorded_as_automated_evidence(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest("--mlscore", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)
    scorecard = json.loads((pytester.path / "reports" / "mlscore.json").read_text("utf-8"))
    items = {item["id"]: item for item in scorecard["items"]}
    for rubric_id, expected in [
        ("monitor-1", ["check_dependency_changes"]),
        ("monitor-3", ["check_feature_drift", "check_feature_parity"]),
        ("monitor-4", ["check_model_age", "check_data_freshness"]),
        ("monitor-5", ["check_numerical_stability"]),
    ]:
        assert items[rubric_id]["status"] == "automated", rubric_id
        checks = [e["check"] for e in items[rubric_id]["evidence"] if e["kind"] == "check"]
        assert sorted(checks) == sorted(expected), rubric_id
