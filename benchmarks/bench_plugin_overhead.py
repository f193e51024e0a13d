"""How much does the plugin cost? (issue #2; a benchmark, not a test)

Generates a suite of 2,000 trivial tests, 500 of them marked, and times in one run, with
interleaved repetitions so machine noise hits every variant alike:

- collection only, plugin disabled (``-p no:mltestscore``) vs installed but not enabled;
- the full run without ``--mlscore`` vs with ``--mlscore``.

Targets: ``--mlscore`` adds at most 5% median wall time; with the plugin installed but off,
collection is within noise of ``-p no:mltestscore``.

    python benchmarks/bench_plugin_overhead.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = 2000
MARKED = 500
PER_FILE = 100
IDS = [f"{s}-{n}" for s in ("data", "model", "infra", "monitor") for n in range(1, 8)]


def write_suite(root: Path) -> None:
    (root / "pytest.ini").write_text("[pytest]\n")
    number = 0
    for file_index in range(TESTS // PER_FILE):
        lines = ["import pytest", ""]
        for _ in range(PER_FILE):
            if number % (TESTS // MARKED) == 0:
                lines.append(f'@pytest.mark.mlscore("{IDS[number % len(IDS)]}")')
            lines += [f"def test_{number}():", f"    assert {number} >= 0", ""]
            number += 1
        (root / f"test_gen_{file_index:02d}.py").write_text("\n".join(lines))


# Users' Pythons cache bytecode; a PYTHONDONTWRITEBYTECODE=1 environment (as on our dev
# machines) would make every variant recompile the modules it imports, on every run.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(root: Path, args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=root,
        check=True,
        stdout=subprocess.DEVNULL,
        env=ENV,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    variants = {
        "collect, -p no:mltestscore": ["--collect-only", "-p", "no:mltestscore"],
        "collect, installed, off": ["--collect-only"],
        "run, without --mlscore": [],
        "run, with --mlscore": ["--mlscore", "--mlscore-json=out/mlscore.json"],
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_suite(root)
        for argv in variants.values():  # warm-up: imports, bytecode caches
            timed(root, argv)
        times: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.repeats):
            for name, argv in variants.items():
                times[name].append(timed(root, argv))
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"{TESTS} tests ({MARKED} marked), {args.repeats} interleaved repeats, medians:")
    for name, median in medians.items():
        spread = max(times[name]) - min(times[name])
        print(f"  {name:<30} {median:7.3f} s   (min-max spread {spread:.3f} s)")
    off = medians["collect, installed, off"] / medians["collect, -p no:mltestscore"]
    on = medians["run, with --mlscore"] / medians["run, without --mlscore"]
    print(f"collection, installed-but-off / disabled: {off:.3f}x  (target: within noise)")
    print(f"full run, --mlscore / without:           {on:.3f}x  (target: <= 1.05x)")


if __name__ == "__main__":
    main()
