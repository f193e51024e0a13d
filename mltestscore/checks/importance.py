"""All features are beneficial [data-2]: permutation importance with repeats, plus SHAP.

A feature that brings nothing still costs: latency, upstream dependencies, and a door for
instability. Permutation importance on held-out data measures what each input column brings
to the metric you care about; repeating the shuffles gives a spread, so a feature is flagged
only when its importance is not *clearly* above zero (mean - k * std <= threshold), not when
it is merely small. SHAP mean |value| is added beside it for tree and linear models, as a
second opinion that does not depend on shuffles.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mltestscore.checks import _models
from mltestscore.checks._inputs import (
    fmt,
    require_columns,
    require_frame,
    require_labels,
    require_model,
    sample_frame,
)
from mltestscore.checks._models import (
    MetricChoice,
    NotApplicableError,
    best_time,
    choose_metric,
    quality,
)
from mltestscore.checks._threads import limited_threads
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table

if TYPE_CHECKING:
    import pandas as pd

RUBRIC = ("data-2",)
MIN_REPEATS = 3
MIN_SAMPLE = 200


@dataclass(frozen=True)
class PermutationImportance:
    """Per-feature importance (drop in quality when the column is shuffled) and its spread."""

    features: list[str]
    mean: list[float]
    std: list[float]
    baseline: float  # quality on the unshuffled sample (the metric, negated if lower is better)
    metric: MetricChoice
    sample_size: int
    n_repeats: int
    seconds: float
    estimated_seconds: float
    reduced_for_budget: bool


def permutation_importances(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    metric: str | None = None,
    features: Sequence[str] | None = None,
    n_repeats: int = 5,
    sample_size: int | None = 1000,
    time_budget_s: float = 10.0,
    seed: int = 0,
) -> PermutationImportance:
    """Permutation importance of each input column, within a time budget.

    One prediction on the sample is timed first; when all shuffles would exceed
    ``time_budget_s``, repeats shrink (down to 3), then the sample (down to 200 rows).
    The importances are scikit-learn's (``sklearn.inspection.permutation_importance``):
    the drop in quality when one column is shuffled, per repeat, with its mean and standard
    deviation over repeats. The shuffled copies are predicted in batches (see
    :func:`_shuffled_qualities`) rather than one call each.
    """
    import numpy as np

    choice = choose_metric(model, y, metric)
    X_sample, y_sample = sample_frame(X, y, sample_size, seed)
    columns = [str(c) for c in X.columns] if features is None else list(features)
    one_predict = best_time(lambda: quality(model, X_sample, y_sample, choice, cached=False), 1)
    repeats, rows = n_repeats, len(X_sample)

    def estimate(repeats: int, rows: int) -> float:
        return one_predict * rows / len(X_sample) * (1 + len(columns) * repeats)

    reduced = False
    while estimate(repeats, rows) > time_budget_s and repeats > MIN_REPEATS:
        repeats, reduced = repeats - 1, True
    if estimate(repeats, rows) > time_budget_s and rows > MIN_SAMPLE:
        rows = max(MIN_SAMPLE, int(rows * time_budget_s / estimate(repeats, rows)))
        X_sample, y_sample = sample_frame(X_sample, y_sample, rows, seed)
        reduced = True
    start = time.perf_counter()
    baseline = quality(model, X_sample, y_sample, choice)  # shared with other checks
    shuffled = _shuffled_qualities(model, X_sample, y_sample, columns, repeats, seed, choice)
    drops = baseline - np.asarray(shuffled)  # [column, repeat], as scikit-learn computes them
    elapsed = time.perf_counter() - start
    return PermutationImportance(
        columns,
        [float(v) for v in np.mean(drops, axis=1)],
        [float(v) for v in np.std(drops, axis=1)],
        baseline,
        choice,
        len(X_sample),
        repeats,
        elapsed,
        estimate(repeats, len(X_sample)),
        reduced,
    )


# Rows predicted at once: large enough to pay the per-call overhead (input validation,
# ColumnTransformer dispatch: most of a small prediction's time) once per batch instead of
# once per shuffle, small enough to keep the stacked copies at a few MB per column.
BATCH_ROWS = 50_000


def _shuffled_qualities(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    columns: Sequence[str],
    repeats: int,
    seed: int,
    choice: MetricChoice,
) -> list[list[float]]:
    """Quality of ``model`` on ``X`` with one column shuffled, ``repeats`` times per column,
    as ``[column][repeat]``: the shuffles of ``sklearn.inspection.permutation_importance``
    with ``random_state=seed`` (one generator per column seeded alike, each repeat
    shuffling the previous order again), so the figures are the ones it gives.

    Copies of ``X`` that differ only in the shuffled column are stacked and predicted
    together, up to :data:`BATCH_ROWS` rows a call; each copy is then scored on its own rows,
    so the figures are those of one prediction per copy (the model sees rows one by one:
    stacking changes only how many it is given per call). A 1,000-row sample with 12 columns
    and 5 repeats takes one call of 60,000 rows instead of 60 calls of 1,000.
    """
    import numpy as np
    import pandas as pd

    n = len(X)
    column_seed = np.random.RandomState(seed).randint(np.iinfo(np.int32).max + 1)

    def shuffled_copies() -> Iterator[tuple[int, pd.DataFrame]]:
        for c, column in enumerate(columns):
            rng = np.random.RandomState(column_seed)
            order = np.arange(n)
            values = X[column]
            for _ in range(repeats):
                rng.shuffle(order)
                values = values.iloc[order].set_axis(X.index)
                copy = X.copy()
                copy[column] = values
                yield c, copy

    per_batch = max(1, BATCH_ROWS // max(n, 1))
    qualities: list[list[float]] = [[] for _ in columns]
    pending = list(shuffled_copies())
    for first in range(0, len(pending), per_batch):
        batch = pending[first : first + per_batch]
        copies = [copy for _, copy in batch]
        stacked = pd.concat(copies, ignore_index=True) if len(copies) > 1 else copies[0]
        if choice.needs_proba:
            proba, pred = np.asarray(model.predict_proba(stacked)), None
        else:
            proba, pred = None, np.asarray(model.predict(stacked))
        for index, (c, _) in enumerate(batch):
            rows = slice(index * n, (index + 1) * n)
            value = _models.score(
                choice.metric,
                y,
                None if pred is None else pred[rows],
                None if proba is None else proba[rows],
            )
            qualities[c].append(value if choice.higher_is_better else -value)
    return qualities


def shap_mean_abs(
    model: Any,
    X: pd.DataFrame,
    *,
    sample_size: int = 200,
    seed: int = 0,
    additivity_tolerance: float = 1e-3,
) -> tuple[dict[str, float], str]:
    """Mean |SHAP| per input column from an exact (tree or linear) explainer.

    Returns ({}, why) when no exact explainer applies: model-agnostic SHAP is too slow to run
    beside permutation importance, and the explain check covers it. Values whose additivity
    fails (e.g. TreeExplainer on native categorical splits) are dropped with the reason.
    """
    import numpy as np

    from mltestscore.checks.explain import shap_attributions

    sample, _ = sample_frame(X, None, sample_size, seed)
    try:
        attributions = shap_attributions(model, sample, seed=seed, max_evals=None, exact_only=True)
    except NotApplicableError as exc:
        return {}, str(exc)
    except Exception as exc:  # SHAP is a second opinion: never let it sink the check
        return {}, f"unavailable: {type(exc).__name__}: {exc}"
    gap = float(attributions.additivity_error.max())
    if gap > additivity_tolerance:
        return {}, (
            f"omitted: {attributions.explainer} SHAP values do not add up to the model output "
            f"(gap {gap:.3g}), so they would mislead"
        )
    means = np.abs(attributions.values).mean(axis=0)
    return {f: float(m) for f, m in zip(attributions.features, means, strict=True)}, (
        f"{attributions.explainer} explainer, {attributions.output_space}"
    )


@register_check(*RUBRIC)
def check_features_are_beneficial(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    metric: str | None = None,
    features: Sequence[str] | None = None,
    std_multiplier: float = 2.0,
    min_importance: float = 0.0,
    n_repeats: int = 5,
    sample_size: int | None = 1000,
    time_budget_s: float = 10.0,
    shap_sample_size: int = 200,
    use_shap: bool = True,
    seed: int = 0,
    n_threads: int | None = 1,
) -> CheckResult:
    """Every feature must clearly improve the metric: permutation importance mean - k*std > 0.

    Pass held-out data: on training data an overfit model makes noise look important. A
    feature is flagged when ``mean - std_multiplier * std <= min_importance`` (importance in
    the metric's units, positive when shuffling hurts). ``features`` limits the verdict to
    some columns; the sample size, repeats and time budget used are recorded. SHAP mean |value|
    (tree and linear models) is reported beside it. ``n_threads`` caps OpenMP/BLAS threads
    during the shuffles (None: leave as is); on a shared box one thread is much faster.
    """
    name = "check_features_are_beneficial"
    require_model(model)
    X = require_frame(X)
    y = require_labels(y, len(X))
    if features is not None:
        features = require_columns(X, features, "features")
    if n_repeats < 2:
        raise CheckInputError("n_repeats", "needs at least 2 repeats to measure a spread")
    if std_multiplier < 0:
        raise CheckInputError("std_multiplier", "must be non-negative")
    parameters: dict[str, object] = {"seed": seed, "requested_sample_size": sample_size}
    try:
        with limited_threads(n_threads):
            imp = permutation_importances(
                model,
                X,
                y,
                metric=metric,
                features=features,
                n_repeats=n_repeats,
                sample_size=sample_size,
                time_budget_s=time_budget_s,
                seed=seed,
            )
    except NotApplicableError as exc:
        return CheckResult.not_applicable(name, RUBRIC, str(exc), parameters=parameters)
    shap_values: dict[str, float] = {}
    shap_note = "disabled"
    if use_shap:
        shap_values, shap_note = shap_mean_abs(model, X, sample_size=shap_sample_size, seed=seed)
    lower = [m - std_multiplier * s for m, s in zip(imp.mean, imp.std, strict=True)]
    flagged = [i for i, bound in enumerate(lower) if bound <= min_importance]
    order = sorted(range(len(imp.features)), key=lambda i: -imp.mean[i])
    table = Table.build(
        f"Permutation importance ({imp.metric.metric}, {imp.n_repeats} repeats, "
        f"{imp.sample_size} rows)",
        [
            "feature",
            "importance_mean",
            "importance_std",
            "lower_bound",
            "mean_abs_shap",
            "beneficial",
        ],
        [
            [
                imp.features[i],
                imp.mean[i],
                imp.std[i],
                lower[i],
                shap_values.get(imp.features[i]),
                i not in flagged,
            ]
            for i in order
        ],
        chart="importance_mean",
    )
    flagged_text = ", ".join(
        f"{imp.features[i]} ({fmt(imp.mean[i])} ± {fmt(imp.std[i])})"
        for i in sorted(flagged, key=lambda i: imp.mean[i])[:5]
    )
    reason = (
        f"{len(flagged)} of {len(imp.features)} features are not clearly beneficial: {flagged_text}"
        if flagged
        else f"all {len(imp.features)} features clearly improve {imp.metric.metric}; weakest "
        f"{imp.features[order[-1]]} ({fmt(imp.mean[order[-1]])} ± {fmt(imp.std[order[-1]])})"
    )
    parameters.update(
        metric=imp.metric.metric,
        n_repeats=imp.n_repeats,
        requested_n_repeats=n_repeats,
        sample_size=imp.sample_size,
        time_budget_s=time_budget_s,
        reduced_for_budget=imp.reduced_for_budget,
        shap=shap_note,
        shap_sample_size=shap_sample_size,
        n_threads=n_threads,
    )
    return CheckResult.judge(
        not flagged,
        name,
        RUBRIC,
        reason,
        measurements={
            "features": len(imp.features),
            "not_beneficial": len(flagged),
            "baseline_quality": imp.baseline,
            "seconds": imp.seconds,
            "estimated_seconds": imp.estimated_seconds,
        },
        thresholds={"std_multiplier": std_multiplier, "min_importance": min_importance},
        parameters=parameters,
        tables=[table],
    )
