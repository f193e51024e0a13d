"""Benchmark: what the computing-performance check (monitor-6) itself costs.

The check times ``model.predict`` calls; its own cost should be those calls and little else.
On the Adult sample pipeline (tests/data/adult), this compares:

- ``floor``: exactly the predict calls the check makes (warm-up, single rows and batches, each
  after the reference workload, the tracemalloc'd batch), timed in a bare loop;
- ``check``: ``check_computing_performance`` with the same settings, history off;
- ``check+history``: the same with a 50-run JSONL history to read, compare and append to.

Each variant runs ``--repeats`` times; the table shows median wall time and the ratio to the
floor. OpenMP is limited to one thread (the machine is shared). Not a test: run it by hand.

    .venv/bin/python benchmarks/bench_performance.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def _setup() -> tuple[Any, Any]:
    from conftest import load_adult, make_adult_pipeline  # type: ignore[import-not-found]

    frame = load_adult()
    X = frame.drop(columns=["income"])
    return make_adult_pipeline().fit(X, frame["income"]), X


def _floor(model: Any, X: Any, settings: dict[str, int]) -> None:
    """The predict calls the check makes, with nothing around them."""
    from mltestscore.checks._inputs import sample_rows, take_rows
    from mltestscore.checks.performance import reference_workload

    singles = [take_rows(X, [int(i)]) for i in sample_rows(X, settings["single_calls"], 0)]
    batch = take_rows(X, sample_rows(X, settings["batch_size"], 0))
    model.predict(singles[0])
    model.predict(batch)
    for row in singles:
        reference_workload()
        model.predict(row)
    for _ in range(settings["batch_calls"]):
        reference_workload()
        model.predict(batch)
    tracemalloc.start()
    model.predict(batch)
    tracemalloc.stop()


def _history(path: Path, runs: int, real_run: str) -> None:
    """``runs`` earlier runs with samples: copies of one real run of the check."""
    path.write_text(real_run * runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per variant")
    args = parser.parse_args()

    import sklearn.ensemble  # noqa: F401  (load OpenMP before limiting it)
    from threadpoolctl import threadpool_limits

    from mltestscore.checks.performance import check_computing_performance

    settings = {"single_calls": 40, "batch_size": 500, "batch_calls": 12}
    with threadpool_limits(limits=1), tempfile.TemporaryDirectory() as scratch:
        model, X = _setup()
        history = Path(scratch) / "perf.jsonl"
        check_computing_performance(model, X, history=history, **settings)  # type: ignore[arg-type]
        real_run = history.read_text()
        variants = {
            "floor": lambda: _floor(model, X, settings),
            "check": lambda: check_computing_performance(model, X, **settings),
            "check+history": lambda: check_computing_performance(
                model, X, history=history, **settings
            ),
        }
        times: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.repeats):
            _history(history, 50, real_run)
            for name, run in variants.items():  # interleaved: load changes hit all alike
                begin = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - begin)
    floor = statistics.median(times["floor"])
    print(f"Adult pipeline, {len(X)} rows; check settings {settings}; {args.repeats} runs each")
    print(f"{'variant':<15}{'median s':>10}{'min s':>10}{'vs floor':>10}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<15}{median:>10.3f}{min(values):>10.3f}{median / floor:>10.2f}")


if __name__ == "__main__":
    main()
