"""Benchmark of the HTML scorecard (not a test).

Two cases, each built by the real scoring engine from synthetic test runs:

* 28 items and 5,000 evidence entries (tests with measurements, checks with tables,
  failures with long messages): median render time over repeated runs, and the page size;
* the size-budget case of the issue: 300 tests with recorded measurements on most items.

Also times the Markdown summary and the badge, and, for scale, ``json.dumps`` of the same
scorecard (the JSON keeps all evidence; the page caps it).

    .venv/bin/python benchmarks/bench_html.py [--entries 5000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from mltestscore.evidence import TestRun
from mltestscore.report.badge import render_badge
from mltestscore.report.html import render_html
from mltestscore.report.markdown import render_markdown
from mltestscore.rubric import load_rubric
from mltestscore.scorecard import Scorecard, build_scorecard

SIZE_BUDGET = 500 * 1024


def _table(rows: int, seed: int) -> dict[str, Any]:
    return {
        "title": "AUC by slice",
        "columns": ["slice", "rows", "auc", "ci low", "ci high"],
        "rows": [
            [f"age {20 + 5 * i}-{24 + 5 * i}", 100 + i * seed % 97, 0.7 + i / 100, 0.65, 0.8]
            for i in range(rows)
        ],
        "chart": "auc",
    }


def synthetic_scorecard(entries: int, table_every: int = 3) -> Scorecard:
    """About ``entries`` evidence entries over the 28 items: a mix of plain tests, tests
    with measurements and tables, failures with long messages, and checks with tables."""
    rubric = load_rubric("ml-test-score-2017")
    ids = rubric.item_ids
    runs = []
    for n in range(entries):
        item = ids[n % len(ids)]
        failed = n % 23 == 0
        measurements: list[dict[str, Any]] = [
            {"name": "auc", "value": 0.8 + n / 1e6, "item": None, "unit": None},
            {"name": "latency p95", "value": 12.5 + n % 7, "item": None, "unit": "ms"},
        ]
        if n % table_every == 0:
            measurements.append({"name": "by slice", "table": _table(12, n), "item": None})
        checks = []
        if n % 5 == 0:
            checks.append(
                {
                    "check": "feature_drift",
                    "rubric_ids": [item],
                    "outcome": "failed" if failed else "passed",
                    "reason": "3 of 14 features drift: age (PSI 0.41), hours (PSI 0.27)",
                    "measurements": {"max_psi": 0.41, "drifted": 3},
                    "thresholds": {"psi": 0.2},
                    "parameters": {"bins": 10, "seed": 0, "sample": 10_000},
                    "tables": [_table(14, n)],
                }
            )
        runs.append(
            TestRun(
                nodeid=f"tests/test_quality.py::test_slice_quality[{item}-case-{n:05}]",
                outcome="failed" if failed else "passed",
                duration=0.01 + n % 13 / 100,
                claims=(item,),
                message=("AssertionError: AUC 0.61 below 0.70 on slice age 20-24; " * 12)
                if failed
                else "",
                checks=tuple(checks),
                measurements=tuple(measurements),
                claimed_by={item: "marker"},
            )
        )
    return build_scorecard(rubric, runs, [], commit="0" * 40)


def median_seconds(function: Callable[[], object], repeats: int) -> float:
    function()  # warm-up: templates compiled and cached
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def evidence_count(scorecard: Scorecard) -> int:
    return sum(len(item["evidence"]) for item in scorecard["items"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    for label, scorecard in (
        (f"{args.entries} test runs", synthetic_scorecard(args.entries)),
        ("300 tests, measurements on most items", synthetic_scorecard(300, table_every=1)),
    ):
        html = render_html(scorecard)
        size = len(html.encode("utf-8"))
        json_text = json.dumps(scorecard)
        html_time = median_seconds(lambda sc=scorecard: render_html(sc), args.repeats)
        json_time = median_seconds(lambda sc=scorecard: json.dumps(sc), args.repeats)
        md_time = median_seconds(lambda sc=scorecard: render_markdown(sc), args.repeats)
        badge_time = median_seconds(lambda sc=scorecard: render_badge(sc), args.repeats)
        print(f"{label}: 28 items, {evidence_count(scorecard)} evidence entries")
        print(
            f"  HTML   median {html_time * 1000:8.1f} ms   {size / 1024:7.1f} KB "
            f"({'under' if size < SIZE_BUDGET else 'OVER'} the 500 KB budget)"
        )
        print(
            f"  JSON   median {json_time * 1000:8.1f} ms   {len(json_text) / 1024:7.1f} KB "
            f"(all evidence; HTML/JSON time ratio {html_time / json_time:.1f})"
        )
        print(
            f"  Markdown median {md_time * 1000:6.1f} ms   badge median {badge_time * 1000:.2f} ms"
        )


if __name__ == "__main__":
    main()
