"""Study: does a corpus project get one score and one status per item on identical runs?

One project of the corpus (tests/corpus, clean) is written to a scratch folder and scored
once in full (which infers its schema and starts the computing-performance history), then
its performance item twice more (the history the corpus gives it before planting the slowed
model). That folder is the snapshot every run starts from, so the runs are identical: same
code, same data, same history. Then, alternating:

- ``busy``: ``pytest --mlscore`` while another process burns a core;
- ``xdist``: ``pytest --mlscore -n 2`` (the items spread over both cores).

And the corpus' planted slowdown: the snapshot with the registry's current version replaced
by a two-member voting ensemble of the same model (twice the predict work), whose
performance item runs ``--slowed-runs`` times in each mode; it is caught when monitor-6
fails with a timing figure in its reason, as the corpus requires. Its twin: the same model
written again with compression (other bytes, the same model), so monitor-6 times it against
the kept baseline copy in the same run, as it does for a model retrained each CI run; its
performance item runs ``--twin-runs`` times in each mode and must pass every time.

Prints, per generated item, the statuses seen (with counts) and flags any item that flipped,
the scores seen, and the slowdown's catches. Not a test: run it by hand (it takes about a
minute per run on a shared two-core machine).

    python benchmarks/study_score_stability.py [--project breast-cancer] [--runs 20]
        [--slowed-runs 20] [--twin-runs 20] [--modes busy,xdist]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from study_performance_stability import busy_core  # noqa: E402

from tests.corpus import builder  # noqa: E402
from tests.corpus.defects import defect  # noqa: E402
from tests.corpus.projects import project  # noqa: E402
from tests.corpus.run import PERFORMANCE_BASELINE_RUNS, _environment, read_items  # noqa: E402

SLOW = defect("slow")


@dataclass
class Scored:
    """One ``pytest --mlscore`` run: the score and each generated item's status."""

    mode: str
    seconds: float
    load: float
    score: float | None
    items: dict[str, tuple[str, str]] = field(default_factory=dict)  # nodeid: (outcome, reason)


def score(folder: Path, mode: str, select: str | None = None) -> Scored:
    report = folder / "reports" / "mlscore.json"
    command = [sys.executable, "-m", "pytest", "--mlscore", "-q", "-p", "no:cacheprovider"]
    command += [f"--mlscore-json={report}"]
    if mode == "xdist":
        command += ["-n", "2"]
    if select:
        command += ["-k", select]
    started = time.perf_counter()
    with busy_core() if mode == "busy" else contextlib.nullcontext():
        subprocess.run(
            command, cwd=folder, env=_environment(), capture_output=True, text=True, check=False
        )
    seconds = time.perf_counter() - started
    if not report.is_file():
        return Scored(mode, seconds, os.getloadavg()[0], None)
    card = json.loads(report.read_text())
    items = {k: (v.outcome, v.reason) for k, v in read_items(card).items()}
    return Scored(mode, seconds, os.getloadavg()[0], card.get("score"), items)


def _scored(saved: dict[str, Any]) -> Scored:
    items = {k: (v[0], v[1]) for k, v in saved.pop("items").items()}
    return Scored(**saved, items=items)


def restore(snapshot: Path, folder: Path) -> Path:
    """``folder`` as the snapshot left it: the next run starts from the same state."""
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(snapshot, folder)
    return folder


def caught(run: Scored) -> bool:
    return any(
        nodeid.startswith("mlscore::monitor-6::")
        and outcome == "failed"
        and re.search(SLOW.reason_must_match or "", reason) is not None
        for nodeid, (outcome, reason) in run.items.items()
    )


def rewrite_current_model(folder: Path) -> None:
    """The registry's current model written again with compression: other bytes, the same
    model (the twin snapshot)."""
    import zipfile

    import skops.io

    from mltestscore.model_store import LocalModelStore

    store = LocalModelStore(folder / "models")
    version = store.current()
    assert version is not None
    path = store.model_path(version)
    model = skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))
    before = path.read_bytes()
    skops.io.dump(model, path, compression=zipfile.ZIP_DEFLATED)
    assert path.read_bytes() != before


def ratios(runs: list[Scored]) -> list[float]:
    """monitor-6's timing ratios against the baseline's model in the same run, as reported."""
    found: list[float] = []
    for run in runs:
        reason = run.items.get("mlscore::monitor-6::performance", ("", ""))[1]
        found += [float(x) for x in re.findall(r"is (\d+\.\d+)x the baseline's model's", reason)]
        found += [float(x) for x in re.findall(r"largest: \w+ (\d+\.\d+)x\)", reason)]
    return found


def prepare(name: str, scratch: Path) -> tuple[Path, Path, Path]:
    """The clean snapshot, the slowed one and the twin, all after the same baseline runs."""
    spec = project(name)
    build = builder.prepare(spec, None)
    clean = builder.write(build, scratch / "clean")
    first = score(clean, "plain")
    print(f"baseline: full run, score {first.score}, {len(first.items)} items", flush=True)
    for _ in range(PERFORMANCE_BASELINE_RUNS - 1):
        score(clean, "plain", SLOW.select)
    shutil.rmtree(clean / "reports")
    slowed = restore(clean, scratch / "slowed")
    builder.register_slowed_model(build, slowed)
    twin = restore(clean, scratch / "twin")
    rewrite_current_model(twin)
    return clean, slowed, twin


def report(runs: list[Scored], slowed: list[Scored], twins: list[Scored] | None = None) -> None:
    by_mode = collections.defaultdict(list)
    for run in runs:
        by_mode[run.mode].append(run)
    print("\nruns per mode: " + ", ".join(f"{m} {len(r)}" for m, r in by_mode.items()))
    for mode, mode_runs in by_mode.items():
        seconds = sorted(r.seconds for r in mode_runs)
        loads = [r.load for r in mode_runs]
        print(
            f"  {mode}: median {seconds[len(seconds) // 2]:.0f} s a run, load average "
            f"{min(loads):.1f}-{max(loads):.1f}"
        )
    nodeids = sorted({n for run in runs for n in run.items})
    print(f"\n| item | {' | '.join(by_mode)} | flips |")
    print(f"|---|{'---|' * len(by_mode)}---|")
    flipped = []
    for nodeid in nodeids:
        cells, seen = [], set()
        for mode_runs in by_mode.values():
            counts = collections.Counter(r.items.get(nodeid, ("absent", ""))[0] for r in mode_runs)
            seen |= set(counts)
            cells.append(", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        flips = "**yes**" if len(seen) > 1 else "no"
        if len(seen) > 1:
            flipped.append(nodeid)
        print(f"| `{nodeid}` | {' | '.join(cells)} | {flips} |")
    scores = [
        ", ".join(
            f"{s} x{c}" for s, c in sorted(collections.Counter(r.score for r in mode_runs).items())
        )
        for mode_runs in by_mode.values()
    ]
    print(f"| **score** | {' | '.join(scores)} | {'no' if len(set(r.score for r in runs)) == 1 else '**yes**'} |")  # fmt: skip
    for nodeid in flipped:
        print(f"\n{nodeid} flipped:")
        shown = set()
        for run in runs:
            outcome, reason = run.items.get(nodeid, ("absent", ""))
            if outcome not in shown:
                shown.add(outcome)
                print(f"  {run.mode} {outcome}: {reason[:300]}")
    if slowed:
        print("\nplanted 2x slowdown (monitor-6 must fail on a timing figure):")
        for mode in sorted({r.mode for r in slowed}):
            mode_runs = [r for r in slowed if r.mode == mode]
            hits = sum(caught(r) for r in mode_runs)
            print(f"  {mode}: caught in {hits} of {len(mode_runs)}")
            for run in mode_runs:
                if not caught(run):
                    print(f"    missed: {run.items}")
        example = next((r for r in slowed if caught(r)), None)
        if example:
            reason = next(
                v[1] for k, v in example.items.items() if k.startswith("mlscore::monitor-6")
            )
            print(f"  e.g. {reason[:300]}")
        if ratios(slowed):
            print(
                f"  ratios to the baseline's model: {min(ratios(slowed)):.2f}-{max(ratios(slowed)):.2f}"
            )
    if twins:
        print("\nthe same model in other bytes (monitor-6 must pass, timed beside the kept copy):")
        for mode in sorted({r.mode for r in twins}):
            mode_runs = [r for r in twins if r.mode == mode]
            outcomes = collections.Counter(
                r.items.get("mlscore::monitor-6::performance", ("absent", ""))[0] for r in mode_runs
            )
            found = ratios(mode_runs)
            spread = f", ratios {min(found):.2f}-{max(found):.2f}" if found else ""
            print(f"  {mode}: {dict(outcomes)}{spread}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", default="breast-cancer")
    parser.add_argument("--runs", type=int, default=20, help="identical full runs per mode")
    parser.add_argument("--slowed-runs", type=int, default=20, help="slowed runs per mode")
    parser.add_argument("--twin-runs", type=int, default=20, help="twin runs per mode")
    parser.add_argument("--modes", default="busy,xdist")
    parser.add_argument("--save", type=Path, help="write every run as JSON here (as they end)")
    parser.add_argument("--load", type=Path, help="run nothing: report the runs saved there")
    args = parser.parse_args()
    if args.load:
        saved = json.loads(args.load.read_text())
        report(*([_scored(r) for r in saved.get(key, [])] for key in ("runs", "slowed", "twins")))
        return
    modes = args.modes.split(",")
    runs: list[Scored] = []
    slowed_runs: list[Scored] = []
    twin_runs: list[Scored] = []
    with tempfile.TemporaryDirectory(prefix="mltestscore-stability-") as temporary:
        scratch = Path(temporary)
        clean, slowed, twin = prepare(args.project, scratch)
        work = scratch / "work"
        for number in range(max(args.runs, args.slowed_runs, args.twin_runs)):
            for mode in modes:
                if number < args.runs:
                    runs.append(score(restore(clean, work), mode))
                    print(f"{mode[0]}{runs[-1].score}", end=" ", flush=True)
                if number < args.slowed_runs:
                    slowed_runs.append(score(restore(slowed, work), mode, SLOW.select))
                    print("S" if caught(slowed_runs[-1]) else "s!", end=" ", flush=True)
                if number < args.twin_runs:
                    twin_runs.append(score(restore(twin, work), mode, SLOW.select))
                    passed = twin_runs[-1].items.get("mlscore::monitor-6::performance")
                    print("T" if passed and passed[0] == "passed" else "t!", end=" ", flush=True)
            if args.save:
                saved = {"runs": runs, "slowed": slowed_runs, "twins": twin_runs}
                args.save.write_text(
                    json.dumps({k: [r.__dict__ for r in v] for k, v in saved.items()})
                )
    print(f"\n{args.project}, load average now {os.getloadavg()[0]:.1f}")
    report(runs, slowed_runs, twin_runs)


if __name__ == "__main__":
    main()
