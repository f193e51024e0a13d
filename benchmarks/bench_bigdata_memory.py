"""Benchmark: where the memory of the data checks goes on a large source (not a test).

Writes the reference and serving folders of ``bench_bigdata.py`` (``--rows`` rows x 20
columns, serving a tenth) and runs each step of that benchmark alone in a fresh process, so
each step's peak RSS is its own (VmHWM): ``imports`` (the libraries, Great Expectations
included, and the opened scans, nothing computed), ``infer`` (``infer_schema`` on the reference), ``validate`` (``check_schema`` of
serving against a suite inferred beforehand), ``drift``, ``pii`` and ``freshness``. The
peak above ``imports`` is what the step holds; at 1M rows it scales to 10M by the rows when
it is held per row.

``all`` runs every step in one process, in order, as ``bench_bigdata.py`` does: what they
hold together (memory one step leaves behind counts in the next one's peak).
``--data DIR`` keeps the generated folders in DIR (written when missing) for another run.

``--engine polars`` (default) scans with ``polars.scan_parquet``, ``duckdb`` with the default
file scan; ``--polars-engine streaming`` collects every Polars query with Polars' streaming
engine instead of its default.

    python benchmarks/bench_bigdata_memory.py --rows 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_bigdata import N_CATEGORICAL, N_NUMERIC, peak_rss_mib, run_ours, write_folder

STEPS = ["imports", "infer", "validate", "drift", "pii", "freshness"]
# every step in one process, as bench_bigdata.py runs them (not in the default steps)
ALL = "all"


def _open(folder: str, engine: str) -> Any:
    if engine == "polars":
        import polars as pl

        return pl.scan_parquet(f"{folder}/*.parquet")
    return folder


def _use_polars_engine(name: str) -> None:
    """Collect every Polars query of a Scan with this Polars engine."""
    from mltestscore.checks._frames import Scan

    collect = Scan.collect

    def collect_with(self: Scan, frame: Any) -> Any:
        if self.engine != "polars":
            return collect(self, frame)
        self.passes += 1
        return frame.collect("pandas", engine=name).to_native()

    Scan.collect = collect_with  # type: ignore[method-assign]


def child(step: str, reference: str, current: str, engine: str, polars_engine: str) -> None:
    from datetime import datetime

    from mltestscore.checks.drift import check_feature_drift
    from mltestscore.checks.privacy import check_pii
    from mltestscore.checks.schema import check_schema, infer_schema
    from mltestscore.checks.staleness import check_data_freshness

    if polars_engine != "default":
        _use_polars_engine(polars_engine)
    ref, cur = _open(reference, engine), _open(current, engine)
    columns = [f"n{i}" for i in range(N_NUMERIC)] + [f"c{i}" for i in range(N_CATEGORICAL)]
    started = time.perf_counter()
    outcome: Any = None
    if step == "imports":  # what every step imports, data aside
        import duckdb  # noqa: F401
        import great_expectations  # noqa: F401
        import narwhals  # noqa: F401
        import scipy.stats  # noqa: F401

        from mltestscore.checks._frames import open_scan

        outcome = open_scan(ref, "data").engine
    elif step == "infer":
        outcome = len(infer_schema(ref).expectations)
    elif step == "validate":
        schema = json.loads((Path(reference).parent / "schema.json").read_text())
        outcome = check_schema(cur, schema).outcome
    elif step == "drift":
        outcome = check_feature_drift(ref, cur, columns=columns).outcome
    elif step == "pii":
        outcome = check_pii(ref).outcome
    elif step == "freshness":
        now = datetime.fromisoformat("2024-02-01T00:00:00+00:00")
        outcome = check_data_freshness(ref, "event_time", now=now).outcome
    elif step == ALL:
        outcome = run_ours(reference, current, engine)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_mib": peak_rss_mib(), "outcome": outcome}))


def measure(step: str, reference: Path, current: Path, *options: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", step, str(reference), str(current), *options],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=["polars", "duckdb"], default="polars")
    parser.add_argument("--polars-engine", default="default")
    parser.add_argument("--steps", nargs="+", choices=[*STEPS, ALL], default=STEPS)
    parser.add_argument("--data", type=Path, help="keep the generated folders here")
    parser.add_argument("--child", nargs=5)
    arguments = parser.parse_args()
    if arguments.child:
        child(*arguments.child)
        return
    from mltestscore.checks.schema import infer_schema, schema_to_dict

    print(f"load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as temporary:
        scratch = arguments.data or Path(temporary)
        reference = scratch / "reference"
        current = scratch / "serving"
        if not reference.exists():
            write_folder(reference, arguments.rows, shifted=False, seed=0)
            write_folder(current, max(arguments.rows // 10, 1000), shifted=True, seed=1)
        if not (scratch / "schema.json").exists():
            suite = schema_to_dict(infer_schema(str(reference)))
            (scratch / "schema.json").write_text(json.dumps(suite, default=str))
        options = (arguments.engine, arguments.polars_engine)
        base = 0.0
        print(f"{arguments.rows:,} rows, {arguments.engine}, Polars engine {options[1]}")
        print("step       | wall s | peak RSS MiB | above imports | outcome")
        for step in arguments.steps:
            found = measure(step, reference, current, *options)
            if step == "imports":
                base = found["peak_mib"]
            above = found["peak_mib"] - base
            print(
                f"{step:<10} | {found['seconds']:6.1f} | {found['peak_mib']:12.0f} | "
                f"{above:13.0f} | {found['outcome']}",
                flush=True,
            )
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
