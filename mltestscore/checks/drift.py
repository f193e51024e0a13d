"""Training/serving skew and drift (monitor-3).

Two questions the rubric asks of a served model: do serving inputs still look like the data
the model was trained on (``check_feature_drift``), and does the serving code compute the same
feature values as the training code for the same raw example (``check_feature_parity``)?

The drift check is built to run on every batch of a serving log: one pass per column with
vectorised numpy (quantile bins taken from the reference, ``searchsorted`` + ``bincount`` for
the counts), scipy only for p-values, and no copy of the whole frame.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mltestscore.checks._inputs import read_frame
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from mltestscore.checks._frames import Scan

    FloatArray = npt.NDArray[np.float64]

RUBRIC_IDS = ("monitor-3",)
MISSING_LABEL = "<missing>"
RARE_LABEL = "<rare>"
EXACT_KS_PVALUE_MAX_N = 10_000
# A numeric column whose reference values sit on a few repeated values (codes, counts, flags,
# a copied class label) is tested by chi-squared on its values too: the KS p-value assumes a
# continuous distribution and is conservative with ties, blind on a few dozen rows to a
# three-valued column collapsing to one value (docs/checks-monitor.md).
DISCRETE_MAX_VALUES = 20  # at most this many distinct repeated values ...
DISCRETE_MIN_SHARE = 0.95  # ... holding at least this share of the reference's values
CHI2_MIN_EXPECTED = 5.0  # Cochran: adjacent values pooled until each cell expects this many


def as_frame(data: Any, argument: str, columns: Sequence[str] | None = None) -> Any:
    """:func:`~mltestscore.checks._inputs.read_frame`, refusing a frame with no rows or no
    columns (shared by the monitoring checks, which have nothing to compare then)."""
    frame = read_frame(data, argument, columns)
    if frame.shape[0] == 0:
        raise CheckInputError(argument, "the data has no rows")
    if frame.shape[1] == 0:
        raise CheckInputError(argument, "the data has no columns")
    return frame


def _is_numeric(series: Any) -> bool:
    import pandas as pd

    dtype = series.dtype
    return bool(pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype))


@dataclass(frozen=True)
class FeatureDrift:
    """Distances for one feature; ``severity`` is the worst statistic over its threshold."""

    feature: str
    kind: str  # "numeric" or "categorical"
    missing_reference: float
    missing_current: float
    psi: float | None = None
    ks: float | None = None
    ks_resolution: float | None = None
    ks_pvalue: float | None = None
    js: float | None = None
    linf: float | None = None
    chi2_pvalue: float | None = None
    largest_change: str = ""
    severity: float = 0.0
    drifted: bool = False
    q_value: float | None = None  # Benjamini-Hochberg over the features' p-values
    missing_pvalue: float | None = None  # numeric: the missing share, Fisher's exact test

    @property
    def p_value(self) -> float | None:
        """The feature's test: chi-squared for categories (missing is a category); for numbers
        KS on the values and Fisher on the missing share, plus chi-squared on the values of
        a discrete column (:func:`_discrete_chi2_pvalue`), Bonferroni-combined."""
        if self.kind != "numeric":
            return self.chi2_pvalue
        found = (self.ks_pvalue, self.missing_pvalue, self.chi2_pvalue)
        tests = [p for p in found if p is not None]
        tests = [p for p in tests if not math.isnan(p)]
        return min(1.0, len(tests) * min(tests)) if tests else None

    def describe(self) -> str:
        q = f", q {_fmt(self.q_value)}"
        if self.kind == "numeric":
            return f"{self.feature} (PSI {_fmt(self.psi)}, KS {_fmt(self.ks)}{q})"
        return f"{self.feature} (JS {_fmt(self.js)}, L∞ {_fmt(self.linf)}{q})"


def _fmt(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.3g}"


@dataclass(frozen=True)
class _Thresholds:
    psi: float
    ks: float
    js: float
    linf: float
    ks_alpha: float | None
    chi2_alpha: float | None


def _psi(expected: FloatArray, actual: FloatArray, epsilon: float) -> float:
    import numpy as np

    p = np.maximum(expected, epsilon)
    q = np.maximum(actual, epsilon)
    return float(np.sum((q - p) * np.log(q / p)))


def _bin_counts(
    values: FloatArray, edges: FloatArray, *, interior: bool = False
) -> tuple[Any, int, Any]:
    """Counts per bin ``(edges[i-1], edges[i]]`` (last bin open to +inf), the NaN count and,
    with ``interior``, the counts strictly inside each bin (the bin minus its right edge)."""
    import numpy as np

    nan_count = int(np.count_nonzero(np.isnan(values)))
    bins = np.searchsorted(edges, values, side="left")
    counts = np.bincount(bins, minlength=len(edges) + 1)
    counts[-1] -= nan_count  # NaN sorts after every edge
    inside = None
    if interior and len(edges):
        on_edge = values == edges[np.minimum(bins, len(edges) - 1)]
        inside = counts - np.bincount(bins[on_edge], minlength=len(edges) + 1)
    elif interior:
        inside = counts
    return counts, nan_count, inside


def _reference_edges(
    reference: FloatArray, bins: int, ks_grid: int, edge_sample_size: int, seed: int
) -> tuple[FloatArray, FloatArray]:
    """Fine (KS grid) and coarse (PSI) quantile edges of the reference's non-missing values.

    Quantiles come from a seeded sample of at most ``edge_sample_size`` values: the bins only
    need to be fixed by the reference, the counts inside them are exact on all rows.
    """
    import numpy as np

    valid = reference[~np.isnan(reference)]
    if valid.size > edge_sample_size:
        rng = np.random.default_rng(seed)
        valid = valid[rng.choice(valid.size, edge_sample_size, replace=False)]
    if valid.size == 0:  # possible only in a sample: no edges, one bin
        empty: FloatArray = np.empty(0, dtype=np.float64)
        return empty, empty
    ordered = np.sort(valid)
    finite = ordered[np.isfinite(ordered)]
    if finite.size == 0:
        finite = ordered

    def quantiles(count: int) -> FloatArray:
        positions = (np.arange(1, count) * (finite.size - 1)) // count
        return np.unique(finite[positions])

    return quantiles(ks_grid), quantiles(bins)


@dataclass(frozen=True)
class _Histogram:
    """One side of a numeric feature on the reference's edges: all the statistics need, so
    it can be counted by numpy or by an engine (``counts[i]`` holds the non-missing values in
    ``(edges[i-1], edges[i]]``, the last bin is open to +inf; ``inside`` leaves out the values
    equal to the bin's right edge)."""

    counts: Any
    inside: Any
    missing: int
    size: int
    mean: float
    std: float

    @property
    def valid(self) -> int:
        return self.size - self.missing


def _histogram(values: FloatArray, edges: FloatArray) -> _Histogram:
    import numpy as np

    counts, missing, inside = _bin_counts(values, edges, interior=True)
    valid = values.size - missing
    mean = float(np.nanmean(values)) if valid else float("nan")
    std = float(np.nanstd(values)) if valid else float("nan")
    return _Histogram(counts, inside, missing, int(values.size), mean, std)


def _numeric_drift(
    name: str,
    reference: FloatArray,
    current: FloatArray,
    thresholds: _Thresholds,
    *,
    bins: int,
    ks_grid: int,
    edge_sample_size: int,
    seed: int,
    psi_epsilon: float,
) -> FeatureDrift:
    import numpy as np

    fine, coarse = _reference_edges(reference, bins, ks_grid, edge_sample_size, seed)
    edges = np.union1d(fine, coarse)
    return _numeric_statistics(
        name,
        edges,
        coarse,
        _histogram(reference, edges),
        _histogram(current, edges),
        thresholds,
        psi_epsilon,
    )


def _numeric_statistics(
    name: str,
    edges: FloatArray,
    coarse: FloatArray,
    ref: _Histogram,
    cur: _Histogram,
    thresholds: _Thresholds,
    psi_epsilon: float,
) -> FeatureDrift:
    """PSI, KS (with its grid resolution), the missing-share test and the verdict, from the
    two histograms alone."""
    import numpy as np
    from scipy.stats import kstwo, kstwobign

    ref_counts, ref_inside, ref_nan = ref.counts, ref.inside, ref.missing
    cur_counts, cur_inside, cur_nan = cur.counts, cur.inside, cur.missing
    n_ref_valid = ref.valid
    n_cur_valid = cur.valid

    # PSI over the coarse bins plus one bin for missing values.
    ref_cum = np.cumsum(ref_counts)
    cur_cum = np.cumsum(cur_counts)
    at_coarse = np.searchsorted(edges, coarse)
    ref_coarse = np.diff(np.concatenate([[0], ref_cum[at_coarse], [ref_cum[-1]]]))
    cur_coarse = np.diff(np.concatenate([[0], cur_cum[at_coarse], [cur_cum[-1]]]))
    psi = _psi(
        np.append(ref_coarse, ref_nan) / ref.size,
        np.append(cur_coarse, cur_nan) / cur.size,
        psi_epsilon,
    )

    # KS on the non-missing values, evaluated at every edge and just below it (which tells
    # atoms apart). Between two edges both CDFs are monotone, so the statistic there exceeds
    # these values by at most the reference mass strictly inside the bin: the resolution.
    ks = ks_p = resolution = float("nan")
    if n_ref_valid and n_cur_valid:
        ref_atoms = (ref_counts - ref_inside)[:-1]
        cur_atoms = (cur_counts - cur_inside)[:-1]
        ref_cdf = ref_cum[:-1] / n_ref_valid
        cur_cdf = cur_cum[:-1] / n_cur_valid
        below = np.abs(
            (ref_cum[:-1] - ref_atoms) / n_ref_valid - (cur_cum[:-1] - cur_atoms) / n_cur_valid
        )
        ks = float(max(np.max(np.abs(ref_cdf - cur_cdf), initial=0.0), np.max(below, initial=0.0)))
        resolution = float(ref_inside.max() / n_ref_valid)
        effective_n = round(n_ref_valid * n_cur_valid / (n_ref_valid + n_cur_valid))
        # The exact distribution is slow for large n; its limit is then accurate to 1e-3.
        if effective_n > EXACT_KS_PVALUE_MAX_N:
            ks_p = float(kstwobign.sf(math.sqrt(effective_n) * ks))
        else:
            ks_p = float(kstwo.sf(ks, max(effective_n, 1)))
    elif n_ref_valid and not n_cur_valid:
        ks = 1.0  # every current value is missing: as far apart as distributions get

    missing_p = None
    if ref_nan or cur_nan:
        from scipy.stats import fisher_exact

        table = [[ref_nan, n_ref_valid], [cur_nan, n_cur_valid]]
        missing_p = float(fisher_exact(table)[1])
    chi2_p = _discrete_chi2_pvalue(ref, cur)
    ref_mean, cur_mean, ref_std = ref.mean, cur.mean, ref.std
    shift = (cur_mean - ref_mean) / ref_std if ref_std > 0 else float("nan")
    largest_change = (
        f"mean {ref_mean:.4g} → {cur_mean:.4g} ({_fmt(shift)} sd); sd {ref_std:.4g} → {cur.std:.4g}"
    )

    ratios = [psi / thresholds.psi]
    if not math.isnan(ks):
        ratios.append(ks / thresholds.ks)
    drifted = psi > thresholds.psi or (not math.isnan(ks) and ks > thresholds.ks)
    if thresholds.ks_alpha is not None and not math.isnan(ks_p):
        drifted = drifted or ks_p < thresholds.ks_alpha
    return FeatureDrift(
        feature=name,
        kind="numeric",
        missing_reference=ref_nan / ref.size,
        missing_current=cur_nan / cur.size,
        psi=psi,
        ks=ks,
        ks_resolution=resolution,
        ks_pvalue=ks_p,
        chi2_pvalue=chi2_p,
        missing_pvalue=missing_p,
        largest_change=largest_change,
        severity=max(ratios),
        drifted=drifted,
    )


def _discrete_chi2_pvalue(ref: _Histogram, cur: _Histogram) -> float | None:
    """Pearson's chi-squared test of homogeneity on the values of a discrete numeric column
    (None for a continuous one, or when fewer than two cells are left to compare).

    The column is discrete when at least ``DISCRETE_MIN_SHARE`` of the reference's values
    sit on at most ``DISCRETE_MAX_VALUES`` distinct values the reference repeats (edges of its
    quantile grid taken at least twice: a class code, a flag, a small count, not a rounded
    measurement with dozens of values, whose KS p-value is only mildly conservative). Its
    cells are the grid in order, each edge's atom and each open interval between edges a
    cell of its own, so a current value the reference never took lands in a cell too;
    adjacent cells are pooled until each expects at least ``CHI2_MIN_EXPECTED`` values on
    the smaller side (Cochran's rule, so the chi-squared approximation holds). The
    pooling looks only at the two sides' summed counts, the margins the test conditions on.
    """
    import numpy as np
    from scipy.stats import chi2_contingency

    if not ref.valid or not cur.valid:
        return None
    ref_atoms = (ref.counts - ref.inside)[:-1]
    repeated = ref_atoms[ref_atoms >= 2]
    if len(repeated) > DISCRETE_MAX_VALUES or repeated.sum() < DISCRETE_MIN_SHARE * ref.valid:
        return None
    cur_atoms = (cur.counts - cur.inside)[:-1]
    # interleaved: inside bin 0, edge 0, inside bin 1, edge 1, ..., inside the open last bin
    ref_cells = np.empty(2 * len(ref_atoms) + 1, dtype=np.float64)
    cur_cells = np.empty_like(ref_cells)
    ref_cells[0::2], ref_cells[1::2] = ref.inside, ref_atoms
    cur_cells[0::2], cur_cells[1::2] = cur.inside, cur_atoms
    total = ref.valid + cur.valid
    smaller = min(ref.valid, cur.valid)
    pooled_ref: list[float] = []
    pooled_cur: list[float] = []
    open_ref = open_cur = 0.0
    for r, c in zip(ref_cells, cur_cells, strict=True):
        open_ref, open_cur = open_ref + r, open_cur + c
        if smaller * (open_ref + open_cur) / total >= CHI2_MIN_EXPECTED:
            pooled_ref.append(open_ref)
            pooled_cur.append(open_cur)
            open_ref = open_cur = 0.0
    if open_ref + open_cur > 0:
        if pooled_ref:  # the short tail joins the last full cell
            pooled_ref[-1] += open_ref
            pooled_cur[-1] += open_cur
        else:
            pooled_ref.append(open_ref)
            pooled_cur.append(open_cur)
    if len(pooled_ref) < 2:
        return None
    return float(chi2_contingency(np.array([pooled_ref, pooled_cur]), correction=False)[1])


def _category_table(
    reference: Any, current: Any, rare_category_share: float
) -> tuple[list[str], FloatArray, FloatArray]:
    """Category labels and their counts on both sides: every category at least
    ``rare_category_share`` frequent on one side, then missing values, then the pool of
    categories rare on both sides.

    Pooling keeps dozens of tiny categories from inflating the distances by sampling noise
    alone, while a new category that is frequent in serving keeps its own row. Only the
    frequent categories are aligned between the sides, so an id-like column with a million
    values costs two ``value_counts`` and little more.
    """
    import numpy as np

    ref_counts = reference.value_counts(dropna=True)
    cur_counts = current.value_counts(dropna=True)
    kept = ref_counts.index[ref_counts.to_numpy() >= rare_category_share * len(reference)]
    kept = kept.union(
        cur_counts.index[cur_counts.to_numpy() >= rare_category_share * len(current)], sort=False
    )
    ref = ref_counts.reindex(kept, fill_value=0).to_numpy(dtype=np.float64)
    cur = cur_counts.reindex(kept, fill_value=0).to_numpy(dtype=np.float64)
    labels = [str(v) for v in kept]
    ref_missing = float(len(reference) - ref_counts.sum())
    cur_missing = float(len(current) - cur_counts.sum())
    extra = [
        (MISSING_LABEL, ref_missing, cur_missing),
        (
            RARE_LABEL,
            len(reference) - ref_missing - ref.sum(),
            len(current) - cur_missing - cur.sum(),
        ),
    ]
    for label, ref_count, cur_count in extra:
        if ref_count > 0 or cur_count > 0:
            labels.append(label)
            ref = np.append(ref, ref_count)
            cur = np.append(cur, cur_count)
    return labels, ref, cur


def _categorical_drift(
    name: str, reference: Any, current: Any, thresholds: _Thresholds, rare_category_share: float
) -> FeatureDrift:
    categories, ref, cur = _category_table(reference, current, rare_category_share)
    return _categorical_statistics(name, categories, ref, cur, thresholds)


def _categorical_statistics(
    name: str, categories: list[str], ref: FloatArray, cur: FloatArray, thresholds: _Thresholds
) -> FeatureDrift:
    """JS, L∞, chi-squared and the verdict from the two sides' category counts alone."""
    import numpy as np
    from scipy.stats import chi2_contingency

    p = ref / ref.sum()
    q = cur / cur.sum()

    middle = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_p = np.where(p > 0, p * np.log2(p / middle), 0.0)
        kl_q = np.where(q > 0, q * np.log2(q / middle), 0.0)
    js = float(math.sqrt(max(float(np.sum(kl_p) + np.sum(kl_q)) / 2, 0.0)))
    differences = q - p
    worst = int(np.argmax(np.abs(differences)))
    linf = float(abs(differences[worst]))
    chi2_p = float("nan")
    observed = np.vstack([ref, cur])
    observed = observed[:, observed.sum(axis=0) > 0]
    if observed.shape[1] > 1:
        chi2_p = float(chi2_contingency(observed)[1])
    missing_at = categories.index(MISSING_LABEL) if MISSING_LABEL in categories else None

    drifted = js > thresholds.js or linf > thresholds.linf
    if thresholds.chi2_alpha is not None and not math.isnan(chi2_p):
        drifted = drifted or chi2_p < thresholds.chi2_alpha
    return FeatureDrift(
        feature=name,
        kind="categorical",
        missing_reference=float(p[missing_at]) if missing_at is not None else 0.0,
        missing_current=float(q[missing_at]) if missing_at is not None else 0.0,
        js=js,
        linf=linf,
        chi2_pvalue=chi2_p,
        largest_change=f"{categories[worst]}: {p[worst]:.1%} → {q[worst]:.1%}",
        severity=max(js / thresholds.js, linf / thresholds.linf),
        drifted=drifted,
    )


def _is_ordered(series: Any) -> bool:
    """Numbers and times get the numeric distances (times as seconds since the epoch)."""
    import pandas as pd

    return _is_numeric(series) or bool(pd.api.types.is_datetime64_any_dtype(series.dtype))


def _numeric_values(series: Any) -> FloatArray:
    import numpy as np
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_convert(None)
        stamps = series.to_numpy(dtype="datetime64[ns]")
        seconds: FloatArray = stamps.view("int64").astype(np.float64) / 1e9
        seconds[np.isnat(stamps)] = np.nan
        return seconds
    values: FloatArray = series.to_numpy(dtype=np.float64, na_value=np.nan)
    return values


def _sample_rows(frame: Any, sample_size: int | None, seed: int) -> tuple[Any, bool]:
    if sample_size is None or len(frame) <= sample_size:
        return frame, False
    import numpy as np

    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(frame), sample_size, replace=False))
    return frame.iloc[rows], True


@register_check(*RUBRIC_IDS)
def check_feature_drift(
    reference: Any,
    current: Any,
    *,
    columns: Sequence[str] | None = None,
    categorical: Sequence[str] = (),
    psi_threshold: float = 0.2,
    ks_threshold: float = 0.1,
    js_threshold: float = 0.1,
    linf_threshold: float = 0.1,
    ks_alpha: float | None = None,
    chi2_alpha: float | None = None,
    max_drifted: int = 0,
    fdr: float = 0.01,
    bins: int = 10,
    ks_grid: int = 100,
    psi_epsilon: float = 1e-4,
    rare_category_share: float = 0.01,
    edge_sample_size: int = 100_000,
    sample_size: int | None = None,
    seed: int = 0,
    n_jobs: int = 1,
    max_table_rows: int = 30,
) -> CheckResult:
    """Per-feature distance between training (reference) and serving (current) data.

    Skew between the data a model learned from and the data it serves on is the silent
    failure of production ML. Numeric features get the population stability index over
    ``bins`` reference-quantile bins (plus a missing-value bin) and the Kolmogorov-Smirnov
    statistic on a grid of ``ks_grid`` reference quantiles (exact up to the reported
    resolution); categorical features get the Jensen-Shannon distance (base 2, 0..1), the
    largest change of one category's share (L∞) and a chi-squared p-value, with categories
    below ``rare_category_share`` on both sides pooled into one. A feature drifts
    when a distance exceeds its threshold (or, when ``ks_alpha`` / ``chi2_alpha`` are given,
    when a p-value falls below it: on large samples p-values flag tiny harmless shifts, so
    they are off by default). The check fails when more than ``max_drifted`` features drift.
    ``sample_size`` rows (seeded) are used from each side when given; bins always come from
    the reference. ``n_jobs`` > 1 compares columns in that many threads.
    """
    name = "check_feature_drift"
    thresholds = _Thresholds(
        psi_threshold, ks_threshold, js_threshold, linf_threshold, ks_alpha, chi2_alpha
    )
    from mltestscore.checks._frames import is_scannable

    where: dict[str, object] = {"engine": "pandas"}
    if (is_scannable(reference) or is_scannable(current)) and sample_size is None:
        ref_scan = _as_scan(reference, "reference")
        cur_scan = _as_scan(current, "current")
        _validate_drift_settings(
            bins=bins,
            ks_grid=ks_grid,
            edge_sample_size=edge_sample_size,
            n_jobs=n_jobs,
            fdr=fdr,
            thresholds=thresholds,
        )
        results = _lazy_drift(
            ref_scan,
            cur_scan,
            columns,
            categorical,
            thresholds,
            bins=bins,
            ks_grid=ks_grid,
            edge_sample_size=edge_sample_size,
            seed=seed,
            psi_epsilon=psi_epsilon,
            rare_category_share=rare_category_share,
        )
        ref_rows, cur_rows, sampled = ref_scan.rows(), cur_scan.rows(), False
        where = {
            "engine": ref_scan.engine,
            "rows_scanned": ref_rows + cur_rows,
            "rows_sampled": ref_scan.rows_sampled,
            **_bytes_read(ref_scan, cur_scan, [r.feature for r in results]),
        }
    else:
        results, ref_rows, cur_rows, sampled = _pandas_drift(
            reference,
            current,
            columns,
            categorical,
            thresholds,
            bins=bins,
            ks_grid=ks_grid,
            edge_sample_size=edge_sample_size,
            sample_size=sample_size,
            seed=seed,
            psi_epsilon=psi_epsilon,
            rare_category_share=rare_category_share,
            n_jobs=n_jobs,
            fdr=fdr,
        )
        where["rows_scanned"] = ref_rows + cur_rows
        where["rows_sampled"] = (ref_rows + cur_rows) if sampled else 0
    results = judge_drift(results, fdr)
    ranked = sorted(results, key=lambda r: r.severity, reverse=True)
    drifted = [r for r in ranked if r.drifted]
    measurements = _drift_measurements(ranked)
    measurements["reference_rows"] = ref_rows
    measurements["current_rows"] = cur_rows
    measurements.update(where)
    parameters = {
        "bins": bins,
        "ks_grid": ks_grid,
        "psi_epsilon": psi_epsilon,
        "rare_category_share": rare_category_share,
        "edge_sample_size": edge_sample_size,
        "sample_size": sample_size,
        "sampled": sampled,
        "seed": seed,
        "n_jobs": n_jobs,
    }
    threshold_values = {
        "psi": psi_threshold,
        "ks": ks_threshold,
        "js": js_threshold,
        "linf": linf_threshold,
        "ks_alpha": ks_alpha,
        "chi2_alpha": chi2_alpha,
        "fdr": fdr,
        "max_drifted": max_drifted,
    }
    if drifted:
        listed = ", ".join(r.describe() for r in drifted[:5])
        more = f" and {len(drifted) - 5} more" if len(drifted) > 5 else ""
        reason = f"{len(drifted)} of {len(results)} features drift: {listed}{more}"
    else:
        reason = (
            f"no drift in {len(results)} features; closest to a threshold: {ranked[0].describe()}"
        )
    return CheckResult.judge(
        len(drifted) <= max_drifted,
        name,
        RUBRIC_IDS,
        reason,
        measurements=measurements,
        thresholds=threshold_values,
        parameters=parameters,
        tables=[_drift_table(ranked, max_table_rows)],
    )


def _bytes_read(ref: Scan, cur: Scan, columns: Sequence[str]) -> dict[str, object]:
    """The bytes both sides' scans read (``Scan.where``), or None and why not."""
    (ref_bytes, ref_why), (cur_bytes, cur_why) = ref.bytes_read(columns), cur.bytes_read(columns)
    if ref_bytes is not None and cur_bytes is not None:
        return {"bytes_read": ref_bytes + cur_bytes}
    why = f"reference: {ref_why}" if ref_bytes is None else f"current: {cur_why}"
    return {"bytes_read": None, "bytes_read_note": why}


def _as_scan(data: Any, argument: str) -> Scan:
    """A lazily scannable source opened, or a pandas frame / small file seen through narwhals
    (when only one side of the comparison is large)."""
    from mltestscore.checks._frames import Scan, is_scannable, open_scan

    if is_scannable(data):
        return open_scan(data, argument)
    import narwhals as nw

    frame = as_frame(data, argument)
    return Scan(nw.from_native(frame).lazy(), "pandas", "pandas DataFrame")


def _validate_counts(*, bins: int, ks_grid: int, edge_sample_size: int, n_jobs: int) -> None:
    """The grid sizes and the worker count, checked alike on the pandas and the engine path."""
    for label, count in (
        ("bins", bins),
        ("ks_grid", ks_grid),
        ("edge_sample_size", edge_sample_size),
    ):
        if count < 2:
            raise CheckInputError(label, f"must be at least 2, got {count}")
    if n_jobs < 1:
        raise CheckInputError("n_jobs", f"must be at least 1, got {n_jobs}")


def _validate_drift_settings(
    *,
    bins: int,
    ks_grid: int,
    edge_sample_size: int,
    n_jobs: int,
    fdr: float,
    thresholds: _Thresholds,
) -> None:
    _validate_counts(bins=bins, ks_grid=ks_grid, edge_sample_size=edge_sample_size, n_jobs=n_jobs)
    if not 0 < fdr < 1:
        raise CheckInputError("fdr", f"must be between 0 and 1, got {fdr}")
    for label, value in (
        ("psi_threshold", thresholds.psi),
        ("ks_threshold", thresholds.ks),
        ("js_threshold", thresholds.js),
        ("linf_threshold", thresholds.linf),
    ):
        if not value > 0:
            raise CheckInputError(label, f"must be positive, got {value}")


def _pandas_drift(
    reference: Any,
    current: Any,
    columns: Sequence[str] | None,
    categorical: Sequence[str],
    thresholds: _Thresholds,
    *,
    bins: int,
    ks_grid: int,
    edge_sample_size: int,
    sample_size: int | None,
    seed: int,
    psi_epsilon: float,
    rare_category_share: float,
    n_jobs: int,
    fdr: float,
) -> tuple[list[FeatureDrift], int, int, bool]:
    """Each feature measured in pandas and numpy (the fast path for data that fits, and for
    bounded samples an engine drew): the results, both sides' row counts, whether sampled."""
    from mltestscore.checks._frames import is_scannable, open_scan

    engine_sampled = False
    if is_scannable(reference) and sample_size is not None:
        scan = open_scan(reference, "reference")
        reference = scan.sample(sample_size, seed, columns)
        engine_sampled = scan.rows() > sample_size
    if is_scannable(current) and sample_size is not None:
        scan = open_scan(current, "current")
        current = scan.sample(sample_size, seed + 1, columns)
        engine_sampled = engine_sampled or scan.rows() > sample_size
    ref_frame = as_frame(reference, "reference", columns)
    cur_frame = as_frame(current, "current", columns or [str(c) for c in ref_frame.columns])
    selected = _validate_drift_inputs(
        ref_frame,
        cur_frame,
        columns,
        categorical,
        bins=bins,
        ks_grid=ks_grid,
        edge_sample_size=edge_sample_size,
        n_jobs=n_jobs,
    )
    ref_frame, ref_sampled = _sample_rows(ref_frame, sample_size, seed)
    cur_frame, cur_sampled = _sample_rows(cur_frame, sample_size, seed + 1)
    _validate_drift_settings(
        bins=bins,
        ks_grid=ks_grid,
        edge_sample_size=edge_sample_size,
        n_jobs=n_jobs,
        fdr=fdr,
        thresholds=thresholds,
    )
    forced_categorical = set(categorical)

    def compare(column: str) -> FeatureDrift:
        ref_col, cur_col = ref_frame[column], cur_frame[column]
        if column in forced_categorical or not _is_ordered(ref_col):
            return _categorical_drift(column, ref_col, cur_col, thresholds, rare_category_share)
        return _numeric_drift(
            column,
            _numeric_values(ref_col),
            _numeric_values(cur_col),
            thresholds,
            bins=bins,
            ks_grid=ks_grid,
            edge_sample_size=edge_sample_size,
            seed=seed,
            psi_epsilon=psi_epsilon,
        )

    if n_jobs > 1:  # numpy's binning releases the GIL, so threads use the cores
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            results = list(pool.map(compare, selected))
    else:
        results = [compare(column) for column in selected]

    sampled = ref_sampled or cur_sampled or engine_sampled
    return results, len(ref_frame), len(cur_frame), sampled


def judge_drift(measured: Sequence[FeatureDrift], fdr: float) -> list[FeatureDrift]:
    """The verdict per feature: it drifts when its shift is both large (a distance over its
    threshold, so huge samples do not flag trivial shifts) and significant (its KS or
    chi-squared p-value passes Benjamini-Hochberg at ``fdr`` across the features, so small
    samples do not flag noise: PSI and JS are biased upward on a few hundred rows)."""
    import dataclasses

    import numpy as np

    p_values = np.array(
        [1.0 if r.p_value is None or math.isnan(r.p_value) else r.p_value for r in measured]
    )
    count = len(p_values)
    order = np.argsort(p_values)
    scaled = p_values[order] * count / np.arange(1, count + 1)
    q_sorted = np.minimum.accumulate(scaled[::-1])[::-1]
    q_values = np.empty(count)
    q_values[order] = np.minimum(q_sorted, 1.0)
    judged = []
    for result, q in zip(measured, q_values, strict=True):
        no_test = result.p_value is None or math.isnan(result.p_value)
        significant = bool(q < fdr) or no_test
        judged.append(
            dataclasses.replace(result, q_value=float(q), drifted=result.drifted and significant)
        )
    return judged


# --------------------------------------------------------------------------------------------
# The same measurements in the engine that holds the data (docs/bigdata.md): per column one
# pass of counts at the reference's edges, and bounded category counts; only those aggregates
# and the reference sample the edges come from reach Python. Judging is shared with pandas.


def _lazy_dtype_kind(dtype: Any) -> str:
    """'numeric', 'time' or 'other' for a narwhals dtype, as :func:`_is_ordered` sorts them."""
    import narwhals as nw

    if isinstance(dtype, nw.Datetime):
        return "time"
    if dtype.is_numeric() and dtype != nw.Boolean:
        return "numeric"
    return "other"


def _validate_lazy_inputs(
    ref: Scan, cur: Scan, columns: Sequence[str] | None, categorical: Sequence[str]
) -> tuple[list[str], list[str]]:
    """The columns to compare and which of them are ordered (numbers, times)."""
    ref_types, cur_types = ref.dtypes(), cur.dtypes()
    selected = list(columns) if columns is not None else list(ref_types)
    if not selected:
        raise CheckInputError("columns", "no columns to compare")
    for column in selected:
        if column not in ref_types:
            raise CheckInputError(f"column {column!r}", "is not in the reference data")
        if column not in cur_types:
            raise CheckInputError(f"column {column!r}", "is not in the current data")
    unknown = [c for c in categorical if c not in selected]
    if unknown:
        raise CheckInputError("categorical", f"columns {unknown} are not among the compared ones")
    ordered = []
    for column in selected:
        kind = _lazy_dtype_kind(ref_types[column])
        if column in categorical or kind == "other":
            continue
        other = _lazy_dtype_kind(cur_types[column])
        if (kind == "numeric") != (other == "numeric") and str(cur_types[column]) != "Unknown":
            raise CheckInputError(
                f"column {column!r}",
                f"is {ref_types[column]} in the reference but {cur_types[column]} in the "
                "current data",
            )
        ordered.append(column)
    return selected, ordered


def _lazy_values(scan: Scan, column: str, kind: str) -> Any:
    """The column as float64 with NaN turned into null (missing, as pandas counts it)."""
    import narwhals as nw

    values = scan.epoch_seconds(column) if kind == "time" else nw.col(column).cast(nw.Float64)
    return nw.when(~(values.is_null() | values.is_nan())).then(values).alias(column)


def _lazy_histograms(
    scan: Scan, kinds: dict[str, str], edges: dict[str, FloatArray]
) -> dict[str, _Histogram]:
    """Every ordered column's :class:`_Histogram` on its edges, in one pass of the engine:
    the count at or below each edge and on each edge (so the bins and their atoms follow),
    the missing count, mean and population standard deviation."""
    import narwhals as nw
    import numpy as np

    if not kinds:
        return {}
    values = scan.frame.select(*[_lazy_values(scan, c, k) for c, k in kinds.items()])
    expressions = [nw.len().alias("__rows")]
    for i, column in enumerate(kinds):
        x = nw.col(column)
        expressions += [
            (~x.is_null()).cast(nw.Int64).sum().alias(f"v{i}"),
            x.mean().alias(f"m{i}"),
            x.std(ddof=0).alias(f"s{i}"),
        ]
        for j, edge in enumerate(edges[column]):
            expressions.append((x <= float(edge)).cast(nw.Int64).sum().alias(f"l{i}_{j}"))
            expressions.append((x == float(edge)).cast(nw.Int64).sum().alias(f"e{i}_{j}"))
    table = scan.collect(values.select(*expressions))
    row = {str(k): v for k, v in table.iloc[0].items()}
    rows = int(row["__rows"])
    scan._rows = rows
    histograms = {}
    for i, column in enumerate(kinds):
        count = len(edges[column])
        valid = int(row[f"v{i}"] or 0)
        at_or_below = np.array([row[f"l{i}_{j}"] or 0 for j in range(count)], dtype=np.int64)
        on_edge = np.array([row[f"e{i}_{j}"] or 0 for j in range(count)], dtype=np.int64)
        counts = np.diff(np.concatenate([[0], at_or_below, [valid]]))
        inside = counts - np.append(on_edge, 0)
        mean, std = (float(row[f"{k}{i}"]) if valid else float("nan") for k in ("m", "s"))
        histograms[column] = _Histogram(counts, inside, rows - valid, rows, mean, std)
    return histograms


def _lazy_present(scan: Scan, columns: Sequence[str]) -> dict[str, int]:
    """Each column's count of non-missing values, in one pass."""
    import narwhals as nw

    if not columns:
        return {}
    found = scan.aggregate(
        [(~nw.col(c).is_null()).cast(nw.Int64).sum().alias(f"p{i}") for i, c in enumerate(columns)]
    )
    return {c: int(found[f"p{i}"] or 0) for i, c in enumerate(columns)}


def _lazy_category_counts(scan: Scan, column: str, at_least: float) -> dict[Any, int]:
    """Counts of the non-missing values seen at least ``at_least`` times (few: at most
    rows / at_least of them come back)."""
    import narwhals as nw

    grouped = (
        scan.frame.filter(~nw.col(column).is_null())
        .group_by(column)
        .agg(nw.len().alias("__count"))
        .filter(nw.col("__count") >= at_least)
    )
    table = scan.collect(grouped)
    return {_plain_key(k): int(n) for k, n in zip(table[column], table["__count"], strict=True)}


def _plain_key(value: Any) -> Any:
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _lazy_category_table(
    ref: Scan, cur: Scan, column: str, rare_category_share: float, present: tuple[int, int]
) -> tuple[list[str], FloatArray, FloatArray]:
    """:func:`_category_table` from engine counts: the frequent categories of each side,
    then the other side's counts of those, then missing and the pooled rare ones
    (``present``: each side's count of non-missing values)."""
    import narwhals as nw
    import numpy as np

    from mltestscore.checks._frames import Scan

    sides = []
    for scan, valid in zip((ref, cur), present, strict=True):
        rows = scan.rows()
        frequent = _lazy_category_counts(scan, column, max(rare_category_share * rows, 1e-12))
        sides.append((rows, frequent, valid))
        if scan is ref and not sides[0][2]:
            raise CheckInputError(f"column {column!r}", "is entirely missing in the reference")
    ranked = sorted(sides[0][1], key=lambda k: (-sides[0][1][k], str(k)))
    ranked += sorted(
        (k for k in sides[1][1] if k not in sides[0][1]), key=lambda k: (-sides[1][1][k], str(k))
    )
    counts = []
    for scan, (_, frequent, _) in zip((ref, cur), sides, strict=True):
        absent = [k for k in ranked if k not in frequent]
        found = dict(frequent)
        if absent:
            only = scan.frame.filter(nw.col(column).is_in(absent))
            found.update(_lazy_category_counts(Scan(only, scan.engine, scan.origin), column, 1))
        counts.append(np.array([found.get(k, 0) for k in ranked], dtype=np.float64))
    labels = [str(k) for k in ranked]
    ref_counts, cur_counts = counts
    (ref_rows, _, ref_valid), (cur_rows, _, cur_valid) = sides
    extra = [
        (MISSING_LABEL, float(ref_rows - ref_valid), float(cur_rows - cur_valid)),
        (RARE_LABEL, ref_valid - ref_counts.sum(), cur_valid - cur_counts.sum()),
    ]
    for label, ref_count, cur_count in extra:
        if ref_count > 0 or cur_count > 0:
            labels.append(label)
            ref_counts = np.append(ref_counts, ref_count)
            cur_counts = np.append(cur_counts, cur_count)
    return labels, ref_counts, cur_counts


def _lazy_drift(
    ref: Scan,
    cur: Scan,
    columns: Sequence[str] | None,
    categorical: Sequence[str],
    thresholds: _Thresholds,
    *,
    bins: int,
    ks_grid: int,
    edge_sample_size: int,
    seed: int,
    psi_epsilon: float,
    rare_category_share: float,
) -> list[FeatureDrift]:
    """Each feature's measurements computed by the engine (bins from a bounded reference
    sample, as on pandas); the statistics and the verdicts are the pandas path's own."""
    import numpy as np

    selected, ordered = _validate_lazy_inputs(ref, cur, columns, categorical)
    ref_types = ref.dtypes()
    kinds = {c: _lazy_dtype_kind(ref_types[c]) for c in ordered}
    edges: dict[str, FloatArray] = {}
    coarse: dict[str, FloatArray] = {}
    if ordered:
        sample = ref.sample(edge_sample_size, seed, ordered)
        for column in ordered:
            fine, coarse[column] = _reference_edges(
                _numeric_values(sample[column]), bins, ks_grid, edge_sample_size, seed
            )
            edges[column] = np.union1d(fine, coarse[column])
    ref_hist = _lazy_histograms(ref, kinds, edges)
    cur_hist = _lazy_histograms(cur, kinds, edges)
    unordered = [c for c in selected if c not in kinds]
    present = [_lazy_present(scan, unordered) for scan in (ref, cur)]
    results = []
    for column in selected:
        if column in kinds:
            if ref_hist[column].valid == 0:
                raise CheckInputError(f"column {column!r}", "is entirely missing in the reference")
            results.append(
                _numeric_statistics(
                    column,
                    edges[column],
                    coarse[column],
                    ref_hist[column],
                    cur_hist[column],
                    thresholds,
                    psi_epsilon,
                )
            )
            continue
        counted = (present[0][column], present[1][column])
        labels, ref_counts, cur_counts = _lazy_category_table(
            ref, cur, column, rare_category_share, counted
        )
        results.append(_categorical_statistics(column, labels, ref_counts, cur_counts, thresholds))
    return results


def _validate_drift_inputs(
    ref_frame: Any,
    cur_frame: Any,
    columns: Sequence[str] | None,
    categorical: Sequence[str],
    *,
    bins: int,
    ks_grid: int,
    edge_sample_size: int,
    n_jobs: int,
) -> list[str]:
    """The columns to compare, or a ``CheckInputError`` naming what is wrong."""
    _validate_counts(bins=bins, ks_grid=ks_grid, edge_sample_size=edge_sample_size, n_jobs=n_jobs)
    selected = list(columns) if columns is not None else [str(c) for c in ref_frame.columns]
    if not selected:
        raise CheckInputError("columns", "no columns to compare")
    for column in selected:
        if column not in ref_frame.columns:
            raise CheckInputError(f"column {column!r}", "is not in the reference data")
        if column not in cur_frame.columns:
            raise CheckInputError(f"column {column!r}", "is not in the current data")
    unknown = [c for c in categorical if c not in selected]
    if unknown:
        raise CheckInputError("categorical", f"columns {unknown} are not among the compared ones")
    for column in selected:
        ref_col, cur_col = ref_frame[column], cur_frame[column]
        if ref_col.isna().all():
            raise CheckInputError(f"column {column!r}", "is entirely missing in the reference")
        ordered = column not in categorical and _is_ordered(ref_col)
        if ordered and _is_numeric(ref_col) != _is_numeric(cur_col) and not cur_col.isna().all():
            raise CheckInputError(
                f"column {column!r}",
                f"is {ref_col.dtype} in the reference but {cur_col.dtype} in the current data",
            )
    return selected


def _drift_measurements(ranked: Sequence[FeatureDrift]) -> dict[str, object]:
    numeric = [r for r in ranked if r.kind == "numeric"]
    categorical = [r for r in ranked if r.kind == "categorical"]
    measurements: dict[str, object] = {
        "features": len(ranked),
        "drifted_features": sum(r.drifted for r in ranked),
        "worst_feature": ranked[0].feature,
        "worst_severity": round(ranked[0].severity, 4),
    }
    if numeric:
        measurements["max_psi"] = max(r.psi or 0.0 for r in numeric)
        ks_values = [r.ks for r in numeric if r.ks is not None and not math.isnan(r.ks)]
        measurements["max_ks"] = max(ks_values, default=None)
        resolutions = [
            r.ks_resolution
            for r in numeric
            if r.ks_resolution is not None and not math.isnan(r.ks_resolution)
        ]
        # KS is evaluated on the quantile grid: it can undershoot by at most this much.
        measurements["ks_grid_max_error"] = round(max(resolutions, default=0.0), 4)
    if categorical:
        measurements["max_js"] = max(r.js or 0.0 for r in categorical)
        measurements["max_linf"] = max(r.linf or 0.0 for r in categorical)
    return measurements


def _drift_table(ranked: Sequence[FeatureDrift], max_rows: int) -> Table:
    columns = ["feature", "type", "PSI", "KS", "KS p", "JS", "L∞", "chi² p"]
    columns += ["missing ref → cur", "largest change", "severity", "drifted", "q (BH)"]
    rows = [
        [
            r.feature,
            r.kind,
            _round(r.psi),
            _round(r.ks),
            _round(r.ks_pvalue),
            _round(r.js),
            _round(r.linf),
            _round(r.chi2_pvalue),
            f"{r.missing_reference:.1%} → {r.missing_current:.1%}",
            r.largest_change,
            round(r.severity, 3),
            r.drifted,
            _round(r.q_value),
        ]
        for r in ranked
    ]
    return Table.build(
        "Feature drift, most severe first (severity = worst distance / its threshold)",
        columns,
        rows,
        chart="severity",
        max_rows=max_rows,
    )


def _round(value: float | None, digits: int = 4) -> float | None:
    if value is None or math.isnan(value):
        return None
    return round(value, digits)


# --------------------------------------------------------------------------------------------
# Parity: the same raw examples through the training and the serving feature code.


def _features_frame(output: Any, argument: str) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(output, pd.DataFrame):
        return output.reset_index(drop=True)
    if isinstance(output, pd.Series):
        return output.to_frame().reset_index(drop=True)
    if isinstance(output, np.ndarray):
        array = output.reshape(len(output), -1) if output.ndim == 1 else output
        if array.ndim != 2:
            raise CheckInputError(argument, f"returned an array of shape {output.shape}")
        return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])
    raise CheckInputError(
        argument, f"must return a DataFrame, Series or numpy array, got {type(output).__name__}"
    )


def _serve_row_by_row(serving_features: Callable[..., Any], raw: Any) -> Any:
    """Call the serving code on one example at a time, as an online server would."""
    import pandas as pd

    rows = []
    for record in raw.to_dict(orient="records"):
        output = serving_features(record)
        if isinstance(output, pd.DataFrame):
            if len(output) != 1:
                raise CheckInputError(
                    "serving_features", f"returned {len(output)} rows for one example"
                )
            rows.append(output.iloc[0].to_dict())
        elif isinstance(output, pd.Series):
            rows.append(output.to_dict())
        elif isinstance(output, dict):
            rows.append(output)
        else:
            raise CheckInputError(
                "serving_features",
                f"must return a dict, Series or one-row DataFrame per example in row mode, "
                f"got {type(output).__name__}",
            )
    return pd.DataFrame.from_records(rows)


def _cells_equal(train: Any, serve: Any, rtol: float, atol: float) -> Any:
    """Boolean array: the two columns agree (numbers within tolerance, NaN equals NaN)."""
    import numpy as np

    if _is_numeric(train) and _is_numeric(serve):
        a = train.to_numpy(dtype=np.float64, na_value=np.nan)
        b = serve.to_numpy(dtype=np.float64, na_value=np.nan)
        return np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
    a_missing = train.isna().to_numpy()
    b_missing = serve.isna().to_numpy()
    same = np.asarray(train.astype(object).to_numpy() == serve.astype(object).to_numpy())
    return (same & ~(a_missing | b_missing)) | (a_missing & b_missing)


@register_check(*RUBRIC_IDS)
def check_feature_parity(
    raw: Any,
    training_features: Callable[..., Any],
    serving_features: Callable[..., Any],
    *,
    serving_row_by_row: bool = False,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    max_differing_cells: int = 0,
    sample_size: int | None = 1000,
    seed: int = 0,
    max_listed: int = 20,
) -> CheckResult:
    """The training and the serving feature code give the same values for the same examples.

    Training pipelines and serving code are often two implementations of one feature set
    (a batch job and an online service); a one-feature difference skews every prediction
    without raising an error. The same raw examples (``sample_size`` of them, seeded) go
    through ``training_features`` (called on the whole frame) and ``serving_features`` (on the
    frame, or one example dict at a time with ``serving_row_by_row=True``); values must agree
    within ``rtol`` / ``atol``, missing equals missing. Lists the first differing examples and
    columns and a per-column mismatch count.
    """
    name = "check_feature_parity"
    frame = as_frame(raw, "raw")
    for argument, function in (
        ("training_features", training_features),
        ("serving_features", serving_features),
    ):
        if not callable(function):
            raise CheckInputError(argument, f"must be callable, got {type(function).__name__}")
    for label, value in (("rtol", rtol), ("atol", atol)):
        if value < 0:
            raise CheckInputError(label, f"must not be negative, got {value}")
    sample, sampled = _sample_rows(frame, sample_size, seed)
    labels = list(sample.index)  # report examples by their row label in ``raw``
    sample = sample.reset_index(drop=True)
    parameters = {
        "examples": len(sample),
        "sample_size": sample_size,
        "sampled": sampled,
        "seed": seed,
        "serving_row_by_row": serving_row_by_row,
    }
    thresholds = {"rtol": rtol, "atol": atol, "max_differing_cells": max_differing_cells}

    train = _features_frame(training_features(sample.copy()), "training_features")
    if serving_row_by_row:
        serve = _serve_row_by_row(serving_features, sample.copy())
    else:
        serve = _features_frame(serving_features(sample.copy()), "serving_features")
    train.columns = [str(c) for c in train.columns]
    serve.columns = [str(c) for c in serve.columns]
    mismatch = _shape_mismatch(train, serve)
    if mismatch:
        return CheckResult.failed(
            name,
            RUBRIC_IDS,
            "training and serving features differ in shape: " + mismatch,
            measurements={
                "training_columns": train.shape[1],
                "serving_columns": serve.shape[1],
                "training_rows": len(train),
                "serving_rows": len(serve),
            },
            thresholds=thresholds,
            parameters=parameters,
        )

    per_column, examples, differing_rows = _compare_columns(
        train, serve, labels, rtol=rtol, atol=atol, max_listed=max_listed
    )
    differing_cells = sum(count for _, count, _ in per_column)
    measurements = {
        "examples": len(train),
        "columns": train.shape[1],
        "differing_cells": differing_cells,
        "differing_rows": differing_rows,
        "differing_columns": len(per_column),
    }
    tables = []
    if per_column:
        tables.append(
            Table.build(
                "Columns whose training and serving values differ",
                ["column", "differing examples", "share", "max |difference|"],
                [[c, n, round(n / len(train), 4), m] for c, n, m in per_column],
                chart="differing examples",
            )
        )
        tables.append(
            Table.build(
                "First differing examples (row label in the raw data)",
                ["example", "column", "training value", "serving value"],
                examples,
            )
        )
        listed = ", ".join(f"{c} ({n} of {len(train)})" for c, n, _ in per_column[:5])
        first_row, first_col, first_train, first_serve = examples[0]
        reason = (
            f"{len(per_column)} of {train.shape[1]} features differ between training and "
            f"serving code: {listed}; first at example {first_row}, {first_col}: "
            f"{first_train!r} vs {first_serve!r}"
        )
    else:
        reason = (
            f"training and serving code agree on all {train.shape[1]} features "
            f"for {len(train)} examples"
        )
    return CheckResult.judge(
        differing_cells <= max_differing_cells,
        name,
        RUBRIC_IDS,
        reason,
        measurements=measurements,
        thresholds=thresholds,
        parameters=parameters,
        tables=tables,
    )


def _shape_mismatch(train: Any, serve: Any) -> str:
    """What differs in columns or rows between the two outputs ('' when they line up)."""
    only_train = [c for c in train.columns if c not in serve.columns]
    only_serve = [c for c in serve.columns if c not in train.columns]
    problems = []
    if only_train:
        problems.append(f"only the training code produces {only_train[:10]}")
    if only_serve:
        problems.append(f"only the serving code produces {only_serve[:10]}")
    if len(train) != len(serve):
        problems.append(f"{len(train)} training rows vs {len(serve)} serving rows")
    return "; ".join(problems)


def _compare_columns(
    train: Any, serve: Any, labels: Sequence[Any], *, rtol: float, atol: float, max_listed: int
) -> tuple[list[tuple[str, int, float | None]], list[list[object]], int]:
    """Per differing column (name, count, max |difference|), the first differing cells
    (row label, column, training value, serving value) and the number of differing rows."""
    import numpy as np

    per_column: list[tuple[str, int, float | None]] = []
    cells: list[tuple[int, str]] = []
    differing_rows = np.zeros(len(train), dtype=bool)
    for column in train.columns:
        mismatched = np.flatnonzero(~_cells_equal(train[column], serve[column], rtol, atol))
        if mismatched.size == 0:
            continue
        differing_rows[mismatched] = True
        max_abs = None
        if _is_numeric(train[column]) and _is_numeric(serve[column]):
            diffs = np.abs(
                _numeric_values(train[column])[mismatched]
                - _numeric_values(serve[column])[mismatched]
            )
            max_abs = float(np.nanmax(diffs)) if np.isfinite(diffs).any() else None
        per_column.append((column, int(mismatched.size), max_abs))
        cells.extend((int(row), column) for row in mismatched[:max_listed])
    cells.sort()
    examples: list[list[object]] = [
        [labels[row], column, train[column].iloc[row], serve[column].iloc[row]]
        for row, column in cells[:max_listed]
    ]
    per_column.sort(key=lambda c: c[1], reverse=True)
    return per_column, examples, int(differing_rows.sum())
