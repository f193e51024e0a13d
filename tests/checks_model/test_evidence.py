"""Inside ``pytest --mlscore`` the model checks become evidence for model-5, -6 and -7."""

from __future__ import annotations

import json

import pytest

SUITE = """
    import numpy as np
    import pandas as pd
    import pytest
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder

    from mltestscore.checks.baselines import check_simpler_model_is_not_better
    from mltestscore.checks.fairness import check_group_fairness
    from mltestscore.checks.slices import check_slice_quality

    @pytest.fixture(scope="module")
    def data():
        rng = np.random.default_rng(0)
        # 2,200 test rows: on 400 the fairness intervals, held together at 99% over three
        # (each at 99.67%), are wider than the equalized-odds limit: "not measurable here"
        n = 3000
        X = pd.DataFrame({
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "group": rng.choice(["a", "b"], size=n),
        })
        y = ((X["x1"] * X["x2"] + 0.3 * rng.normal(size=n)) > 0).astype(int).to_numpy()
        model = make_pipeline(
            make_column_transformer(
                (OrdinalEncoder(), ["group"]), remainder="passthrough"
            ),
            HistGradientBoostingClassifier(max_iter=30, random_state=0),
        ).fit(X[:800], y[:800])
        return model, X[:800], y[:800], X[800:].reset_index(drop=True), y[800:]

    def test_the_model_beats_simpler_models(data):
        model, X_train, y_train, X, y = data
        check_simpler_model_is_not_better(
            model, X, y, X_train=X_train, y_train=y_train
        ).assert_ok()

    def test_quality_holds_on_every_group(data):
        model, _, _, X, y = data
        check_slice_quality(model, X, y, columns=["group"]).assert_ok()

    def test_groups_are_treated_alike(data):
        model, _, _, X, y = data
        check_group_fairness(model, X, y, sensitive_features=["group"]).assert_ok()
"""


def test_the_checks_are_recorded_as_automated_evidence_with_their_tables(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest("--mlscore", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    scorecard = json.loads((pytester.path / "reports" / "mlscore.json").read_text("utf-8"))
    items = {item["id"]: item for item in scorecard["items"]}
    for rubric_id, check in [
        ("model-5", "check_simpler_model_is_not_better"),
        ("model-6", "check_slice_quality"),
        ("model-7", "check_group_fairness"),
    ]:
        assert items[rubric_id]["status"] == "automated", rubric_id
        checks = [e for e in items[rubric_id]["evidence"] if e["kind"] == "check"]
        assert [e["check"] for e in checks] == [check]
        assert checks[0]["tables"], rubric_id
