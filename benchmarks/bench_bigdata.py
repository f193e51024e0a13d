"""Benchmark of the data checks on Parquet folders bigger than pandas should hold (not a test).

Writes a reference folder of ``--rows`` rows x 20 columns (13 numeric, 5 categorical strings,
one free-text column, one timestamp), in files of 500k rows, and a serving folder a tenth of
its size with two shifted columns. Then runs, each in a fresh process (so peak RSS is its
own), alternating, ``--repeats`` times:

- ``ours-duckdb``: schema inference on the reference and validation of serving against it,
  drift (reference vs serving), PII and freshness on the folders (DuckDB scans, the
  default);
- ``ours-polars``: the same checks on ``polars.scan_parquet`` LazyFrames of the folders;
- ``hand-duckdb``: one hand-written DuckDB SQL query per folder computing the same
  aggregates (counts at and below 110 quantile edges per numeric column, category counts,
  the newest time; per column the missing count, minimum, maximum, mean, standard
  deviation and distinct count, the categories' counts, and per expectation of the
  inferred schema on serving the count of values outside it) and a 10k-row sample for PII,
  with no judging: what the checks cost beyond the aggregates themselves;
- ``pandas``: the checks on frames read whole with pandas (only up to ``--pandas-max-rows``).

Prints each run as it ends, then medians of wall time and peak RSS (VmHWM of the child
process: its own peak since the exec). ``--kinds`` chooses the runs (pandas is added up to ``--pandas-max-rows``);
``--data DIR`` keeps the generated folders in ``DIR/<rows>`` and reuses them.

    python benchmarks/bench_bigdata.py --rows 1000000 10000000 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

N_NUMERIC = 13
N_CATEGORICAL = 5
FILE_ROWS = 500_000
KINDS = ["ours-duckdb", "ours-polars", "hand-duckdb", "ours-pandas"]


def write_folder(folder: Path, rows: int, *, shifted: bool, seed: int) -> None:
    """``rows`` rows in files of FILE_ROWS, generated chunk by chunk (bounded memory)."""
    import numpy as np
    import pandas as pd

    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    categories = np.array([f"value_{i}" for i in range(12)])
    start = pd.Timestamp("2024-01-01")
    for part, first in enumerate(range(0, rows, FILE_ROWS)):
        n = min(FILE_ROWS, rows - first)
        data: dict[str, Any] = {}
        for i in range(N_NUMERIC):
            if i % 3 == 2:
                data[f"n{i}"] = rng.poisson(3.0 + (1.0 if shifted and i == 2 else 0.0), n)
            else:
                values = rng.normal(0.3 if shifted and i == 0 else 0.0, 1.0, n)
                values[rng.random(n) < 0.01] = np.nan
                data[f"n{i}"] = values
        weights = np.linspace(1.0, 2.0, len(categories))
        for i in range(N_CATEGORICAL):
            data[f"c{i}"] = categories[rng.choice(len(categories), n, p=weights / weights.sum())]
        data["note"] = np.array(["ok", "checked", "late", "n/a"])[rng.integers(0, 4, n)]
        seconds = rng.integers(0, 86_400 * 30, n)
        data["event_time"] = start + pd.to_timedelta(seconds, unit="s")
        pd.DataFrame(data).to_parquet(folder / f"part-{part:04d}.parquet", index=False)


def run_ours(reference: str, current: str, engine: str) -> dict[str, Any]:
    from datetime import datetime

    from mltestscore.checks.drift import check_feature_drift
    from mltestscore.checks.privacy import check_pii
    from mltestscore.checks.schema import check_schema, infer_schema
    from mltestscore.checks.staleness import check_data_freshness

    ref: Any = reference
    cur: Any = current
    if engine == "polars":
        import polars as pl

        ref = pl.scan_parquet(f"{reference}/*.parquet")
        cur = pl.scan_parquet(f"{current}/*.parquet")
    elif engine == "pandas":
        import pandas as pd

        ref = pd.read_parquet(reference)
        cur = pd.read_parquet(current)
    columns = [f"n{i}" for i in range(N_NUMERIC)] + [f"c{i}" for i in range(N_CATEGORICAL)]
    schema = infer_schema(ref)
    valid = check_schema(cur, schema)
    drift = check_feature_drift(ref, cur, columns=columns)
    pii = check_pii(ref)
    now = datetime.fromisoformat("2024-02-01T00:00:00+00:00")
    fresh = check_data_freshness(ref, "event_time", now=now)
    return {
        "schema": [valid.outcome, valid.measurements.get("failed_expectations")],
        "drift": [drift.outcome, drift.measurements.get("drifted_features")],
        "pii": pii.outcome,
        "freshness": fresh.outcome,
    }


def run_hand_duckdb(reference: str, current: str) -> dict[str, Any]:
    """The same aggregates in hand-written SQL: edges from a 100k-row reference sample."""
    import duckdb

    numeric = [f"n{i}" for i in range(N_NUMERIC)]
    categorical = [f"c{i}" for i in range(N_CATEGORICAL)]
    connection = duckdb.connect()
    connection.execute("set memory_limit = '1GB'")
    connection.execute(f"set temp_directory = '{tempfile.gettempdir()}/bench-duckdb'")
    ref = f"read_parquet('{reference}/*.parquet')"
    cur = f"read_parquet('{current}/*.parquet')"
    quantiles = ", ".join(
        f"quantile_disc({c}, [{', '.join(str(q / 100) for q in range(1, 100))}])" for c in numeric
    )
    edges = connection.execute(
        f"select {quantiles} from (select * from {ref} using sample 100000 rows)"
    ).fetchone()
    assert edges is not None
    for source in (ref, cur):
        parts = ["count(*)"]
        for column, column_edges in zip(numeric, edges, strict=True):
            parts += [f"count({column})", f"avg({column})", f"stddev_pop({column})"]
            for edge in column_edges:
                parts.append(f"count_if({column} <= {edge})")
                parts.append(f"count_if({column} = {edge})")
        connection.execute(f"select {', '.join(parts)} from {source}").fetchall()
        for column in categorical:
            connection.execute(
                f"select {column}, count(*) from {source} group by {column}"
            ).fetchall()
    # the schema: profile the reference, then count serving's values outside the ranges
    profile = ["count(*)"]
    for column in [*numeric, *categorical, "note", "event_time"]:
        profile += [f"count(*) - count({column})", f"count(distinct {column})"]
    for column in numeric:
        profile += [f"min({column})", f"max({column})", f"avg({column})", f"stddev({column})"]
    found = connection.execute(f"select {', '.join(profile)} from {ref}").fetchone()
    assert found is not None
    for column in [*categorical, "note"]:
        connection.execute(f"select {column}, count(*) from {ref} group by {column}").fetchall()
    checks = ["count(*)"]
    for column in [*numeric, *categorical, "note", "event_time"]:
        checks.append(f"count(*) - count({column})")
    for i, column in enumerate(numeric):
        low, high = found[
            1 + 2 * (N_NUMERIC + N_CATEGORICAL + 2) + 4 * i : 3
            + 2 * (N_NUMERIC + N_CATEGORICAL + 2)
            + 4 * i
        ]
        checks.append(f"count_if({column} < {low} or {column} > {high})")
        checks.append(f"count_if({column} < {low - 30} or {column} > {high + 30})")
    domain = ", ".join(f"'value_{i}'" for i in range(12))
    for column in categorical:
        checks.append(f"count_if({column} not in ({domain}))")
    checks.append("count_if(note not in ('ok', 'checked', 'late', 'n/a'))")
    connection.execute(f"select {', '.join(checks)} from {cur}").fetchall()
    connection.execute(f"select max(event_time), min(event_time) from {ref}").fetchall()
    connection.execute(f"select c0, note from {ref} using sample 10000 rows").fetchall()
    return {"queries": "done"}


def peak_rss_mib() -> float:
    """This process' peak RSS since its exec: VmHWM. (``ru_maxrss`` keeps the RSS the forked
    parent had before the exec, so a child of a big parent reports at least the parent.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(kind: str, reference: str, current: str) -> None:
    started = time.perf_counter()
    if kind == "hand-duckdb":
        outcome = run_hand_duckdb(reference, current)
    else:
        outcome = run_ours(reference, current, kind.removeprefix("ours-"))
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_mib": peak_rss_mib(), "outcome": outcome}))


def measure(kind: str, reference: Path, current: Path) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(reference), str(current)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pandas-max-rows", type=int, default=1_000_000)
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=KINDS[:3])
    parser.add_argument("--data", type=Path, help="write the folders here (kept, reused)")
    parser.add_argument("--child", nargs=3)
    arguments = parser.parse_args()
    if arguments.child:
        child(*arguments.child)
        return
    print(f"load average {os.getloadavg()}", flush=True)
    print("rows       | run         | wall s (median) | peak RSS MiB (median) | verdicts")
    for rows in arguments.rows:
        with tempfile.TemporaryDirectory() as temporary:
            scratch = arguments.data / str(rows) if arguments.data else Path(temporary)
            reference = scratch / "reference"
            current = scratch / "serving"
            if not reference.exists():
                write_folder(reference, rows, shifted=False, seed=0)
                write_folder(current, max(rows // 10, 1000), shifted=True, seed=1)
            kinds = list(arguments.kinds)
            if rows <= arguments.pandas_max_rows and "ours-pandas" not in kinds:
                kinds.append("ours-pandas")
            runs: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
            for _ in range(arguments.repeats):  # alternating, so load hits all alike
                for kind in kinds:
                    runs[kind].append(measure(kind, reference, current))
                    found = runs[kind][-1]
                    print(
                        f"  {rows:,} {kind}: {found['seconds']:.1f} s, {found['peak_mib']:.0f} MiB, "
                        f"load {os.getloadavg()[0]:.1f}, {found['outcome']}",
                        flush=True,
                    )
            for kind in kinds:
                seconds = statistics.median(r["seconds"] for r in runs[kind])
                peak = statistics.median(r["peak_mib"] for r in runs[kind])
                print(
                    f"{rows:>10,} | {kind:<11} | {seconds:15.1f} | {peak:21.0f} | "
                    f"{runs[kind][0]['outcome']}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
