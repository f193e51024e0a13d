"""model-2: offline and online metrics correlate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mltestscore.checks.online_offline import check_offline_online_correlation
from mltestscore.checks.result import Outcome


def history(online: list[float]) -> list[dict[str, Any]]:
    return [
        {"version": f"v{i}", "offline_metric": 0.80 + 0.01 * i, "online_metric": value}
        for i, value in enumerate(online)
    ]


def test_it_passes_when_offline_gains_carried_over_online() -> None:
    result = check_offline_online_correlation(history([1.0, 1.2, 1.1, 1.4, 1.5, 1.7]))
    result.assert_ok()
    assert result.measurements["spearman"] > 0.9
    assert [row[0] for row in result.tables[0].rows][:2] == ["v0", "v1"]


def test_it_fails_when_offline_and_online_disagree() -> None:
    result = check_offline_online_correlation(history([1.5, 1.1, 1.6, 1.0, 1.2, 1.3]))
    assert result.outcome is Outcome.FAILED
    assert "not carried over online" in result.reason


def test_lower_is_better_online_metrics_are_turned_around() -> None:
    complaints = history([9.0, 8.0, 8.5, 6.0, 5.0, 4.0])
    assert check_offline_online_correlation(complaints).outcome is Outcome.FAILED
    check_offline_online_correlation(complaints, online_higher_is_better=False).assert_ok()


def test_too_few_versions_is_not_applicable_with_the_count() -> None:
    result = check_offline_online_correlation(history([1.0, 1.2, 1.3]))
    assert result.outcome is Outcome.NOT_APPLICABLE
    assert "only 3 past versions" in result.reason


def test_versions_with_a_missing_metric_are_left_out() -> None:
    rows = history([1.0, 1.2, 1.1, 1.4, 1.5, 1.7])
    rows[2]["online_metric"] = None
    result = check_offline_online_correlation(rows)
    assert result.measurements["versions"] == 5
    assert [row[-1] for row in result.tables[0].rows].count(False) == 1


def test_a_constant_metric_cannot_rank_versions() -> None:
    result = check_offline_online_correlation(history([1.0] * 6))
    assert result.outcome is Outcome.FAILED
    assert "same for every version" in result.reason


def test_it_reads_a_csv_of_versions(tmp_path: Path) -> None:
    import pandas as pd

    path = tmp_path / "versions.csv"
    pd.DataFrame(history([1.0, 1.2, 1.1, 1.4, 1.5, 1.7])).to_csv(path, index=False)
    check_offline_online_correlation(path).assert_ok()
    missing = check_offline_online_correlation(tmp_path / "nope.csv")
    assert missing.outcome is Outcome.ERROR
    assert "nope.csv" in missing.reason


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=5, max_size=30))
def test_a_monotone_online_metric_always_passes_and_its_mirror_fails(online: list[float]) -> None:
    ordered = sorted(set(online))
    if len(ordered) < 5:
        return
    rows = [
        {"version": i, "offline_metric": float(i), "online_metric": value}
        for i, value in enumerate(ordered)
    ]
    check_offline_online_correlation(rows).assert_ok()
    mirrored = [dict(r, online_metric=-r["online_metric"]) for r in rows]
    assert check_offline_online_correlation(mirrored).outcome is Outcome.FAILED
