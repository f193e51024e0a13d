"""Offline and online metrics correlate [model-2].

Offline evaluation is only useful if a better offline score predicts a better online outcome
(clicks, revenue, complaints). Given the history of past model versions with both numbers,
the Spearman rank correlation between them says whether offline improvements have carried over
online. Ranks, not values, because the two metrics live on different scales and only their
ordering matters for choosing which model to ship.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from mltestscore.checks._inputs import fmt
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table

if TYPE_CHECKING:
    import pandas as pd

RUBRIC = ("model-2",)


def _versions_frame(versions: Any) -> pd.DataFrame:
    """A DataFrame from a DataFrame, a CSV path, a list of dicts or a dict of columns."""
    from collections.abc import Mapping, Sequence

    import pandas as pd

    if isinstance(versions, pd.DataFrame):
        return versions.reset_index(drop=True)
    if isinstance(versions, str) or hasattr(versions, "__fspath__"):
        try:
            return pd.read_csv(versions)
        except (OSError, ValueError) as exc:
            raise CheckInputError(
                f"versions file {str(versions)!r}", f"cannot be read: {exc}"
            ) from exc
    if isinstance(versions, Mapping):
        return pd.DataFrame(dict(versions))
    if isinstance(versions, Sequence):
        return pd.DataFrame(list(versions))
    raise CheckInputError(
        "versions",
        f"expected a DataFrame, a CSV path, a list of dicts or a dict of columns, got "
        f"{type(versions).__name__}",
    )


def _numeric(frame: pd.DataFrame, column: str, argument: str) -> Any:
    import pandas as pd

    if column not in frame.columns:
        raise CheckInputError(argument, f"column {column!r} is not in the versions table")
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = frame.loc[values.isna() & frame[column].notna(), column]
    if len(bad):
        raise CheckInputError(
            f"{argument} {column!r}", f"has a value that is not a number: {bad.iloc[0]!r}"
        )
    return values


@register_check(*RUBRIC)
def check_offline_online_correlation(
    versions: Any,
    *,
    offline: str = "offline_metric",
    online: str = "online_metric",
    version_column: str | None = "version",
    offline_higher_is_better: bool = True,
    online_higher_is_better: bool = True,
    min_correlation: float = 0.7,
    min_versions: int = 5,
) -> CheckResult:
    """Offline and online metrics of past model versions must rank the versions alike.

    ``versions`` holds one row per past model version with its offline metric and its online
    metric (DataFrame, CSV path, list of dicts or dict of columns). Both are turned into
    "bigger is better" using the ``*_higher_is_better`` flags, then the Spearman rank
    correlation must be at least ``min_correlation``. With fewer than ``min_versions`` complete
    rows a correlation means little, so the check does not apply (a departure from "failed"
    because the missing evidence is history, not quality).
    """
    from scipy.stats import spearmanr

    name = "check_offline_online_correlation"
    frame = _versions_frame(versions)
    if frame.empty:
        raise CheckInputError("versions", "has no rows")
    offline_values = _numeric(frame, offline, "offline")
    online_values = _numeric(frame, online, "online")
    if version_column is not None and version_column not in frame.columns:
        raise CheckInputError(
            "version_column", f"column {version_column!r} is not in the versions table"
        )
    labels = (
        frame[version_column].astype(str)
        if version_column is not None
        else frame.index.astype(str).to_series(index=frame.index)
    )
    complete = offline_values.notna() & online_values.notna()
    n = int(complete.sum())
    rows = [
        [labels[i], offline_values[i], online_values[i], bool(complete[i])]
        for i in range(len(frame))
    ]
    table = Table.build(
        "Past model versions: offline against online metric",
        ["version", offline, online, "used"],
        rows,
        chart=online,
    )
    thresholds = {"min_correlation": min_correlation, "min_versions": min_versions}
    parameters = {
        "offline": offline,
        "online": online,
        "offline_higher_is_better": offline_higher_is_better,
        "online_higher_is_better": online_higher_is_better,
        "method": "spearman",
    }
    if n < max(min_versions, 3):
        return CheckResult.not_applicable(
            name,
            RUBRIC,
            f"only {n} past versions have both an offline and an online metric; at least "
            f"{max(min_versions, 3)} are needed before a rank correlation means anything",
            measurements={"versions": n},
            thresholds=thresholds,
            parameters=parameters,
            tables=[table],
        )
    off = offline_values[complete] * (1 if offline_higher_is_better else -1)
    on = online_values[complete] * (1 if online_higher_is_better else -1)
    if off.nunique() < 2 or on.nunique() < 2:
        constant = offline if off.nunique() < 2 else online
        return CheckResult.failed(
            name,
            RUBRIC,
            f"the {constant} column is the same for every version, so it cannot rank them",
            measurements={"versions": n},
            thresholds=thresholds,
            parameters=parameters,
            tables=[table],
        )
    result = spearmanr(off.to_numpy(), on.to_numpy())
    rho, p_value = float(result.statistic), float(result.pvalue)
    ok = math.isfinite(rho) and rho >= min_correlation
    reason = (
        f"{offline} (offline) and {online} (online) rank {n} versions with Spearman "
        f"correlation {fmt(rho)} (p={p_value:.2g}), "
        + ("at least" if ok else "below")
        + f" the {fmt(min_correlation)} limit"
        + ("" if ok else ": offline gains have not carried over online")
    )
    return CheckResult.judge(
        ok,
        name,
        RUBRIC,
        reason,
        measurements={"spearman": rho, "p_value": p_value, "versions": n},
        thresholds=thresholds,
        parameters=parameters,
        tables=[table],
    )
