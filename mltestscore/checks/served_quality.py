"""Prediction quality has not regressed on served data (monitor-7).

Offline metrics describe the data the model was trained on; the world moves. Once labels for
recent serving traffic arrive, two numbers tell whether the model still fits it: the metric
against the one measured at training time, and the prediction bias (mean prediction minus mean
label). Bias needs no ranking and shows up on small samples, overall and per slice (the same
slices as model-6 and infra-4), which is where a shifted population first shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mltestscore.checks import _inputs as inputs
from mltestscore.checks import _models, _slices
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table

RUBRIC = ("monitor-7",)
CHECK = "check_served_quality"


def _expected_values(model: Any, X: Any, labels: Any, task: str) -> tuple[Any, Any]:
    """(what the model expects per row, the observed outcome per row) on one scale.

    Binary: probability of the positive class vs 0/1 label. Regression: prediction vs label.
    Multiclass: per-class probabilities vs one-hot labels (bias is the largest per-class gap).
    """
    import numpy as np

    proba = _models.predict_proba(model, X)
    if task == "regression":
        return _models.predict(model, X).astype(float), labels.astype(float)
    classes = np.asarray(getattr(model, "classes_", np.unique(labels)))
    observed = (labels[:, None] == classes[None, :]).astype(float)
    if proba is None:
        predictions = _models.predict(model, X)
        expected = (predictions[:, None] == classes[None, :]).astype(float)
    else:
        expected = proba
    if task == "binary":
        return expected[:, -1], observed[:, -1]
    return expected, observed


def _bias(expected: Any, observed: Any) -> float:
    import numpy as np

    gaps = np.atleast_1d(expected.mean(axis=0) - observed.mean(axis=0))
    return float(gaps[np.abs(gaps).argmax()])


@register_check(*RUBRIC)
def check_served_quality(
    model: Any,
    X_served: Any,
    y_served: Any,
    *,
    training_metric: float,
    metric: str | None = None,
    max_metric_drop: float = 0.05,
    max_bias: float = 0.05,
    slice_columns: Sequence[str] = (),
    max_slice_bias: float = 0.10,
    min_slice_size: int = 50,
    numeric_bins: int = 4,
) -> CheckResult:
    """On labelled serving data, the metric holds up and predictions are not biased.

    ``training_metric`` is the metric measured at training time (same ``metric``; default ROC
    AUC, macro F1 or RMSE by task). Fails when the metric on ``X_served``/``y_served`` is more
    than ``max_metric_drop`` worse, when the prediction bias (mean predicted probability or
    value minus mean label; for multiclass the largest per-class gap) exceeds ``max_bias`` in
    absolute value, or when it exceeds ``max_slice_bias`` on a slice of ``slice_columns``
    with at least ``min_slice_size`` rows. Models without ``predict_proba`` use their hard
    predictions for classification bias.
    """
    import numpy as np

    inputs.require_model(model, "model")
    X_served = inputs.require_rows(X_served, "X_served")
    labels = inputs.require_labels(y_served, len(X_served), "y_served")
    if slice_columns:
        inputs.require_columns(X_served, slice_columns, "slice_columns")
    if not isinstance(training_metric, int | float) or not np.isfinite(training_metric):
        raise CheckInputError(
            "training_metric", f"expected a finite number, got {training_metric!r}"
        )
    task = _models.task_of(labels, model)
    metric = metric or _models.default_metric(task)
    if (why := _models.missing_probabilities(metric, model)) is not None:
        return CheckResult.not_applicable(CHECK, RUBRIC, why, parameters={"metric": metric})
    served_value = _models.score(
        metric, labels, _models.predict(model, X_served), _models.predict_proba(model, X_served)
    )
    if np.isnan(served_value):
        raise CheckInputError(
            "y_served", f"{metric} is undefined on these labels (one class only?)"
        )
    sign = 1.0 if _models.higher_is_better(metric) else -1.0
    drop = sign * (float(training_metric) - served_value)

    expected, observed = _expected_values(model, X_served, labels, task)
    bias = _bias(expected, observed)
    problems = []
    if drop > max_metric_drop:
        problems.append(
            f"{metric} {inputs.fmt(served_value)} vs {inputs.fmt(training_metric)} at training "
            f"(drop {inputs.fmt(drop)} > {max_metric_drop})"
        )
    if abs(bias) > max_bias:
        problems.append(f"prediction bias {bias:+.3f} overall (limit ±{max_bias})")

    rows: list[tuple[object, ...]] = [
        ("overall", len(labels), float(np.mean(expected)), float(np.mean(observed)), bias)
    ]
    biased = []
    for piece in _slices.make_slices(X_served, list(slice_columns), numeric_bins=numeric_bins):
        size = int(piece.mask.sum())
        if size < min_slice_size:
            continue
        slice_bias = _bias(expected[piece.mask], observed[piece.mask])
        rows.append(
            (
                piece.name,
                size,
                float(np.mean(expected[piece.mask])),
                float(np.mean(observed[piece.mask])),
                slice_bias,
            )
        )
        if abs(slice_bias) > max_slice_bias:
            biased.append((piece.name, slice_bias))
    if biased:
        biased.sort(key=lambda item: -abs(item[1]))
        named = ", ".join(f"{n} ({b:+.3f})" for n, b in biased[:3])
        problems.append(f"{len(biased)} slice(s) biased past ±{max_slice_bias}: {named}")

    if problems:
        reason = "served quality regressed: " + "; ".join(problems)
    else:
        reason = (
            f"on {len(labels)} served rows {metric} {inputs.fmt(served_value)} "
            f"(training {inputs.fmt(training_metric)}), prediction bias {bias:+.3f}"
        )
        if slice_columns:
            reason += f", no slice past ±{max_slice_bias}"
    slice_rows = sorted(rows[1:], key=lambda r: -abs(float(r[4])))  # type: ignore[arg-type]
    return CheckResult.judge(
        not problems,
        CHECK,
        RUBRIC,
        reason,
        measurements={
            "served_metric": served_value,
            "training_metric": float(training_metric),
            "metric_drop": drop,
            "prediction_bias": bias,
            "mean_prediction": float(np.mean(expected)),
            "mean_label": float(np.mean(observed)),
            "worst_slice_bias": slice_rows[0][4] if slice_rows else None,
            "slices_biased": len(biased),
        },
        thresholds={
            "max_metric_drop": max_metric_drop,
            "max_bias": max_bias,
            "max_slice_bias": max_slice_bias if slice_columns else None,
        },
        parameters={
            "metric": metric,
            "task": task,
            "rows": len(labels),
            "slice_columns": ", ".join(slice_columns),
            "min_slice_size": min_slice_size,
            "numeric_bins": numeric_bins,
        },
        tables=[
            Table.build(
                "Prediction bias (mean prediction − mean label)",
                ["slice", "rows", "mean prediction", "mean label", "bias"],
                [rows[0], *slice_rows],
                chart="bias",
            )
        ],
    )
