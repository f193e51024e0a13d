"""Reproducible training (infra-1): train twice with the same seed, compare example by example.

If two trainings with the same seed and data disagree, nobody can tell a real improvement from
noise, bisect a regression or rebuild the model that is serving. Comparing predictions row by
row (not only the aggregate metric) catches the non-determinism that averages hide. Running each
training in its own fresh process also catches state that leaks between trainings in one
interpreter (global RNGs, caches, module-level counters).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mltestscore.checks import _inputs as inputs
from mltestscore.checks import _models
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table

RUBRIC = ("infra-1",)
CHECK = "check_reproducible_training"

TrainFunction = Callable[[int], Any]


def _train_and_predict(train: TrainFunction, seed: int, X: Any) -> tuple[Any, Any | None]:
    """One training run: fit with ``seed``, return (predictions, probabilities or None).

    Module level so a spawned worker process can import it.
    """
    import numpy as np

    model = train(seed)
    if not callable(getattr(model, "predict", None)):
        raise CheckInputError(
            "train", f"the training function returned {type(model).__name__}, not a model"
        )
    predictions = np.asarray(model.predict(X))
    proba = None
    if callable(getattr(model, "predict_proba", None)):
        proba = np.asarray(model.predict_proba(X))
    return predictions, proba


def _run_in_fresh_process(
    train: TrainFunction, seed: int, X: Any, timeout: float
) -> tuple[Any, Any | None]:
    import multiprocessing
    import pickle
    from concurrent.futures import ProcessPoolExecutor

    try:
        pickle.dumps(train)
    except Exception as exc:
        raise CheckInputError(
            "train",
            f"cannot send {getattr(train, '__qualname__', train)!r} to another process ({exc}); "
            "use a module-level function to train in separate processes",
        ) from exc
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_train_and_predict, train, seed, X).result(timeout=timeout)


def _differences(
    reference: tuple[Any, Any | None], other: tuple[Any, Any | None], atol: float
) -> tuple[int, float]:
    """(rows whose prediction or probabilities differ beyond ``atol``, largest difference)."""
    import numpy as np

    ref_pred, ref_proba = reference
    pred, proba = other
    if ref_pred.shape != pred.shape:
        return len(ref_pred), float("inf")
    if np.issubdtype(ref_pred.dtype, np.number) and np.issubdtype(pred.dtype, np.number):
        gap = np.abs(ref_pred.astype(float) - pred.astype(float)).reshape(len(ref_pred), -1)
        row_gap = gap.max(axis=1)
    else:
        row_gap = (ref_pred != pred).astype(float).reshape(len(ref_pred), -1).max(axis=1)
    if ref_proba is not None and proba is not None and ref_proba.shape == proba.shape:
        row_gap = np.maximum(row_gap, np.abs(ref_proba - proba).max(axis=1))
    return int((row_gap > atol).sum()), float(row_gap.max(initial=0.0))


@register_check(*RUBRIC)
def check_reproducible_training(
    train: TrainFunction,
    X: Any,
    y: Any = None,
    *,
    seed: int = 0,
    runs: int = 2,
    separate_processes: bool = False,
    atol: float = 1e-9,
    max_differing_fraction: float = 0.0,
    max_metric_difference: float = 0.0,
    metric: str | None = None,
    timeout: float = 600.0,
) -> CheckResult:
    """Training twice with the same seed gives the same predictions, row by row.

    ``train(seed)`` must return a fitted model; it is called ``runs`` times with the same seed
    (each in a fresh spawned process when ``separate_processes``, which needs a module-level,
    picklable function). Every run predicts ``X``; a row differs when its prediction or any
    class probability moves by more than ``atol``. With labels ``y`` the metric of each run is
    compared too. Fails when more than ``max_differing_fraction`` of rows differ or the metric
    moves by more than ``max_metric_difference``.
    """
    if not callable(train):
        raise CheckInputError("train", f"expected a callable train(seed), got {type(train)}")
    if runs < 2:
        raise CheckInputError("runs", "at least 2 runs are needed to compare")
    X = inputs.require_rows(X, "X")
    labels = None if y is None else inputs.require_labels(y, len(X), "y")

    outputs = []
    for run in range(runs):
        try:
            if separate_processes:
                outputs.append(_run_in_fresh_process(train, seed, X, timeout))
            else:
                outputs.append(_train_and_predict(train, seed, X))
        except CheckInputError:
            raise
        except Exception as exc:
            return CheckResult.error(
                CHECK, RUBRIC, f"training run {run + 1} raised {type(exc).__name__}: {exc}"
            )

    metric_name = None
    metrics: list[float] = []
    if labels is not None:
        metric_name = metric or _models.default_metric(_task(labels, *outputs[0]))
        metrics = [_models.score(metric_name, labels, p, proba) for p, proba in outputs]

    rows = []
    worst_rows, worst_gap = 0, 0.0
    for run, output in enumerate(outputs):
        differing, gap = (0, 0.0) if run == 0 else _differences(outputs[0], output, atol)
        worst_rows, worst_gap = max(worst_rows, differing), max(worst_gap, gap)
        rows.append((run + 1, seed, metrics[run] if metrics else None, differing, gap))
    metric_spread = max(metrics) - min(metrics) if metrics else 0.0
    fraction = worst_rows / len(X)

    ok = fraction <= max_differing_fraction and metric_spread <= max_metric_difference
    where = "in separate processes" if separate_processes else "in this process"
    if worst_rows == 0 and metric_spread == 0:
        reason = (
            f"{runs} trainings with seed {seed} {where} gave identical predictions on {len(X)} rows"
        )
    else:
        reason = (
            f"{runs} trainings with seed {seed} {where} disagree on {worst_rows} of {len(X)} rows "
            f"(largest difference {inputs.fmt(worst_gap)})"
        )
        if metrics:
            reason += f", {metric_name} varies by {inputs.fmt(metric_spread)}"
    return CheckResult.judge(
        ok,
        CHECK,
        RUBRIC,
        reason,
        measurements={
            "differing_rows": worst_rows,
            "differing_fraction": fraction,
            "max_difference": worst_gap,
            "metric_spread": metric_spread if metrics else None,
        },
        thresholds={
            "max_differing_fraction": max_differing_fraction,
            "max_metric_difference": max_metric_difference,
            "atol": atol,
        },
        parameters={
            "seed": seed,
            "runs": runs,
            "rows": len(X),
            "separate_processes": separate_processes,
            "metric": metric_name,
        },
        tables=[
            Table.build(
                "Training runs compared with run 1",
                ["run", "seed", metric_name or "metric", "rows differing", "max difference"],
                rows,
                chart="rows differing",
            )
        ],
    )


def _task(labels: Any, predictions: Any, probabilities: Any) -> _models.Task:
    """The task from the labels, unless the model's own outputs say regression: integer
    targets (a count, a disease-progression score) look like classes to the labels alone,
    and a classification metric then refuses the continuous predictions."""
    import numpy as np

    task = _models.infer_task(labels)
    if task == "regression" or probabilities is not None:
        return task
    values = np.asarray(predictions)
    numeric = np.issubdtype(values.dtype, np.number)
    if numeric and not np.all(np.equal(np.mod(values, 1), 0)):
        return "regression"
    return task
