"""Fast bootstrap confidence intervals for the metrics of ``_models.score``.

A bootstrap resample of ``n`` rows is the same as weighting every row by how often it was
drawn (a multinomial count). Written with those weights, each metric becomes a few matrix
products, so hundreds of resamples of every slice cost milliseconds instead of a Python loop
of scikit-learn calls. Metrics without a weighted form fall back to that loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mltestscore.checks import _models

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

# Resample cells (rows x resamples) drawn and weighed at once. Each chunk's arrays are then
# 2 MiB (8-byte cells): the allocator reuses them from chunk to chunk and interval to
# interval, and they stay in the cache. At 4,000,000 cells every array was a fresh mapping
# of 32-77 MiB whose pages the kernel zeroed on first touch: a 99.67% AUC interval of 800
# rows (6,000 resamples) took 0.59-0.72 s on its first call and 0.12-0.15 s after, against
# 0.06-0.11 s in chunks of this size. The draws continue one stream and each resample is
# scored on its own, so the chunk size changes no figure counted in integers (AUC, fairness
# parity) and a weighted sum (log loss, RMSE) at most in its last bit (BLAS sums a row along
# a path that depends on the number of rows).
MAX_CELLS = 262_144

# Resamples each tail of a percentile interval must hold at least: with fewer, the interval's
# end is the most extreme resample or nearly, a draw of the sample rather than an estimate
# of the quantile (at 10 the tail's realised share stays within about a third of its
# nominal share). Efron and Tibshirani's 1,000-2,000 resamples for a 95% interval put
# 25-50 in each tail; 10 keeps a family-wise interval at 99.9% (about 8,000 resamples)
# affordable with vectorised weights.
TAIL_RESAMPLES = 10


def family_wise(confidence: float, tests: int) -> float:
    """Each interval's confidence so that all ``tests`` hold together at ``confidence``
    (Bonferroni): a check that looks at 14 slices, 30 fairness measures or 500 segments at
    95% each raises a false alarm on a clean model far more often than 5% of the time."""
    return 1.0 - (1.0 - confidence) / max(tests, 1)


def resamples_for(n_bootstrap: int, confidence: float) -> int:
    """At least ``n_bootstrap`` resamples, and enough that each tail of a ``confidence``
    percentile interval holds :data:`TAIL_RESAMPLES` of them (``n_bootstrap`` <= 0 keeps
    intervals off)."""
    import math

    if n_bootstrap <= 0:
        return n_bootstrap
    tail = (1.0 - confidence) / 2.0
    return max(n_bootstrap, math.ceil(TAIL_RESAMPLES / tail - 1e-9)) if tail > 0 else n_bootstrap


def bootstrap_draws(n: int, n_boot: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """``n_boot`` bootstrap resamples of ``n`` rows as the drawn row indices: resample b is
    the rows ``drawn[b]``, drawn uniformly with replacement (the draw
    :func:`bootstrap_weights` counts, from the same generator state)."""
    return rng.integers(0, n, size=(n_boot, n))


def draw_counts(drawn: Any, codes: Any, categories: int) -> NDArray[np.int64]:
    """How many of each resample's drawn rows fall in each category (resamples x
    ``categories``), ``codes[i]`` being row i's category: one pass over the draws, where
    weights would be rows x resamples cells read again by every product. A figure built
    from these counts equals the one built from the weights (both are exact integers)."""
    import numpy as np

    resamples = len(drawn)
    keys = np.asarray(codes, dtype=np.int64)[drawn]
    keys += np.arange(resamples, dtype=np.int64)[:, None] * categories
    counts = np.bincount(keys.ravel(), minlength=resamples * categories)
    return counts.reshape(resamples, categories)


def bootstrap_weights(n: int, n_boot: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """``n_boot`` rows of multinomial draw counts: row b says how often each row was drawn.

    Counted from ``n`` uniform row indices per resample (what a bootstrap resample is, and
    exactly multinomial with equal probabilities) rather than with ``rng.multinomial``,
    which draws one binomial per row and resample: 3-5x the time for the same distribution
    (0.6 s of CPU in the example's suite)."""
    import numpy as np

    if n_boot <= 0 or n <= 0:
        return np.zeros((max(n_boot, 0), max(n, 0)), dtype=np.float64)
    drawn = bootstrap_draws(n, n_boot, rng)
    drawn += np.arange(n_boot, dtype=drawn.dtype)[:, None] * n  # resample b's rows at b * n
    counts = np.bincount(drawn.ravel(), minlength=n_boot * n)
    del drawn  # the peak stays two arrays of the weights' size, as with the multinomial
    return counts.reshape(n_boot, n).astype(np.float64)


def weighted_scores(
    metric: str, y_true: Any, y_pred: Any, proba: Any | None, weights: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The metric under each row of ``weights`` (shape resamples x rows), one value per row.

    Equals ``_models.score`` on the resampled rows; NaN where the metric is undefined (an AUC
    on a resample with one class).
    """
    import numpy as np

    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    total = weights.sum(axis=1)
    if metric in {"accuracy", "error_rate"}:
        accuracy = weights @ (y_true == y_pred).astype(np.float64) / total
        return np.asarray(accuracy if metric == "accuracy" else 1.0 - accuracy)
    if metric in {"rmse", "mae", "r2"}:
        return _regression_scores(metric, y_true, y_pred, weights, total)
    if metric == "f1" and set(np.unique(np.concatenate([y_true, y_pred])).tolist()) <= {0, 1}:
        return _f1_scores(y_true == 1, y_pred == 1, weights)
    if metric == "f1_macro":
        return _f1_macro_scores(y_true, y_pred, weights)
    if metric == "roc_auc":
        positive_score = proba[:, -1] if proba is not None else y_pred
        return _auc_scores(y_true, np.asarray(positive_score, dtype=np.float64), weights)
    if metric == "log_loss" and proba is not None and np.issubdtype(y_true.dtype, np.integer):
        eps = np.finfo(np.float64).eps
        picked = np.clip(proba[np.arange(len(y_true)), y_true], eps, 1.0)
        return np.asarray(weights @ -np.log(picked) / total)
    return _looped_scores(metric, y_true, y_pred, proba, weights)


def _regression_scores(
    metric: str, y_true: Any, y_pred: Any, weights: Any, total: Any
) -> NDArray[np.float64]:
    import numpy as np

    error = y_true.astype(np.float64) - y_pred.astype(np.float64)
    if metric == "mae":
        return np.asarray(weights @ np.abs(error) / total)
    squared = weights @ error**2
    if metric == "rmse":
        return np.asarray(np.sqrt(squared / total))
    mean = weights @ y_true.astype(np.float64) / total
    spread = weights @ y_true.astype(np.float64) ** 2 - total * mean**2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(spread > 1e-12, 1.0 - squared / spread, np.nan))


def _f1_scores(actual: Any, predicted: Any, weights: Any) -> NDArray[np.float64]:
    import numpy as np

    tp = weights @ (actual & predicted).astype(np.float64)
    fp = weights @ (~actual & predicted).astype(np.float64)
    fn = weights @ (actual & ~predicted).astype(np.float64)
    denominator = 2 * tp + fp + fn
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(denominator > 0, 2 * tp / denominator, 0.0))


def _f1_macro_scores(y_true: Any, y_pred: Any, weights: Any) -> NDArray[np.float64]:
    """Macro F1 over the labels present in each resample (as scikit-learn does)."""
    import numpy as np

    per_label = []
    present = []
    for label in np.unique(np.concatenate([y_true, y_pred])):
        actual, predicted = y_true == label, y_pred == label
        per_label.append(_f1_scores(actual, predicted, weights))
        present.append(weights @ (actual | predicted).astype(np.float64) > 0)
    f1 = np.vstack(per_label)
    seen = np.vstack(present)
    return np.asarray((f1 * seen).sum(axis=0) / np.maximum(seen.sum(axis=0), 1))


def _auc_scores(y_true: Any, score: Any, weights: Any) -> NDArray[np.float64]:
    """Weighted Mann-Whitney AUC, ties counted half, for every resample at once."""
    import numpy as np

    labels = np.unique(y_true)
    if len(labels) != 2:
        return np.full(weights.shape[0], np.nan)
    positive = y_true == labels[-1]
    order = np.argsort(score, kind="mergesort")
    sorted_score = score[order]
    starts = np.flatnonzero(np.r_[True, sorted_score[1:] != sorted_score[:-1]])
    w = weights[:, order]
    pos = np.add.reduceat(w * positive[order], starts, axis=1)
    neg = np.add.reduceat(w * ~positive[order], starts, axis=1)
    neg_below = np.cumsum(neg, axis=1) - neg
    pairs = pos.sum(axis=1) * neg.sum(axis=1)
    concordant = (pos * (neg_below + 0.5 * neg)).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(pairs > 0, concordant / pairs, np.nan))


def auc_from_draws(y_true: Any, score: Any, drawn: Any) -> NDArray[np.float64]:
    """:func:`_auc_scores` for the resamples ``drawn`` (:func:`bootstrap_draws`), from each
    resample's count of positive and negative rows per distinct score (ties as there)
    rather than from the rows x resamples weights: the same AUC to the last bit (every sum
    is of integers or halves), about a third of the passes over memory."""
    import numpy as np

    labels = np.unique(y_true)
    if len(labels) != 2:
        return np.full(len(drawn), np.nan)
    positive = y_true == labels[-1]
    order = np.argsort(score, kind="mergesort")
    sorted_score = score[order]
    tie = np.cumsum(np.r_[True, sorted_score[1:] != sorted_score[:-1]]) - 1
    ties = int(tie[-1]) + 1
    codes = np.empty(len(score), dtype=np.int64)
    codes[order] = tie * 2 + positive[order]
    counts = draw_counts(drawn, codes, 2 * ties).reshape(len(drawn), ties, 2)
    neg, pos = counts[:, :, 0], counts[:, :, 1]
    neg_below = np.cumsum(neg, axis=1) - neg
    pairs = (pos.sum(axis=1) * neg.sum(axis=1)).astype(np.float64)
    twice_concordant = (pos * (2 * neg_below + neg)).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(pairs > 0, twice_concordant / 2.0 / pairs, np.nan))


def _looped_scores(
    metric: str, y_true: Any, y_pred: Any, proba: Any | None, weights: Any
) -> NDArray[np.float64]:
    import numpy as np

    values = []
    for row in weights:
        index = np.repeat(np.arange(len(y_true)), row.astype(np.int64))
        values.append(
            _models.score(
                metric, y_true[index], y_pred[index], None if proba is None else proba[index]
            )
        )
    return np.asarray(values, dtype=np.float64)


def bootstrap_interval(
    metric: str,
    y_true: Any,
    y_pred: Any,
    proba: Any | None,
    *,
    n_boot: int,
    confidence: float,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the metric; (nan, nan) when it is undefined."""
    import numpy as np

    n = len(y_true)
    if n == 0 or n_boot <= 0:
        return float("nan"), float("nan")
    chunk = max(1, MAX_CELLS // n)
    values = np.concatenate(
        [
            _drawn_scores(metric, y_true, y_pred, proba, min(chunk, n_boot - i), rng)
            for i in range(0, n_boot, chunk)
        ]
    )
    values = values[~np.isnan(values)]
    if len(values) < max(10, n_boot // 2):
        return float("nan"), float("nan")
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(values, [tail, 1.0 - tail])
    return float(low), float(high)


def _drawn_scores(
    metric: str, y_true: Any, y_pred: Any, proba: Any | None, n_boot: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    """The metric on ``n_boot`` more resamples: an AUC from the draws themselves
    (:func:`auc_from_draws`), any other metric from their weights."""
    import numpy as np

    n = len(y_true)
    if metric == "roc_auc":
        y = np.asarray(y_true)
        score = proba[:, -1] if proba is not None else np.asarray(y_pred)
        return auc_from_draws(
            y, np.asarray(score, dtype=np.float64), bootstrap_draws(n, n_boot, rng)
        )
    return weighted_scores(metric, y_true, y_pred, proba, bootstrap_weights(n, n_boot, rng))


def _scaled_from_weights(
    metric: str, y_true: Any, error: Any, weights: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(the error metric, the same in target standard deviations) under each row of
    ``weights``; the scaled figure is NaN where the target does not vary."""
    import numpy as np

    total = weights.sum(axis=1)
    if metric == "mae":
        raw = weights @ np.abs(error) / total
    else:
        raw = np.sqrt(weights @ error**2 / total)
    mean = weights @ y_true / total
    variance = np.maximum(weights @ y_true**2 / total - mean**2, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(variance > 1e-24, raw / np.sqrt(variance), np.nan)
    return np.asarray(raw), np.asarray(scaled)


def scaled_error(metric: str, y_true: Any, y_pred: Any) -> float:
    """A regressor's error (``rmse`` or ``mae``) in standard deviations of the target on the
    same rows: RMSE / SD is sqrt(1 - R2), 1 for a model that predicts the rows' own mean, so
    rows whose target varies more are not condemned for errors any model would make there.
    NaN when the target does not vary."""
    import numpy as np

    y = np.asarray(y_true, dtype=np.float64)
    error = y - np.asarray(y_pred, dtype=np.float64)
    return float(_scaled_from_weights(metric, y, error, np.ones((1, len(y))))[1][0])


def scaled_error_intervals(
    metric: str,
    y_true: Any,
    y_pred: Any,
    *,
    n_boot: int,
    confidence: float,
    rng: np.random.Generator,
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Percentile bootstrap intervals of the error metric and of the scaled error
    (:func:`scaled_error`), both from the same resamples."""
    import numpy as np

    nan = (float("nan"), float("nan"))
    y = np.asarray(y_true, dtype=np.float64)
    error = y - np.asarray(y_pred, dtype=np.float64)
    n = len(y)
    if n == 0 or n_boot <= 0:
        return nan, nan
    chunk = max(1, MAX_CELLS // n)
    raw_parts, scaled_parts = [], []
    for i in range(0, n_boot, chunk):
        weights = bootstrap_weights(n, min(chunk, n_boot - i), rng)
        raw, scaled = _scaled_from_weights(metric, y, error, weights)
        raw_parts.append(raw)
        scaled_parts.append(scaled)
    return (
        percentile_interval(np.concatenate(raw_parts), confidence, n_boot),
        percentile_interval(np.concatenate(scaled_parts), confidence, n_boot),
    )


def percentile_interval(values: Any, confidence: float, n_boot: int) -> tuple[float, float]:
    """The central ``confidence`` interval of the finite resampled values; (nan, nan) when
    fewer than half of the ``n_boot`` resamples (or 10) gave one."""
    import numpy as np

    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) < max(10, n_boot // 2):
        return float("nan"), float("nan")
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(values, [tail, 1.0 - tail])
    return float(low), float(high)
