"""Benchmark: schema validation of 1,000,000 rows x 20 columns (15 numeric, 5 categorical).

Three ways to validate the same expectations on the same synthetic frame:

- ``mltestscore``: ``check_schema`` (vectorised, one pass per column);
- ``great_expectations``: a plain Great Expectations 1.x validation (ephemeral context, pandas
  datasource, whole-frame batch, SUMMARY results) of the same suite;
- ``pandas``: an equivalent hand-written pandas expression (the floor any tool competes with).

Each variant runs in its own subprocess so its peak memory (``ru_maxrss``) is its own; the
table shows the median wall time over repeats, the ratio to the hand-written pandas time, and
peak memory relative to the frame's size. Not a test: run it by hand.

    .venv/bin/python benchmarks/bench_schema.py [--rows 1000000] [--repeats 5] [--defects]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
N_NUMERIC = 15
N_CATEGORICAL = 5


def make_frame(rows: int, seed: int = 0) -> Any:
    """A synthetic frame: 10 float and 5 integer columns, 5 string categories (8-30 values)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    for i in range(N_NUMERIC):
        if i < 10:
            values = rng.normal(loc=i, scale=1 + i, size=rows)
            values[rng.random(rows) < 0.01] = np.nan
            columns[f"num_{i}"] = values
        else:
            columns[f"int_{i}"] = rng.integers(0, 1000 * i, size=rows)
    for j in range(N_CATEGORICAL):
        levels = np.array([f"level_{j}_{k}" for k in range(8 + 5 * j)])
        columns[f"cat_{j}"] = pd.array(levels[rng.integers(0, len(levels), size=rows)], dtype="str")
    return pd.DataFrame(columns)


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize()


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def write_suite(rows: int, path: Path) -> None:
    """Infer the schema from the full frame once, in the parent, and save it as JSON."""
    sys.path.insert(0, str(ROOT))
    from mltestscore.checks.schema import infer_schema, save_schema

    save_schema(infer_schema(make_frame(rows)), path)


def plant_defects(frame: Any) -> None:
    """Out-of-range values, an unseen category and a NaN-ridden column, in place."""
    rows = len(frame)
    frame.loc[: rows // 100, "num_0"] = 1e9
    frame.loc[: rows // 50, "int_10"] = -5
    frame.loc[: rows // 100, "cat_0"] = "unseen"
    frame.loc[::3, "num_5"] = float("nan")


def run_variant(
    variant: str, rows: int, repeats: int, suite_path: Path, defects: bool
) -> dict[str, Any]:
    """Run one variant ``repeats`` times in this process; report times and peak memory."""
    sys.path.insert(0, str(ROOT))
    from mltestscore.checks import _expectations
    from mltestscore.checks.schema import check_schema, schema_to_dict

    frame = make_frame(rows)
    if defects:
        plant_defects(frame)
    suite = schema_to_dict(suite_path)
    expectations = suite["expectations"]
    frame_bytes = int(frame.memory_usage(deep=True).sum())
    baseline = _rss_bytes()
    peak_before = _peak_rss_bytes()

    def ours() -> bool:
        return check_schema(frame, suite).ok

    def plain_ge() -> bool:
        result = _expectations.validate_with_great_expectations(frame, expectations)
        return bool(result.success)

    def hand_written() -> bool:
        return _pandas_expression(frame, expectations)

    run = {"mltestscore": ours, "great_expectations": plain_ge, "pandas": hand_written}[variant]
    run()  # warm-up: imports, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        ok = run()
        times.append(time.perf_counter() - start)
    peak = _peak_rss_bytes()
    return {
        "variant": variant,
        "ok": ok,
        "median_s": statistics.median(times),
        "times_s": times,
        "frame_bytes": frame_bytes,
        "baseline_rss": baseline,
        "peak_rss": peak,
        "peak_before_validation": peak_before,
    }


def _pandas_expression(frame: Any, expectations: list[dict[str, Any]]) -> bool:
    """The same expectations written by hand in pandas: what a careful engineer would type."""
    ok = True
    for expectation in expectations:
        kind, kw = expectation["type"], expectation["kwargs"]
        if kind == "expect_table_columns_to_match_ordered_list":
            ok &= list(frame.columns) == kw["column_list"]
            continue
        column = frame[kw["column"]]
        if kind == "expect_column_values_to_not_be_null":
            ok &= bool(column.notna().mean() >= kw.get("mostly", 1.0))
        elif kind == "expect_column_values_to_be_between":
            values = column.dropna()
            ok &= bool(values.between(kw["min_value"], kw["max_value"]).all())
        elif kind == "expect_column_values_to_be_in_set":
            ok &= bool(column.dropna().isin(kw["value_set"]).all())
        elif kind == "expect_column_values_to_be_in_type_list":
            ok &= str(column.dtype) in kw["type_list"]
        elif kind == "expect_column_values_to_be_of_type":
            ok &= column.dtype.type is str
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--ge-repeats", type=int, default=3)
    parser.add_argument(
        "--defects", action="store_true", help="plant defects so every engine reports failures"
    )
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--suite", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        repeats = args.ge_repeats if args.variant == "great_expectations" else args.repeats
        print(json.dumps(run_variant(args.variant, args.rows, repeats, args.suite, args.defects)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        suite_path = Path(tmp) / "suite.json"
        write_suite(args.rows, suite_path)
        results = _run_all(args, suite_path)
    _print_table(results, args.rows, args.defects)


def _run_all(args: argparse.Namespace, suite_path: Path) -> dict[str, dict[str, Any]]:
    results = {}
    for variant in ("pandas", "mltestscore", "great_expectations"):
        command = [sys.executable, __file__, "--variant", variant, "--rows", str(args.rows)]
        command += ["--repeats", str(args.repeats), "--ge-repeats", str(args.ge_repeats)]
        command += ["--suite", str(suite_path)] + (["--defects"] if args.defects else [])
        output = subprocess.run(
            command,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results[variant] = json.loads(output.strip().splitlines()[-1])
    return results


def _print_table(results: dict[str, dict[str, Any]], rows: int, defects: bool) -> None:
    pandas_time = results["pandas"]["median_s"]
    frame_mb = results["pandas"]["frame_bytes"] / 2**20
    data = "with planted defects" if defects else "clean data"
    print(f"schema validation, {rows:,} rows x {N_NUMERIC + N_CATEGORICAL} columns, {data}")
    print(f"frame size (deep): {frame_mb:,.0f} MiB")
    header = (
        f"{'variant':<20}{'median s':>10}{'x pandas':>10}{'runs':>6}"
        f"{'peak MiB':>10}{'extra MiB':>11}{'peak/frame':>12}{'passed':>8}"
    )
    print(header)
    print("-" * len(header))
    for variant, result in results.items():
        extra = max(0, result["peak_rss"] - result["baseline_rss"]) / 2**20
        # Data's share of the peak: the frame itself plus what validation added on top.
        peak_over_frame = (result["frame_bytes"] / 2**20 + extra) / frame_mb
        print(
            f"{variant:<20}{result['median_s']:>10.3f}{result['median_s'] / pandas_time:>10.2f}"
            f"{len(result['times_s']):>6}{result['peak_rss'] / 2**20:>10.0f}{extra:>11.0f}"
            f"{peak_over_frame:>12.2f}{result['ok']!s:>8}"
        )


if __name__ == "__main__":
    main()
