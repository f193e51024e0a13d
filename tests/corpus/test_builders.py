"""The corpus builders plant what they say, at the strength they say (fast: part of the
default run; the corpus itself runs in ``tox -e corpus``)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.corpus import builder
from tests.corpus.defects import (
    BIAS_CAUGHT_EVERY_TIME,
    LEAK_COLUMN,
    PII_COLUMN,
    SKEW_FACTOR,
    SWEEP_FAVOURABLE_SHARE,
    bias_flip_share,
    defect,
    drift_shift_sd,
    slowed_model,
)
from tests.corpus.projects import GROUP, PROJECTS, TIME_COLUMN, build_model, project, split


def test_every_project_splits_into_train_test_and_serving_from_one_population() -> None:
    for spec in PROJECTS:
        frame = spec.load()
        train, test, serving = split(frame)
        assert len(train) + len(test) + len(serving) == len(frame)
        assert set(spec.features) <= set(train.columns)
        assert spec.target in serving.columns  # labels joined, for monitor-7
        assert set(train[GROUP]) == {"A", "B"}


def test_the_drift_variant_shifts_one_serving_feature_by_the_stated_sds() -> None:
    spec = project("digits")
    clean = builder.prepare(spec, None)
    drifted = builder.prepare(spec, defect("drift"))
    column = spec.drift_feature
    shift = drifted.serving[column].mean() - clean.serving[column].mean()
    sd = clean.train[column].std()
    assert shift == pytest.approx(drift_shift_sd(drifted) * sd)
    others = [c for c in spec.features if c != column]
    assert drifted.serving[others].equals(clean.serving[others])


def test_the_skew_pii_and_broken_variants_change_only_their_column() -> None:
    spec = project("breast-cancer")
    clean = builder.prepare(spec, None)
    skewed = builder.prepare(spec, defect("skew"))
    ratio = skewed.serving[spec.skew_feature] / clean.serving[spec.skew_feature]
    assert np.allclose(ratio, SKEW_FACTOR)
    with_pii = builder.prepare(spec, defect("pii"))
    assert with_pii.train[PII_COLUMN].str.contains("@").mean() > 0.02
    broken = builder.prepare(spec, defect("broken-feature"))
    assert broken.serving[spec.broken_feature].isna().sum() >= 5
    assert clean.serving[spec.broken_feature].notna().all()


def test_the_leakage_variant_copies_the_target_into_training_but_not_serving() -> None:
    spec = project("diabetes")
    leaky = builder.prepare(spec, defect("leakage"))
    assert (leaky.train[LEAK_COLUMN] == leaky.train[spec.target]).all()
    assert leaky.serving[LEAK_COLUMN].nunique() == 1
    assert LEAK_COLUMN in leaky.numeric


@pytest.mark.parametrize("name", ["breast-cancer", "adult-income", "digits"])
def test_the_bias_variant_withholds_the_stated_share_of_group_b_favourable_labels(
    name: str,
) -> None:
    spec = project(name)
    clean = builder.prepare(spec, None)
    biased = builder.prepare(spec, defect("bias"))
    share = biased.notes["share"]
    assert share == bias_flip_share(clean)
    assert f"({share:.0%};" in biased.notes["strength"]
    favourable, other = max(clean.train[spec.target]), min(clean.train[spec.target])
    in_b = clean.train[GROUP] == "B"
    before = (clean.train.loc[in_b, spec.target] == favourable).sum()
    after = (biased.train.loc[in_b, spec.target] == favourable).sum()
    assert after / before == pytest.approx(1 - share, abs=0.15)
    moved = (clean.train[spec.target] == favourable) & (biased.train[spec.target] == other)
    assert moved.sum() == before - after  # the favourable labels went to the first class
    assert (biased.train.loc[~in_b, spec.target] == clean.train.loc[~in_b, spec.target]).all()
    untouched = [c for c in clean.test.columns if c != TIME_COLUMN]  # times follow the clock
    assert biased.test[untouched].equals(clean.test[untouched])  # judged on untouched rows
    assert GROUP in biased.categorical


def test_the_bias_share_follows_the_sweep_at_the_test_splits_favourable_rows() -> None:
    """Breast-cancer's 39 test rows labelled malignant and digits' 32 nines are fewer than
    the sweep's 300 rows hold favourable (about 70): they get the 100-row share; the Adult
    test split's 1,151 favourable rows reach the 3,000-row size's 705."""
    shares = [BIAS_CAUGHT_EVERY_TIME[size] for size in sorted(BIAS_CAUGHT_EVERY_TIME)]
    assert shares == sorted(shares, reverse=True)  # more rows never need a stronger bias
    expected = {"breast-cancer": 100, "digits": 100, "adult-income": 3000}
    for name, size in expected.items():
        build = builder.prepare(project(name), None)
        favourable = (build.test[build.spec.target] == max(build.train[build.spec.target])).sum()
        assert favourable >= size * SWEEP_FAVOURABLE_SHARE or size == min(expected.values())
        assert bias_flip_share(build) == BIAS_CAUGHT_EVERY_TIME[size], name


def test_the_sweep_shares_hold_every_share_the_bias_variant_plants() -> None:
    from tests.corpus.sweeps import BIAS_FLIP_SHARES, SIZES

    assert set(BIAS_CAUGHT_EVERY_TIME) == set(SIZES)
    assert set(BIAS_CAUGHT_EVERY_TIME.values()) <= set(BIAS_FLIP_SHARES)
    assert 0.0 in BIAS_FLIP_SHARES  # the false-alarm column


def test_the_slowed_model_predicts_exactly_what_the_model_predicts() -> None:
    spec = project("wine")
    train, test, _ = split(spec.load())
    model = build_model(spec).fit(train[spec.features], train[spec.target])
    slowed = slowed_model(spec, train)
    assert np.allclose(
        slowed.predict_proba(test[spec.features]), model.predict_proba(test[spec.features])
    )
