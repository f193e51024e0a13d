"""Model quality is validated before serving (infra-4): a candidate must not be worse.

A new model that is slightly better on average can be much worse for one group of users, or can
start getting wrong the few examples everyone knows the answer to. And a series of "only a bit
worse" releases adds up. So the gate compares the candidate with the production model on one
holdout: overall (sudden-drop limit), per slice (the same slices as model-6, from
``_slices.make_slices``), on a golden set of known answers, and against the best metric of the
last N recorded versions (slow-drift limit).

The limits are in metric units for metrics on a fixed scale (ROC AUC, accuracy, F1, R², log
loss). An error in the target's own units (RMSE, MAE: hours, dollars) has no fixed scale, so
there a drop is relative to production's error on the same rows: a limit of 0.05 means 5%
worse. In hours, a 0.05 limit blocked a weekly-hours model whose RMSE on 100 rows went from
11.54 to 11.60 while it was 0.3 hours better overall (issue 16's LightGBM corpus flavour).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mltestscore.checks import _inputs as inputs
from mltestscore.checks import _models, _slices
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table

RUBRIC = ("infra-4",)
CHECK = "check_serving_gate"
# errors in the target's units: their drops are relative to production's value
RELATIVE_METRICS = frozenset({"rmse", "mae"})


def _shown(metric: str, drop: float) -> str:
    return f"{drop:.1%}" if metric in RELATIVE_METRICS else inputs.fmt(drop)


def _limit(metric: str, limit: float) -> str:
    return f"{limit:.0%} of production's" if metric in RELATIVE_METRICS else f"{limit}"


def _drop(metric: str, sign: float, production: float, candidate: float) -> float:
    """How much worse the candidate is (positive: worse): in metric units, or relative to
    production's value for an error in the target's units (:data:`RELATIVE_METRICS`)."""
    drop = sign * (production - candidate)
    if metric in RELATIVE_METRICS:
        return drop / abs(production) if production else (0.0 if drop == 0 else float("inf"))
    return drop


def _metric_on(model: Any, X: Any, labels: Any, metric: str, rows: Any = None) -> float:
    predictions = _models.predict(model, X)
    proba = _models.predict_proba(model, X)
    if rows is not None:
        predictions = predictions[rows]
        proba = None if proba is None else proba[rows]
        labels = labels[rows]
    return _models.score(metric, labels, predictions, proba)


def _golden_misses(model: Any, golden_X: Any, golden_y: Any, atol: float) -> Any:
    import numpy as np

    predictions = np.asarray(model.predict(golden_X))
    if np.issubdtype(predictions.dtype, np.floating) and np.issubdtype(golden_y.dtype, np.floating):
        return np.abs(predictions - golden_y) > atol
    return predictions.astype(str) != golden_y.astype(str)


SliceRow = tuple[str, int, float, float, float, str]


def _compare_slices(
    candidate: Any,
    production: Any,
    X: Any,
    labels: Any,
    metric: str,
    sign: float,
    *,
    slice_columns: Sequence[str],
    numeric_bins: int,
    min_slice_size: int,
    max_slice_drop: float,
) -> tuple[list[SliceRow], int]:
    """One row per slice big enough to score (worst first) and how many were skipped."""
    import numpy as np

    rows: list[SliceRow] = []
    skipped = 0
    for piece in _slices.make_slices(X, list(slice_columns), numeric_bins=numeric_bins):
        size = int(piece.mask.sum())
        prod_slice = cand_slice = float("nan")
        if size >= min_slice_size:
            prod_slice = _metric_on(production, X, labels, metric, piece.mask)
            cand_slice = _metric_on(candidate, X, labels, metric, piece.mask)
        if np.isnan(prod_slice) or np.isnan(cand_slice):
            skipped += 1  # too small, or the metric is undefined there (one class only)
            continue
        drop = _drop(metric, sign, prod_slice, cand_slice)
        verdict = "ok" if drop <= max_slice_drop else "worse"
        rows.append((piece.name, size, prod_slice, cand_slice, drop, verdict))
    rows.sort(key=lambda row: -row[4])
    return rows, skipped


def _golden_check(
    candidate: Any, golden_X: Any, golden_y: Any, atol: float
) -> tuple[float | None, Any, list[Table]]:
    """(share of golden examples answered right, rows missed, table) or (None, [], [])."""
    import numpy as np

    if (golden_X is None) != (golden_y is None):
        raise CheckInputError("golden_y", "give both golden_X and golden_y, or neither")
    if golden_X is None:
        return None, [], []
    golden_X = inputs.require_rows(golden_X, "golden_X")
    golden_labels = inputs.require_labels(golden_y, len(golden_X), "golden_y")
    misses = _golden_misses(candidate, golden_X, golden_labels, atol)
    missed = np.flatnonzero(misses)
    table = Table.build(
        "Golden examples the candidate gets wrong",
        ["row", "expected"],
        [(int(i), golden_labels[i]) for i in missed],
    )
    return 1.0 - float(misses.mean()), missed, [table]


def _best_recorded(recorded: Sequence[float], window: int, sign: float) -> tuple[float | None, int]:
    """(best metric of the last ``window`` recorded versions, how many were considered)."""
    import numpy as np

    values = [float(v) for v in list(recorded)[-window:]] if window > 0 else []
    if not values:
        return None, 0
    if not all(np.isfinite(values)):
        raise CheckInputError("recorded_metrics", "contains NaN or infinite values")
    return (max(values) if sign > 0 else min(values)), len(values)


@register_check(*RUBRIC)
def check_serving_gate(
    candidate: Any,
    production: Any,
    X: Any,
    y: Any,
    *,
    metric: str | None = None,
    max_drop: float = 0.01,
    slice_columns: Sequence[str] = (),
    max_slice_drop: float = 0.05,
    min_slice_size: int = 50,
    numeric_bins: int = 4,
    golden_X: Any = None,
    golden_y: Any = None,
    min_golden_accuracy: float = 1.0,
    golden_atol: float = 0.0,
    recorded_metrics: Sequence[float] = (),
    history_window: int = 5,
    max_drift_from_best: float = 0.02,
) -> CheckResult:
    """The candidate model is no worse than production overall, per slice and on a golden set.

    On the holdout ``X``/``y``: the candidate's metric may not drop more than ``max_drop``
    below production's (sudden drop vs the previous version), nor more than ``max_slice_drop``
    on any slice of ``slice_columns`` with at least ``min_slice_size`` rows. On the golden set
    (``golden_X``/``golden_y``, examples with known answers) at least ``min_golden_accuracy``
    must be answered right (regression: within ``golden_atol``). ``recorded_metrics`` are the
    metrics of earlier versions on this holdout, oldest first (see
    ``mltestscore.model_store.metric_history``); the candidate may not fall more than
    ``max_drift_from_best`` below the best of the last ``history_window`` (slow drift).
    Drops are oriented so that positive means worse, in metric units, except for errors in
    the target's units (RMSE, MAE), whose drops are relative to production's value (the
    best recorded one for slow drift): ``max_slice_drop=0.05`` is then 5% worse.
    """
    inputs.require_model(candidate, "candidate")
    inputs.require_model(production, "production")
    X = inputs.require_rows(X, "X")
    labels = inputs.require_labels(y, len(X), "y")
    if slice_columns:
        inputs.require_columns(X, slice_columns, "slice_columns")
    metric = metric or _models.default_metric(_models.task_of(labels, candidate))
    sign = 1.0 if _models.higher_is_better(metric) else -1.0
    if (why := _models.missing_probabilities(metric, candidate, production)) is not None:
        return CheckResult.not_applicable(CHECK, RUBRIC, why, parameters={"metric": metric})

    cand_value = _metric_on(candidate, X, labels, metric)
    prod_value = _metric_on(production, X, labels, metric)
    overall_drop = _drop(metric, sign, prod_value, cand_value)
    slice_rows, skipped = _compare_slices(
        candidate,
        production,
        X,
        labels,
        metric,
        sign,
        slice_columns=slice_columns,
        numeric_bins=numeric_bins,
        min_slice_size=min_slice_size,
        max_slice_drop=max_slice_drop,
    )
    golden_accuracy, missed, golden_table = _golden_check(
        candidate, golden_X, golden_y, golden_atol
    )
    best, recorded = _best_recorded(recorded_metrics, history_window, sign)
    drift = None if best is None else _drop(metric, sign, best, cand_value)

    problems: list[str] = []
    if overall_drop > max_drop:
        problems.append(
            f"{metric} drops {_shown(metric, overall_drop)} overall "
            f"(limit {_limit(metric, max_drop)})"
        )
    worse = [row for row in slice_rows if row[5] == "worse"]
    if worse:
        named = ", ".join(f"{row[0]} ({_shown(metric, row[4])})" for row in worse[:3])
        problems.append(
            f"{len(worse)} slice(s) drop past {_limit(metric, max_slice_drop)}: {named}"
        )
    if golden_accuracy is not None and golden_accuracy < min_golden_accuracy:
        problems.append(
            f"{len(missed)} golden example(s) answered wrong "
            f"(rows {', '.join(str(i) for i in missed[:5])})"
        )
    if drift is not None and drift > max_drift_from_best:
        problems.append(
            f"{metric} is {_shown(metric, drift)} below the best of the last {recorded} "
            f"versions ({inputs.fmt(best or 0.0)}; limit {_limit(metric, max_drift_from_best)})"
        )

    if problems:
        reason = "candidate blocked: " + "; ".join(problems)
    else:
        reason = (
            f"candidate {metric} {inputs.fmt(cand_value)} vs production {inputs.fmt(prod_value)}, "
            f"no slice of {len(slice_rows)} drops past {_limit(metric, max_slice_drop)}"
        )
        if golden_accuracy is not None:
            reason += f", golden set {golden_accuracy:.0%} right"
        if best is None:
            reason += "; no recorded versions, slow-drift limit not evaluated"
    overall: SliceRow = (
        "overall",
        len(X),
        prod_value,
        cand_value,
        overall_drop,
        "ok" if overall_drop <= max_drop else "worse",
    )
    return CheckResult.judge(
        not problems,
        CHECK,
        RUBRIC,
        reason,
        measurements={
            "candidate_metric": cand_value,
            "production_metric": prod_value,
            "overall_drop": overall_drop,
            "worst_slice_drop": slice_rows[0][4] if slice_rows else None,
            "slices_worse": len(worse),
            "slices_skipped": skipped,
            "golden_accuracy": golden_accuracy,
            "best_recorded_metric": best,
            "drift_from_best": drift,
        },
        thresholds={
            "max_drop": max_drop,
            "max_slice_drop": max_slice_drop,
            "min_golden_accuracy": min_golden_accuracy if golden_accuracy is not None else None,
            "max_drift_from_best": max_drift_from_best,
        },
        parameters={
            "metric": metric,
            "rows": len(X),
            "slice_columns": ", ".join(slice_columns),
            "min_slice_size": min_slice_size,
            "numeric_bins": numeric_bins,
            "history_window": history_window,
            "recorded_versions": recorded,
            "drops": "relative to production" if metric in RELATIVE_METRICS else "metric units",
        },
        tables=[
            Table.build(
                f"Candidate vs production ({metric}; drop > 0 means worse"
                + ("; relative to production)" if metric in RELATIVE_METRICS else ")"),
                ["slice", "rows", "production", "candidate", "drop", "verdict"],
                [overall, *slice_rows],
                chart="drop",
            ),
            *golden_table,
        ],
    )
