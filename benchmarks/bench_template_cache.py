"""Benchmark (not a test): what the compiled-template cache saves a ``pytest --mlscore`` run.

Jinja2's bytecode cache unpickles (marshals) code from the per-user cache folder, so it must
earn its risk. This runs a small project's ``pytest --mlscore`` (JSON, HTML, Markdown and
badge) in fresh processes, alternating a warm template cache with no template cache, and
prints the median wall time of each side by side. The parsed-rubric JSON cache stays on in
both, so the difference is the template cache alone.

    python benchmarks/bench_template_cache.py [--rounds 9]
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

PROJECT_TEST = """
import pytest

@pytest.mark.mlscore("data-1")
def test_schema():
    assert True

@pytest.mark.mlscore("model-6")
def test_slices(mlscore_record):
    mlscore_record("auc", 0.91)
"""

RUNNER = """
import sys
import pytest
if sys.argv[1] == "off":
    import mltestscore.report.html as html
    html._bytecode_cache = lambda: None
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "--mlscore", "--mlscore-md=r/m.md",
                      "--mlscore-badge=r/b.svg", "--mlscore-json=r/s.json"]))
"""


def _run(project: Path, mode: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", RUNNER, mode],
        cwd=project,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch) / "project"
        project.mkdir()
        (project / "test_model.py").write_text(PROJECT_TEST, encoding="utf-8")
        (project / "pyproject.toml").write_text("[tool.mltestscore]\n", encoding="utf-8")
        cache = Path(scratch) / "cache"
        env = {**os.environ, "MLTESTSCORE_CACHE_DIR": str(cache)}
        _run(project, "on", env)  # warm both caches
        times: dict[str, list[float]] = {"on": [], "off": []}
        for index in range(args.rounds):
            order = ("on", "off") if index % 2 == 0 else ("off", "on")
            for mode in order:
                times[mode].append(_run(project, mode, env))
    on, off = statistics.median(times["on"]), statistics.median(times["off"])
    print(f"rounds: {args.rounds}, alternating, fresh process each")
    print(f"{'template cache':<22}{'median wall (s)':>16}")
    print(f"{'warm':<22}{on:>16.3f}")
    print(f"{'none':<22}{off:>16.3f}")
    print(f"saved: {off - on:.3f} s = {(off - on) / off:.1%} of the run without it")


if __name__ == "__main__":
    main()
