"""Prediction quality has not regressed on served data (monitor-7).

Offline metrics describe the data the model was trained on; the world moves. Once labels for
recent serving traffic arrive, two numbers tell whether the model still fits it: the metric
against the one measured at training time, and the prediction bias (mean prediction minus mean
label). Bias needs no ranking and shows up on small samples, overall and per slice (the same
slices as model-6 and infra-4), which is where a shifted population first shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


def _bias(expected: Any, observed: Any, scale: float) -> tuple[float, float]:
    """(bias, its standard error), both divided by ``scale``: the mean prediction minus the
    mean label (for multiclass the class with the largest gap), and the standard error of
    that mean over rows, so a judgement can ask whether the bias is clearly past a limit."""
    import numpy as np

    gaps = np.atleast_1d(expected.mean(axis=0) - observed.mean(axis=0))
    worst = int(np.abs(gaps).argmax())
    differences = (expected - observed).reshape(len(expected), -1)[:, worst]
    spread = float(np.std(differences, ddof=1)) if len(differences) > 1 else float("inf")
    return float(gaps[worst]) / scale, spread / np.sqrt(len(differences)) / scale


def _clearly_past(value: float, standard_error: float, limit: float, z: float) -> bool:
    """True when the whole interval ``value ± z·standard_error`` lies past ``±limit``."""
    return abs(value) - z * standard_error > limit


def _metric_interval(
    metric: str,
    labels: Any,
    predictions: Any,
    proba: Any,
    confidence: float,
    n_bootstrap: int,
    seed: int,
) -> tuple[float, float]:
    """A percentile bootstrap interval of the served metric over rows (resamples where the
    metric is undefined, one class only, are left out)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_bootstrap):
        rows = rng.integers(0, len(labels), len(labels))
        value = _models.score(
            metric, labels[rows], predictions[rows], None if proba is None else proba[rows]
        )
        if np.isfinite(value):
            values.append(value)
    if not values:
        return float("nan"), float("nan")
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(values, [tail, 100.0 - tail])
    return float(low), float(high)


def _slice_biases(
    X: Any,
    expected: Any,
    observed: Any,
    columns: Sequence[str],
    numeric_bins: int,
    min_size: int,
    scale: float,
    clearly_biased: Callable[[float, float], bool],
) -> tuple[list[tuple[object, ...]], list[tuple[str, float]]]:
    """Per slice of at least ``min_size`` rows: its table row, and (name, bias) for those
    ``clearly_biased`` says are past the slice limit."""
    import numpy as np

    rows: list[tuple[object, ...]] = []
    biased = []
    for piece in _slices.make_slices(X, list(columns), numeric_bins=numeric_bins):
        size = int(piece.mask.sum())
        if size < min_size:
            continue
        value, standard_error = _bias(expected[piece.mask], observed[piece.mask], scale)
        mean_expected = float(np.mean(expected[piece.mask]))
        rows.append((piece.name, size, mean_expected, float(np.mean(observed[piece.mask])), value))
        if clearly_biased(value, standard_error):
            biased.append((piece.name, value))
    return rows, biased


def _drop(metric: str, training: float, served: float) -> float:
    """How much worse ``served`` is than ``training``: score points for a score, the
    relative increase for an error (so 0.05 means the same on every target's units)."""
    if _models.higher_is_better(metric):
        return training - served
    return (served - training) / max(abs(training), 1e-12)


def _bias_scale(observed: Any, task: str) -> float:
    """1 for probabilities; the label's standard deviation for a regression."""
    import numpy as np

    if task != "regression":
        return 1.0
    spread = float(np.std(observed, ddof=1)) if len(observed) > 1 else 0.0
    return spread if spread > 0 else 1.0


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
    confidence: float = 0.95,
    n_bootstrap: int = 200,
    seed: int = 0,
) -> CheckResult:
    """On labelled serving data, the metric holds up and predictions are not biased.

    ``training_metric`` is the metric measured at training time (same ``metric``; default ROC
    AUC, macro F1 or RMSE by task). Fails when the metric on ``X_served``/``y_served`` is more
    than ``max_metric_drop`` worse, when the prediction bias (mean predicted probability or
    value minus mean label; for multiclass the largest per-class gap) exceeds ``max_bias`` in
    absolute value, or when it exceeds ``max_slice_bias`` on a slice of ``slice_columns``
    with at least ``min_slice_size`` rows. Models without ``predict_proba`` use their hard
    predictions for classification bias.

    Each limit fails only when it is clearly broken, at ``confidence``: the metric when its
    bootstrap interval (``n_bootstrap`` resamples of the served rows, ``seed``) lies wholly
    past the drop, a bias when its interval (mean ± z standard errors) lies wholly past the
    limit. On a few dozen served rows a 0.06 drop in F1 is one row, not a regression.
    ``max_metric_drop`` is absolute for scores (ROC AUC, F1, accuracy: 0.05 = five points)
    and relative for errors (RMSE, MAE, log loss: 0.05 = 5% worse), so it means the same on
    every target's units; a regression's bias is measured in standard deviations of the
    label for the same reason.
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
    if not 0.5 <= confidence < 1.0:
        raise CheckInputError("confidence", f"must be in [0.5, 1), got {confidence!r}")
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + confidence / 2.0))
    predictions = _models.predict(model, X_served)
    proba = _models.predict_proba(model, X_served)
    served_value = _models.score(metric, labels, predictions, proba)
    if np.isnan(served_value):
        raise CheckInputError(
            "y_served", f"{metric} is undefined on these labels (one class only?)"
        )
    low, high = _metric_interval(metric, labels, predictions, proba, confidence, n_bootstrap, seed)
    drop = _drop(metric, float(training_metric), served_value)
    # The end of the interval nearest the training value: the smallest drop compatible
    # with the served rows.
    nearest = high if _models.higher_is_better(metric) else low
    least_drop = _drop(metric, float(training_metric), nearest) if np.isfinite(nearest) else drop

    expected, observed = _expected_values(model, X_served, labels, task)
    scale = _bias_scale(observed, task)
    bias, bias_se = _bias(expected, observed, scale)
    unit = " label SD" if task == "regression" else ""
    problems = []
    if least_drop > max_metric_drop:
        problems.append(
            f"{metric} {inputs.fmt(served_value)} ({confidence:.0%} CI {inputs.fmt(low)}-"
            f"{inputs.fmt(high)}) vs {inputs.fmt(training_metric)} at training "
            f"(drop at least {inputs.fmt(least_drop)} > {max_metric_drop})"
        )
    if _clearly_past(bias, bias_se, max_bias, z):
        problems.append(
            f"prediction bias {bias:+.3f}{unit} ± {z * bias_se:.3f} overall "
            f"(limit ±{max_bias}{unit})"
        )

    rows: list[tuple[object, ...]] = [
        ("overall", len(labels), float(np.mean(expected)), float(np.mean(observed)), bias)
    ]
    slice_rows, biased = _slice_biases(
        X_served, expected, observed, slice_columns, numeric_bins, min_slice_size, scale,
        lambda value, se: _clearly_past(value, se, max_slice_bias, z),
    )  # fmt: skip
    rows.extend(slice_rows)
    if biased:
        biased.sort(key=lambda item: -abs(item[1]))
        named = ", ".join(f"{n} ({b:+.3f})" for n, b in biased[:3])
        problems.append(
            f"{len(biased)} slice(s) clearly biased past ±{max_slice_bias}{unit}: {named}"
        )

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
            "served_metric_low": low,
            "served_metric_high": high,
            "least_metric_drop": least_drop,
            "prediction_bias": bias,
            "prediction_bias_se": bias_se,
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
            "confidence": confidence,
            "n_bootstrap": n_bootstrap,
            "seed": seed,
            "bias_unit": "label standard deviations" if task == "regression" else "probability",
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
