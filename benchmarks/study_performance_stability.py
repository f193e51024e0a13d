"""Study: does the computing-performance check (monitor-6) give one status on identical runs?

On the Adult sample pipeline (gradient boosting behind a ColumnTransformer, saved with
skops), each part records a baseline with one run, then makes ``--runs`` identical runs:

- ``busy``: the check in this process, while another process burns the other core;
- ``xdist``: the generated suite item through ``pytest -n 2 --mlscore`` on a small project,
  while the other xdist worker runs CPU-bound tests (the baseline run is plain ``pytest``);
- ``slowed``: the model wrapped so every ``predict`` does its work twice, beside the busy
  core, against the clean baseline: it must fail every time.

Prints a table per part (outcome counts, median ratios, the spread of the judged ratio), not
a test: run it by hand. ``--check-file`` loads another implementation of
``check_computing_performance`` (for example the previous version, from ``git show``) for the
in-process parts, to measure before and after with the same protocol.

    python benchmarks/study_performance_stability.py [--runs 20] [--parts busy,xdist,slowed]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
TRUSTED = ["numpy.dtype", "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]
BUSY_TESTS = """
    import time

    import pytest

    @pytest.mark.parametrize("n", range(6))
    def test_busy(n):
        end, total = time.perf_counter() + 2.0, 0
        while time.perf_counter() < end:  # two seconds of one core, however loaded
            total += 1
        assert total > 0
"""


class Twice:
    """The planted regression: every prediction does the model's work twice."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def predict(self, X: Any) -> Any:
        self.model.predict(X)
        return self.model.predict(X)


@contextlib.contextmanager
def busy_core() -> Iterator[None]:
    """Another process spinning on a core for as long as the block lasts."""
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        burner.kill()
        burner.wait()


def project(folder: Path) -> tuple[Any, Any]:
    """The Adult project: parquet files, a skops model, a pyproject for the suite."""
    from conftest import load_adult, make_adult_pipeline  # type: ignore[import-not-found]

    from mltestscore import artifacts

    frame = load_adult()
    train, test = frame.iloc[:1200], frame.iloc[1200:1700]
    train.to_parquet(folder / "train.parquet", index=False)
    test.to_parquet(folder / "test.parquet", index=False)
    model = make_adult_pipeline().fit(train.drop(columns=["income"]), train["income"])
    artifacts.save_model(model, folder / "model.skops")
    keys = {
        "model": "model.skops",
        "model_trusted": TRUSTED,
        "train": "train.parquet",
        "test": "test.parquet",
        "target": "income",
    }
    lines = ["[tool.mltestscore]", *(f"{k} = {json.dumps(v)}" for k, v in keys.items())]
    lines += ["[tool.mltestscore.thresholds]", '"monitor-6.history" = "history.jsonl"']
    (folder / "pyproject.toml").write_text("\n".join(lines) + "\n")
    (folder / "tests").mkdir()
    (folder / "tests" / "test_busy.py").write_text(textwrap.dedent(BUSY_TESTS))
    loaded = artifacts.load_model(folder / "model.skops", trusted=TRUSTED).model
    return loaded, test.drop(columns=["income"])


def load_check(path: str | None) -> Callable[..., Any]:
    if path is None:
        from mltestscore.checks.performance import check_computing_performance

        return check_computing_performance
    spec = importlib.util.spec_from_file_location("performance_under_study", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.check_computing_performance  # type: ignore[no-any-return]


def row_of(result: Any) -> dict[str, Any]:
    """Outcome and the judged ratios of one result (new check: its table; old: its reason)."""
    ratios: dict[str, Any] = {}
    for row in result.tables[0].rows if result.tables else ():
        if row[0] in ("single_ms", "batch_ms") and row[3] is not None:
            ratios[row[0]] = (row[3], row[4])
        if row[0] in ("single_p50_ms", "batch_p50_ms") and row[3] is not None:
            ratios[row[0]] = (1 + row[3] / 100, None)  # the old check: change in %
    return {"outcome": str(result.outcome), "ratios": ratios, "reason": result.reason}


def in_process(
    check: Callable[..., Any], model: Any, X: Any, history: Path, runs: int, busy: bool
) -> list[dict[str, Any]]:
    rows = []
    with busy_core() if busy else contextlib.nullcontext():
        for _ in range(runs):
            rows.append(row_of(check(model, X, history=str(history))))
            print(rows[-1]["outcome"][0], end="", flush=True)
    print()
    return rows


def through_pytest(folder: Path, runs: int) -> list[dict[str, Any]]:
    """Baseline with plain pytest, then ``runs`` runs under ``-n 2`` beside CPU-bound tests."""

    def run(*extra: str) -> dict[str, Any]:
        command = [sys.executable, "-m", "pytest", "--mlscore", "-p", "no:cacheprovider", "-q"]
        subprocess.run([*command, *extra], cwd=folder, capture_output=True, text=True, check=False)
        card = json.loads((folder / "reports" / "mlscore.json").read_text())
        for item in card["items"]:
            for evidence in item.get("evidence", []):
                if evidence.get("check") == "check_computing_performance":
                    return {
                        "outcome": evidence["outcome"],
                        "ratios": {},
                        "reason": evidence["reason"],
                    }
        return {"outcome": "missing", "ratios": {}, "reason": ""}

    baseline = run("-k", "performance")
    print(f"  baseline run: {baseline['outcome']}")
    rows = []
    for _ in range(runs):
        rows.append(run("-n", "2", "-k", "performance or busy"))
        print(rows[-1]["outcome"][0], end="", flush=True)
    print()
    return rows


def report(name: str, rows: list[dict[str, Any]]) -> None:
    counts = collections.Counter(row["outcome"] for row in rows)
    print(f"{name:<10} {len(rows):>4} runs   " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for figure in ("single_ms", "batch_ms", "single_p50_ms", "batch_p50_ms"):
        raw = [row["ratios"][figure][0] for row in rows if figure in row["ratios"]]
        units = [row["ratios"][figure][1] for row in rows if figure in row["ratios"]]
        if raw:
            line = (
                f"{'':<10} {figure:<14} ratio vs baseline: median {statistics.median(raw):.2f},"
                f" range {min(raw):.2f}-{max(raw):.2f}"
            )
            if all(u is not None for u in units):
                line += f"; in reference units {min(units):.2f}-{max(units):.2f}"
            print(line)
    odd = [row["reason"] for row in rows if row["outcome"] != rows[0]["outcome"]]
    for reason in odd[:3]:
        print(f"{'':<10} e.g. {reason[:160]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--parts", default="busy,xdist,slowed")
    parser.add_argument("--check-file", help="another performance.py to study (in process)")
    args = parser.parse_args()
    parts = args.parts.split(",")
    check = load_check(args.check_file)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        model, X = project(folder)
        results: dict[str, list[dict[str, Any]]] = {}
        clean = folder / "in-process-history.jsonl"
        print(f"baseline: {row_of(check(model, X, history=str(clean)))['outcome']}")
        saved = clean.read_text()
        if "busy" in parts:
            print("busy: the check beside a busy core")
            results["busy"] = in_process(check, model, X, clean, args.runs, busy=True)
        if "slowed" in parts:
            print("slowed: predict does its work twice, beside a busy core")
            slowed = folder / "slowed-history.jsonl"
            slowed.write_text(saved)
            results["slowed"] = in_process(check, Twice(model), X, slowed, args.runs, busy=True)
        if "xdist" in parts:
            print("xdist: the suite item under pytest -n 2 beside CPU-bound tests")
            results["xdist"] = through_pytest(folder, args.runs)
    print(f"\nAdult pipeline, {len(X)} test rows; load average {os.getloadavg()[0]:.1f}")
    for name, rows in results.items():
        report(name, rows)


if __name__ == "__main__":
    main()
