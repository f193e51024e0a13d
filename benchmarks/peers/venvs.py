"""Virtual environments for the peer tools, created on first use under ``benchmarks/.venvs/``.

The peers' pins conflict with ours (deepchecks 0.19.1 needs numpy < 2, pandas < 2.3 and
scikit-learn < 1.6; Evidently 0.7 does not import with pandas 3), so each peer gets its own
venv, installed once and reused while its requirements stay the same (a ``requirements.txt``
inside the venv records what it was built with). Runs in our own interpreter.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

VENVS = Path(__file__).resolve().parent.parent / ".venvs"
PEERS = Path(__file__).resolve().parent

REQUIREMENTS: dict[str, list[str]] = {
    "deepchecks": [
        "deepchecks==0.19.1",
        "numpy<2",
        "pandas<2.3",
        "scikit-learn<1.6",
        "setuptools<81",  # deepchecks imports pkg_resources
        "pyarrow<20",  # the last wheels that load with numpy 1.x
        "plotly<6",  # save_as_html builds FigureWidgets, which plotly 6 moved to anywidget
    ],
    "evidently": ["evidently==0.7.23", "pandas<3", "pyarrow"],
}


def ensure_venv(name: str) -> Path:
    """The Python of the peer's venv, created and installed when missing or out of date."""
    venv = VENVS / name
    python = venv / "bin" / "python"
    wanted = "\n".join(REQUIREMENTS[name]) + "\n"
    stamp = venv / "requirements.txt"
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    print(f"creating {venv} ({', '.join(REQUIREMENTS[name])}); reused on later runs", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *REQUIREMENTS[name]],
        check=True,
    )
    stamp.write_text(wanted)
    return python


def run_json(
    command: list[str], ok_codes: tuple[int, ...] = (0,), **kwargs: Any
) -> tuple[dict[str, Any], float, int]:
    """Run a helper that prints one JSON line last: (that JSON with ``cpu_s``, the user + system
    seconds of every process the helper waited for, added; wall seconds; peak RSS bytes of the
    largest process it started), measured through a small wrapper process."""
    wrapper = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "out = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - t\n"
        "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "peak = usage.ru_maxrss * 1024\n"
        "cpu = usage.ru_utime + usage.ru_stime\n"
        "sys.stderr.write(out.stderr)\n"
        "print(out.stdout)\n"
        "print(json.dumps({'wall': wall, 'peak': peak, 'cpu': cpu, 'rc': out.returncode}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *command],
        check=False,
        capture_output=True,
        text=True,
        **kwargs,
    )
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    meta = json.loads(lines[-1])
    if meta["rc"] not in ok_codes:
        raise RuntimeError(f"{command[:3]} exited {meta['rc']}:\n{done.stderr[-3000:]}")
    payload = json.loads(lines[-2]) if len(lines) >= 2 and lines[-2].startswith("{") else {}
    payload.setdefault("cpu_s", float(meta["cpu"]))  # user + system of every process waited for
    return payload, float(meta["wall"]), int(meta["peak"])


def self_peak_rss() -> int:
    """Peak resident memory of this process, in bytes."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def now() -> float:
    return time.perf_counter()
