"""From a fresh virtual environment to the first scorecard, and the edits needed after init.

For each of the three ordinary projects of tests/suite/init_projects.py (Adult: binary
logistic regression with personal data and a training script; diabetes: random-forest
regression; wine: multiclass gradient boosting with a serving sample), in a new temporary
folder:

1. ``uv venv`` and ``uv pip install "<this checkout>[checks]"`` (not editable: a wheel is
   built from the checkout, as a newcomer's ``pip install`` would);
2. ``mltestscore init`` in the project;
3. ``pytest --mlscore`` with nothing edited.

It prints the seconds of each step and their total, the first run's exit code and score,
and the edits needed: 0 when the first run gave a scorecard with no usage error (exit code
4), else 1 (the usage error names the key to change). uv's package cache is whatever this
machine has (warm when the dependencies were installed before): the script says how many
wheels the cache held before it started. Run from the repository root:

    python benchmarks/bench_init.py [--projects adult,wine] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.suite.init_projects import PROJECTS  # noqa: E402

CPU: dict[str, float] = {}  # step -> CPU seconds of the step's processes (user + system)


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, str]:
    """Wall seconds, exit code and output; the CPU seconds go to ``CPU[command[-1]]``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[command[-1]] = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, done.returncode, done.stdout + done.stderr


def _cache_state(env: dict[str, str]) -> str:
    done = subprocess.run(
        ["uv", "cache", "dir"], capture_output=True, text=True, env=env, check=False
    )
    folder = Path(done.stdout.strip())
    wheels = sum(1 for _ in folder.glob("wheels-*/**/*.http")) if folder.is_dir() else 0
    archives = sum(1 for _ in folder.glob("archive-*/*")) if folder.is_dir() else 0
    return f"uv cache {folder}: {archives} unpacked archives, {wheels} cached wheel entries"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", default=",".join(PROJECTS))
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    print(_cache_state(env))
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    rows = []
    for name in args.projects.split(","):
        base = Path(tempfile.mkdtemp(prefix=f"bench-init-{name}-"))
        project = PROJECTS[name](base / "project")  # built with this interpreter, untimed
        venv = base / "venv"
        python = str(venv / "bin" / "python")
        steps = {}
        steps["venv"], code, out = _run(["uv", "venv", "-q", str(venv)], base, env)
        assert code == 0, out
        steps["install"], code, out = _run(
            ["uv", "pip", "install", "-q", "--python", python, f"{ROOT}[checks]"], base, env
        )
        assert code == 0, out
        steps["init"], code, out = _run([str(venv / "bin" / "mltestscore"), "init"], project, env)
        assert code == 0, out
        steps["first run"], code, out = _run(
            [python, "-m", "pytest", "--mlscore", "-q", "-p", "no:cacheprovider"], project, env
        )
        report = project / "reports" / "mlscore.json"
        score = json.loads(report.read_text())["score"] if report.is_file() else None
        edits = 0 if code in (0, 1) and report.is_file() else 1
        cpu = sum(CPU.values())
        CPU.clear()
        rows.append((name, steps, code, score, edits))
        print(
            f"{name}: "
            + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in steps.items())
            + f"; total {sum(steps.values()):.1f} s (CPU {cpu:.1f} s); first run exit {code}, "
            f"score {score}, "
            f"edits needed {edits}",
            flush=True,
        )
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print("\n| project | venv | install | init | first run | total | score | edits |")
    print("|---|---|---|---|---|---|---|---|")
    for name, steps, _, score, edits in rows:
        cells = " | ".join(f"{s:.1f} s" for s in steps.values())
        print(f"| {name} | {cells} | {sum(steps.values()):.1f} s | {score} | {edits} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
