"""The harness's own measurements (tests/corpus/verify.py): the drop-column refit that
verifies a data-2 finding, and the leakage screen's record, on the breast-cancer project."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tests.corpus import builder
from tests.corpus.defects import LEAK_COLUMN, defect
from tests.corpus.projects import project
from tests.corpus.verify import drop_column, features_named, leakage_screen, verify_data_2

REASON = (
    "2 of 11 features clearly bring less than 1% of the model's skill (0.0019 brier over the "
    "base rate's 0.36): race (brier rise 0.00016, CI -0.0014 to 0.0017), "
    "marital-status (brier rise 0.0002, CI -0.001 to 0.001)"
)


def test_it_reads_the_features_a_failed_data_2_item_names() -> None:
    assert features_named(REASON) == ["race", "marital-status"]
    assert features_named("all 8 features clearly improve the model") == []


def test_a_noise_column_is_verified_as_bringing_nothing_and_a_strong_one_is_not() -> None:
    spec = project("breast-cancer")
    train = builder.prepare(spec, None).train
    train["noise"] = np.random.default_rng(0).normal(size=len(train))
    noisy = replace(spec, numeric=(*spec.numeric, "noise"))
    noise = drop_column(noisy, train, "noise")
    assert noise.verified, noise.describe()
    assert "within ±" in noise.describe()
    strong = drop_column(noisy, train, "worst_area")
    assert not strong.verified
    assert strong.lower > 0  # the model is clearly worse without it
    assert strong.upper > strong.margin
    verified, evidence = verify_data_2(noisy, train, REASON.replace("race", "noise"))
    assert verified  # marital-status is not a breast-cancer feature: only noise is refit
    assert evidence.count("drop-column refit") == 1


def test_a_reason_naming_no_feature_of_the_project_is_not_verified() -> None:
    spec = project("breast-cancer")
    verified, evidence = verify_data_2(spec, builder.prepare(spec, None).train, REASON)
    assert not verified
    assert evidence.startswith("no feature of the project named")


def test_the_leakage_screen_flags_the_copied_label_and_no_real_feature() -> None:
    spec = project("breast-cancer")
    clean = builder.prepare(spec, None)
    screen = leakage_screen(spec, clean.train, [*clean.numeric, *clean.categorical])
    assert screen["flagged"] == []
    assert screen["best_skill"] < 0.8
    leaky = builder.prepare(spec, defect("leakage"))
    planted = leakage_screen(spec, leaky.train, [*leaky.numeric, *leaky.categorical])
    assert planted["flagged"] == [LEAK_COLUMN]
    assert planted["next_feature"] == screen["best_feature"]
