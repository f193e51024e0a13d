"""Benchmark (not a test): peak memory of reading a long score history.

Writes a history of about ``--megabytes`` MB of ordinary run lines, then reads it the way a
``pytest --mlscore`` run does (:func:`read_history` with the chart's bound) in a fresh
process and prints that process's peak resident set size (``ru_maxrss``), next to the peak
of a process that only imports the module (the baseline).

    python benchmarks/bench_history_memory.py [--megabytes 100]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

READER = """
import resource, sys
from mltestscore.report.history import read_history
from mltestscore.report.outputs import HISTORY_RUNS_READ
if sys.argv[2] == "read":
    records, warnings = read_history(sys.argv[1], limit=HISTORY_RUNS_READ)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _peak_mb(path: Path, mode: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", READER, str(path), mode], capture_output=True, text=True, check=True
    )
    return int(done.stdout.strip()) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=int, default=100)
    args = parser.parse_args()
    record = {
        "history_version": 1,
        "generated_at": "2026-12-07T05:00:00+00:00",
        "commit": "0123456789abcdef0123456789abcdef01234567",
        "rubric": "ml-test-score-2017",
        "score": 2.5,
        "max_score": 7.0,
        "band": 3,
        "sections": {"data": 3.0, "model": 2.5, "infra": 4.0, "monitor": 3.5},
        "tests": 120,
    }
    line = (json.dumps(record, separators=(",", ":")) + "\n").encode()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "mlscore-history.jsonl"
        with path.open("wb") as handle:
            block = line * 10_000
            while handle.tell() < args.megabytes * 1_000_000:
                handle.write(block)
        size = path.stat().st_size / 1e6
        baseline, read = _peak_mb(path, "import"), _peak_mb(path, "read")
    print(f"history: {size:.0f} MB, {int(size * 1e6 // len(line)):,} lines")
    print(f"peak RSS, import only: {baseline:.0f} MB; reading the history: {read:.0f} MB")


if __name__ == "__main__":
    main()
