"""Model specification code is unit tested (infra-2): the standard tests for model code.

Model code fails quietly: a wrong feature wiring, a loss that never moves or an estimator that
breaks scikit-learn's contract still produces a model and a number. Three cheap tests catch most
of it: (1) the model can memorise a tiny sample (if it cannot, something between the data and
the learner is broken); (2) one more training step lowers the training loss (the optimisation is
wired up); (3) a custom estimator class passes scikit-learn's own estimator checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mltestscore.checks import _infra_inputs as inputs
from mltestscore.checks import _models
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table

RUBRIC = ("infra-2",)
_ITERATION_PARAMS = ("max_iter", "n_estimators")


def _clone(estimator: Any, params: Mapping[str, Any] | None) -> Any:
    from sklearn.base import clone

    if not callable(getattr(estimator, "fit", None)) or not hasattr(estimator, "get_params"):
        raise CheckInputError(
            "estimator", f"expected an unfitted scikit-learn estimator, got {type(estimator)}"
        )
    fresh = clone(estimator)
    if params:
        try:
            fresh.set_params(**params)
        except ValueError as exc:
            raise CheckInputError("params", str(exc)) from exc
    return fresh


def _is_classifier(estimator: Any, y: Any) -> bool:
    """What the estimator declares (sklearn tags); the labels decide for untagged ones."""
    from sklearn.base import is_classifier, is_regressor

    try:
        if is_classifier(estimator):
            return True
        if is_regressor(estimator):
            return False
    except AttributeError:  # no __sklearn_tags__: not derived from BaseEstimator
        pass
    return bool(_models.infer_task(y) != "regression")


def _tiny_sample(X: Any, y: Any, size: int, seed: int) -> tuple[Any, Any]:
    X = inputs.require_rows(X, "X")
    labels = inputs.require_labels(y, len(X), "y")
    rows = inputs.sample_rows(X, size, seed)
    return inputs.take_rows(X, rows), labels[rows]


@register_check(*RUBRIC)
def check_model_can_overfit(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    sample_size: int = 30,
    seed: int = 0,
    min_train_score: float = 0.95,
    params: Mapping[str, Any] | None = None,
) -> CheckResult:
    """The model can memorise a tiny training sample.

    A model that cannot fit ``sample_size`` rows it has seen has a bug between the data and the
    learner (features dropped, labels misaligned, a learner that ignores its input). The score
    is accuracy for classifiers and R² for regressors, on the training sample itself. Strong
    regularisation can also prevent memorising: relax it for this test through ``params``
    (``set_params`` keywords such as ``{"model__min_samples_leaf": 1}``).
    """
    X_small, y_small = _tiny_sample(X, y, sample_size, seed)
    model = _clone(estimator, params)
    model.fit(X_small, y_small)
    classifier = _is_classifier(model, y_small)
    metric = "accuracy" if classifier else "r2"
    value = _models.score(metric, y_small, _models.predict(model, X_small))
    ok = value >= min_train_score
    reason = (
        f"{type(model).__name__} reaches training {metric} {inputs.fmt(value)} on {len(y_small)} "
        f"rows it was trained on (needs {min_train_score})"
    )
    if not ok:
        reason += ": it cannot memorise a tiny sample, check features, labels and regularisation"
    return CheckResult.judge(
        ok,
        "check_model_can_overfit",
        RUBRIC,
        reason,
        measurements={f"train_{metric}": value},
        thresholds={"min_train_score": min_train_score},
        parameters={
            "sample_size": len(y_small),
            "seed": seed,
            "params": repr(dict(params)) if params else None,
        },
    )


def _final_step(estimator: Any) -> tuple[Any, str]:
    """The learner at the end of a Pipeline and the ``set_params`` prefix that reaches it."""
    steps = getattr(estimator, "steps", None)
    if steps:
        inner, prefix = _final_step(steps[-1][1])
        return inner, f"{steps[-1][0]}__{prefix}"
    return estimator, ""


def _training_loss(model: Any, X: Any, y: Any, classifier: bool) -> tuple[str, float]:
    import numpy as np
    from sklearn import metrics

    if classifier and callable(getattr(model, "predict_proba", None)):
        proba = np.asarray(model.predict_proba(X))
        return "log_loss", float(metrics.log_loss(y, proba, labels=model.classes_))
    predictions = np.asarray(model.predict(X))
    if classifier:
        return "error_rate", float(np.mean(predictions != y))
    return "mse", float(metrics.mean_squared_error(y, predictions))


@register_check(*RUBRIC)
def check_training_step_lowers_loss(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    sample_size: int = 500,
    seed: int = 0,
    first_steps: int = 10,
    extra_steps: int = 10,
    min_loss_decrease: float = 0.0,
) -> CheckResult:
    """One more training step lowers the training loss (partial_fit or warm start).

    For estimators with ``partial_fit`` a step is one more ``partial_fit`` call; for estimators
    (or a Pipeline's final estimator) with ``warm_start`` and ``max_iter``/``n_estimators`` it
    is ``extra_steps`` more iterations after ``first_steps``. The loss is the training log loss
    (classifiers with probabilities), error rate, or mean squared error. Fails unless the loss
    drops by more than ``min_loss_decrease``; not applicable to estimators with neither.
    """
    import numpy as np

    X_small, y_small = _tiny_sample(X, y, sample_size, seed)
    model = _clone(estimator, None)
    learner, prefix = _final_step(model)
    classifier = _is_classifier(learner, y_small)
    params = learner.get_params()
    if callable(getattr(learner, "partial_fit", None)) and not prefix:
        mode = "partial_fit"
        extra = {"classes": np.unique(y_small)} if classifier else {}
        model.partial_fit(X_small, y_small, **extra)
        loss_name, before = _training_loss(model, X_small, y_small, classifier)
        model.partial_fit(X_small, y_small)
    elif "warm_start" in params and any(p in params for p in _ITERATION_PARAMS):
        iteration = next(p for p in _ITERATION_PARAMS if p in params)
        mode = f"warm_start on {iteration}"
        model.set_params(**{f"{prefix}warm_start": True, f"{prefix}{iteration}": first_steps})
        model.fit(X_small, y_small)
        loss_name, before = _training_loss(model, X_small, y_small, classifier)
        model.set_params(**{f"{prefix}{iteration}": first_steps + extra_steps})
        model.fit(X_small, y_small)
    else:
        return CheckResult.not_applicable(
            "check_training_step_lowers_loss",
            RUBRIC,
            f"{type(learner).__name__} has neither partial_fit nor warm_start with "
            "max_iter/n_estimators, so there is no single training step to take",
        )
    _, after = _training_loss(model, X_small, y_small, classifier)
    decrease = before - after
    ok = decrease > min_loss_decrease
    verb = "lowers" if decrease > 0 else "does not lower"
    return CheckResult.judge(
        ok,
        "check_training_step_lowers_loss",
        RUBRIC,
        f"one more training step ({mode}) {verb} the training {loss_name} of "
        f"{type(learner).__name__}: {inputs.fmt(before)} → {inputs.fmt(after)}",
        measurements={"loss_before": before, "loss_after": after, "loss_decrease": decrease},
        thresholds={"min_loss_decrease": min_loss_decrease},
        parameters={
            "loss": loss_name,
            "mode": mode,
            "sample_size": len(y_small),
            "seed": seed,
            "first_steps": first_steps,
            "extra_steps": extra_steps,
        },
    )


@register_check(*RUBRIC)
def check_estimator_conventions(
    estimator: Any,
    *,
    expected_failed_checks: Mapping[str, str] | None = None,
    legacy: bool = True,
) -> CheckResult:
    """A custom estimator class passes scikit-learn's own estimator checks.

    Runs ``sklearn.utils.estimator_checks.check_estimator`` on an instance (a class is built
    with its defaults) without stopping at the first failure, and lists every failing check.
    Checks you know fail and accept go in ``expected_failed_checks`` (name → why), as in
    scikit-learn: they are reported as expected failures, not failures.
    """
    import warnings
    from collections import Counter

    from sklearn.utils.estimator_checks import check_estimator

    instance = estimator() if isinstance(estimator, type) else estimator
    if not hasattr(instance, "get_params") or not callable(getattr(instance, "fit", None)):
        raise CheckInputError(
            "estimator", f"expected a scikit-learn estimator, got {type(instance).__name__}"
        )
    name = type(instance).__name__
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(
            instance,
            legacy=legacy,
            expected_failed_checks=dict(expected_failed_checks or {}),
            on_fail=None,
            on_skip=None,
        )
    statuses = Counter(str(r["status"]) for r in results)
    failures: dict[str, str] = {}
    for r in results:
        if r["status"] == "failed" and r["check_name"] not in failures:
            exc = r["exception"]
            message = " ".join(str(exc).split())[:160]
            failures[str(r["check_name"])] = f"{type(exc).__name__}: {message}".rstrip(": ")
    total = sum(statuses.values())
    if failures:
        listed = ", ".join(list(failures)[:5]) + (" ..." if len(failures) > 5 else "")
        reason = f"{name} fails {len(failures)} scikit-learn estimator check(s): {listed}"
    else:
        reason = f"{name} passes scikit-learn's estimator checks ({statuses['passed']} of {total})"
        if statuses["xfail"]:
            reason += f", {statuses['xfail']} expected failure(s) declared"
    return CheckResult.judge(
        not failures,
        "check_estimator_conventions",
        RUBRIC,
        reason,
        measurements={
            "checks_run": total,
            "passed": statuses["passed"],
            "failed": statuses["failed"],
            "expected_failures": statuses["xfail"],
            "skipped": statuses["skipped"],
        },
        thresholds={"max_failed": 0},
        parameters={"estimator": name, "legacy": legacy},
        tables=[
            Table.build(
                f"scikit-learn estimator checks failed by {name}",
                ["check", "error"],
                sorted(failures.items()),
            )
        ]
        if failures
        else [],
    )
