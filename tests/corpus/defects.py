"""Planted defects of known strength, one per project variant.

Each :class:`Defect` says what it plants, how strong it is (a figure, stated in the table),
which rubric items' generated checks must fail because of it, and which items to run
(``select``, a ``-k`` expression) so a variant runs only what can catch it. ``plant`` changes
a :class:`Build` (the project's frames and model inputs) before anything is written.

The slowed model is planted after the project has been scored a few times (the
computing-performance check compares a run with earlier ones), so it has no ``plant``
here: the runner registers the slowed model (:func:`slowed_model`) as the new version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import VotingClassifier, VotingRegressor

from tests.corpus.projects import GROUP, Project, build_model

LEAK_COLUMN = "outcome_code"
PII_COLUMN = "contact"
PII_SHARE = 0.05  # share of rows whose contact field holds an email address
BROKEN_SHARE = 0.10  # share of serving rows the broken feature function returns NaN for
BROKEN_MIN_ROWS = 5  # ... and at least this many rows
SKEW_FACTOR = 10.0  # the serving code reads the skewed feature in another unit
BIAS_MIN_TEST_ROWS = 80  # two random groups of 30+ rows each in the test split
# The bias sweep's (tests/corpus/sweeps.py) smallest share of group B's favourable predictions
# withheld that the fairness check caught in every draw, by the sweep's sample size (rows of
# the Adult income model): the bias variant turns this share of group B's favourable training
# labels unfavourable (docs/corpus.md, "The sweeps", 2026-12-07, with the fairness check's
# 99% family-wise default; at 95% it was 1.0, 0.7, 0.5 and 0.5).
BIAS_CAUGHT_EVERY_TIME = {100: 1.0, 300: 0.9, 1000: 0.7, 3000: 0.5}
# Share of the sweep's Adult rows with the favourable label (>50K): what a parity measure is
# estimated from is the favourable rows, so a project is matched to the sweep's size by them.
SWEEP_FAVOURABLE_SHARE = 0.235
BIAS_REGRESSION_SD = 1.0  # group B's training targets lowered by this many target SDs


@dataclass
class Build:
    """A project variant before it is written: frames, model inputs, a label change."""

    spec: Project
    train: pd.DataFrame
    test: pd.DataFrame
    serving: pd.DataFrame
    numeric: list[str]
    categorical: list[str]
    notes: dict[str, Any] = field(default_factory=dict)  # measured strength, for the table


def drift_shift_sd(build: Build) -> float:
    """The drift variant's shift in training standard deviations: 1 SD when fewer than 300
    serving rows (a test on so few rows cannot resolve less), else 0.5 SD."""
    return 1.0 if len(build.serving) < 300 else 0.5


def favourable_label(build: Build) -> Any:
    """The outcome the fairness check judges a binary model on, and the one the bias variant
    takes from group B: the last class (for a multiclass model the check judges every class
    in turn; the variant moves the last class's labels to the first)."""
    return sorted(build.train[build.spec.target].unique())[-1]


def bias_flip_share(build: Build) -> float:
    """The bias variant's share of group B's favourable training labels turned unfavourable:
    the sweep's smallest share caught every time at the largest sweep size whose favourable
    rows (``SWEEP_FAVOURABLE_SHARE`` of its rows) the test split's favourable rows reach;
    the smallest size's share below that. Matched by favourable rows, not rows, because a
    selection rate or a true positive rate is estimated from them: digits' 359 test rows hold
    32 nines, fewer than the sweep's 300 rows hold favourable ones (about 70)."""
    favourable = int((build.test[build.spec.target] == favourable_label(build)).sum())
    sizes = sorted(BIAS_CAUGHT_EVERY_TIME)
    reached = [size for size in sizes if favourable >= size * SWEEP_FAVOURABLE_SHARE]
    return BIAS_CAUGHT_EVERY_TIME[reached[-1] if reached else sizes[0]]


def _plant_pii(build: Build, rng: np.random.Generator) -> None:
    for frame in (build.train, build.serving):
        emails = [f"customer.{i}@mailbox-{i % 7}.org" for i in range(len(frame))]
        has = rng.random(len(frame)) < PII_SHARE
        frame[PII_COLUMN] = pd.Series(np.where(has, emails, ""), dtype="object")
    build.notes["column"] = PII_COLUMN
    build.notes["strength"] = f"an email address in {PII_SHARE:.0%} of `{PII_COLUMN}` values"


def _plant_drift(build: Build, rng: np.random.Generator) -> None:
    column = build.spec.drift_feature
    shift = drift_shift_sd(build)
    sd = float(build.train[column].std())
    build.serving[column] = build.serving[column].astype("float64") + shift * sd
    build.notes["column"] = column
    build.notes["strength"] = f"`{column}` shifted by {shift:g} training SD ({shift * sd:.3g})"


def _plant_skew(build: Build, rng: np.random.Generator) -> None:
    column = build.spec.skew_feature
    build.serving[column] = build.serving[column].astype("float64") * SKEW_FACTOR
    build.notes["column"] = column
    build.notes["strength"] = f"`{column}` served in another unit (x{SKEW_FACTOR:g})"


def _plant_broken(build: Build, rng: np.random.Generator) -> None:
    column = build.spec.broken_feature
    rows = len(build.serving)
    count = min(rows, max(BROKEN_MIN_ROWS, round(BROKEN_SHARE * rows)))
    values = build.serving[column].to_numpy(dtype="float64", copy=True)
    values[rng.choice(rows, size=count, replace=False)] = np.nan
    build.serving[column] = values
    build.notes["column"] = column
    build.notes["strength"] = (
        f"the serving feature function returns NaN for `{column}` on {count} of {rows} rows"
    )


def _plant_leakage(build: Build, rng: np.random.Generator) -> None:
    """The label copied into a feature the model trains on; at serving time the label is not
    known yet, so the feature holds its training default (the mode, or the median)."""
    target = build.spec.target
    for frame in (build.train, build.test):
        frame[LEAK_COLUMN] = frame[target].astype("float64")
    default = (
        float(build.train[target].median())
        if build.spec.task == "regression"
        else float(build.train[target].mode().iloc[0])
    )
    build.serving[LEAK_COLUMN] = default
    build.numeric.append(LEAK_COLUMN)
    build.notes["column"] = LEAK_COLUMN
    build.notes["strength"] = (
        f"`{LEAK_COLUMN}` = the target in train and test; {default:g} at serving time"
    )


def _plant_bias(build: Build, rng: np.random.Generator) -> None:
    """The model sees ``group`` and learns from labels that treat group B worse."""
    spec, train = build.spec, build.train
    in_b = (train[GROUP] == "B").to_numpy()
    if spec.task == "regression":
        sd = float(train[spec.target].std())
        train[spec.target] = train[spec.target].astype("float64")  # whole hours lowered by SDs
        train.loc[in_b, spec.target] = train.loc[in_b, spec.target] - BIAS_REGRESSION_SD * sd
        build.notes["strength"] = (
            f"group B's training targets lowered by {BIAS_REGRESSION_SD:g} SD ({sd:.3g})"
        )
    else:
        favourable, other = favourable_label(build), sorted(train[spec.target].unique())[0]
        share = bias_flip_share(build)
        test_favourable = int((build.test[spec.target] == favourable).sum())
        candidates = np.flatnonzero(in_b & (train[spec.target] == favourable).to_numpy())
        flipped = candidates[rng.random(len(candidates)) < share]
        train.loc[flipped, spec.target] = other
        build.notes["share"] = share
        build.notes["strength"] = (
            f"{len(flipped)} of group B's {len(candidates)} training labels {favourable} "
            f"turned into {other} ({share:.0%}; {test_favourable} test rows labelled "
            f"{favourable})"
        )
    build.categorical.append(GROUP)


@dataclass(frozen=True)
class Defect:
    """One planted defect: what, how strong, which items must catch it."""

    name: str
    what: str
    must_catch: tuple[str, ...]  # rubric ids: a generated item of each must fail
    select: str  # pytest -k expression: the items that can catch it
    plant: Callable[[Build, np.random.Generator], None] | None
    # For the slowed model, a failure counts only when its reason names a timing figure
    # (the artifact doubles in size too, which is not what this defect is about).
    reason_must_match: str | None = None
    # None when the defect can be planted in the project, else why not
    not_plantable: Callable[[Build], str | None] | None = None
    # rubric ids whose items' outcomes the evidence shows too, without requiring a catch
    also_reported: tuple[str, ...] = ()


DEFECTS: tuple[Defect, ...] = (
    Defect(
        "pii",
        "email addresses in a free-text contact column of train and serving",
        ("data-5",),
        "pii",
        _plant_pii,
    ),
    Defect(
        "drift",
        "one serving feature shifted by a stated number of training SDs",
        ("monitor-3",),
        "monitor-3",
        _plant_drift,
    ),
    Defect(
        "skew",
        "one serving feature computed in another unit (x10)",
        ("monitor-3",),
        "monitor-3 or monitor-2",
        _plant_skew,
    ),
    Defect(
        "broken-feature",
        "the serving feature function returns NaN for one feature on 10% of rows",
        ("monitor-2",),
        "monitor-2",
        _plant_broken,
    ),
    Defect(
        "leakage",
        "the target copied into a feature; unknown (a constant) at serving time",
        # What is planted is training/serving skew (the serving code cannot know the label, so
        # the column is a constant there): monitor-3 must see it whatever the model does with
        # the column; served quality (monitor-7) drops only as far as the model leans on it,
        # so it is reported beside the verdict, not required (docs/corpus.md)
        ("monitor-3",),
        "monitor-7 or monitor-3",
        _plant_leakage,
        also_reported=("monitor-7",),
    ),
    Defect(
        "bias",
        "the model sees the group and learned from labels that treat group B worse",
        ("model-7",),
        "fairness",
        _plant_bias,
        not_plantable=lambda build: (
            f"the test split has {len(build.test)} rows: fewer than {BIAS_MIN_TEST_ROWS}, "
            "so groups of 30 rows (the fairness check's minimum) are not expected"
            if len(build.test) < BIAS_MIN_TEST_ROWS
            else None
        ),
    ),
    Defect(
        "slow",
        "predict does twice the work (a two-member voting ensemble of the same model)",
        ("monitor-6",),
        "performance",
        None,
        reason_must_match=r"_ms|throughput",
    ),
)


def defect(name: str) -> Defect:
    for candidate in DEFECTS:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no planted defect {name!r}; known: {[d.name for d in DEFECTS]}")


def slowed_model(spec: Project, train: pd.DataFrame, seed: int = 0) -> Any:
    """Two copies of the project's model (same seed, so the same fit) voting: the same
    predictions for twice the work, in the types skops already knows."""
    members = [("first", build_model(spec, seed)), ("second", build_model(spec, seed))]
    ensemble: Any = (
        VotingRegressor(members)
        if spec.task == "regression"
        else VotingClassifier(members, voting="soft")
    )
    return ensemble.fit(train[spec.features], train[spec.target])
