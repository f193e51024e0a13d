"""Benchmark: schema validation on Spark (local mode), ours against Great Expectations' Spark
execution engine on the same expectations and data (not a test).

Writes a Parquet folder of ``--rows`` rows x 20 columns (``bench_bigdata.write_folder``),
infers a schema from it once (in Spark), then validates the folder against that schema,
alternating ``--repeats`` times in one Spark session (``local[2]``, warm after a first
untimed round of each):

- ``ours``: ``check_schema`` on the Spark DataFrame: one aggregate job counting every
  expectation's exceptions, then one small job per expectation that has some;
- ``great-expectations``: the same expectations run by Great Expectations 1.x on a Spark
  datasource (whole-DataFrame batch, ``SUMMARY`` results).

Prints the median wall time of each and what came back to the driver in ours (aggregates
only: ``rows_sampled`` is 0, no ``collect`` of the data).

With ``--inference-only`` it times schema inference alone, query by query: each engine query
``infer_schema`` runs (a Spark job or a few), the function that asked for it and its
seconds, so the passes over the data are counted and the time is placed without the Spark UI.

    python benchmarks/bench_bigdata_spark.py --rows 1000000 --repeats 3
    python benchmarks/bench_bigdata_spark.py --rows 1000000 --inference-only
"""

from __future__ import annotations

import argparse
import inspect
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_bigdata import write_folder


def great_expectations_validation(frame: Any, expectations: list[dict[str, Any]]) -> Any:
    import great_expectations as gx

    from mltestscore.checks._expectations import great_expectations_context

    context = great_expectations_context()
    batch = (
        context.data_sources.add_spark("bench")
        .add_dataframe_asset(name="frame")
        .add_batch_definition_whole_dataframe("whole")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    suite = gx.ExpectationSuite(
        name="bench",
        expectations=[{"type": e["type"], "kwargs": dict(e["kwargs"])} for e in expectations],
    )
    return batch.validate(suite, result_format={"result_format": "SUMMARY"})


def timed_queries() -> list[tuple[str, float]]:
    """Record every query a :class:`Scan` runs from now on: who asked, and its seconds."""
    from mltestscore.checks._frames import Scan

    queries: list[tuple[str, float]] = []
    collect = Scan.collect

    def timed(self: Scan, frame: Any) -> Any:
        callers = [f.function for f in inspect.stack()[1:6]]
        asker = next((c for c in callers if c not in {"aggregate", "collect"}), "?")
        started = time.perf_counter()
        try:
            return collect(self, frame)
        finally:
            queries.append((asker, time.perf_counter() - started))

    Scan.collect = timed  # type: ignore[method-assign]
    return queries


def profile_inference(frame: Any) -> None:
    """Infer the schema once, printing each query's seconds and the number of passes."""
    from mltestscore.checks.schema import infer_schema

    queries = timed_queries()
    started = time.perf_counter()
    suite = infer_schema(frame)
    total = time.perf_counter() - started
    for asker, seconds in queries:
        print(f"  query from {asker:<20} {seconds:8.1f} s")
    in_queries = sum(seconds for _, seconds in queries)
    print(
        f"inference in Spark: {total:.1f} s, {len(queries)} queries ({in_queries:.1f} s), "
        f"{len(suite.expectations)} expectations"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--inference-only", action="store_true")
    arguments = parser.parse_args()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    from pyspark.sql import SparkSession

    from mltestscore.checks.schema import check_schema, infer_schema, schema_to_dict

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    print(f"load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "data"
        write_folder(folder, arguments.rows, shifted=False, seed=0)
        frame = spark.read.parquet(str(folder))
        if arguments.inference_only:
            profile_inference(frame)
            print(f"load average {os.getloadavg()}")
            spark.stop()
            return
        started = time.perf_counter()
        schema = schema_to_dict(infer_schema(frame))
        print(f"inference in Spark: {time.perf_counter() - started:.1f} s")
        expectations = schema["expectations"]
        times: dict[str, list[float]] = {"ours": [], "great-expectations": []}
        verdicts: dict[str, Any] = {}
        for round_ in range(arguments.repeats + 1):  # round 0 warms both up, untimed
            started = time.perf_counter()
            ours = check_schema(frame, schema)
            if round_:
                times["ours"].append(time.perf_counter() - started)
            started = time.perf_counter()
            theirs = great_expectations_validation(frame, expectations)
            if round_:
                times["great-expectations"].append(time.perf_counter() - started)
            verdicts = {
                "ours": [ours.outcome, ours.measurements["failed_expectations"]],
                "great-expectations": [
                    theirs.success,
                    sum(not r.success for r in theirs.results),
                ],
                "ours_rows_sampled": ours.measurements["rows_sampled"],
                "expectations": len(expectations),
            }
        for kind, seconds in times.items():
            print(f"{arguments.rows:>10,} | {kind:<18} | {statistics.median(seconds):8.1f} s")
        ratio = statistics.median(times["great-expectations"]) / statistics.median(times["ours"])
        print(f"Great Expectations / ours: {ratio:.2f}x; {verdicts}")
        print(f"load average {os.getloadavg()}")
    spark.stop()


if __name__ == "__main__":
    main()
