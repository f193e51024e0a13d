"""Benchmark of the zero-config suite on examples/adult-income (not a test).

Runs ``pytest --mlscore`` on the example with its hand-written tests left out, so only the
generated items run, and reports each item's time (setup + call + teardown, from a JUnit XML
report), the sum over generated items and the wall time of the whole pytest process
(start-up, collection, data and model loading included). With ``--repeats`` the figures are
medians over that many runs. The issue's target: the whole generated suite under 60 s on a
2-core machine. Trains the example first when its registry is missing (or with ``--train``).

    .venv/bin/python benchmarks/bench_suite.py [--repeats 1] [--train] [-- extra pytest args]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "adult-income"
TARGET_SECONDS = 60.0


def _env() -> dict[str, str]:
    extra = [str(EXAMPLE), os.environ.get("PYTHONPATH", "")]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in extra if p))


def train() -> None:
    subprocess.run(
        [sys.executable, "-m", "adult_income.train"], cwd=EXAMPLE, env=_env(), check=True
    )


def run_once(extra: list[str]) -> tuple[dict[str, float], dict[str, str], float]:
    """(seconds per generated item, outcome per item, wall seconds) of one pytest run."""
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as scratch:
        junit = Path(scratch) / "junit.xml"
        command = [
            sys.executable, "-m", "pytest", "--mlscore", "-q", "-p", "no:cacheprovider",
            "-k", "not tests", f"--junitxml={junit}",
            f"--mlscore-json={Path(scratch) / 'mlscore.json'}", *extra,
        ]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(command, cwd=EXAMPLE, env=_env(), stdout=subprocess.DEVNULL, check=False)
        wall = time.perf_counter() - started
        times: dict[str, float] = {}
        outcomes: dict[str, str] = {}
        for case in ET.parse(junit).getroot().iter("testcase"):
            name = f"{case.get('classname')}::{case.get('name')}"
            nodeid = name.replace(".", "::", 1) if name.startswith("mlscore.") else name
            times[nodeid] = float(case.get("time") or 0.0)
            kinds = {child.tag for child in case}
            outcomes[nodeid] = next(
                (k for k in ("failure", "error", "skipped") if k in kinds), "passed"
            )
    return times, outcomes, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--train", action="store_true", help="retrain the example first")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args()
    if args.train or not (EXAMPLE / "models" / "CURRENT").is_file():
        train()
    runs = [run_once(args.pytest_args) for _ in range(args.repeats)]
    items = sorted({name for times, _, _ in runs for name in times})
    median = {name: statistics.median(t.get(name, 0.0) for t, _, _ in runs) for name in items}
    outcomes = runs[-1][1]
    print(f"generated items on {EXAMPLE.name} ({args.repeats} run(s), medians, cpu count "
          f"{os.cpu_count()}):")  # fmt: skip
    for name in sorted(items, key=lambda n: -median[n]):
        print(f"  {median[name]:7.2f} s  {outcomes.get(name, '?'):8s} {name}")
    total = sum(median.values())
    wall = statistics.median(w for _, _, w in runs)
    print(f"sum over {len(items)} generated items: {total:.1f} s")
    print(f"whole pytest process (start-up, collection, loading): {wall:.1f} s")
    print(f"target: under {TARGET_SECONDS:.0f} s -> {'met' if wall < TARGET_SECONDS else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
