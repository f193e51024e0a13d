"""Peer benchmark: drift/skew on 100k and 1M rows, ours vs Evidently (not a test).

The reference/serving pair of ``bench_drift.py`` (15 numeric and 5 categorical string
columns, three of them shifted, some NaNs) written once to Parquet; each tool reads the same
files in its own process (so peak RSS is its own), warms up once, then is timed over repeats:

- ``mltestscore``: ``check_feature_drift(reference, current)`` with its defaults (PSI, KS,
  JS/L-inf per column, one thread); then the scorecard HTML of that one check result
  (``build_scorecard`` + ``render_html``), its render time and size;
- ``evidently`` 0.7 in its own venv (``benchmarks/.venvs/evidently``, pandas < 3; Evidently
  0.7 does not import with pandas 3): ``Report([DataDriftPreset()]).run(current, reference)``
  with the column types declared, then ``snapshot.save_html``.

Both must flag the three shifted columns. Prints medians, ratios, peak RSS and HTML sizes.

    .venv/bin/python benchmarks/bench_peers_drift.py [--rows 100000 1000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_drift import make_frames  # noqa: E402
from peers.venvs import PEERS, ensure_venv, run_json  # noqa: E402


def run_ours(reference_path: Path, current_path: Path, repeats: int) -> dict[str, Any]:
    """Child process: time check_feature_drift on the Parquet pair, then its scorecard HTML."""
    import pandas as pd

    from mltestscore.checks.drift import check_feature_drift
    from mltestscore.evidence import TestRun
    from mltestscore.report.html import render_html
    from mltestscore.rubric import load_rubric
    from mltestscore.scorecard import build_scorecard

    reference, current = pd.read_parquet(reference_path), pd.read_parquet(current_path)
    result = check_feature_drift(reference, current)  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = check_feature_drift(reference, current)
        times.append(time.perf_counter() - started)
    run = TestRun(
        nodeid="tests/test_skew.py::test_serving_inputs_do_not_drift",
        outcome="passed" if result.ok else "failed",
        duration=times[-1],
        claims=("monitor-3",),
        message="" if result.ok else result.reason,
        checks=(result.to_dict(),),
        claimed_by={"monitor-3": "check"},
    )
    scorecard = build_scorecard(load_rubric("ml-test-score-2017"), [run], [], commit="0" * 40)
    html = render_html(scorecard)  # warm-up: templates compiled
    render = []
    for _ in range(5):
        started = time.perf_counter()
        html = render_html(scorecard)
        render.append(time.perf_counter() - started)
    return {
        "median_s": statistics.median(times),
        "times_s": times,
        "drifted_columns": result.measurements.get("drifted_features"),
        "reason": result.reason,
        "html_s": statistics.median(render),
        "html_bytes": len(html.encode("utf-8")),
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--evidently-repeats", type=int, default=2)
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        reference_path, current_path = args.child
        print(json.dumps(run_ours(reference_path, current_path, args.repeats), default=str))
        return
    python = ensure_venv("evidently")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"drift, reference vs serving (3 of 20 columns shifted); {os.cpu_count()} cores, "
          f"load {load}; each tool in its own process, warm-up then medians")  # fmt: skip
    for rows in args.rows:
        with tempfile.TemporaryDirectory(prefix="bench-peers-drift-") as tmp:
            scratch = Path(tmp)
            reference, current = make_frames(rows)
            frame_mib = reference.memory_usage(deep=True).sum() / 2**20
            reference.to_parquet(scratch / "reference.parquet")
            current.to_parquet(scratch / "current.parquet")
            del reference, current
            paths = [str(scratch / "reference.parquet"), str(scratch / "current.parquet")]
            ours, _, _ = run_json(
                [sys.executable, __file__, "--repeats", str(args.repeats), "--child", *paths]
            )
            theirs, _, _ = run_json(
                [str(python), str(PEERS / "evidently_drift.py"), "--reference", paths[0],
                 "--current", paths[1], "--html", str(scratch / "evidently.html"),
                 "--repeats", str(args.evidently_repeats)]
            )  # fmt: skip
        _print(rows, frame_mib, args, ours, theirs)


def _print(
    rows: int, frame_mib: float, args: argparse.Namespace, ours: dict[str, Any],
    theirs: dict[str, Any],
) -> None:  # fmt: skip
    print(f"{rows:,} rows x 20 columns, {frame_mib:.0f} MiB a frame")
    print(f"  {'variant':<34}{'runs':>5}{'median s':>10}{'peak MiB':>10}{'drifted':>9}"
          f"{'HTML KiB':>10}{'HTML ms':>9}")  # fmt: skip
    for label, runs, result in (
        ("mltestscore check_feature_drift", args.repeats, ours),
        ("evidently DataDriftPreset", args.evidently_repeats, theirs),
    ):
        print(f"  {label:<34}{runs:>5}{result['median_s']:>10.3f}"
              f"{result['peak_rss'] / 2**20:>10.0f}{result['drifted_columns']!s:>9}"
              f"{result['html_bytes'] / 1024:>10.0f}{result['html_s'] * 1000:>9.0f}")  # fmt: skip
    print(f"  evidently / ours: time {theirs['median_s'] / ours['median_s']:.1f}x, peak "
          f"{theirs['peak_rss'] / ours['peak_rss']:.1f}x, HTML size "
          f"{theirs['html_bytes'] / ours['html_bytes']:.1f}x; ours: {ours['reason']}")  # fmt: skip


if __name__ == "__main__":
    main()
