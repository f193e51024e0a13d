"""Inclusion [model-7]: the model has been tested for considerations of inclusion.

Two checks, both using fairlearn for the fairness maths:

* ``check_group_fairness`` measures the model per group of each sensitive attribute and of
  each intersection of two (a model can be fair to women and to Black people and unfair to
  Black women): selection rate, true and false positive rates, the quality metric and the
  group size (fairlearn ``MetricFrame``), then demographic parity difference and ratio and
  equalized odds difference (fairlearn's functions). Bootstrap intervals keep small groups
  from being condemned on noise: a criterion fails only when its whole interval is past the
  limit.
* ``check_sensitive_proxies`` lists the features that predict a sensitive attribute, with a
  cross-validated AUC for each, because dropping the attribute from the inputs does not stop
  a model from using its proxies.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import astuple, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mltestscore.checks import _models, _resample
from mltestscore.checks._inputs import (
    aligned_frame,
    columns_from,
    require_columns,
    require_confidence,
    require_frame,
    require_labels,
    require_model,
    sample_rows,
)
from mltestscore.checks._models import (
    NeedsProbabilities,
    judged_outputs,
    label_codes,
)
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Outcome, Table, Verdict

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from numpy.typing import NDArray

RUBRIC = ("model-7",)


@dataclass
class Criterion:
    """One fairness measure of one attribute: point estimate, interval, limit and verdict."""

    name: str
    value: float
    ci_low: float
    ci_high: float
    limit: float | None
    higher_is_fair: bool

    @property
    def fails(self) -> bool:
        """Past the limit even at the favourable end of the interval."""
        if self.limit is None or math.isnan(self.value):
            return False
        favourable = self.ci_high if self.higher_is_fair else self.ci_low
        if math.isnan(favourable):
            favourable = self.value
        return favourable < self.limit if self.higher_is_fair else favourable > self.limit

    @property
    def margin(self) -> float:
        """How far the limit lies from no effect: 1 - limit for a ratio (1 is equal), the
        limit itself for a difference or a gap (0 is equal)."""
        assert self.limit is not None
        return 1.0 - self.limit if self.higher_is_fair else self.limit

    @property
    def half_width(self) -> float:
        return (self.ci_high - self.ci_low) / 2

    @property
    def undecided(self) -> bool:
        """Not failing, and the interval is wider than the limit's distance from no effect:
        with a half-width h past the margin m, only a breach of more than 2m could show, so
        a clean verdict would be a lack of power, not evidence of fairness."""
        if self.limit is None or math.isnan(self.value) or self.fails:
            return False
        if math.isnan(self.ci_low) or math.isnan(self.ci_high):
            return False
        return self.half_width > self.margin > 0

    def rows_factor_to_decide(self) -> float:
        """About how many times the rows would bring the half-width within the margin (it
        shrinks as 1/sqrt(rows))."""
        return max(1.0, (self.half_width / self.margin) ** 2)

    @property
    def past_limit(self) -> float:
        """How far the point estimate lies past the limit, on the unfair side (0 when it is
        on the fair side)."""
        assert self.limit is not None
        past = self.limit - self.value if self.higher_is_fair else self.value - self.limit
        return max(0.0, past)

    def rows_factor_to_settle(self) -> float:
        """About how many times the rows would settle the measure one way or the other if
        its point estimate held: the half-width within the margin (a pass that is evidence),
        or, for a point past the limit, within its distance from the limit (a failure),
        whichever comes first. It orders the undecided measures a verdict lists."""
        factor = self.rows_factor_to_decide()
        if self.past_limit > 0:
            factor = min(factor, max(1.0, (self.half_width / self.past_limit) ** 2))
        return factor


@dataclass(frozen=True)
class GroupMeasures:
    """One group's figures for one attribute and outcome (rates are None for regression,
    the mean prediction None for classification)."""

    attribute: str
    outcome: str
    group: str
    rows: int
    selection_rate: float | None
    true_positive_rate: float | None
    false_positive_rate: float | None
    metric_value: float
    mean_prediction: float | None


@dataclass
class AttributeMeasurement:
    """What was measured for one sensitive attribute (or intersection) and one outcome:
    the groups large enough to judge, those too small, each criterion and each group."""

    attribute: str
    outcome: str
    groups: int
    small_groups: list[str]
    criteria: list[Criterion] = field(default_factory=list)
    group_measures: list[GroupMeasures] = field(default_factory=list)

    @property
    def judged(self) -> bool:
        return self.groups >= 2


@dataclass(frozen=True)
class FairnessMeasurement:
    """Everything ``check_group_fairness`` measured, before any verdict: the tests inspect
    it, :func:`judge_fairness` judges it and :func:`fairness_tables` lays it out.

    ``confidence`` holds for the whole family of judged intervals together (``family``:
    attributes and intersections with two groups or more, times outcomes, times criteria
    with a limit); each interval is at ``interval_confidence`` (Bonferroni) from
    ``resamples`` bootstrap resamples."""

    attributes: list[AttributeMeasurement]
    metric: str
    task: _models.Task
    outcomes: list[Any]
    note: str | None
    confidence: float
    min_group_size: int
    rows_used: int
    rows_total: int
    seconds: float
    family: int = 1
    interval_confidence: float = 0.95
    resamples: int = 0

    @property
    def judged(self) -> list[AttributeMeasurement]:
        return [a for a in self.attributes if a.judged]

    @property
    def failures(self) -> list[tuple[AttributeMeasurement, Criterion]]:
        return [(a, c) for a in self.judged for c in a.criteria if c.fails]


@register_check(*RUBRIC, renamed={"max_rows": "sample_size", "random_state": "seed"})
def check_group_fairness(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    sensitive_features: Sequence[str],
    sensitive_data: pd.DataFrame | None = None,
    intersections: bool = True,
    favourable_label: Any = None,
    metric: str | None = None,
    min_selection_rate_ratio: float | None = 0.8,
    max_selection_rate_difference: float | None = None,
    max_equalized_odds_difference: float | None = 0.1,
    max_relative_metric_gap: float | None = 0.25,
    max_residual_gap: float | None = 0.25,
    min_group_size: int = 30,
    numeric_bins: int = 4,
    n_bootstrap: int = 200,
    confidence: float = 0.99,
    sample_size: int = 50_000,
    task: str | None = None,
    seed: int = 0,
) -> CheckResult:
    """Selection rates, error rates and quality are comparable across sensitive groups.

    ``sensitive_features`` are columns of ``sensitive_data`` (a frame aligned with ``X``, for
    attributes the model does not see) or of ``X``; with ``intersections`` every pair of them
    is also tested; numeric attributes with many values (age) are cut in ``numeric_bins``
    quantile bins. Groups under ``min_group_size`` rows are listed, not judged. For
    classifiers, the favourable outcome is ``favourable_label`` (default: the last class of
    a binary model; every class in turn for a multiclass model) and the limits are the
    four-fifths rule on the demographic parity ratio (``min_selection_rate_ratio``), an
    optional ``max_selection_rate_difference`` and ``max_equalized_odds_difference``. For
    every task the worst group's metric may be at most ``max_relative_metric_gap`` (a
    fraction) worse than overall. For regressors the groups' mean errors (prediction minus
    truth) may differ by at most ``max_residual_gap`` standard deviations of the target: a
    model that under-predicts one group systematically. A criterion fails only when its
    whole bootstrap interval is past its limit. The intervals hold together at
    ``confidence`` over every interval judged (Bonferroni over attributes, outcomes and
    criteria with a limit: a binary model has 3 by default, each at 99.67%, a ten-class
    model 21, each at 99.95%), each from at least ``n_bootstrap`` resamples and enough that
    each tail holds 10. The default 99% (a false alarm on at most 1 clean model in 100, as
    the drift check's 1% false-discovery rate) is measured: at 95% one of 40 clean draws of
    100 rows failed (a chance gap of 0.5 in true positive rates), at 99% none of 40 at 100
    or 300 rows does (docs/checks-model.md).
    ``task`` (binary, multiclass or regression) overrides the guess from model and labels.
    """
    name = "check_group_fairness"
    require_model(model)
    X = require_frame(X, allow_all_missing=True)
    y = require_labels(y, len(X))
    if isinstance(sensitive_features, str):
        sensitive_features = [sensitive_features]
    groups_frame = columns_from(
        X,
        sensitive_data,
        sensitive_features,
        columns_argument="sensitive_features",
        extra_argument="sensitive_data",
    )
    if min_group_size < 1:
        raise CheckInputError("min_group_size", f"must be at least 1, got {min_group_size}")
    require_confidence(confidence)
    try:
        outputs = judged_outputs(model, X, y, metric, task)
    except NeedsProbabilities as exc:
        return CheckResult.not_applicable(name, RUBRIC, str(exc))
    metric, task = outputs.metric, outputs.task
    limits = {
        "selection_rate_ratio": min_selection_rate_ratio,
        "selection_rate_difference": max_selection_rate_difference,
        "equalized_odds_difference": max_equalized_odds_difference,
        "relative_metric_gap": max_relative_metric_gap,
        "residual_gap": max_residual_gap,
    }
    measured = measure_group_fairness(
        model,
        Predictions(y, outputs.predicted, outputs.proba),
        groups_frame,
        sensitive_features,
        FairnessSettings(
            task=task,
            metric=metric,
            note=outputs.note,
            outcomes=_favourable_outcomes(task, y, model, favourable_label),
            limits=limits,
            intersections=intersections,
            numeric_bins=numeric_bins,
            min_group_size=min_group_size,
            n_bootstrap=n_bootstrap,
            confidence=confidence,
            sample_size=sample_size,
            seed=seed,
        ),
    )
    return CheckResult.from_verdict(
        name,
        RUBRIC,
        judge_fairness(measured),
        measurements=_fairness_figures(measured),
        thresholds={**limits, "min_group_size": min_group_size},
        parameters={
            "sensitive_features": ", ".join(sensitive_features),
            "intersections": intersections,
            "numeric_bins": numeric_bins,
            "metric": metric,
            "task": task,
            "favourable_outcomes": ", ".join(str(o) for o in measured.outcomes),
            "n_bootstrap": n_bootstrap,
            "confidence": confidence,
            "rows_used": measured.rows_used,
            "rows_total": measured.rows_total,
            "sample_size": sample_size,
            "seed": seed,
        },
        tables=fairness_tables(measured),
    )


@dataclass(frozen=True)
class Predictions:
    """The labels and the model's predictions (and probabilities) for the same rows."""

    y: Any
    predicted: Any
    proba: Any

    def rows(self, keep: Any) -> Predictions:
        return Predictions(
            self.y[keep], self.predicted[keep], None if self.proba is None else self.proba[keep]
        )


@dataclass(frozen=True)
class FairnessSettings:
    """How :func:`measure_group_fairness` measures: the check's keywords, resolved."""

    task: _models.Task
    metric: str
    note: str | None
    outcomes: list[Any]
    limits: dict[str, float | None]
    intersections: bool
    numeric_bins: int
    min_group_size: int
    n_bootstrap: int
    confidence: float
    sample_size: int
    seed: int


def measure_group_fairness(
    model: Any,
    data: Predictions,
    groups_frame: pd.DataFrame,
    sensitive_features: Sequence[str],
    settings: FairnessSettings,
) -> FairnessMeasurement:
    """Measure every attribute and intersection for every favourable outcome, on a seeded
    sample of at most ``sample_size`` rows: no verdict, only figures and intervals."""
    import numpy as np

    start = time.perf_counter()
    total = len(data.y)
    rows = sample_rows(total, settings.sample_size, settings.seed)
    data = data.rows(rows)
    groups_frame = groups_frame.iloc[rows].reset_index(drop=True)
    rng = np.random.default_rng(settings.seed)
    measured: list[AttributeMeasurement] = []
    attributes = [
        (attribute, *_split_small_groups(labels, settings.min_group_size))
        for attribute, labels in _attributes(
            groups_frame, sensitive_features, settings.intersections, settings.numeric_bins
        )
    ]
    judged = sum(kept.nunique() >= 2 for _, kept, _ in attributes)
    family = judged * _intervals_per_attribute(settings)
    interval_confidence = _resample.family_wise(settings.confidence, family)
    resamples = _resample.resamples_for(settings.n_bootstrap, interval_confidence)
    each = replace(settings, confidence=interval_confidence, n_bootstrap=resamples)
    separate_metric_gap = len(settings.outcomes) > 1
    for attribute, kept, small in attributes:
        groups = len(set(kept[kept.notna()]))
        weights = _SharedWeights(int(kept.notna().sum()), resamples, rng)
        parity = (
            _parity_intervals(kept, data, settings.outcomes, each, weights)
            if groups >= 2 and settings.task != "regression"
            else {}
        )
        for index, outcome in enumerate(settings.outcomes):
            found = AttributeMeasurement(attribute, str(outcome), groups, small)
            if found.judged:
                _measure_attribute(
                    found,
                    model,
                    kept,
                    data,
                    outcome,
                    each,
                    rng,
                    weights,
                    parity.get(index, {}),
                    with_metric_gap=not separate_metric_gap,
                )
            measured.append(found)
        if separate_metric_gap and groups >= 2:
            found = AttributeMeasurement(attribute, ALL_CLASSES, groups, small)
            _measure_metric_gap_only(found, model, kept, data, each, rng)
            measured.append(found)
    return FairnessMeasurement(
        attributes=measured,
        metric=settings.metric,
        task=settings.task,
        outcomes=settings.outcomes,
        note=settings.note,
        confidence=settings.confidence,
        min_group_size=settings.min_group_size,
        rows_used=len(rows),
        rows_total=total,
        seconds=time.perf_counter() - start,
        family=family,
        interval_confidence=interval_confidence,
        resamples=resamples,
    )


# The outcome under which a multiclass model's quality gap is listed: the gap compares the
# groups' metric over all classes, so it is measured (and counted in the family) once per
# attribute, not once per class in turn.
ALL_CLASSES = "(all classes)"
PARITY = ("selection_rate_ratio", "selection_rate_difference", "equalized_odds_difference")


def _intervals_per_attribute(settings: FairnessSettings) -> int:
    """How many judged intervals (criteria with a limit) one attribute with two or more
    groups adds to the family: the parity criteria once per outcome for a classifier (the
    residual gap for a regressor), and the quality gap once."""
    limited = {k for k, v in settings.limits.items() if v is not None}
    if settings.task == "regression":
        per_outcome = int("residual_gap" in limited)
    else:
        per_outcome = len(settings.outcomes) * len(limited & set(PARITY))
    return per_outcome + int("relative_metric_gap" in limited)


class _SharedWeights:
    """The bootstrap weights of one attribute's rows, drawn chunk by chunk (rows x resamples
    may not fit in memory) from one seed. The parity measures of every outcome are computed
    in one pass over the chunks (a multinomial draw of thousands of resamples costs more
    than the measures computed from it), so every outcome and criterion of an attribute is
    judged on the same resamples."""

    def __init__(self, rows: int, resamples: int, rng: np.random.Generator) -> None:
        self.rows, self.resamples = rows, resamples
        self.seed = int(rng.integers(2**63))

    def chunks(self) -> Iterator[NDArray[np.float64]]:
        import numpy as np

        rng = np.random.default_rng(self.seed)
        step = max(1, _resample.MAX_CELLS // max(self.rows, 1))
        for i in range(0, self.resamples, step):
            yield _resample.bootstrap_weights(self.rows, min(step, self.resamples - i), rng)

    def draws(self) -> Iterator[NDArray[np.int64]]:
        """The same resamples as :meth:`chunks`, as the drawn row indices."""
        import numpy as np

        rng = np.random.default_rng(self.seed)
        step = max(1, _resample.MAX_CELLS // max(self.rows, 1))
        for i in range(0, self.resamples, step):
            yield _resample.bootstrap_draws(self.rows, min(step, self.resamples - i), rng)


def _parity_intervals(
    labels: pd.Series,
    data: Predictions,
    outcomes: list[Any],
    settings: FairnessSettings,
    weights: _SharedWeights,
) -> dict[int, dict[str, tuple[float, float]]]:
    """Bootstrap intervals of the parity measures for each outcome (by its position), every
    outcome from the same resamples, in one pass over the weight chunks."""
    import numpy as np

    nan = (float("nan"), float("nan"))
    if settings.n_bootstrap <= 0:
        return {i: dict.fromkeys(PARITY, nan) for i in range(len(outcomes))}
    keep = labels.notna().to_numpy()
    groups = labels[keep].to_numpy()
    position = {g: i for i, g in enumerate(sorted(set(groups)))}
    group_codes = np.array([position[g] for g in groups], dtype=np.int64)
    y, predicted = data.y[keep], data.predicted[keep]
    coded = [((y == o).astype(int), (predicted == o).astype(int)) for o in outcomes]
    parts: list[list[dict[str, NDArray[np.float64]]]] = [[] for _ in outcomes]
    for drawn in weights.draws():
        for index, (actual, chosen) in enumerate(coded):
            parts[index].append(
                parity_from_draws(actual, chosen, group_codes, len(position), drawn)
            )
    return {
        index: {
            key: _resample.percentile_interval(
                np.concatenate([part[key] for part in found]),
                settings.confidence,
                settings.n_bootstrap,
            )
            for key in PARITY
        }
        for index, found in enumerate(parts)
    }


def _favourable_outcomes(task: _models.Task, y: Any, model: Any, favourable: Any) -> list[Any]:
    import numpy as np

    if task == "regression":
        return ["(regression)"]
    known = getattr(model, "classes_", None)
    classes = list(known) if known is not None else list(np.unique(y))
    if favourable is not None:
        if favourable not in classes:
            raise CheckInputError(
                "favourable_label", f"{favourable!r} is not one of the classes {classes}"
            )
        return [favourable]
    return [classes[-1]] if task == "binary" else classes


def _attributes(
    frame: pd.DataFrame, columns: Sequence[str], intersections: bool, numeric_bins: int
) -> list[tuple[str, pd.Series]]:
    """Each sensitive column as group labels, then each pair of them crossed."""
    labelled = {c: _as_labels(frame[c], numeric_bins) for c in columns}
    attributes = [(c, labelled[c]) for c in columns]
    if intersections:
        for i, first in enumerate(columns):
            for second in columns[i + 1 :]:
                crossed = first + "=" + labelled[first] + " & " + second + "=" + labelled[second]
                attributes.append((f"{first} x {second}", crossed))
    return attributes


def _as_labels(column: pd.Series, numeric_bins: int | None = None) -> pd.Series:
    """Group labels as text; missing values form their own group.

    A numeric attribute with more than ``numeric_bins`` values (age) is cut in quantile bins
    labelled like the slices, ``[17, 28]``, instead of one tiny group per value.
    """
    import pandas as pd

    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    if numeric_bins is not None and numeric and column.nunique() > numeric_bins:
        binned = pd.qcut(column, q=numeric_bins, duplicates="drop")
        names = {i: f"[{i.left:g}, {i.right:g}]" for i in binned.cat.categories}
        column = binned.map(names).astype(object)
    return column.astype(object).where(column.notna(), "missing").astype(str)


def _split_small_groups(labels: pd.Series, min_size: int) -> tuple[pd.Series, list[str]]:
    """Labels with groups under ``min_size`` rows blanked out (NaN), and those groups' names."""
    counts = labels.value_counts()
    small = [f"{g} ({n})" for g, n in counts.items() if n < min_size]
    kept = labels.where(labels.map(counts) >= min_size)
    return kept, small


def _measure_attribute(
    found: AttributeMeasurement,
    model: Any,
    labels: pd.Series,
    data: Predictions,
    outcome: Any,
    settings: FairnessSettings,
    rng: np.random.Generator,
    weights: _SharedWeights,
    parity: dict[str, tuple[float, float]],
    *,
    with_metric_gap: bool = True,
) -> None:
    """Fill ``found`` with the criteria and group figures of one attribute and outcome
    (the quality gap's criterion too, unless it is measured once for all outcomes)."""
    data, coded, masks = _grouped(model, labels, data, regression=outcome == "(regression)")
    names = list(masks)
    regression = outcome == "(regression)"
    metric_by_group = _metric_gap(found, coded, masks, settings, rng, with_metric_gap)
    if regression:
        _residual_gap(found, data, masks, settings, weights)
        found.group_measures = [
            GroupMeasures(
                found.attribute,
                found.outcome,
                g,
                int(m.sum()),
                None,
                None,
                None,
                metric_by_group[g],
                float(data.predicted[m].mean()),
            )
            for g, m in masks.items()
        ]
        return
    groups = labels[labels.notna()].to_numpy()
    _measure_parity(found, data, groups, names, outcome, metric_by_group, settings, parity)


def _grouped(
    model: Any, labels: pd.Series, data: Predictions, *, regression: bool
) -> tuple[Predictions, Predictions, dict[str, Any]]:
    """The rows of groups large enough to judge, the same with text labels as the codes the
    metrics index probabilities by (classifiers), and each group's row mask."""
    keep = labels.notna().to_numpy()
    groups = labels[keep].to_numpy()
    data = data.rows(keep)
    masks = {g: groups == g for g in sorted(set(groups))}
    coded = data
    if not regression:
        y_codes, predicted_codes = label_codes(model, data.y, data.predicted)
        coded = Predictions(y_codes, predicted_codes, data.proba)
    return data, coded, masks


def _measure_metric_gap_only(
    found: AttributeMeasurement,
    model: Any,
    labels: pd.Series,
    data: Predictions,
    settings: FairnessSettings,
    rng: np.random.Generator,
) -> None:
    """A multiclass model's quality gap between groups: one criterion for all classes."""
    _, coded, masks = _grouped(model, labels, data, regression=False)
    _metric_gap(found, coded, masks, settings, rng, True)


def _residual_gap(
    found: AttributeMeasurement,
    data: Predictions,
    masks: dict[str, Any],
    settings: FairnessSettings,
    weights: _SharedWeights,
) -> None:
    """Add the residual-gap criterion: the largest difference between groups' mean errors
    (prediction minus truth) in standard deviations of the target, with a bootstrap
    interval (rows resampled, the same resample for every group)."""
    import numpy as np

    y = np.asarray(data.y, dtype=np.float64)
    spread = float(y.std())
    if not spread > 0 or len(masks) < 2:
        return
    residual = (np.asarray(data.predicted, dtype=np.float64) - y) / spread
    member = np.column_stack(list(masks.values())).astype(np.float64)

    def gaps(w: NDArray[np.float64]) -> NDArray[np.float64]:
        with np.errstate(divide="ignore", invalid="ignore"):
            means = (w @ (member * residual[:, None])) / (w @ member)
            return np.asarray(np.nanmax(means, axis=1) - np.nanmin(means, axis=1))

    value = float(gaps(np.ones((1, len(y))))[0])
    draws = (
        np.concatenate([gaps(chunk) for chunk in weights.chunks()])
        if settings.n_bootstrap > 0
        else np.array([])
    )
    low, high = _resample.percentile_interval(draws, settings.confidence, settings.n_bootstrap)
    limit = settings.limits.get("residual_gap")
    found.criteria.append(Criterion("residual_gap", value, low, high, limit, False))


def _metric_gap(
    found: AttributeMeasurement,
    coded: Predictions,
    masks: dict[str, Any],
    settings: FairnessSettings,
    rng: np.random.Generator,
    with_criterion: bool = True,
) -> dict[str, float]:
    """Add the relative-metric-gap criterion to ``found`` (``with_criterion``); return the
    metric per group."""
    metric = settings.metric
    metric_by_group = {
        g: _models.score(
            metric, coded.y[m], coded.predicted[m], None if coded.proba is None else coded.proba[m]
        )
        for g, m in masks.items()
    }
    if not with_criterion:
        return metric_by_group
    overall = _models.score(metric, coded.y, coded.predicted, coded.proba)
    low, high = _gap_interval(
        metric,
        coded.y,
        coded.predicted,
        coded.proba,
        masks,
        overall,
        settings.n_bootstrap,
        settings.confidence,
        rng,
    )
    gap = _relative_gap(metric, overall, metric_by_group)
    limit = settings.limits["relative_metric_gap"]
    found.criteria.append(Criterion("relative_metric_gap", gap, low, high, limit, False))
    return metric_by_group


def _measure_parity(
    found: AttributeMeasurement,
    data: Predictions,
    groups: Any,
    names: list[str],
    outcome: Any,
    metric_by_group: dict[str, float],
    settings: FairnessSettings,
    intervals: dict[str, tuple[float, float]],
) -> None:
    """Add the parity criteria (selection rate ratio and difference, equalized odds, with
    their ``intervals``) and the per-group rates of a classifier's ``outcome`` to ``found``."""
    from fairlearn.metrics import (
        MetricFrame,
        count,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )

    actual = (data.y == outcome).astype(int)
    chosen = (data.predicted == outcome).astype(int)
    metrics = MetricFrame(
        metrics={
            "count": count,
            "selection_rate": selection_rate,
            "true_positive_rate": true_positive_rate,
            "false_positive_rate": false_positive_rate,
        },
        y_true=actual,
        y_pred=chosen,
        sensitive_features=groups,
    )
    frame = metrics.by_group
    # fairlearn's demographic_parity_ratio / _difference and equalized_odds_difference are
    # these same between-group ratio and differences, each on a MetricFrame of its own
    # (40 ms apiece): taken from the one frame, they are the same numbers.
    differences = metrics.difference(method="between_groups")
    point = {
        "selection_rate_ratio": float(metrics.ratio(method="between_groups")["selection_rate"]),
        "selection_rate_difference": float(differences["selection_rate"]),
        "equalized_odds_difference": float(
            max(differences["true_positive_rate"], differences["false_positive_rate"])
        ),
    }
    for key, higher_is_fair in (
        ("selection_rate_ratio", True),
        ("selection_rate_difference", False),
        ("equalized_odds_difference", False),
    ):
        found.criteria.append(
            Criterion(key, point[key], *intervals[key], settings.limits[key], higher_is_fair)
        )
    found.group_measures = [
        GroupMeasures(
            found.attribute,
            found.outcome,
            g,
            int(frame.loc[g, "count"]),
            float(frame.loc[g, "selection_rate"]),
            float(frame.loc[g, "true_positive_rate"]),
            float(frame.loc[g, "false_positive_rate"]),
            metric_by_group[g],
            None,
        )
        for g in names
    ]


def _relative_gap(metric: str, overall: float, by_group: dict[str, float]) -> float:
    """How much worse than overall the worst group is, as a fraction of the overall value."""
    values = [v for v in by_group.values() if not math.isnan(v)]
    if not values or math.isnan(overall) or overall == 0:
        return float("nan")
    if _models.higher_is_better(metric):
        return (overall - min(values)) / abs(overall)
    return (max(values) - overall) / abs(overall)


def _gap_interval(
    metric: str,
    y: Any,
    predicted: Any,
    proba: Any,
    masks: dict[str, Any],
    overall: float,
    n_bootstrap: int,
    confidence: float,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Interval of the relative gap, from each group's bootstrap interval of the metric."""
    favourable, unfavourable = {}, {}
    higher = _models.higher_is_better(metric)
    for g, m in masks.items():
        low, high = _resample.bootstrap_interval(
            metric,
            y[m],
            predicted[m],
            None if proba is None else proba[m],
            n_boot=n_bootstrap,
            confidence=confidence,
            rng=rng,
        )
        favourable[g], unfavourable[g] = (high, low) if higher else (low, high)
    return _relative_gap(metric, overall, favourable), _relative_gap(metric, overall, unfavourable)


def parity_resamples(
    actual: Any, chosen: Any, member: Any, weights: Any
) -> dict[str, NDArray[np.float64]]:
    """Selection-rate ratio and difference and equalized odds difference under each row of
    resampling ``weights`` (``member`` is the rows x groups membership matrix).

    Group rates under resampling weights are ratios of weighted sums, so every resample's
    selection rates, TPRs and FPRs come from a few matrix products. A group absent from a
    resample is left out of it, as fairlearn would on the resampled rows.
    """
    import numpy as np

    groups = member.shape[1]
    # one matrix product over the six weighted counts per group: the weights are read once
    counts = weights @ np.hstack(
        [
            member,
            member * chosen[:, None],
            member * actual[:, None],
            member * (1 - actual)[:, None],
            member * (chosen * actual)[:, None],
            member * (chosen * (1 - actual))[:, None],
        ]
    )
    size, picked, positives, negatives, true_pos, false_pos = (
        counts[:, i * groups : (i + 1) * groups] for i in range(6)
    )
    return _parity_measures(size, picked, positives, negatives, true_pos, false_pos)


def parity_from_draws(
    actual: Any, chosen: Any, group_codes: Any, groups: int, drawn: Any
) -> dict[str, NDArray[np.float64]]:
    """:func:`parity_resamples` for the resamples ``drawn`` (rows' indices,
    :func:`_resample.bootstrap_draws`; ``group_codes[i]`` is row i's group), from each
    resample's count of rows per group, choice and truth: the same figures to the last bit
    (the counts are the same integers) without the rows x resamples weights."""
    import numpy as np

    codes = np.asarray(group_codes, dtype=np.int64) * 4
    codes += 2 * np.asarray(chosen, dtype=np.int64) + np.asarray(actual, dtype=np.int64)
    counts = _resample.draw_counts(drawn, codes, 4 * groups).reshape(len(drawn), groups, 4)
    # per group: neither chosen nor positive, a missed positive, a false and a true positive
    neither, missed, false_pos, true_pos = (counts[:, :, i].astype(np.float64) for i in range(4))
    return _parity_measures(
        neither + missed + false_pos + true_pos,
        false_pos + true_pos,
        missed + true_pos,
        neither + false_pos,
        true_pos,
        false_pos,
    )


def _parity_measures(
    size: Any, picked: Any, positives: Any, negatives: Any, true_pos: Any, false_pos: Any
) -> dict[str, NDArray[np.float64]]:
    """The parity measures from each resample's weighted counts per group (resamples x
    groups each)."""
    import numpy as np

    with np.errstate(divide="ignore", invalid="ignore"):
        selection = picked / size
        tpr = true_pos / positives
        fpr = false_pos / negatives
        highest, lowest = np.nanmax(selection, axis=1), np.nanmin(selection, axis=1)
        return {
            "selection_rate_ratio": lowest / highest,
            "selection_rate_difference": highest - lowest,
            "equalized_odds_difference": np.maximum(
                np.nanmax(tpr, axis=1) - np.nanmin(tpr, axis=1),
                np.nanmax(fpr, axis=1) - np.nanmin(fpr, axis=1),
            ),
        }


def _status(criterion: Criterion) -> str:
    if criterion.fails:
        return "fails"
    if criterion.undecided:
        return "undecided"
    if math.isnan(criterion.value):
        return "undefined"
    return "ok" if criterion.limit is not None else "reported"


def judge_fairness(measured: FairnessMeasurement) -> Verdict:
    """Failed when a criterion's whole interval is past its limit; "not measurable here"
    when a criterion's interval is wider than its limit's distance from no effect (a pass on
    groups of 40 rows whose interval also covers a gap of twice the limit is a lack of power,
    not evidence of fairness), with about the rows that would resolve it and the undecided
    measures in order: those whose point is past the limit (the likely breaches) before the
    others, each kind closest to settling first; passed otherwise.
    Not applicable when no attribute has two groups large enough to judge."""
    judged, failures = measured.judged, measured.failures
    suffix = f"; {measured.note}" if measured.note else ""
    if not judged:
        return Verdict(
            Outcome.NOT_APPLICABLE,
            "no sensitive attribute has two groups of at least "
            f"{measured.min_group_size} rows{suffix}",
        )
    pct = f"{100 * measured.interval_confidence:.4g}%"
    family = (
        f"{measured.confidence:.0%} family-wise over {measured.family} intervals, each at {pct}"
    )

    def listed(pairs: list[tuple[AttributeMeasurement, Criterion]]) -> str:
        shown = "; ".join(
            f"{a.attribute}{'' if a.outcome in {'1', 'True'} else f' [{a.outcome}]'}: "
            f"{c.name.replace('_', ' ')} {c.value:.3g} ({pct} CI {c.ci_low:.3g}-{c.ci_high:.3g}, "
            f"limit {c.limit:.3g})"
            for a, c in pairs[:3]
        )
        return shown + (f" and {len(pairs) - 3} more" if len(pairs) > 3 else "")

    if failures:
        return Verdict(
            Outcome.FAILED,
            f"{len(failures)} fairness limits broken ({family}): {listed(failures)}{suffix}",
        )
    attributes = ", ".join(dict.fromkeys(a.attribute for a in judged))
    limited = sum(c.limit is not None for a in judged for c in a.criteria)
    # the likely breaches (points past the limit) first, each kind closest to settling
    # first: not the first measures in class order
    undecided = sorted(
        ((a, c) for a in judged for c in a.criteria if c.undecided),
        key=lambda pair: (pair[1].past_limit == 0, pair[1].rows_factor_to_settle()),
    )
    if undecided:
        factor = max(c.rows_factor_to_decide() for _, c in undecided)
        needed = f"about {math.ceil(factor * measured.rows_used):,} rows"
        return Verdict(
            Outcome.NOT_APPLICABLE,
            f"not measurable here: {len(undecided)} of {limited} fairness measures have "
            f"intervals ({family}) wider than their limit's distance from no effect on "
            f"{measured.rows_used:,} rows (groups of {_smallest_group(judged)}+ rows), so "
            f"only a breach of twice the limit could show; {needed} would resolve the "
            f"limit: {listed(undecided)}{suffix}",
        )
    return Verdict(
        Outcome.PASSED,
        f"no fairness limit is clearly broken for {attributes} "
        f"({limited} measures judged, {family}){suffix}",
    )


def _smallest_group(judged: Sequence[AttributeMeasurement]) -> int:
    sizes = [g.rows for a in judged for g in a.group_measures]
    return min(sizes) if sizes else 0


def _fairness_figures(measured: FairnessMeasurement) -> dict[str, object]:
    """The result's measurements: counts, time, and every criterion's point value."""
    figures: dict[str, object] = {
        "attributes_judged": len(measured.judged),
        "violations": len(measured.failures),
        "intervals_judged": measured.family,
        "interval_confidence": measured.interval_confidence,
        "resamples": measured.resamples,
        "seconds": measured.seconds,
    }
    several_outcomes = len({a.outcome for a in measured.judged}) > 1
    for a in measured.judged:
        prefix = f"{a.attribute}[{a.outcome}]" if several_outcomes else a.attribute
        for c in a.criteria:
            figures[f"{prefix}.{c.name}"] = c.value
    return figures


def fairness_tables(measured: FairnessMeasurement) -> list[Table]:
    """The criteria per attribute, then the figures per group."""
    attribute_table = Table.build(
        "Fairness measures per sensitive attribute",
        [
            "attribute",
            "outcome",
            "groups judged",
            "measure",
            "value",
            "ci_low",
            "ci_high",
            "limit",
            "result",
            "groups too small",
        ],
        [
            (
                a.attribute,
                a.outcome,
                a.groups,
                c.name,
                c.value,
                c.ci_low,
                c.ci_high,
                c.limit,
                _status(c),
                ", ".join(a.small_groups[:5]),
            )
            for a in measured.judged
            for c in a.criteria
        ],
        max_rows=60,
    )
    group_rows = [astuple(g) for a in measured.attributes for g in a.group_measures]
    metric = measured.metric
    group_table = Table.build(
        f"Per group ({metric})",
        [
            "attribute",
            "outcome",
            "group",
            "rows",
            "selection_rate",
            "true_positive_rate",
            "false_positive_rate",
            metric,
            "mean_prediction",
        ],
        group_rows,
        chart="selection_rate" if any(r[4] is not None for r in group_rows) else metric,
        max_rows=60,
    )
    return [attribute_table, group_table]


# --- proxies of sensitive attributes -----------------------------------------------------


@register_check(*RUBRIC, renamed={"max_rows": "sample_size", "random_state": "seed"})
def check_sensitive_proxies(
    X: pd.DataFrame,
    sensitive: str | Sequence[str] | pd.Series | pd.DataFrame,
    *,
    features: Sequence[str] | None = None,
    max_auc: float = 0.8,
    max_joint_auc: float | None = None,
    joint_model: bool = True,
    cv: int = 3,
    numeric_bins: int = 10,
    min_class_size: int = 20,
    sample_size: int = 5_000,
    time_budget_s: float | None = None,
    seed: int = 0,
) -> CheckResult:
    """No single feature predicts a sensitive attribute well (it would act as a proxy).

    ``sensitive`` names columns of ``X`` (they are left out of the features) or gives the
    attribute values aligned with ``X``. For each of ``features`` (default: every other
    column) a one-feature model (category frequencies; numeric columns in ``numeric_bins``
    quantile bins) is cross-validated with ``cv`` folds and scored by ROC AUC (one-vs-rest
    macro average for attributes with more than two values; values with fewer than
    ``min_class_size`` rows are pooled). A feature with AUC at or above ``max_auc`` fails
    the check. With ``joint_model``, a gradient-boosted model on all features shows how well
    the attribute can be reconstructed from everything together, judged only when
    ``max_joint_auc`` is set. At most ``sample_size`` rows are used, sampled with
    ``seed``.

    By default every feature (and the joint model) is tested: the work is fixed by the rows,
    the features and ``cv``, so identical runs give the same verdict on a busy machine. With
    ``time_budget_s``, no further feature (nor the joint model) is started once it is spent;
    what was left untested is recorded and said in the reason (faster, but then the verdict
    depends on the machine's load).
    """
    name = "check_sensitive_proxies"
    X = require_frame(X, allow_all_missing=True)
    attributes = _sensitive_attributes(X, sensitive)
    skipped: list[str] = []
    if features is None:  # by default, columns with no values at all cannot be proxies
        features = [c for c in X.columns if c not in attributes.columns]
        skipped = [c for c in features if X[c].isna().all()]
        features = [c for c in features if c not in skipped]
    features = require_columns(X, features, "features")
    features = [f for f in features if f not in attributes.columns]
    if not features:
        raise CheckInputError("features", "no feature is left once the sensitive columns go")
    if cv < 2:
        raise CheckInputError("cv", f"needs at least 2 folds, got {cv}")
    if not 0.5 < max_auc <= 1.0:
        raise CheckInputError("max_auc", f"must be in (0.5, 1], got {max_auc}")

    start = time.perf_counter()
    rows = sample_rows(len(X), sample_size, seed)
    data = X[features].iloc[rows].reset_index(drop=True)
    findings: list[tuple[str, str, float]] = []
    joint: dict[str, float] = {}
    for attribute in attributes.columns:
        target = _pooled_codes(attributes[attribute].iloc[rows], min_class_size, attribute)
        folds = _folds(target, cv, seed)
        for feature in features:
            if findings and _spent(start, time_budget_s):
                break
            codes = _feature_codes(data[feature], numeric_bins)
            findings.append((attribute, feature, _one_feature_auc(codes, target, folds)))
        if joint_model and not _spent(start, time_budget_s):
            joint[attribute] = _joint_auc(data, target, folds, seed)
    elapsed = time.perf_counter() - start
    untested = len(features) * len(attributes.columns) - len(findings)
    return _proxy_verdict(
        name,
        findings,
        joint,
        max_auc,
        max_joint_auc,
        parameters={
            "sensitive": ", ".join(attributes.columns),
            "features": len(features),
            "features_skipped_as_empty": ", ".join(skipped),
            "cv": cv,
            "numeric_bins": numeric_bins,
            "min_class_size": min_class_size,
            "joint_model": joint_model,
            "joint_model_skipped_for_time": joint_model and len(joint) < len(attributes.columns),
            "pairs_untested_for_time": untested,
            "time_budget_s": time_budget_s,
            "rows_used": len(rows),
            "rows_total": len(X),
            "sample_size": sample_size,
            "seed": seed,
            "seconds": elapsed,
        },
    )


def _spent(start: float, budget: float | None) -> bool:
    return budget is not None and time.perf_counter() - start > budget


def _sensitive_attributes(
    X: pd.DataFrame, sensitive: str | Sequence[str] | pd.Series | pd.DataFrame
) -> pd.DataFrame:
    import pandas as pd

    if isinstance(sensitive, pd.Series | pd.DataFrame):
        frame = aligned_frame(sensitive, X, "sensitive")
        frame.columns = [str(c) for c in frame.columns]
    else:
        names = [sensitive] if isinstance(sensitive, str) else list(sensitive)
        frame = X[require_columns(X, names, "sensitive")]
    for column in frame.columns:
        values = frame[column]
        if values.isna().all():
            raise CheckInputError("sensitive", f"column {column!r} is entirely missing")
        if values.nunique(dropna=False) < 2:
            raise CheckInputError("sensitive", f"column {column!r} has a single value")
    return frame


def _pooled_codes(values: pd.Series, min_class_size: int, attribute: str) -> NDArray[np.intp]:
    """Integer codes of the attribute (numeric ones in quartiles), rare values pooled."""
    import numpy as np

    labels = _as_labels(values.reset_index(drop=True), numeric_bins=4)
    counts = labels.value_counts()
    labels = labels.where(labels.map(counts) >= min_class_size, "(rare values)")
    codes = np.unique(labels.to_numpy(), return_inverse=True)[1]
    if len(np.unique(codes)) < 2:
        raise CheckInputError(
            "sensitive", f"column {attribute!r} has fewer than two values with enough rows"
        )
    return np.asarray(codes, dtype=np.intp)


def _folds(target: Any, cv: int, seed: int) -> NDArray[np.intp]:
    """Fold number of every row, stratified on the attribute."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    smallest = int(np.bincount(target).min())
    splits = max(2, min(cv, smallest))
    fold = np.zeros(len(target), dtype=np.intp)
    splitter = StratifiedKFold(splits, shuffle=True, random_state=seed)
    for k, (_, test) in enumerate(splitter.split(np.zeros(len(target)), target)):
        fold[test] = k
    return fold


def _feature_codes(column: pd.Series, bins: int) -> NDArray[np.intp]:
    import numpy as np
    import pandas as pd

    if pd.api.types.is_numeric_dtype(column) and column.nunique() > bins:
        column = pd.qcut(column, q=bins, duplicates="drop")
    return np.asarray(pd.factorize(column, use_na_sentinel=False)[0], dtype=np.intp)


def _one_feature_auc(codes: Any, target: Any, folds: Any) -> float:
    """Out-of-fold AUC of predicting the attribute from the feature's value frequencies."""
    import numpy as np

    n_codes, n_classes = int(codes.max()) + 1, int(target.max()) + 1
    scores = np.zeros((len(target), n_classes))
    for k in np.unique(folds):
        train, test = folds != k, folds == k
        table = np.ones((n_codes, n_classes))  # Laplace smoothing: unseen values get the prior
        np.add.at(table, (codes[train], target[train]), 1.0)
        scores[test] = table[codes[test]] / table[codes[test]].sum(axis=1, keepdims=True)
    return _auc(target, scores)


def _auc(target: Any, scores: Any) -> float:
    from sklearn.metrics import roc_auc_score

    from mltestscore.checks._models import binary_roc_auc

    if scores.shape[1] == 2:
        fast = binary_roc_auc(target, scores[:, 1])
        return fast if fast is not None else float(roc_auc_score(target, scores[:, 1]))
    return float(roc_auc_score(target, scores, multi_class="ovr", average="macro"))


def _joint_auc(data: pd.DataFrame, target: Any, folds: Any, seed: int) -> float:
    """Out-of-fold AUC of a small gradient-boosted model on all features together."""
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier

    encoded = pd.DataFrame(
        {
            c: data[c].astype(float)
            if pd.api.types.is_numeric_dtype(data[c])
            else pd.Series(pd.factorize(data[c])[0], dtype=float).where(data[c].notna())
            for c in data.columns
        }
    )
    from mltestscore.checks._threads import thread_limit

    categorical = [not pd.api.types.is_numeric_dtype(data[c]) for c in data.columns]
    scores = np.zeros((len(target), int(target.max()) + 1))
    # one thread: on a busy machine OpenMP workers contending for cores cost 30x the time
    with thread_limit(1):
        for k in np.unique(folds):
            train, test = folds != k, folds == k
            model = HistGradientBoostingClassifier(
                max_iter=40, categorical_features=categorical, random_state=seed
            )
            model.fit(encoded[train], target[train])
            scores[np.ix_(test, model.classes_)] = model.predict_proba(encoded[test])
    return _auc(target, scores)


def _proxy_verdict(
    name: str,
    findings: list[tuple[str, str, float]],
    joint: dict[str, float],
    max_auc: float,
    max_joint_auc: float | None,
    parameters: dict[str, object],
) -> CheckResult:
    ranked = sorted(findings, key=lambda f: -f[2])
    proxies = [f for f in ranked if f[2] >= max_auc]
    joint_failures = [
        a for a, auc in joint.items() if max_joint_auc is not None and auc >= max_joint_auc
    ]
    moderate = 0.5 + (max_auc - 0.5) / 2

    def strength(auc: float) -> str:
        return "proxy" if auc >= max_auc else ("moderate" if auc >= moderate else "weak")

    rows = [(a, f, auc, strength(auc)) for a, f, auc in ranked]
    rows = [(a, "(all features together)", auc, strength(auc)) for a, auc in joint.items()] + rows
    table = Table.build(
        "How well each feature predicts the sensitive attribute (cross-validated ROC AUC)",
        ["sensitive", "feature", "auc", "strength"],
        rows,
        chart="auc",
    )
    measurements: dict[str, object] = {
        "seconds": parameters.pop("seconds"),  # time is measured, not a setting
        "proxies": len(proxies),
        "strongest_feature": ranked[0][1],
        "strongest_auc": ranked[0][2],
        **{f"joint_auc.{a}": auc for a, auc in joint.items()},
    }
    kw: dict[str, Any] = {
        "measurements": measurements,
        "thresholds": {"max_auc": max_auc, "max_joint_auc": max_joint_auc},
        "parameters": parameters,
        "tables": [table],
    }
    together = "; ".join(
        f"all features together predict {a} with AUC {auc:.2f}" for a, auc in joint.items()
    )
    together = f" ({together})" if together else ""
    untested = parameters["pairs_untested_for_time"]
    if untested or parameters["joint_model_skipped_for_time"]:
        together += (
            f"; the {parameters['time_budget_s']}s time budget left {untested} feature(s)"
            + (" and the joint model" if parameters["joint_model_skipped_for_time"] else "")
            + " untested"
        )
    if proxies or joint_failures:
        listed = ", ".join(f"{f} predicts {a} (AUC {auc:.2f})" for a, f, auc in proxies[:4])
        more = f" and {len(proxies) - 4} more" if len(proxies) > 4 else ""
        joint_text = (
            f"; together the features reach the joint limit {max_joint_auc} for "
            + ", ".join(joint_failures)
            if joint_failures
            else ""
        )
        return CheckResult.failed(
            name,
            RUBRIC,
            f"{len(proxies)} feature(s) act as proxies (AUC >= {max_auc}): {listed}{more}"
            f"{joint_text}{together}",
            **kw,
        )
    attribute, feature, auc = ranked[0]
    return CheckResult.passed(
        name,
        RUBRIC,
        f"no single feature predicts the sensitive attribute with AUC >= {max_auc} "
        f"(strongest: {feature} for {attribute}, AUC {auc:.2f}){together}",
        **kw,
    )
