"""Model specification code is unit tested (infra-2): the standard tests for model code.

Model code fails quietly: a wrong feature wiring, a loss that never moves or an estimator that
breaks scikit-learn's contract still produces a model and a number. Three cheap tests catch most
of it: (1) the model can memorise a tiny sample (if it cannot, something between the data and
the learner is broken); (2) one more training step lowers the training loss (the optimisation is
wired up); (3) a custom estimator class passes scikit-learn's own estimator checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mltestscore.checks import _inputs as inputs
from mltestscore.checks import _models
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table

RUBRIC = ("infra-2",)
_ITERATION_PARAMS = ("max_iter", "n_estimators")


def _clone(estimator: Any, params: Mapping[str, Any] | None) -> Any:
    """A fresh copy with ``params`` set. A parameter the estimator does not know is tried on a
    Pipeline's final learner (``C`` reaches ``logisticregression__C``), so the override a
    person writes for "the model" reaches the model."""
    from mltestscore.checks._models import clone_model as clone

    if not callable(getattr(estimator, "fit", None)) or not hasattr(estimator, "get_params"):
        raise CheckInputError(
            "estimator", f"expected an unfitted scikit-learn estimator, got {type(estimator)}"
        )
    fresh = clone(estimator)
    if params:
        known = fresh.get_params(deep=True)
        _, prefix = _final_step(fresh)
        routed = {
            (key if key in known or f"{prefix}{key}" not in known else f"{prefix}{key}"): value
            for key, value in params.items()
        }
        try:
            fresh.set_params(**routed)
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
    predictions = _models.as_predictions(model.predict(X))
    if classifier:
        return "error_rate", float(np.mean(predictions != y))
    return "mse", float(metrics.mean_squared_error(y, predictions))


@dataclass(frozen=True)
class InputUseControl:
    """Training loss on the real labels against the same fit on shuffled labels: a learner
    that uses its inputs fits the real pairing better than any shuffled one."""

    loss: str
    real: float
    shuffled: tuple[float, ...]
    constant: float  # the loss of predicting the label distribution (or mean) for every row
    rows: int

    @property
    def p_value(self) -> float:
        """Permutation p-value: the share of fits (real included) at least as good as real."""
        tie = 1e-9 * max(abs(self.real), 1e-12)  # equal up to float rounding counts as a tie
        return (1 + sum(s <= self.real + tie for s in self.shuffled)) / (1 + len(self.shuffled))


def _constant_loss(loss: str, y: Any) -> float:
    import numpy as np

    _, counts = np.unique(y, return_counts=True)
    if loss == "log_loss":
        shares = counts / counts.sum()
        return float(-(shares * np.log(shares)).sum())
    if loss == "error_rate":
        return float(1 - counts.max() / counts.sum())
    return float(np.var(np.asarray(y, dtype=float)))


def measure_input_use(
    estimator: Any,
    params: Mapping[str, Any] | None,
    X: Any,
    y: Any,
    classifier: bool,
    n_shuffles: int,
    seed: int,
) -> InputUseControl:
    """Fit on (X, y), then on ``n_shuffles`` label permutations, and compare training losses."""
    import numpy as np

    model = _clone(estimator, params).fit(X, y)
    loss, real = _training_loss(model, X, y, classifier)
    rng = np.random.default_rng(seed)
    shuffled = []
    for _ in range(n_shuffles):
        labels = np.asarray(y)[rng.permutation(len(y))]
        control = _clone(estimator, params).fit(X, labels)
        shuffled.append(_training_loss(control, X, labels, classifier)[1])
    return InputUseControl(loss, real, tuple(shuffled), _constant_loss(loss, y), len(y))


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
    control_size: int = 300,
    n_shuffles: int = 19,
    alpha: float = 0.05,
) -> CheckResult:
    """The model can memorise a tiny training sample, or, when its capacity is too low for
    that, its fit demonstrably learns from its inputs.

    A model that cannot fit ``sample_size`` rows it has seen may have a bug between the data
    and the learner (features dropped, labels misaligned, a learner that ignores its input),
    or simply too little capacity: a logistic regression on a few noisy tabular features cannot
    memorise 30 rows whatever its regularisation. Step 1: the training score (accuracy for
    classifiers, R² for regressors) on the tiny sample reaches ``min_train_score``: passed.
    Step 2, otherwise: a label-permutation control on ``control_size`` rows. The model is fitted
    on the real labels and on ``n_shuffles`` shuffles of them; a learner wired to its inputs
    reaches a lower training loss on the real pairing than on (nearly) every shuffle. Passed when
    the permutation p-value is <= ``alpha``; failed otherwise (neither memorises nor learns).
    ``params`` (``set_params`` keywords; a bare name such as ``C`` reaches a Pipeline's final
    learner) relax regularisation for both steps.
    """
    import numpy as np

    X_small, y_small = _tiny_sample(X, y, sample_size, seed)
    model = _clone(estimator, params)
    model.fit(X_small, y_small)
    classifier = _is_classifier(model, y_small)
    metric = "accuracy" if classifier else "r2"
    value = _models.score(metric, y_small, _models.predict(model, X_small))
    parameters: dict[str, object] = {
        "sample_size": len(y_small),
        "seed": seed,
        "params": repr(dict(params)) if params else None,
    }
    thresholds: dict[str, object] = {"min_train_score": min_train_score}
    measurements: dict[str, object] = {f"train_{metric}": value}
    memorised = (
        f"{type(model).__name__} reaches training {metric} {inputs.fmt(value)} on "
        f"{len(y_small)} rows it was trained on"
    )
    if value >= min_train_score:
        return CheckResult.passed(
            "check_model_can_overfit",
            RUBRIC,
            f"{memorised} (needs {min_train_score})",
            measurements=measurements,
            thresholds=thresholds,
            parameters=parameters,
        )
    X_control, y_control = _tiny_sample(X, y, control_size, seed + 1)
    if len(np.unique(y_control)) < 2:
        return CheckResult.not_applicable(
            "check_model_can_overfit",
            RUBRIC,
            f"{memorised} (needs {min_train_score}), and the {len(y_control)} control rows "
            "hold one label value, so a permutation control cannot tell learning from none",
            measurements=measurements,
            thresholds=thresholds,
            parameters=parameters,
        )
    control = measure_input_use(
        estimator, params, X_control, y_control, classifier, n_shuffles, seed
    )
    ok = control.p_value <= alpha
    measurements.update(
        control_loss=control.real,
        control_loss_shuffled_median=float(np.median(control.shuffled)),
        control_loss_constant=control.constant,
        control_p_value=control.p_value,
    )
    thresholds["alpha"] = alpha
    parameters.update(control_size=control.rows, n_shuffles=n_shuffles, loss=control.loss)
    control_text = (
        f"training {control.loss} {inputs.fmt(control.real)} on {control.rows} rows against "
        f"{inputs.fmt(min(control.shuffled))}-{inputs.fmt(max(control.shuffled))} on "
        f"{len(control.shuffled)} label shuffles (p = {inputs.fmt(control.p_value)}; "
        f"a constant prediction: {inputs.fmt(control.constant)})"
    )
    if ok:
        reason = (
            f"{memorised}, below {min_train_score}: too little capacity to memorise, but its "
            f"fit learns from its inputs: {control_text}"
        )
    else:
        reason = (
            f"{memorised} (needs {min_train_score}): it cannot memorise a tiny sample, and its "
            f"fit does not learn from its inputs ({control_text}); check features, labels "
            "and regularisation"
        )
    table = Table.build(
        "Label-permutation control of the training fit",
        ["labels", f"training_{control.loss}"],
        [["real", control.real], ["constant prediction", control.constant]]
        + [[f"shuffle {i + 1}", loss] for i, loss in enumerate(control.shuffled)],
        chart=f"training_{control.loss}",
    )
    return CheckResult.judge(
        ok,
        "check_model_can_overfit",
        RUBRIC,
        reason,
        measurements=measurements,
        thresholds=thresholds,
        parameters=parameters,
        tables=[table],
    )


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
    min_gain_over_constant: float = 0.05,
) -> CheckResult:
    """One more training step lowers the training loss, or training has taken it clearly
    below a constant prediction's (partial_fit or warm start).

    For estimators with ``partial_fit`` a step is one more ``partial_fit`` call; for estimators
    (or a Pipeline's final estimator) with ``warm_start`` and ``max_iter``/``n_estimators`` it
    is ``extra_steps`` more iterations after ``first_steps``. The loss is the training log loss
    (classifiers with probabilities), error rate, or mean squared error. Passed when the step
    lowers the loss by more than ``min_loss_decrease``, or when the loss after it is at least
    ``min_gain_over_constant`` (relative) below the loss of a constant prediction (the label
    distribution, or the mean): one step need not lower the *measured* loss of a learner that
    has already learned (a regularised learner minimises loss plus penalty, a stochastic one is
    noisy, bagging adds trees rather than descending). Failed when neither holds: the step
    does not help and the model is no better than knowing nothing.
    Not applicable to estimators with neither ``partial_fit`` nor ``warm_start``.
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
    constant = _constant_loss(loss_name, y_small)
    decrease = before - after
    gain = 1 - after / constant if constant > 0 else (1.0 if after <= 0 else 0.0)
    learned = gain >= min_gain_over_constant
    stepped = decrease > min_loss_decrease
    ok = learned or stepped
    verb = "lowers" if decrease > 0 else "does not lower"
    step_text = (
        f"one more training step ({mode}) {verb} the training {loss_name} of "
        f"{type(learner).__name__}: {inputs.fmt(before)} → {inputs.fmt(after)}"
    )
    versus = (
        f"{inputs.fmt(gain * 100)}% below a constant prediction's {inputs.fmt(constant)} "
        f"(needs {inputs.fmt(min_gain_over_constant * 100)}%)"
    )
    if ok:
        reason = f"{step_text}; the trained loss is {versus}"
    else:
        reason = (
            f"{step_text}, and the trained loss is not clearly below a constant prediction's: "
            f"{versus}; the optimisation is not wired to the data"
        )
    return CheckResult.judge(
        ok,
        "check_training_step_lowers_loss",
        RUBRIC,
        reason,
        measurements={
            "loss_before": before,
            "loss_after": after,
            "loss_decrease": decrease,
            "loss_constant": constant,
            "gain_over_constant": gain,
        },
        thresholds={
            "min_loss_decrease": min_loss_decrease,
            "min_gain_over_constant": min_gain_over_constant,
        },
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
