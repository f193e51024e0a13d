"""Slices [model-6]: model quality is sufficient on every important data slice.

A good overall metric can hide a slice where the model fails (a country, an age band, a
device). Two checks look for it:

* ``check_slice_quality`` computes the metric on the slices of the columns a person names
  (the slices ``_slices.make_slices`` makes, shared with the serving gate and monitoring) and
  holds each to absolute and relative limits. Each slice gets a bootstrap confidence interval
  and fails only when even its favourable end is past the limit, so a small slice is not
  condemned on noise; slices under a minimum size are reported but not judged.
* ``check_weak_segments`` searches every one- and two-feature segment for the ones where the
  per-row loss is much worse than overall, for the weak spots nobody thought to name.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from mltestscore.checks import _models, _resample, _slices
from mltestscore.checks._inputs import (
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
    needs_probabilities,
    predictions,
    task_of,
)
from mltestscore.checks._resample import family_wise, resamples_for
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Outcome, Table, Verdict

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from numpy.typing import NDArray

RUBRIC = ("model-6",)


@dataclass(frozen=True)
class SliceScore:
    """One slice's metric and its bootstrap interval (NaN when the slice is too small to
    resample or the metric is undefined on it). For a regressor's error (RMSE, MAE) also the
    error in the slice's own target standard deviations (``scaled``, with its interval from
    the same resamples): what the model does relative to what is achievable there; the
    overall error in the same units (``scaled_reference``: over the pooled spread of the
    target within the slices of the slice's column) and the limit that gives."""

    name: str
    rows: int
    value: float
    ci_low: float
    ci_high: float
    scaled: float = float("nan")
    scaled_low: float = float("nan")
    scaled_high: float = float("nan")
    scaled_reference: float = float("nan")
    scaled_limit: float = float("nan")


@dataclass(frozen=True)
class SliceMeasurement:
    """Everything ``check_slice_quality`` measured: the overall metric, the limit the
    thresholds give at that value, and every slice's score. :func:`slice_status` and
    :func:`judge_slices` judge it; the tests inspect it."""

    metric: str
    higher_is_better: bool
    overall: float
    limit: float
    min_slice_size: int
    confidence: float  # family-wise, over the judged slices
    interval_confidence: float  # each slice's interval: Bonferroni over the judged slices
    note: str | None
    scores: list[SliceScore]
    rows_used: int
    rows_total: int
    seconds: float
    resamples: int = 0  # per slice: n_bootstrap, raised until each tail holds 10
    # a regression error (RMSE, MAE) is also judged in target SDs (each score holds its
    # scaled limit); not for metrics on a scale of their own (classification metrics, R2)
    scaled: bool = False


# statuses in the order the table lists them: failing slices first
IN_LINE = "past the limit, in line with its target's spread"
STATUS_ORDER = {
    "fails": 0,
    IN_LINE: 1,
    "past the limit within noise": 2,
    "ok": 3,
    "undefined": 4,
    "too small": 5,
}
JUDGED = frozenset({"fails", IN_LINE, "past the limit within noise", "ok"})
SCALED_METRICS = frozenset({"rmse", "mae"})
# How much larger than overall a regression slice's error may be, both in target standard
# deviations: the scaled error is on a 0-1 scale (0 a perfect model, 1 a model no better
# than the slice's own mean), where the default max_gap for 0-1 metrics (AUC, F1) is 0.05.
MAX_SCALED_GAP = 0.05


def _past(value: float, low: float, high: float, limit: float, higher: bool) -> tuple[bool, bool]:
    """(point estimate past the limit, whole interval past it)."""
    favourable = value if math.isnan(high) else (high if higher else low)
    point_past = value < limit if higher else value > limit
    interval_past = favourable < limit if higher else favourable > limit
    return point_past, interval_past


def slice_status(score: SliceScore, measured: SliceMeasurement) -> str:
    """ "too small" under ``min_slice_size`` rows, "undefined" without a metric, else "fails"
    when the whole interval is past the limit, "past the limit within noise" when only the
    point estimate is, "ok" otherwise.

    A regressor's error (RMSE, MAE) is also judged in the slice's own target standard
    deviations: a slice fails only when its error is clearly past the limit in the metric's
    units *and* clearly past the scaled limit. A slice whose target simply varies more (the
    self-employed's weekly hours) has larger errors for any model; when its error per target
    SD is in line with the overall figure, it is "past the limit, in line with its target's
    spread" and does not fail. A slice whose errors are no larger than elsewhere is not
    badly served even if its target varies less (a slice of the strongest feature)."""
    if score.rows < measured.min_slice_size:
        return "too small"
    if math.isnan(score.value):
        return "undefined"
    higher, limit = measured.higher_is_better, measured.limit
    point_past, interval_past = _past(score.value, score.ci_low, score.ci_high, limit, higher)
    if interval_past and not math.isnan(score.scaled) and not math.isnan(score.scaled_limit):
        scaled_point, scaled_interval = _past(
            score.scaled, score.scaled_low, score.scaled_high, score.scaled_limit, False
        )
        if not scaled_point:
            return IN_LINE
        interval_past = scaled_interval
    if interval_past:
        return "fails"
    return "past the limit within noise" if point_past else "ok"


def _require_text_names(columns: Sequence[Any]) -> None:
    """Slices are named by their column in rules and reports: a column name that is not text
    (a frame made from a numpy array has 0, 1, ...) is refused by name."""
    other = [c for c in columns if not isinstance(c, str)]
    if other:
        shown = ", ".join(f"{c!r} ({type(c).__name__})" for c in other[:10])
        raise CheckInputError(
            "columns",
            f"slice columns must be named by text, got {shown}; name the frame's columns, "
            "e.g. X.columns = [f'x{i}' for i in range(X.shape[1])]",
        )


@register_check(*RUBRIC, renamed={"max_rows": "sample_size", "random_state": "seed"})
def check_slice_quality(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    columns: Sequence[str],
    slice_data: pd.DataFrame | None = None,
    metric: str | None = None,
    max_gap: float | None = 0.05,
    max_relative_gap: float | None = None,
    slice_limit: float | None = None,
    max_scaled_gap: float | None = MAX_SCALED_GAP,
    min_slice_size: int = 30,
    n_bootstrap: int = 200,
    confidence: float = 0.95,
    numeric_bins: int = 4,
    sample_size: int = 20_000,
    task: str | None = None,
    seed: int = 0,
) -> CheckResult:
    """The metric on every slice of the named columns stays within limits of the overall metric.

    Slices are the values of each column in ``columns`` (numeric columns in ``numeric_bins``
    quantile bins), taken from ``slice_data`` (a frame aligned with ``X``, for columns the
    model does not see) or from ``X``. A slice's limit is the strictest of: the overall metric
    minus ``max_gap`` (metric units), the overall metric minus ``max_relative_gap`` times its
    size, and ``slice_limit`` (a floor, or a ceiling for losses such as RMSE). A slice fails
    only when its whole bootstrap interval (``n_bootstrap`` resamples) is past the limit; the
    intervals hold together at ``confidence`` over the judged slices (Bonferroni: each at
    1 - (1 - confidence) / slices; ``n_bootstrap`` resamples, and for a slice past the limit
    enough that each tail holds 10), so naming many slices does not multiply the false
    alarms. A regressor's error (RMSE, MAE) is also judged in the slice's own target
    standard deviations, against the overall figure in the same units plus
    ``max_scaled_gap``: a slice fails only when it is clearly past both limits, so a slice
    whose target is noisier is not condemned for errors any model makes there
    (``max_scaled_gap=None`` judges the metric alone). Slices with fewer than
    ``min_slice_size`` rows are listed but not judged.
    ``task`` (binary, multiclass or regression) overrides the guess from model and labels.
    """
    name = "check_slice_quality"
    require_model(model)
    X = require_frame(X, allow_all_missing=True)
    y = require_labels(y, len(X))
    if isinstance(columns, str):
        columns = [columns]
    _require_text_names(columns)
    slice_frame = columns_from(
        X, slice_data, columns, columns_argument="columns", extra_argument="slice_data"
    )
    if max_gap is None and max_relative_gap is None and slice_limit is None:
        raise CheckInputError(
            "max_gap", "set at least one of max_gap, max_relative_gap, slice_limit"
        )
    require_confidence(confidence)
    if min_slice_size < 1:
        raise CheckInputError("min_slice_size", f"must be at least 1, got {min_slice_size}")
    try:
        outputs = judged_outputs(model, X, y, metric, task)
    except NeedsProbabilities as exc:
        return CheckResult.not_applicable(name, RUBRIC, str(exc))
    metric, task, note = outputs.metric, outputs.task, outputs.note
    measured = measure_slices(
        model,
        (y, outputs.predicted, outputs.proba),
        slice_frame,
        columns,
        task=task,
        metric=metric,
        note=note,
        limits=(max_gap, max_relative_gap, slice_limit),
        max_scaled_gap=max_scaled_gap,
        min_slice_size=min_slice_size,
        n_bootstrap=n_bootstrap,
        confidence=confidence,
        numeric_bins=numeric_bins,
        sample_size=sample_size,
        seed=seed,
    )
    return CheckResult.from_verdict(
        name,
        RUBRIC,
        judge_slices(measured),
        measurements={**_slice_figures(measured), "seconds": measured.seconds},
        thresholds={
            "max_gap": max_gap,
            "max_relative_gap": max_relative_gap,
            "slice_limit": slice_limit,
            "max_scaled_gap": max_scaled_gap if measured.scaled else None,
            "effective_limit": measured.limit,
            "effective_limit_per_target_sd": max(
                (s.scaled_limit for s in measured.scores if not math.isnan(s.scaled_limit)),
                default=None,
            ),
            "min_slice_size": min_slice_size,
        },
        parameters={
            "columns": ", ".join(columns),
            "metric": metric,
            "task": task,
            "n_bootstrap": n_bootstrap,
            "confidence": confidence,
            "numeric_bins": numeric_bins,
            "rows_used": measured.rows_used,
            "rows_total": measured.rows_total,
            "sample_size": sample_size,
            "seed": seed,
        },
        tables=[slice_table(measured)],
    )


def measure_slices(
    model: Any,
    data: tuple[Any, Any, Any],
    slice_frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    task: _models.Task,
    metric: str,
    note: str | None,
    limits: tuple[float | None, float | None, float | None],
    min_slice_size: int,
    n_bootstrap: int,
    confidence: float,
    numeric_bins: int,
    sample_size: int,
    seed: int,
    max_scaled_gap: float | None = None,
) -> SliceMeasurement:
    """The overall metric and every slice's metric with its bootstrap interval, on a seeded
    sample of at most ``sample_size`` rows. ``data`` is (labels, predictions, probabilities
    or None); ``limits`` is (max_gap, max_relative_gap, slice_limit). With
    ``max_scaled_gap``, a regression error (RMSE, MAE) is also measured in each slice's
    target standard deviations (see :func:`slice_status`)."""
    import numpy as np

    y, predicted, proba = data
    start = time.perf_counter()
    rows = sample_rows(len(y), sample_size, seed)
    y, predicted = y[rows], predicted[rows]
    if task != "regression":
        y, predicted = label_codes(model, y, predicted)
    proba = None if proba is None else proba[rows]
    overall = _models.score(metric, y, predicted, proba)
    if math.isnan(overall):
        raise CheckInputError("y", f"{metric} is undefined on these labels (a single class?)")
    higher = _models.higher_is_better(metric)
    rng = np.random.default_rng(seed)
    pieces = _slices.make_slices(slice_frame.iloc[rows], columns, numeric_bins=numeric_bins)
    judged = sum(int(piece.mask.sum()) >= min_slice_size for piece in pieces)
    interval_confidence = family_wise(confidence, judged)
    resamples = resamples_for(n_bootstrap, interval_confidence)
    scaled = task == "regression" and metric in SCALED_METRICS and max_scaled_gap is not None
    references = _scaled_references(pieces, y, overall) if scaled else {}
    limit = _strictest_limit(overall, higher, *limits)
    scores = []
    for piece in pieces:
        score = _score_slice(
            piece.mask,
            piece.name,
            (y, predicted, proba),
            metric,
            min_slice_size,
            _Resamples(shown=n_bootstrap, judged=resamples, limit=limit, higher=higher),
            interval_confidence,
            rng,
            scaled=scaled,
        )
        reference = references.get(piece.column, float("nan"))
        if scaled and not math.isnan(reference):
            score = replace(
                score,
                scaled_reference=reference,
                scaled_limit=reference + (max_scaled_gap or 0.0),
            )
        scores.append(score)
    return SliceMeasurement(
        metric=metric,
        higher_is_better=higher,
        overall=overall,
        limit=limit,
        min_slice_size=min_slice_size,
        confidence=confidence,
        interval_confidence=interval_confidence,
        note=note,
        scores=scores,
        rows_used=len(rows),
        rows_total=len(slice_frame),
        seconds=time.perf_counter() - start,
        resamples=resamples,
        scaled=scaled,
    )


def _scaled_references(pieces: list[_slices.Slice], y: Any, overall: float) -> dict[str, float]:
    """Per slice column, the overall error in the target's standard deviation *within* that
    column's slices (pooled): the like-for-like yardstick for a slice's error over its own
    SD. Over the whole target's SD instead, every slice of a column that predicts the target
    would look worse than overall, since a slice holds less of the target's variation."""
    import numpy as np

    values = np.asarray(y, dtype=np.float64)
    squares: dict[str, float] = {}
    counts: dict[str, int] = {}
    for piece in pieces:
        part = values[piece.mask]
        if len(part) > 1:
            squares[piece.column] = squares.get(piece.column, 0.0) + float(
                ((part - part.mean()) ** 2).sum()
            )
            counts[piece.column] = counts.get(piece.column, 0) + len(part)
    return {
        column: overall / math.sqrt(squares[column] / counts[column])
        for column in squares
        if squares[column] > 0
    }


def _strictest_limit(
    overall: float,
    higher: bool,
    max_gap: float | None,
    max_relative_gap: float | None,
    slice_limit: float | None,
) -> float:
    sign = 1.0 if higher else -1.0
    candidates = []
    if max_gap is not None:
        candidates.append(overall - sign * max_gap)
    if max_relative_gap is not None:
        candidates.append(overall - sign * abs(overall) * max_relative_gap)
    if slice_limit is not None:
        candidates.append(slice_limit)
    return max(candidates) if higher else min(candidates)


@dataclass(frozen=True)
class _Resamples:
    """How many resamples a slice's interval takes. A slice whose metric is on the right
    side of the limit cannot fail (the favourable end of its interval is further still), so
    its interval is only shown, from ``shown`` resamples; a slice past the limit is judged
    on its interval's far tail, which needs ``judged`` (enough for 10 in each tail): on the
    corpus' 14 education slices of 4,800 rows that is 0.22 s of CPU where every slice at
    5,600 resamples took 3.7 s."""

    shown: int
    judged: int
    limit: float
    higher: bool

    def for_value(self, value: float) -> int:
        past = value < self.limit if self.higher else value > self.limit
        return self.judged if past else self.shown


def _score_slice(
    mask: Any,
    name: str,
    data: tuple[Any, Any, Any],
    metric: str,
    min_slice_size: int,
    resamples: _Resamples,
    confidence: float,
    rng: np.random.Generator,
    *,
    scaled: bool = False,
) -> SliceScore:
    y, predicted, proba = data
    n = int(mask.sum())
    nan = float("nan")
    slice_proba = None if proba is None or not n else proba[mask]
    value = _models.score(metric, y[mask], predicted[mask], slice_proba) if n else nan
    if n < min_slice_size or math.isnan(value):
        return SliceScore(name, n, value, nan, nan)
    n_bootstrap = resamples.for_value(value)
    if scaled:
        (low, high), (scaled_low, scaled_high) = _resample.scaled_error_intervals(
            metric, y[mask], predicted[mask], n_boot=n_bootstrap, confidence=confidence, rng=rng
        )
        scaled_value = _resample.scaled_error(metric, y[mask], predicted[mask])
        return SliceScore(name, n, value, low, high, scaled_value, scaled_low, scaled_high)
    low, high = _resample.bootstrap_interval(
        metric,
        y[mask],
        predicted[mask],
        slice_proba,
        n_boot=n_bootstrap,
        confidence=confidence,
        rng=rng,
    )
    return SliceScore(name, n, value, low, high)


def _ranked(measured: SliceMeasurement) -> list[tuple[SliceScore, str]]:
    """Each slice with its status, failing first, worst first within a status."""
    sign = 1.0 if measured.higher_is_better else -1.0
    judged = [(s, slice_status(s, measured)) for s in measured.scores]
    return sorted(
        judged,
        key=lambda p: (STATUS_ORDER[p[1]], 0.0 if math.isnan(p[0].value) else sign * p[0].value),
    )


def _worst(measured: SliceMeasurement) -> SliceScore | None:
    sign = 1.0 if measured.higher_is_better else -1.0
    judged = [s for s in measured.scores if slice_status(s, measured) in JUDGED]
    return min(judged, key=lambda s: sign * s.value) if judged else None


def _slice_figures(measured: SliceMeasurement) -> dict[str, object]:
    statuses = [slice_status(s, measured) for s in measured.scores]
    worst, metric = _worst(measured), measured.metric
    return {
        f"overall_{metric}": measured.overall,
        "slices": len(statuses),
        "slices_judged": sum(st in JUDGED for st in statuses),
        "slices_failing": statuses.count("fails"),
        "slices_past_limit_within_noise": statuses.count("past the limit within noise"),
        "slices_too_small": statuses.count("too small"),
        "interval_confidence": measured.interval_confidence,
        "resamples_per_slice": measured.resamples,
        "worst_slice": worst.name if worst else None,
        f"worst_slice_{metric}": worst.value if worst else None,
        **(
            {
                f"overall_{metric}_per_target_sd": _scaled_overall(measured),
                "slices_in_line_with_their_spread": statuses.count(IN_LINE),
            }
            if measured.scaled
            else {}
        ),
    }


def slice_table(measured: SliceMeasurement) -> Table:
    metric = measured.metric
    title = f"{metric} per slice (overall {measured.overall:.4g}, limit {measured.limit:.4g}"
    if measured.scaled:
        return Table.build(
            f"{title}; {measured.interval_confidence:.2%} intervals; {metric} per target SD "
            "of the slice against the overall figure per target SD within the slices)",
            [
                "slice",
                "rows",
                metric,
                "ci_low",
                "ci_high",
                f"{metric}_per_target_sd",
                "sd_ci_low",
                "sd_ci_high",
                "sd_limit",
                "status",
            ],
            [
                (
                    *(s.name, s.rows, s.value, s.ci_low, s.ci_high),
                    *(s.scaled, s.scaled_low, s.scaled_high, s.scaled_limit, st),
                )
                for s, st in _ranked(measured)
            ],
            chart=metric,
        )
    return Table.build(
        f"{title})",
        ["slice", "rows", metric, "ci_low", "ci_high", "status"],
        [(s.name, s.rows, s.value, s.ci_low, s.ci_high, st) for s, st in _ranked(measured)],
        chart=metric,
    )


def judge_slices(measured: SliceMeasurement) -> Verdict:
    """Failed when a judged slice's whole interval is past the limit; not applicable when no
    slice has a defined metric on ``min_slice_size`` rows; passed otherwise."""
    ranked = _ranked(measured)
    failing = [s for s, st in ranked if st == "fails"]
    judged = [s for s, st in ranked if st in JUDGED]
    small = sum(st == "too small" for _, st in ranked)
    noisy = sum(st == "past the limit within noise" for _, st in ranked)
    metric, limit = measured.metric, measured.limit
    suffix = f"; {measured.note}" if measured.note else ""
    if not judged:
        return Verdict(
            Outcome.NOT_APPLICABLE,
            f"no slice has a defined {metric} on at least {measured.min_slice_size} rows "
            f"({len(ranked)} slices){suffix}",
        )
    pct = f"{measured.interval_confidence:.2%}"
    in_line = [s for s, st in ranked if st == IN_LINE]
    if failing:
        side = "<" if measured.higher_is_better else ">"
        listed = "; ".join(
            f"{s.name} ({metric} {s.value:.3g}, {pct} CI {s.ci_low:.3g}-{s.ci_high:.3g} "
            f"{side} limit {limit:.3g}{_scaled_text(s, measured)}, {s.rows} rows)"
            for s in failing[:3]
        )
        more = f" and {len(failing) - 3} more" if len(failing) > 3 else ""
        return Verdict(
            Outcome.FAILED,
            f"{len(failing)} of {len(judged)} slices are worse than the limit ("
            f"{measured.confidence:.0%} family-wise over {len(judged)} slices): {listed}{more}"
            f"{suffix}",
        )
    worst = _worst(measured)
    extra = f", {noisy} past it only within noise" if noisy else ""
    if in_line:
        extra += f"; {len(in_line)} past it in line with their target's spread: " + "; ".join(
            f"{s.name} ({metric} {s.value:.3g}, {pct} CI {s.ci_low:.3g}-{s.ci_high:.3g}"
            f"{_scaled_text(s, measured)})"
            for s in in_line[:3]
        )
    return Verdict(
        Outcome.PASSED,
        f"all {len(judged)} judged slices meet the {metric} limit {limit:.3g} "
        f"(overall {measured.overall:.3g}; worst {worst.name if worst else '-'} "
        f"{worst.value if worst else float('nan'):.3g}{extra}; {small} slices under "
        f"{measured.min_slice_size} rows not judged){suffix}",
    )


def _scaled_overall(measured: SliceMeasurement) -> float | None:
    """The overall error per target SD within the slices (one figure for a single column)."""
    references = {s.scaled_reference for s in measured.scores if not math.isnan(s.scaled_reference)}
    return references.pop() if len(references) == 1 else None


def _scaled_text(score: SliceScore, measured: SliceMeasurement) -> str:
    """A regression slice's error in its target's SDs against the scaled limit, or nothing."""
    if not measured.scaled or math.isnan(score.scaled) or math.isnan(score.scaled_limit):
        return ""
    side = ">" if score.scaled > score.scaled_limit else "<="
    return (
        f"; {score.scaled:.3g} of its target SD, CI {score.scaled_low:.3g}-"
        f"{score.scaled_high:.3g} {side} limit {score.scaled_limit:.3g} (overall "
        f"{score.scaled_reference:.3g})"
    )


# --- weak-segment discovery -------------------------------------------------------------

Loss = Literal["error", "log_loss", "absolute_error", "squared_error"]


@dataclass(frozen=True)
class Segment:
    name: str
    rows: int
    loss: float
    ci_low: float
    ci_high: float
    flagged: bool
    columns: tuple[str, ...]


@register_check(*RUBRIC, renamed={"max_rows": "sample_size", "random_state": "seed"})
def check_weak_segments(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    columns: Sequence[str] | None = None,
    loss: Loss | None = None,
    max_gap: float | None = None,
    max_relative_gap: float | None = 1.0,
    min_support: float = 0.02,
    min_size: int = 30,
    confidence: float = 0.95,
    include_pairs: bool = True,
    numeric_bins: int = 4,
    max_categories: int = 12,
    max_columns: int = 20,
    sample_size: int = 20_000,
    max_reported: int = 15,
    task: str | None = None,
    seed: int = 0,
) -> CheckResult:
    """No one- or two-feature segment has a per-row loss much worse than overall.

    Searches the slices of ``columns`` (default: every column of ``X``, at most
    ``max_columns``) and, with ``include_pairs``, every intersection of two slices of
    different columns, for segments with at least ``min_support`` of the rows and
    ``min_size`` rows. The per-row ``loss`` is the error indicator for classifiers (the
    segment's error rate) and the absolute error for regressors, or the log loss / squared
    error on request. A segment is flagged when the lower end of its interval is above the
    limit, the intervals holding together at ``confidence`` over every segment searched
    (Bonferroni: a search of 500 segments at 95% each flags a clean model's chance
    unevenness; the corpus' clean Adult model had one such segment): overall loss plus
    ``max_gap`` and/or times (1 + ``max_relative_gap``),
    whichever is stricter to reach. A pair is flagged only when neither of its single-feature
    parents is, so one weak slice is not reported once per other column.
    ``task`` (binary, multiclass or regression) overrides the guess from model and labels.
    """
    name = "check_weak_segments"
    require_model(model)
    X = require_frame(X, allow_all_missing=True)
    y = require_labels(y, len(X))
    _require_text_names(list(X.columns) if columns is None else columns)
    columns = require_columns(X, list(X.columns) if columns is None else columns, "columns")
    if max_gap is None and max_relative_gap is None:
        raise CheckInputError("max_gap", "set max_gap, max_relative_gap or both")
    if not 0.0 < min_support < 1.0:
        raise CheckInputError("min_support", f"must be in (0, 1), got {min_support}")
    require_confidence(confidence)
    searched = columns[:max_columns]

    predicted, proba = predictions(model, X)
    task = task_of(y, model, task)
    loss = _resolve_loss(loss, task, proba is not None)
    if loss is None:
        return CheckResult.not_applicable(name, RUBRIC, needs_probabilities("log_loss", model))
    start = time.perf_counter()
    rows = sample_rows(len(X), sample_size, seed)
    losses = _row_losses(loss, y[rows], predicted[rows], None if proba is None else proba[rows])
    frame = X[searched].iloc[rows].reset_index(drop=True)
    pieces = _slices.make_slices(
        frame, searched, numeric_bins=numeric_bins, max_categories=max_categories
    )
    overall = float(losses.mean())
    limits = []
    if max_gap is not None:
        limits.append(overall + max_gap)
    if max_relative_gap is not None:
        limits.append(overall * (1.0 + max_relative_gap))
    limit = max(limits)
    size_floor = max(min_size, int(min_support * len(rows) + 0.999))
    segments = _segments(pieces, losses, loss, limit, size_floor, confidence, include_pairs)
    elapsed = time.perf_counter() - start
    return _segment_verdict(
        name,
        segments,
        loss,
        overall,
        limit,
        max_reported,
        measurements={"seconds": elapsed},
        thresholds={
            "max_gap": max_gap,
            "max_relative_gap": max_relative_gap,
            "effective_limit": limit,
            "min_support": min_support,
            "min_size": min_size,
            "min_rows_used": size_floor,
        },
        parameters={
            "loss": loss,
            "task": task,
            "columns_searched": ", ".join(searched),
            "columns_skipped": max(0, len(columns) - len(searched)),
            "include_pairs": include_pairs,
            "numeric_bins": numeric_bins,
            "max_categories": max_categories,
            "confidence": confidence,
            "rows_used": len(rows),
            "rows_total": len(X),
            "sample_size": sample_size,
            "seed": seed,
        },
    )


def _resolve_loss(loss: Loss | None, task: _models.Task, has_proba: bool) -> Loss | None:
    if loss is None:
        return "absolute_error" if task == "regression" else "error"
    allowed = {"absolute_error", "squared_error"} if task == "regression" else {"error", "log_loss"}
    if loss not in allowed:
        raise CheckInputError(
            "loss", f"{loss!r} does not fit a {task} task; use one of {sorted(allowed)}"
        )
    if loss == "log_loss" and not has_proba:
        return None
    return loss


def _row_losses(loss: Loss, y: Any, predicted: Any, proba: Any) -> NDArray[np.float64]:
    import numpy as np

    if loss == "error":
        return np.asarray(np.asarray(y) != np.asarray(predicted), dtype=np.float64)
    if loss == "log_loss":
        codes = np.searchsorted(np.unique(y), y) if not np.issubdtype(y.dtype, np.integer) else y
        picked = proba[np.arange(len(y)), codes]
        return np.asarray(-np.log(np.clip(picked, 1e-15, 1.0)), dtype=np.float64)
    error = np.asarray(y, dtype=np.float64) - np.asarray(predicted, dtype=np.float64)
    return np.asarray(np.abs(error) if loss == "absolute_error" else error**2)


def _segments(
    pieces: list[_slices.Slice],
    losses: NDArray[np.float64],
    loss: Loss,
    limit: float,
    size_floor: int,
    confidence: float,
    include_pairs: bool,
) -> list[Segment]:
    """Every supported segment, scored at once with matrix products over slice masks."""
    import numpy as np
    from scipy.stats import norm

    masks = np.column_stack([p.mask for p in pieces]).astype(np.float64)
    counts = masks.sum(axis=0)
    pair_counts = masks.T @ masks if include_pairs else None
    z = float(
        norm.ppf(
            0.5 + family_wise(confidence, _searched(pieces, counts, pair_counts, size_floor)) / 2.0
        )
    )
    sums = losses @ masks
    squares = (losses**2) @ masks
    segments: list[Segment] = []
    flagged_single: set[int] = set()
    for i, piece in enumerate(pieces):
        if counts[i] >= size_floor:
            segment = _segment(
                piece.name, (piece.column,), counts[i], sums[i], squares[i], loss, limit, z
            )
            segments.append(segment)
            if segment.flagged:
                flagged_single.add(i)
    if pair_counts is None:
        return segments
    pair_sums = masks.T @ (masks * losses[:, None])
    pair_squares = masks.T @ (masks * (losses**2)[:, None])
    for i, first in enumerate(pieces):
        for j in range(i + 1, len(pieces)):
            second = pieces[j]
            if first.column == second.column or pair_counts[i, j] < size_floor:
                continue
            segment = _segment(
                f"{first.name} & {second.name}",
                (first.column, second.column),
                pair_counts[i, j],
                pair_sums[i, j],
                pair_squares[i, j],
                loss,
                limit,
                z,
            )
            if segment.flagged and (i in flagged_single or j in flagged_single):
                segment = replace(segment, flagged=False)
            segments.append(segment)
    return segments


def _searched(
    pieces: list[_slices.Slice], counts: Any, pair_counts: Any | None, size_floor: int
) -> int:
    """How many segments the search tests: the family the confidence is shared over."""
    tested = int((counts >= size_floor).sum())
    if pair_counts is None:
        return tested
    for i, first in enumerate(pieces):
        for j in range(i + 1, len(pieces)):
            if first.column != pieces[j].column and pair_counts[i, j] >= size_floor:
                tested += 1
    return tested


def _segment(
    name: str,
    columns: tuple[str, ...],
    count: float,
    total: float,
    squares: float,
    loss: Loss,
    limit: float,
    z: float,
) -> Segment:
    """Mean loss with a Wilson interval (0/1 error) or a normal interval (other losses)."""
    import math

    n = float(count)
    mean = total / n
    if loss == "error":
        centre = (mean + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(mean * (1 - mean) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        low, high = centre - half, centre + half
    else:
        variance = max(squares / n - mean * mean, 0.0) * n / max(n - 1.0, 1.0)
        half = z * math.sqrt(variance / n)
        low, high = mean - half, mean + half
    return Segment(name, int(n), mean, low, high, low > limit, columns)


def _segment_verdict(
    name: str,
    segments: list[Segment],
    loss: str,
    overall: float,
    limit: float,
    max_reported: int,
    measurements: dict[str, object],
    thresholds: dict[str, object],
    parameters: dict[str, object],
) -> CheckResult:
    label = {"error": "error rate", "log_loss": "log loss"}.get(
        loss, f"mean {loss.replace('_', ' ')}"
    )
    if not segments:
        return CheckResult.not_applicable(
            name,
            RUBRIC,
            f"no segment reaches the minimum size of {thresholds['min_rows_used']} rows",
            measurements=measurements,
            thresholds=thresholds,
            parameters=parameters,
        )
    flagged = sorted((s for s in segments if s.flagged), key=lambda s: -(s.ci_low - limit))
    worst = sorted(segments, key=lambda s: -s.loss)
    shown = flagged[:max_reported] or worst[:max_reported]
    table = Table.build(
        f"{'Weak' if flagged else 'Weakest'} segments by {label} (overall {overall:.4g}, "
        f"limit {limit:.4g})",
        ["segment", "rows", label, "ci_low", "ci_high", "times overall", "flagged"],
        [
            (
                s.name,
                s.rows,
                s.loss,
                s.ci_low,
                s.ci_high,
                s.loss / overall if overall else None,
                s.flagged,
            )
            for s in shown
        ],
        chart=label,
    )
    kw: dict[str, Any] = {
        "measurements": {
            f"overall_{loss}": overall,
            "segments_searched": len(segments),
            "single_feature_segments": sum(len(s.columns) == 1 for s in segments),
            "two_feature_segments": sum(len(s.columns) == 2 for s in segments),
            "segments_flagged": len(flagged),
            "worst_segment": worst[0].name,
            f"worst_segment_{loss}": worst[0].loss,
            **measurements,
        },
        "thresholds": thresholds,
        "parameters": parameters,
        "tables": [table],
    }
    if flagged:
        listed = "; ".join(
            f"{s.name} ({label} {s.loss:.3g} vs {overall:.3g} overall, {s.rows} rows)"
            for s in flagged[:3]
        )
        more = f" and {len(flagged) - 3} more" if len(flagged) > 3 else ""
        return CheckResult.failed(
            name,
            RUBRIC,
            f"{len(flagged)} of {len(segments)} segments are much worse than overall "
            f"(limit {limit:.3g}): {listed}{more}",
            **kw,
        )
    return CheckResult.passed(
        name,
        RUBRIC,
        f"no segment of {len(segments)} is clearly above the {label} limit {limit:.3g} "
        f"(overall {overall:.3g}; weakest {worst[0].name} at {worst[0].loss:.3g})",
        **kw,
    )
