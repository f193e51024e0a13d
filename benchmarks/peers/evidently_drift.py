"""Run Evidently's ``DataDriftPreset`` on a reference/current pair (peer helper).

Runs inside ``benchmarks/.venvs/evidently`` (Evidently 0.7, pandas < 3), started by
``benchmarks/bench_peers_drift.py``. Reads the two Parquet files, declares the numeric and
categorical columns explicitly (so no time goes into type inference), warms up once, then
times ``Report([DataDriftPreset()]).run(current, reference)`` over repeats and
``snapshot.save_html`` once. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
import warnings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference", required=True)
    parser.add_argument("--current", required=True)
    parser.add_argument("--html", required=True)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    started = time.perf_counter()
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    imported = time.perf_counter()
    reference = pd.read_parquet(args.reference)
    current = pd.read_parquet(args.current)
    numeric = [c for c in reference.columns if pd.api.types.is_numeric_dtype(reference[c])]
    categorical = [c for c in reference.columns if c not in numeric]
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)

    def run() -> object:
        ref = Dataset.from_pandas(reference, data_definition=definition)
        cur = Dataset.from_pandas(current, data_definition=definition)
        return Report([DataDriftPreset()]).run(cur, ref)

    snapshot = run()  # warm-up
    times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        snapshot = run()
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    snapshot.save_html(args.html)  # type: ignore[attr-defined]
    html_s = time.perf_counter() - t
    drifted = None
    for metric in snapshot.dict().get("metrics", []):  # type: ignore[attr-defined]
        value = metric.get("value")
        if isinstance(value, dict) and "count" in value:
            drifted = value["count"]
            break
    print(
        json.dumps(
            {
                "import_s": imported - started,
                "median_s": statistics.median(times),
                "times_s": times,
                "html_s": html_s,
                "html_bytes": os.path.getsize(args.html),
                "drifted_columns": drifted,
                "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
