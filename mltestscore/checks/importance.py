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
from mltestscore.checks.result import CheckResult, Outcome, Table, Verdict

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from numpy.typing import NDArray

RUBRIC = ("data-2",)
MIN_REPEATS = 3
MIN_SAMPLE = 200
# Fewest rows on which a feature is called negligible. The interval is a t interval over
# per-row loss differences, which for a feature the model barely uses are mostly 0 with a few
# large values: their mean is near-normal only with enough rows (below about 100 the
# interval understates its width). On fewer rows "negligible" becomes "not measurable here"
# (the corpus' wine forest, 36 test rows, called two of its 13 measurements negligible).
MIN_ROWS_TO_CALL_NEGLIGIBLE = 100


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
    estimated_seconds: float | None  # the budget's estimate; None without a budget
    reduced_for_budget: bool
    loss: RowLossImportance


@dataclass(frozen=True)
class RowLossImportance:
    """Each feature's importance as the mean rise in a per-row loss when it is shuffled, with
    its standard error over the sampled rows *and* the shuffles.

    The metric's own importance (``PermutationImportance.mean``) has a spread over shuffles
    only: the rows are one draw of the data, so that spread says nothing of how another
    sample would rank the feature. A per-row loss (log loss for probabilities, squared or
    absolute error for regression, 0/1 otherwise) makes each row one paired observation of
    "shuffled minus unshuffled", so the sampling variance enters through the rows.
    """

    name: str  # the per-row loss: log_loss, squared_error, absolute_error or zero_one
    mean: list[float]  # per feature: mean over rows of (shuffled - unshuffled) loss
    se: list[float]  # per feature: standard error of that mean (rows and shuffles)
    baseline: float  # mean loss of the model on the sample
    null: float  # mean loss of predicting the sample's base rate (or mean) for every row
    rows: int  # rows the means are taken over

    @property
    def skill(self) -> float:
        """What the model gains over knowing nothing of the features, in loss units."""
        return self.null - self.baseline


def permutation_importances(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    metric: str | None = None,
    features: Sequence[str] | None = None,
    n_repeats: int = 5,
    sample_size: int | None = 1000,
    time_budget_s: float | None = None,
    seed: int = 0,
) -> PermutationImportance:
    """Permutation importance of each input column, optionally within a time budget.

    By default the work is fixed by ``n_repeats`` and ``sample_size``, so identical runs give
    identical figures whatever the machine's load. With ``time_budget_s``, one prediction on
    the sample is timed first; when all shuffles would exceed it, repeats shrink (down to 3),
    then the sample (down to 200 rows): faster on a slow model, but the figures (and so the
    verdict) then depend on how busy the machine is.
    The importances are scikit-learn's (``sklearn.inspection.permutation_importance``):
    the drop in quality when one column is shuffled, per repeat, with its mean and standard
    deviation over repeats. The shuffled copies are predicted in batches (see
    :func:`_shuffled_qualities`) rather than one call each.
    """
    import numpy as np

    choice = choose_metric(model, y, metric)
    X_sample, y_sample = sample_frame(X, y, sample_size, seed)
    columns = [str(c) for c in X.columns] if features is None else list(features)
    repeats, reduced, estimated = n_repeats, False, None
    if time_budget_s is not None:
        budget = time_budget_s
        one_predict = best_time(lambda: quality(model, X_sample, y_sample, choice, cached=False), 1)
        rows = len(X_sample)

        def estimate(repeats: int, rows: int) -> float:
            return one_predict * rows / len(X_sample) * (1 + len(columns) * repeats)

        while estimate(repeats, rows) > budget and repeats > MIN_REPEATS:
            repeats, reduced = repeats - 1, True
        if estimate(repeats, rows) > budget and rows > MIN_SAMPLE:
            rows = max(MIN_SAMPLE, int(rows * budget / estimate(repeats, rows)))
            X_sample, y_sample = sample_frame(X_sample, y_sample, rows, seed)
            reduced = True
        estimated = estimate(repeats, len(X_sample))
    start = time.perf_counter()
    baseline = quality(model, X_sample, y_sample, choice)  # shared with other checks
    shuffled, row_losses = _shuffled_qualities(
        model, X_sample, y_sample, columns, repeats, seed, choice
    )
    drops = baseline - np.asarray(shuffled)  # [column, repeat], as scikit-learn computes them
    loss = _row_loss_importance(model, X_sample, y_sample, choice, row_losses)
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
        estimated,
        reduced,
        loss,
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
) -> tuple[list[list[float]], list[NDArray[np.float64]]]:
    """Quality of ``model`` on ``X`` with one column shuffled, ``repeats`` times per column,
    as ``[column][repeat]``: the shuffles of ``sklearn.inspection.permutation_importance``
    with ``random_state=seed`` (one generator per column seeded alike, each repeat
    shuffling the previous order again), so the figures are the ones it gives. Beside them,
    per column, the per-row loss of each shuffled copy (``[repeat, row]``, see
    :func:`row_losses`).

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
    wants_proba = _loss_uses_proba(model, choice)

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
    losses: list[list[NDArray[np.float64]]] = [[] for _ in columns]
    pending = list(shuffled_copies())
    for first in range(0, len(pending), per_batch):
        batch = pending[first : first + per_batch]
        copies = [copy for _, copy in batch]
        stacked = pd.concat(copies, ignore_index=True) if len(copies) > 1 else copies[0]
        proba = np.asarray(model.predict_proba(stacked)) if wants_proba else None
        pred = None if choice.needs_proba else _models.as_predictions(model.predict(stacked))
        for index, (c, _) in enumerate(batch):
            rows = slice(index * n, (index + 1) * n)
            copy_pred = None if pred is None else pred[rows]
            copy_proba = None if proba is None else proba[rows]
            value = _models.score(choice.metric, y, copy_pred, copy_proba)
            qualities[c].append(value if choice.higher_is_better else -value)
            losses[c].append(row_losses(model, y, choice, copy_pred, copy_proba))
    return qualities, [np.vstack(per_column) for per_column in losses]


def _loss_uses_proba(model: Any, choice: MetricChoice) -> bool:
    """Classifiers with probabilities are judged by log loss even when the metric is a hard
    one (macro F1, accuracy): a forest's hard predictions often do not move when one of
    several redundant features is shuffled, which a 0/1 loss would read as 'useless'."""
    return choice.task != "regression" and callable(getattr(model, "predict_proba", None))


def row_losses(
    model: Any, y: Any, choice: MetricChoice, pred: Any | None, proba: Any | None
) -> NDArray[np.float64]:
    """The loss of each row: log loss of the true class's probability, squared (or, for
    MAE, absolute) error, or 0/1 for a classifier without probabilities."""
    import numpy as np

    y = np.asarray(y)
    if proba is not None:
        classes = list(getattr(model, "classes_", range(np.asarray(proba).shape[1])))
        index = {label: i for i, label in enumerate(classes)}
        true = np.fromiter((index.get(label, -1) for label in y.tolist()), int, len(y))
        onehot = np.zeros_like(np.asarray(proba, dtype=np.float64))
        onehot[np.arange(len(y))[true >= 0], true[true >= 0]] = 1.0
        return np.asarray(((np.asarray(proba) - onehot) ** 2).sum(axis=1), dtype=np.float64)
    if choice.task == "regression":
        error = np.asarray(pred, dtype=np.float64) - y.astype(np.float64)
        return np.asarray(np.abs(error) if choice.metric == "mae" else error**2)
    return np.asarray(np.asarray(pred) != y, dtype=np.float64)


def _null_loss(y: Any, name: str) -> float:
    """The mean loss of a model that knows no feature: the sample's class shares as
    probabilities, its majority class, or its mean (median for absolute error)."""
    import numpy as np

    y = np.asarray(y)
    if name == "squared_error":
        return float(np.var(y.astype(np.float64)))
    if name == "absolute_error":
        values = y.astype(np.float64)
        return float(np.mean(np.abs(values - np.median(values))))
    _, counts = np.unique(y, return_counts=True)
    shares = counts / counts.sum()
    if name == "zero_one":
        return float(1.0 - shares.max())
    return float(1.0 - (shares**2).sum())  # Brier score of the class shares


def _row_loss_importance(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    choice: MetricChoice,
    shuffled: Sequence[NDArray[np.float64]],
) -> RowLossImportance:
    """Per feature, the mean per-row loss rise and its standard error.

    Each row's rise is averaged over the shuffles first; the standard error then adds the
    variance of those row means over rows (sampling) and the variance of the per-shuffle
    means over shuffles (the permutation itself): ``se^2 = var_rows/n + var_shuffles/R``.
    """
    import numpy as np

    proba = _models.predict_proba(model, X) if _loss_uses_proba(model, choice) else None
    pred = None if proba is not None else _models.predict(model, X)
    base = row_losses(model, y, choice, pred, proba)
    if proba is not None:
        name = "brier"
    elif choice.task == "regression":
        name = "absolute_error" if choice.metric == "mae" else "squared_error"
    else:
        name = "zero_one"
    means, ses = [], []
    n = len(base)
    for losses in shuffled:  # [repeat, row]
        rise = losses - base
        per_row = rise.mean(axis=0)
        per_repeat = rise.mean(axis=1)
        variance = float(np.var(per_row, ddof=1)) / n if n > 1 else float("inf")
        if len(per_repeat) > 1:
            variance += float(np.var(per_repeat, ddof=1)) / len(per_repeat)
        means.append(float(per_row.mean()))
        ses.append(float(np.sqrt(variance)))
    return RowLossImportance(name, means, ses, float(base.mean()), _null_loss(y, name), n)


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


@dataclass(frozen=True)
class FeatureVerdicts:
    """Each feature judged on its per-row loss interval: clearly beneficial, clearly
    negligible, or undecided on this many rows."""

    lower: list[float]
    upper: list[float]
    beneficial: list[int]
    negligible: list[int]
    undecided: list[int]
    z: float
    negligible_loss: float  # the loss rise below which a feature counts as bringing nothing
    rows_to_decide: int  # rows the widest undecided interval would need to decide (about)


def judge_features(
    loss: RowLossImportance, *, confidence: float, negligible_share: float
) -> FeatureVerdicts:
    """Three-way verdict per feature, family-wise at ``confidence`` over the features
    (one-sided Bonferroni): beneficial when the loss rise's lower bound is above 0,
    negligible when its upper bound is below ``negligible_share`` of the model's skill (its
    loss gain over the base rate), undecided otherwise."""
    import math

    from scipy.stats import t

    k = max(len(loss.mean), 1)
    z = float(t.ppf(1 - (1 - confidence) / k, df=max(loss.rows - 1, 1)))
    margin = negligible_share * loss.skill
    lower = [m - z * e for m, e in zip(loss.mean, loss.se, strict=True)]
    upper = [m + z * e for m, e in zip(loss.mean, loss.se, strict=True)]
    beneficial = [i for i, bound in enumerate(lower) if bound > 0]
    enough_rows = loss.rows >= MIN_ROWS_TO_CALL_NEGLIGIBLE
    negligible = [
        i for i, bound in enumerate(upper) if enough_rows and bound < margin and i not in beneficial
    ]
    undecided = [i for i in range(len(lower)) if i not in beneficial and i not in negligible]
    rows = 0
    if undecided and margin > 0:
        # the interval's half-width z*se shrinks as 1/sqrt(n); it decides one way or the
        # other once it is narrower than half the margin
        widest = max(loss.se[i] for i in undecided)
        rows = math.ceil(loss.rows * (2 * z * widest / margin) ** 2)
        rows = max(rows, MIN_ROWS_TO_CALL_NEGLIGIBLE)
    return FeatureVerdicts(lower, upper, beneficial, negligible, undecided, z, margin, rows)


@register_check(*RUBRIC)
def check_features_are_beneficial(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    metric: str | None = None,
    features: Sequence[str] | None = None,
    confidence: float = 0.95,
    negligible_share: float = 0.01,
    n_repeats: int = 5,
    sample_size: int | None = 1000,
    time_budget_s: float | None = None,
    shap_sample_size: int = 200,
    use_shap: bool = True,
    seed: int = 0,
    n_threads: int | None = 1,
) -> CheckResult:
    """Every feature must clearly improve the model; one that clearly brings nothing fails.

    Pass held-out data: on training data an overfit model makes noise look important. Each
    feature's importance is judged on the rise of a per-row loss when it is shuffled, with an
    interval over the rows and the shuffles (:class:`RowLossImportance`), family-wise at
    ``confidence`` over the features. A feature whose rise is surely below
    ``negligible_share`` of the model's skill (its loss gain over predicting the base rate)
    fails the check; when every feature is surely above 0 it passes; otherwise the sample
    cannot tell and the result is "not measurable here", with the rows it would need.
    ``features`` limits the verdict to some columns. The metric's own permutation
    importance (scikit-learn's, mean and std over shuffles) and SHAP mean |value| (tree and
    linear models) are reported beside it. ``n_threads`` caps OpenMP/BLAS threads during the
    shuffles (None: leave as is); on a shared box one thread is much faster.
    """
    name = "check_features_are_beneficial"
    require_model(model)
    X = require_frame(X)
    y = require_labels(y, len(X))
    if features is not None:
        features = require_columns(X, features, "features")
    if n_repeats < 2:
        raise CheckInputError("n_repeats", "needs at least 2 repeats to measure a spread")
    if not 0.5 <= confidence < 1:
        raise CheckInputError("confidence", "must be in [0.5, 1)")
    if not 0 <= negligible_share < 1:
        raise CheckInputError("negligible_share", "must be in [0, 1)")
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
    loss = imp.loss
    verdicts = judge_features(loss, confidence=confidence, negligible_share=negligible_share)
    order = sorted(range(len(imp.features)), key=lambda i: -loss.mean[i])

    def verdict_of(i: int) -> bool | None:
        return True if i in verdicts.beneficial else False if i in verdicts.negligible else None

    table = Table.build(
        f"Permutation importance ({imp.metric.metric}, {imp.n_repeats} repeats, "
        f"{imp.sample_size} rows; judged on the {loss.name} rise, "
        f"{confidence:.0%} family-wise)",
        [
            "feature",
            "importance_mean",
            "importance_std",
            f"{loss.name}_rise",
            "rise_lower",
            "rise_upper",
            "mean_abs_shap",
            "beneficial",
        ],
        [
            [
                imp.features[i],
                imp.mean[i],
                imp.std[i],
                loss.mean[i],
                verdicts.lower[i],
                verdicts.upper[i],
                shap_values.get(imp.features[i]),
                verdict_of(i),
            ]
            for i in order
        ],
        chart="importance_mean",
    )

    def describe(indices: Sequence[int]) -> str:
        return ", ".join(
            f"{imp.features[i]} ({loss.name} rise {fmt(loss.mean[i])}, "
            f"CI {fmt(verdicts.lower[i])} to {fmt(verdicts.upper[i])})"
            for i in sorted(indices, key=lambda i: loss.mean[i])[:5]
        )

    total = len(imp.features)
    margin_text = (
        f"{negligible_share:.0%} of the model's skill ({fmt(verdicts.negligible_loss)} "
        f"{loss.name} over the base rate's {fmt(loss.null)})"
    )
    if loss.skill <= 0:
        outcome = Outcome.NOT_APPLICABLE
        reason = (
            f"not measurable here: the model's {loss.name} {fmt(loss.baseline)} is no better "
            f"than the base rate's {fmt(loss.null)} on {imp.sample_size} rows, so no feature "
            "can be shown to help"
        )
    elif verdicts.negligible:
        outcome = Outcome.FAILED
        reason = (
            f"{len(verdicts.negligible)} of {total} features clearly bring less than "
            f"{margin_text}: {describe(verdicts.negligible)}"
        )
    elif verdicts.undecided:
        outcome = Outcome.NOT_APPLICABLE
        reason = (
            f"not measurable here: {len(verdicts.undecided)} of {total} features can be told "
            f"neither from 0 nor from {margin_text} on {imp.sample_size} rows (about "
            f"{verdicts.rows_to_decide:,} rows would decide): {describe(verdicts.undecided)}"
        )
    else:
        weakest = order[-1]
        outcome = Outcome.PASSED
        reason = (
            f"all {total} features clearly improve the model ({confidence:.0%} family-wise); "
            f"weakest {imp.features[weakest]} ({loss.name} rise {fmt(loss.mean[weakest])}, "
            f"lower bound {fmt(verdicts.lower[weakest])})"
        )
    parameters.update(
        metric=imp.metric.metric,
        judged_on=loss.name,
        n_repeats=imp.n_repeats,
        requested_n_repeats=n_repeats,
        sample_size=imp.sample_size,
        time_budget_s=time_budget_s,
        reduced_for_budget=imp.reduced_for_budget,
        shap=shap_note,
        shap_sample_size=shap_sample_size,
        n_threads=n_threads,
    )
    return CheckResult.from_verdict(
        name,
        RUBRIC,
        Verdict(outcome, reason),
        measurements={
            "features": total,
            "not_beneficial": len(verdicts.negligible),
            "undecided": len(verdicts.undecided),
            "baseline_quality": imp.baseline,
            "baseline_loss": loss.baseline,
            "base_rate_loss": loss.null,
            "negligible_loss": verdicts.negligible_loss,
            "z": verdicts.z,
            "rows_to_decide": verdicts.rows_to_decide,
            "seconds": imp.seconds,
        }
        | ({} if imp.estimated_seconds is None else {"estimated_seconds": imp.estimated_seconds}),
        thresholds={"confidence": confidence, "negligible_share": negligible_share},
        parameters=parameters,
        tables=[table],
    )
