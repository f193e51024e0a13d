"""How much does the plugin cost? (issue #2; a benchmark, not a test)

Generates a suite of 2,000 trivial tests, 500 of them marked, and times in one run, with
interleaved repetitions so machine noise hits every variant alike:

- collection only, plugin disabled (``-p no:mltestscore``) vs installed but not enabled;
- the full run without ``--mlscore`` vs with ``--mlscore``.

Each variant's CPU time (its process and children) is printed next to its wall time: on a
shared machine the two tell apart what the plugin costs from what the neighbours cost.

Targets: ``--mlscore`` adds at most 5% median wall time; with the plugin installed but off,
collection is within noise of ``-p no:mltestscore``.

    python benchmarks/bench_plugin_overhead.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import resource
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


def timed(root: Path, args: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall time of one pytest process, and the CPU time it and its children used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=root,
        check=True,
        stdout=subprocess.DEVNULL,
        env={**ENV, **(env or {})},
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


MLSCORE = ["--mlscore", "--mlscore-json=out/mlscore.json"]
VARIANTS: dict[str, tuple[list[str], dict[str, str]]] = {
    "collect, -p no:mltestscore": (["--collect-only", "-p", "no:mltestscore"], {}),
    "collect, installed, off": (["--collect-only"], {}),
    "run, without --mlscore": ([], {}),
    "run, with --mlscore": (MLSCORE, {}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_suite(root)
        for argv, env in VARIANTS.values():  # warm-up: imports, bytecode and other caches
            timed(root, argv, env)
        walls: dict[str, list[float]] = {name: [] for name in VARIANTS}
        cpus: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for _ in range(args.repeats):
            for name, (argv, env) in VARIANTS.items():
                seconds, cpu_seconds = timed(root, argv, env)
                walls[name].append(seconds)
                cpus[name].append(cpu_seconds)
    wall = {name: statistics.median(values) for name, values in walls.items()}
    cpu = {name: statistics.median(values) for name, values in cpus.items()}
    print(f"{TESTS} tests ({MARKED} marked), {args.repeats} interleaved repeats, medians; "
          f"{os.cpu_count()} cores, load before {load}:")  # fmt: skip
    print(f"  {'variant':<32}{'wall s':>8}{'x':>8}{'CPU s':>8}{'x':>8}{'spread s':>10}")
    for name in VARIANTS:
        base = "run, without --mlscore" if name.startswith("run") else "collect, -p no:mltestscore"
        spread = max(walls[name]) - min(walls[name])
        print(f"  {name:<32}{wall[name]:>8.3f}{wall[name] / wall[base]:>8.3f}"
              f"{cpu[name]:>8.3f}{cpu[name] / cpu[base]:>8.3f}{spread:>10.3f}")  # fmt: skip
    off = wall["collect, installed, off"] / wall["collect, -p no:mltestscore"]
    on = wall["run, with --mlscore"] / wall["run, without --mlscore"]
    print(f"collection, installed-but-off / disabled: {off:.3f}x  (target: within noise)")
    print(f"full run, --mlscore / without:           {on:.3f}x  (target: <= 1.05x)")


if __name__ == "__main__":
    main()
