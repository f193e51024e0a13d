"""All hyperparameters have been tuned [model-3].

Two kinds of evidence. When a search was run, its record must show that the parameters in use
are the best it found: a refit callable that picks another candidate, a halving search read
on the wrong iteration, or a deployed model whose parameters drifted from ``best_params_`` all
leave a gap between the chosen and the best score. When no search record exists, a small,
time-bounded random search around the current parameters is run: if a neighbour beats them by
more than a tolerance, the model has not been tuned.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mltestscore.checks._boosters import effective_params
from mltestscore.checks._inputs import fmt, require_frame
from mltestscore.checks._inputs import require_labels as require_target
from mltestscore.checks._inputs import sample_frame as sample_rows
from mltestscore.checks._models import NotApplicableError, choose_metric, is_classifier, quality
from mltestscore.checks._threads import limited_threads
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table

if TYPE_CHECKING:
    import pandas as pd

RUBRIC = ("model-3",)
MAX_TABLE_ROWS = 15


def _format_params(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={_short(v)}" for k, v in sorted(params.items()))


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    try:
        return bool(a == b)
    except Exception:
        return repr(a) == repr(b)


def _judge_choice(
    name: str,
    params: Sequence[Mapping[str, Any]],
    scores: Sequence[float],
    chosen: int,
    tolerance: float,
    source: str,
    extra_problems: Sequence[str] = (),
    parameters: Mapping[str, object] | None = None,
) -> CheckResult:
    """Compare the chosen trial's score (higher is better) with the best one."""
    finite = [i for i, s in enumerate(scores) if s is not None and math.isfinite(s)]
    if not finite:
        raise CheckInputError(source, "no trial has a finite score")
    best = max(finite, key=lambda i: scores[i])
    chosen_score = scores[chosen]
    gap = (
        scores[best] - chosen_score
        if chosen_score is not None and math.isfinite(chosen_score)
        else math.inf
    )
    order = sorted(finite, key=lambda i: -scores[i])[:MAX_TABLE_ROWS]
    if chosen not in order:
        order.append(chosen)
    table = Table.build(
        f"Trials of the {source} (best first)",
        ["rank", "params", "score", "chosen", "best"],
        [
            [order.index(i) + 1, _format_params(params[i]), scores[i], i == chosen, i == best]
            for i in order
        ],
        chart="score",
    )
    problems = list(extra_problems)
    if gap > tolerance:
        problems.insert(
            0,
            f"the chosen parameters ({_format_params(params[chosen])}) score "
            f"{fmt(chosen_score)}, {fmt(gap)} below the best found "
            f"({_format_params(params[best])}, {fmt(scores[best])})",
        )
    reason = (
        "; ".join(problems)
        if problems
        else f"the chosen parameters ({_format_params(params[chosen])}) are the best of "
        f"{len(finite)} trials (score {fmt(chosen_score)})"
    )
    return CheckResult.judge(
        not problems,
        name,
        RUBRIC,
        reason,
        measurements={
            "trials": len(scores),
            "failed_trials": len(scores) - len(finite),
            "chosen_score": chosen_score,
            "best_score": scores[best],
            "gap": gap,
        },
        thresholds={"tolerance": tolerance},
        parameters=dict(parameters or {}),
        tables=[table],
    )


def _deployed_mismatches(model: Any, best_params: Mapping[str, Any]) -> list[str]:
    """Parameters of the deployed model that differ from the ones the search chose."""
    if not callable(getattr(model, "get_params", None)):
        raise CheckInputError("model", f"{type(model).__name__} has no get_params")
    current = model.get_params(deep=True)
    problems = []
    for key, value in best_params.items():
        if key not in current:
            problems.append(f"the model has no parameter {key!r} the search tuned")
        elif not _same(current[key], value):
            problems.append(
                f"the model uses {key}={_short(current[key])} but the search chose {_short(value)}"
            )
    return problems


@register_check(*RUBRIC)
def check_search_chose_best(
    search: Any, *, model: Any | None = None, tolerance: float = 0.0
) -> CheckResult:
    """A fitted GridSearchCV / RandomizedSearchCV / Halving*SearchCV chose its best candidate.

    Reads ``cv_results_`` (the refit metric when several were scored; the last iteration of a
    halving search, the only one run on full resources) and fails when the candidate at
    ``best_index_`` scores more than ``tolerance`` below the best, or when ``model`` (the model
    actually deployed) does not use ``best_params_``.
    """
    import numpy as np

    results = getattr(search, "cv_results_", None)
    best_index = getattr(search, "best_index_", None)
    if results is None or best_index is None:
        raise CheckInputError(
            "search",
            f"expected a fitted scikit-learn search with cv_results_ and best_index_, got "
            f"{type(search).__name__} (fit it, and keep refit on)",
        )
    refit = getattr(search, "refit", True)
    key = f"mean_test_{refit}" if isinstance(refit, str) else "mean_test_score"
    if key not in results:
        raise CheckInputError("search", f"cv_results_ has no {key!r} column")
    scores = np.asarray(results[key], dtype=float)
    candidates = list(range(len(scores)))
    kind = type(search).__name__
    if "iter" in results:  # successive halving: only the last round saw full resources
        rounds = np.asarray(results["iter"])
        candidates = [i for i in candidates if rounds[i] == rounds.max()]
    if int(best_index) not in candidates:
        raise CheckInputError("search", f"best_index_ {best_index} is not a final candidate")
    params = [dict(results["params"][i]) for i in candidates]
    problems = [] if model is None else _deployed_mismatches(model, search.best_params_)
    return _judge_choice(
        "check_search_chose_best",
        params,
        [float(scores[i]) for i in candidates],
        candidates.index(int(best_index)),
        tolerance,
        kind,
        problems,
        parameters={"search": kind, "score_column": key, "refit": str(refit)},
    )


def _trials_frame(trials: Any) -> pd.DataFrame:
    import pandas as pd

    if isinstance(trials, pd.DataFrame):
        frame = trials
    elif isinstance(trials, str) or hasattr(trials, "__fspath__"):
        try:
            frame = pd.read_csv(trials)
        except (OSError, ValueError) as exc:
            raise CheckInputError(f"trials file {str(trials)!r}", f"cannot be read: {exc}") from exc
    elif isinstance(trials, Sequence):
        frame = pd.DataFrame(list(trials))
    else:
        raise CheckInputError(
            "trials",
            f"expected a DataFrame, a CSV path or a list of dicts, got {type(trials).__name__}",
        )
    if frame.empty:
        raise CheckInputError("trials", "has no trials")
    return frame.reset_index(drop=True)


@register_check(*RUBRIC)
def check_trials_chose_best(
    trials: Any,
    chosen: int | Mapping[str, Any],
    *,
    score_column: str = "score",
    param_columns: Sequence[str] | None = None,
    higher_is_better: bool = True,
    tolerance: float = 0.0,
) -> CheckResult:
    """A table of tuning trials (DataFrame, CSV or list of dicts) shows the chosen one is best.

    ``chosen`` is the row position of the trial in use, or its parameters as a mapping. Use
    it with any tuner (Optuna's ``study.trials_dataframe()`` with ``score_column="value"``,
    whose ``params_*`` columns are picked up by default; Ray Tune; a spreadsheet). Fails
    when the chosen trial is more than ``tolerance`` worse than the best finite score.
    """
    import pandas as pd

    frame = _trials_frame(trials)
    if score_column not in frame.columns:
        raise CheckInputError("score_column", f"column {score_column!r} is not in the trials")
    scores_series = pd.to_numeric(frame[score_column], errors="coerce")
    if param_columns is None:  # Optuna's trials_dataframe() names parameters params_<name>
        prefixed = [str(c) for c in frame.columns if str(c).startswith("params_")]
        columns = prefixed or [str(c) for c in frame.columns if c != score_column]
    else:
        columns = list(param_columns)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CheckInputError("param_columns", f"column {missing[0]!r} is not in the trials")
    params = [{c: frame.at[i, c] for c in columns} for i in range(len(frame))]
    if isinstance(chosen, Mapping):
        matches = [
            i for i, p in enumerate(params) if all(_same(p.get(k), v) for k, v in chosen.items())
        ]
        if not matches:
            raise CheckInputError("chosen", f"no trial has {_format_params(chosen)}")
        position = matches[0]
    elif isinstance(chosen, int) and 0 <= chosen < len(frame):
        position = chosen
    else:
        raise CheckInputError(
            "chosen", f"{chosen!r} is not a trial position or a parameter mapping"
        )
    sign = 1.0 if higher_is_better else -1.0
    scores = [sign * float(s) for s in scores_series]
    return _judge_choice(
        "check_trials_chose_best",
        params,
        scores,
        position,
        tolerance,
        "trials table",
        parameters={
            "score_column": score_column,
            "higher_is_better": higher_is_better,
            "scores": "as given" if higher_is_better else "negated (lower is better)",
        },
    )


# Parameters worth perturbing, with the range a multiplicative step must stay in.
_NUMERIC_BOUNDS: dict[str, tuple[float, float, bool]] = {
    # name: (low, high, integer)
    "learning_rate": (1e-4, 1.0, False),
    "max_iter": (5, 2000, True),
    "n_estimators": (5, 2000, True),
    "max_leaf_nodes": (2, 512, True),
    "max_depth": (1, 64, True),
    "min_samples_leaf": (1, 500, True),
    "min_samples_split": (2, 500, True),
    "l2_regularization": (0.0, 100.0, False),
    "C": (1e-5, 1e5, False),
    "alpha": (1e-8, 1e3, False),
    "subsample": (0.05, 1.0, False),
    "colsample_bytree": (0.05, 1.0, False),
    "num_leaves": (2, 1024, True),
    "n_neighbors": (1, 200, True),
    # gradient-boosting libraries' own names (LightGBM, XGBoost, CatBoost)
    "min_child_samples": (1, 500, True),
    "min_child_weight": (0.0, 100.0, False),
    "reg_lambda": (0.0, 100.0, False),
    "reg_alpha": (0.0, 100.0, False),
    "iterations": (5, 2000, True),
    "depth": (1, 16, True),
    "l2_leaf_reg": (0.0, 100.0, False),
}


def neighbourhood(
    estimator: Any, spread: float, prefix: str = ""
) -> dict[str, tuple[float, float, bool]]:
    """The numeric parameters of ``estimator`` to perturb: (current value, spread bounds...).

    Returns ``{param: (low, high, integer)}`` around each current value: a log-uniform window of
    ``current / spread .. current * spread`` clipped to the parameter's valid range. A
    parameter left None (XGBoost) or unset (CatBoost) is searched around the value the
    library trained with; a negative one (LightGBM's ``max_depth=-1``: no limit) is left
    alone.
    """
    current = {
        **effective_params(estimator),
        **{k: v for k, v in estimator.get_params(deep=False).items() if v is not None},
    }
    space: dict[str, tuple[float, float, bool]] = {}
    for key, (low, high, integer) in _NUMERIC_BOUNDS.items():
        value = current.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value is None:
            continue
        if integer and isinstance(value, float):
            continue  # e.g. min_samples_leaf as a fraction: leave it alone
        if value < 0:
            continue  # a multiplicative step (and its logarithm) needs a positive value
        if value == 0:
            space[prefix + key] = (low, max(low, 1e-3) * spread, integer)
            continue
        window = (max(low, value / spread), min(high, value * spread))
        if not window[0] <= value <= window[1]:
            # the estimator accepts a value outside the usual range (alpha = 1e6): search
            # around it rather than in a reversed window
            window = (value / spread, value * spread)
        space[prefix + key] = (window[0], window[1], integer)
    return space


def _sample_params(space: Mapping[str, tuple[float, float, bool]], rng: Any) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, (low, high, integer) in space.items():
        if low <= 0 or high <= 0:
            value = float(rng.uniform(low, high))
        else:
            value = float(math.exp(rng.uniform(math.log(low), math.log(high))))
        params[key] = max(math.ceil(low), 1, round(value)) if integer else value
    return params


def _prefixed_effective_params(model: Any) -> dict[str, Any]:
    """The library-chosen parameters of the model's last step, named as ``set_params``
    takes them on the whole model."""
    estimator, prefix = _final_step(model)
    return {prefix + k: v for k, v in effective_params(estimator).items()}


def _final_step(model: Any) -> tuple[Any, str]:
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline):
        return model.steps[-1][1], model.steps[-1][0] + "__"
    return model, ""


def _folds(
    model: Any, X: pd.DataFrame, y: Any, cv: int, seed: int, repeats: int = 1
) -> list[tuple[Any, Any]]:
    """Fixed cross-validation folds (``cv`` folds, ``repeats`` times reshuffled), stratified
    for classifiers when every class allows it."""
    import numpy as np
    from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold

    estimator, _ = _final_step(model)
    if is_classifier(estimator) and np.unique(y, return_counts=True)[1].min() >= cv:
        stratified = RepeatedStratifiedKFold(n_splits=cv, n_repeats=repeats, random_state=seed)
        return list(stratified.split(X, y))
    return list(RepeatedKFold(n_splits=cv, n_repeats=repeats, random_state=seed).split(X))


@dataclass(frozen=True)
class _PreparedFold:
    """One fold with the pipeline's steps before the final estimator fitted on its training
    rows: the inputs the final estimator sees, for training and for validation."""

    fit_inputs: Any
    val_inputs: Any
    fit_rows: Any
    val_rows: Any


def _prepare_folds(
    model: Any, X: pd.DataFrame, y: Any, folds: Sequence[tuple[Any, Any]]
) -> tuple[str, list[_PreparedFold]] | None:
    """For a Pipeline: each fold's preprocessed inputs, computed once for every trial that
    only changes the final estimator's parameters (the neighbourhood search never changes
    anything else). Refitting the same preprocessing with the same parameters on the same
    rows gives the same inputs, so only the time is saved. None for other models."""
    from sklearn.pipeline import Pipeline

    from mltestscore.checks._models import clone_model as clone

    if not isinstance(model, Pipeline) or len(model.steps) < 2:
        return None
    prepared = []
    for fit_rows, val_rows in folds:
        preprocess = clone(model[:-1])
        fit_inputs = preprocess.fit_transform(X.iloc[fit_rows], y[fit_rows])
        prepared.append(
            _PreparedFold(fit_inputs, preprocess.transform(X.iloc[val_rows]), fit_rows, val_rows)
        )
    return model.steps[-1][0], prepared


def _fold_quality(
    model: Any,
    params: Mapping[str, Any],
    X: pd.DataFrame,
    y: Any,
    fold: int,
    folds: Sequence[tuple[Any, Any]],
    metric: str | None,
    prepared: tuple[str, list[_PreparedFold]] | None = None,
) -> tuple[float, str]:
    """Validation quality (bigger is better) on fold number ``fold`` of ``model`` refitted with
    ``params``, and the metric's name.

    With ``prepared`` folds and parameters of the final step only, the final estimator is
    refitted on the prepared inputs instead of refitting the whole pipeline.
    """
    from mltestscore.checks._models import clone_model as clone

    if prepared is not None:
        final, prepared_folds = prepared
        prefix = final + "__"
        if all(key.startswith(prefix) for key in params):
            own = {key.removeprefix(prefix): value for key, value in params.items()}
            step = prepared_folds[fold]
            fitted = clone(model.steps[-1][1]).set_params(**own)
            fitted.fit(step.fit_inputs, y[step.fit_rows])
            choice = choose_metric(fitted, y[step.fit_rows], metric)
            score = quality(fitted, step.val_inputs, y[step.val_rows], choice, cached=False)
            return score, choice.metric
    fit_rows, val_rows = folds[fold]
    fitted = clone(model).set_params(**params).fit(X.iloc[fit_rows], y[fit_rows])
    choice = choose_metric(fitted, y[fit_rows], metric)
    return quality(fitted, X.iloc[val_rows], y[val_rows], choice, cached=False), choice.metric


def best_reachable_p_value(observed: Sequence[float], total: int, test_share: float) -> float:
    """The smallest one-sided p-value the corrected resampled t-test over ``total`` paired
    folds can still give after the differences ``observed`` on the first of them, whatever
    the remaining folds show.

    The t statistic over all folds is ``sqrt((total - 1) / c) * mean / sqrt(SS)`` (``c`` the
    Nadeau-Bengio factor, ``SS`` the sum of squared deviations). For ``k`` observed
    differences with mean ``a`` and deviations ``W``, the ``m = total - k`` unseen ones do
    best all equal (spreading them only adds to ``SS``), at ``a + u``; then ``mean = a +
    (m / total) u`` and ``SS = W + (k m / total) u^2``, and by Cauchy-Schwarz ``mean /
    sqrt(SS)`` is at most ``sqrt(a^2 / W + (m / total)^2 / (k m / total))`` (for ``a > 0``),
    or at most its limit ``sqrt(m / (total k))`` (for ``a <= 0``). A neighbour whose best
    reachable p-value is above the significance level can never be clearly better, so its
    remaining folds need not be fitted: the verdict is the same as with every fold run.
    """
    from scipy import stats

    diffs = [float(d) for d in observed]
    k, m = len(diffs), total - len(diffs)
    if k == 0 or m <= 0 or total < 2:
        return 0.0  # nothing seen, or nothing left: no bound (the caller measures the test)
    if not all(math.isfinite(d) for d in diffs):
        return 1.0  # a non-finite difference makes the mean non-finite: never clearly better
    a = sum(diffs) / k
    within = sum((d - a) ** 2 for d in diffs)
    share = m / total
    spread = k * m / total
    if a <= 0:
        ratio = share / math.sqrt(spread)
    elif within <= 0:
        return 0.0  # identical positive differences so far: any p-value is reachable
    else:
        ratio = math.sqrt(a * a / within + share * share / spread)
    correction = 1 / total + test_share / (1 - test_share)
    return float(stats.t.sf(math.sqrt((total - 1) / correction) * ratio, total - 1))


@dataclass
class _Trial:
    """A neighbour's per-fold qualities as far as they were run."""

    params: dict[str, Any]
    scores: list[float]
    dropped_p: float | None = None  # the best p-value the unrun folds could give, if dropped
    failed: bool = False

    @property
    def running(self) -> bool:
        return self.dropped_p is None and not self.failed


def _run_trials(
    model: Any,
    candidates: Sequence[dict[str, Any]],
    data: tuple[pd.DataFrame, Any, str | None],
    folds: Sequence[tuple[Any, Any]],
    prepared: tuple[str, list[_PreparedFold]] | None,
    *,
    alpha: float,
    early_drop: bool,
    time_budget_s: float | None = None,
    errors: dict[str, object] | None = None,
) -> tuple[list[float], list[_Trial], str]:
    """The current parameters' and each neighbour's quality, fold by fold on the same folds.

    Every neighbour starts on the first fold (until ``time_budget_s``, when one is given, is
    spent: at least one always starts); after each fold, with ``early_drop``, a neighbour
    that can no longer reach ``p < alpha / trials`` over all folds whatever the remaining
    folds show (:func:`best_reachable_p_value`) is dropped, and the current parameters are
    fitted only on the folds a neighbour still needs. A neighbour that raises is a failed
    trial (its scores NaN; the first error is put in ``errors``); the current parameters
    raising ends the search (NotApplicableError included). Returns the current parameters'
    scores on the folds run, the trials, and the metric's name.
    """
    X, y, metric = data
    start = time.perf_counter()
    test_share = len(folds[0][1]) / len(X)
    current: list[float] = []
    metric_name = metric or ""
    trials: list[_Trial] = []
    for fold in range(len(folds)):
        if fold == 0:
            for params in candidates:
                spent = time.perf_counter() - start
                if trials and time_budget_s is not None and spent > time_budget_s:
                    break  # at least one neighbour always runs: zero trials prove nothing
                trials.append(_Trial(params, []))
        active = [trial for trial in trials if trial.running]
        if not active:
            break
        score, metric_name = _fold_quality(model, {}, X, y, fold, folds, metric, prepared)
        current.append(score)
        for trial in active:
            try:
                score, _ = _fold_quality(model, trial.params, X, y, fold, folds, metric, prepared)
            except Exception as exc:  # an invalid neighbour is a skipped trial, not a verdict
                trial.scores, trial.failed = [math.nan] * len(folds), True
                if errors is not None:
                    errors.setdefault("first_trial_error", f"{type(exc).__name__}: {exc}")
                continue
            trial.scores.append(score)
            if early_drop and fold + 1 < len(folds):
                diffs = [s - c for s, c in zip(trial.scores, current, strict=True)]
                reachable = best_reachable_p_value(diffs, len(folds), test_share)
                if reachable > alpha / len(trials) * (1 + 1e-9):
                    trial.dropped_p = reachable
    return current, trials, metric_name


def _gain(trial: _Trial, current: Sequence[float], test_share: float) -> NeighbourGain:
    """The trial's gain over the folds it ran; a dropped trial carries its best reachable
    p-value, and is marked so that it is never judged clearly better."""
    if trial.failed:
        return NeighbourGain.measure(trial.params, [math.nan], [math.nan], test_share)
    runs = len(trial.scores)
    gain = NeighbourGain.measure(trial.params, current[:runs], trial.scores, test_share)
    if trial.dropped_p is None:
        return gain
    return NeighbourGain(trial.params, gain.gain, trial.dropped_p, folds=runs, dropped=True)


def _candidates(
    model: Any,
    param_distributions: Mapping[str, Any] | None,
    spread: float,
    n_trials: int,
    seed: int,
) -> tuple[list[dict[str, Any]], str]:
    import numpy as np
    from sklearn.model_selection import ParameterSampler

    if param_distributions is not None:
        known = model.get_params(deep=True)
        unknown = [k for k in param_distributions if k not in known]
        if unknown:
            raise CheckInputError(
                "param_distributions", f"the model has no parameter {unknown[0]!r}"
            )
        sampled = ParameterSampler(dict(param_distributions), n_trials, random_state=seed)
        return [dict(p) for p in sampled], "given"
    estimator, prefix = _final_step(model)
    space = neighbourhood(estimator, spread, prefix)
    if not space:
        raise NotApplicableError(
            f"{type(estimator).__name__} has none of the numeric hyperparameters this check "
            "knows how to perturb; pass param_distributions"
        )
    rng = np.random.default_rng(seed)
    note = "; ".join(f"{k} in [{_short(lo)}, {_short(hi)}]" for k, (lo, hi, _) in space.items())
    return [_sample_params(space, rng) for _ in range(n_trials)], note


@dataclass(frozen=True)
class NeighbourGain:
    """One neighbour against the current parameters, fold by fold (the same folds)."""

    params: dict[str, Any]
    gain: float  # mean quality gain over the folds (bigger is better)
    p_value: float  # one-sided corrected resampled t-test (Nadeau and Bengio) of gain > 0
    folds: int = 0  # the folds the gain is over
    # dropped before its last fold: no result of the remaining folds could have made it
    # clearly better; p_value is then the smallest p-value those folds could have given
    dropped: bool = False

    @classmethod
    def measure(
        cls,
        params: dict[str, Any],
        current: Sequence[float],
        neighbour: Sequence[float],
        test_share: float,
    ) -> NeighbourGain:
        """Paired per-fold differences; their variance is inflated by ``1/J + n_test/n_train``
        (Nadeau and Bengio 2003) because overlapping training sets make folds correlated."""
        import numpy as np
        from scipy import stats

        diffs = np.asarray(neighbour, dtype=float) - np.asarray(current, dtype=float)
        if not np.isfinite(diffs).all():
            return cls(params, math.nan, math.nan, len(diffs))
        mean = float(diffs.mean())
        folds = len(diffs)
        variance = float(diffs.var(ddof=1)) if folds > 1 else math.inf
        corrected = (1 / folds + test_share / (1 - test_share)) * variance
        if corrected <= 0:
            p_value = 0.0 if mean > 0 else 1.0
        else:
            t = mean / math.sqrt(corrected)
            p_value = float(stats.t.sf(t, folds - 1))
        return cls(params, mean, p_value, folds)


def _require_search_settings(
    *, cv: int, cv_repeats: int, n_trials: int, spread: float, alpha: float, confirm_cv: int
) -> None:
    if cv < 2:
        raise CheckInputError("cv", "needs at least 2 folds")
    if confirm_cv < 2:
        raise CheckInputError("confirm_cv", "needs at least 2 folds")
    if cv_repeats < 1:
        raise CheckInputError("cv_repeats", "must be at least 1")
    if n_trials < 1:
        raise CheckInputError("n_trials", "must be at least 1")
    if spread <= 1:
        raise CheckInputError("spread", "must be greater than 1")
    if not 0 < alpha < 1:
        raise CheckInputError("alpha", f"must be between 0 and 1, got {alpha!r}")


@register_check(*RUBRIC)
def check_no_better_params_nearby(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    param_distributions: Mapping[str, Any] | None = None,
    spread: float = 4.0,
    n_trials: int = 8,
    tolerance: float = 0.01,
    min_relative_gain: float = 0.01,
    alpha: float = 0.05,
    metric: str | None = None,
    sample_size: int | None = 2000,
    cv: int = 3,
    cv_repeats: int = 3,
    time_budget_s: float | None = None,
    confirm_sample_size: int | None = 6000,
    confirm_cv: int = 5,
    seed: int = 0,
    n_threads: int | None = 1,
    early_drop: bool = True,
) -> CheckResult:
    """A small random search around the current hyperparameters finds nothing clearly better.

    The current parameters and up to ``n_trials`` random neighbours are each scored on the same
    ``cv``-fold cross-validation repeated ``cv_repeats`` times on a ``sample_size`` sample.
    A neighbour is *clearly* better only when both hold: its mean gain exceeds
    ``tolerance`` (metric units) and ``min_relative_gain`` times the current score's size
    (a gain that matters), and the gain is beyond the noise of the splits: the corrected
    resampled t-test (Nadeau and Bengio) on the paired per-fold differences gives p below
    ``alpha`` divided by the trials run (Bonferroni: the best of many trials is a selection).
    Neighbours multiply each numeric hyperparameter (learning rate, iterations, depth, leaves,
    regularisation...) by a log-uniform factor within ``1/spread .. spread``, or come from
    ``param_distributions`` (lists or scipy distributions, scikit-learn style). Every trial
    runs by default, so identical runs judge the same trials; with ``time_budget_s`` the
    search stops starting trials once it is spent (the trials run are recorded, and the
    verdict then depends on the machine's speed).

    The search fits on folds of a sample (with the suite's ``cv=2`` on 1,200 rows, 600
    training rows), and the best capacity depends on the training size: a smaller model
    often wins on 600 rows and loses on the project's thousands. So a clear winner is
    confirmed before the check fails: the current parameters and the winner are compared
    again on ``confirm_cv``-fold cross-validation of up to ``confirm_sample_size`` rows
    (training folds of 80%), with the same test; the check fails only when the winner is
    still clearly better there. ``confirm_sample_size=None`` skips it.

    With ``early_drop`` (the default) the folds run in order and a neighbour is dropped as
    soon as no result of its remaining folds could bring its p-value below the level (a
    bound on the test statistic, :func:`best_reachable_p_value`); the current parameters are
    fitted only on the folds a neighbour still needs, and the confirmation stops the same
    way. The verdict is the one every fold would give; only the figures of a dropped
    neighbour (and of the current parameters when every neighbour was dropped) cover fewer
    folds. ``early_drop=False`` runs every fold.
    """
    name = "check_no_better_params_nearby"
    if not callable(getattr(model, "get_params", None)) or not callable(
        getattr(model, "fit", None)
    ):
        raise CheckInputError(
            "model",
            f"expected a scikit-learn estimator (get_params, fit), got {type(model).__name__}",
        )
    X = require_frame(X, min_rows=20)
    y = require_target(y, len(X))
    _require_search_settings(cv=cv, cv_repeats=cv_repeats, n_trials=n_trials, spread=spread,
                             alpha=alpha, confirm_cv=confirm_cv)  # fmt: skip
    try:
        candidates, space_note = _candidates(model, param_distributions, spread, n_trials, seed)
    except NotApplicableError as exc:
        return CheckResult.not_applicable(name, RUBRIC, str(exc))
    X_sample, y_sample = sample_rows(X, y, sample_size, seed)
    folds = _folds(model, X_sample, y_sample, cv, seed, cv_repeats)
    known = {**_prefixed_effective_params(model), **model.get_params(deep=True)}
    current = {k: known.get(k) for k in candidates[0]}
    parameters: dict[str, object] = {
        "sample_size": len(X_sample),
        "cv": cv,
        "cv_repeats": cv_repeats,
        "n_trials": n_trials,
        "time_budget_s": time_budget_s,
        "seed": seed,
        "search_space": space_note,
        "n_threads": n_threads,
    }
    start = time.perf_counter()
    with limited_threads(n_threads):
        try:
            prepared = _prepare_folds(model, X_sample, y_sample, folds)
            baseline, tried, metric_name = _run_trials(
                model,
                candidates,
                (X_sample, y_sample, metric),
                folds,
                prepared,
                alpha=alpha,
                early_drop=early_drop,
                time_budget_s=time_budget_s,
                errors=parameters,
            )
        except NotApplicableError as exc:
            return CheckResult.not_applicable(name, RUBRIC, str(exc), parameters=parameters)
    elapsed = time.perf_counter() - start
    test_share = len(folds[0][1]) / len(X_sample)
    gains = [_gain(trial, baseline, test_share) for trial in tried]
    parameters.update(
        metric=metric_name,
        trials_run=len(tried),
        early_drop=early_drop,
        trials_dropped=sum(g.dropped for g in gains),
        fits=len(baseline) + sum(len(t.scores) for t in tried if not t.failed),
    )
    if not any(math.isfinite(g.gain) for g in gains):
        return CheckResult.error(
            name,
            RUBRIC,
            f"none of the {len(tried)} neighbours could be fitted "
            f"({parameters.get('first_trial_error')}); check param_distributions",
            parameters=parameters,
        )
    verdict = judge_neighbours(
        sum(baseline) / len(baseline),
        gains,
        tolerance=tolerance,
        min_relative_gain=min_relative_gain,
        alpha=alpha,
    )
    parameters.update(confirm_sample_size=confirm_sample_size, confirm_cv=confirm_cv)
    if verdict.winner is not None and confirm_sample_size and confirm_sample_size > len(X_sample):
        with limited_threads(n_threads):
            verdict = _confirm(
                model,
                (X, y, metric),
                verdict,
                sample_size=confirm_sample_size,
                cv=confirm_cv,
                seed=seed,
                limits=(tolerance, min_relative_gain, alpha),
                early_drop=early_drop,
            )
        parameters.update(confirm_rows=verdict.confirm_rows)
        elapsed = time.perf_counter() - start
    thresholds: dict[str, object] = {
        "tolerance": tolerance,
        "min_relative_gain": min_relative_gain,
        "alpha": alpha,
    }
    return _neighbour_result(
        name, current, verdict, metric_name, len(folds), elapsed, parameters, thresholds
    )


@dataclass(frozen=True)
class NeighbourVerdict:
    """The current score, every neighbour's gain, the gain that counts and the clear winner."""

    baseline: float  # mean quality of the current parameters (bigger is better)
    gains: list[NeighbourGain]
    min_gain: float  # the larger of the absolute and the relative tolerance
    level: float  # alpha / trials: the Bonferroni-corrected significance level
    winner: NeighbourGain | None  # the largest clear gain, if any
    # the sample's winner measured again on larger training folds (None: not confirmed yet)
    confirmation: NeighbourGain | None = None
    confirm_rows: int = 0


def _confirm(
    model: Any,
    data: tuple[pd.DataFrame, Any, str | None],
    verdict: NeighbourVerdict,
    *,
    sample_size: int,
    cv: int,
    seed: int,
    limits: tuple[float, float, float],
    early_drop: bool = True,
) -> NeighbourVerdict:
    """The sample's winner against the current parameters on ``cv`` folds of up to
    ``sample_size`` rows: the winner stands only if it is still clearly better there.
    ``data`` is (X, y, metric), ``limits`` (tolerance, min_relative_gain, alpha)."""
    from dataclasses import replace

    assert verdict.winner is not None
    X, y, metric = data
    tolerance, min_relative_gain, alpha = limits
    X_big, y_big = sample_rows(X, y, sample_size, seed + 1)
    folds = _folds(model, X_big, y_big, cv, seed + 1, 1)
    prepared = _prepare_folds(model, X_big, y_big, folds)
    errors: dict[str, object] = {}
    current, trials, _ = _run_trials(
        model, [verdict.winner.params], (X_big, y_big, metric), folds, prepared,
        alpha=alpha, early_drop=early_drop, errors=errors,
    )  # fmt: skip
    if trials[0].failed:
        raise RuntimeError(
            f"the sample's winner could not be refitted on {len(X_big):,} rows: "
            f"{errors.get('first_trial_error')}"
        )
    confirmation = _gain(trials[0], current, len(folds[0][1]) / len(X_big))
    again = judge_neighbours(
        sum(current) / len(current),
        [confirmation],
        tolerance=tolerance,
        min_relative_gain=min_relative_gain,
        alpha=alpha,
    )
    return replace(
        verdict,
        winner=verdict.winner if again.winner is not None else None,
        confirmation=confirmation,
        confirm_rows=len(X_big),
    )


def judge_neighbours(
    baseline: float,
    gains: Sequence[NeighbourGain],
    *,
    tolerance: float,
    min_relative_gain: float,
    alpha: float,
) -> NeighbourVerdict:
    """A neighbour is clearly better when its gain matters and is beyond the split noise."""
    min_gain = max(tolerance, min_relative_gain * abs(baseline))
    level = alpha / max(1, len(gains))
    clear = [g for g in gains if not g.dropped and g.gain > min_gain and g.p_value < level]
    winner = max(clear, key=lambda g: g.gain) if clear else None
    return NeighbourVerdict(baseline, list(gains), min_gain, level, winner)


def _note(gain: NeighbourGain, verdict: NeighbourVerdict, folds: int) -> str:
    if gain is verdict.winner:
        return "clearly better"
    if gain.dropped:
        return f"dropped after {gain.folds} of {folds} folds (p >= {fmt(gain.p_value)} at best)"
    return ""


def _neighbour_result(
    name: str,
    current: dict[str, Any],
    verdict: NeighbourVerdict,
    metric: str,
    folds: int,
    elapsed: float,
    parameters: dict[str, object],
    thresholds: dict[str, object],
) -> CheckResult:
    from mltestscore.checks import _models

    sign = 1.0 if _models.higher_is_better(metric) else -1.0
    baseline = verdict.baseline
    finite = [g for g in verdict.gains if math.isfinite(g.gain)]
    # the best neighbour measured on every fold; one dropped early only when all were
    best = max(finite, key=lambda g: (not g.dropped, g.gain))
    rows = sorted(
        [(current, baseline, 0.0, math.nan, "current")]
        + [
            (
                g.params,
                baseline + g.gain,
                g.gain,
                g.p_value,
                _note(g, verdict, folds),
            )
            for g in verdict.gains
        ],
        key=lambda r: -r[1] if math.isfinite(r[1]) else math.inf,
    )
    table = Table.build(
        f"Random search around the current parameters ({metric}, {folds} cross-validation folds)",
        ["params", metric, "gain_over_current", "p_value", "note"],
        [[_format_params(p), sign * q, gain, pv, note] for p, q, gain, pv, note in rows],
        chart=metric,
    )
    dropped = sum(g.dropped for g in verdict.gains)
    how = (
        f"needs a gain above {fmt(verdict.min_gain)} {metric} with p < {fmt(verdict.level)} "
        f"over {folds} folds"
        + (f"; {dropped} dropped early, unable to reach that p" if dropped else "")
    )
    winner = verdict.winner
    confirmation = verdict.confirmation
    confirmed = (
        ""
        if confirmation is None
        else f"; confirmed on {verdict.confirm_rows:,} rows: gain {fmt(confirmation.gain)}, "
        f"p = {fmt(confirmation.p_value)}"
    )
    if winner is None and confirmation is not None:
        reason = (
            f"no neighbour of the current parameters is clearly better: "
            f"{_format_params(confirmation.params)} won on the sample's folds "
            f"({fmt(best.gain)} {metric}, p = {fmt(best.p_value)}) but not on "
            f"{verdict.confirm_rows:,} rows with larger training folds (gain "
            f"{fmt(confirmation.gain)}, "
            + (
                f"over {confirmation.folds} folds, p >= {fmt(confirmation.p_value)} at best"
                if confirmation.dropped
                else f"p = {fmt(confirmation.p_value)}"
            )
            + "): the current "
            f"parameters suit the training size ({how}; {len(verdict.gains)} trials in "
            f"{elapsed:.1f}s)"
        )
    elif winner is None:
        reason = (
            f"no neighbour of the current parameters is clearly better ({how}; "
            f"{len(verdict.gains)} trials in {elapsed:.1f}s; best gain {fmt(best.gain)}, "
            + (
                f"over {best.folds} folds, p >= {fmt(best.p_value)} at best)"
                if best.dropped
                else f"p = {fmt(best.p_value)})"
            )
        )
    else:
        reason = (
            f"{_format_params(winner.params)} beats the current parameters "
            f"({_format_params(current)}) by {fmt(winner.gain)} {metric} "
            f"({fmt(sign * (baseline + winner.gain))} vs {fmt(sign * baseline)}, "
            f"p = {fmt(winner.p_value)}; {how}{confirmed}): the model is not tuned"
        )
    chosen = winner or best
    return CheckResult.judge(
        winner is None,
        name,
        RUBRIC,
        reason,
        measurements={
            "current_score": sign * baseline,
            "best_neighbour_score": sign * (baseline + chosen.gain),
            "gain": chosen.gain,
            "p_value": chosen.p_value,
            "min_gain": verdict.min_gain,
            "trials_run": len(verdict.gains),
            "confirm_gain": None if confirmation is None else confirmation.gain,
            "confirm_p_value": None if confirmation is None else confirmation.p_value,
            "seconds": elapsed,
        },
        thresholds=thresholds,
        parameters=parameters,
        tables=[table],
    )
