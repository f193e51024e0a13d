"""Run the corpus: build each project variant, score it with ``pytest --mlscore`` in a fresh
process, read the item outcomes from the JSON scorecard, and judge them against the targets.

- a clean project: every generated item that failed or errored is a false failure (target 0);
- a planted defect: caught when, for every rubric id it must be caught by, a generated item of
  that id failed (an error is not a catch: it says nothing about the defect).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.corpus import builder
from tests.corpus.defects import DEFECTS, Defect
from tests.corpus.projects import FLAVOURED, PROJECTS, Project

GENERATED = "mlscore::"
PYTEST_TIMEOUT_S = 600
# The computing-performance check compares a run with earlier ones: the slowed model is
# planted after this many runs of the clean model.
PERFORMANCE_BASELINE_RUNS = 3


@dataclass(frozen=True)
class ItemOutcome:
    nodeid: str
    outcome: str  # passed / failed / error / skipped
    reason: str


@dataclass
class Run:
    """One ``pytest --mlscore`` run of a project variant."""

    project: str
    variant: str  # "clean" or a defect name
    exit_code: int
    seconds: float
    items: dict[str, ItemOutcome] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    # failures on a clean project the harness verified independently (tests/corpus/verify.py):
    # node id -> the verification's figures; and those it could not verify, with why
    findings: dict[str, str] = field(default_factory=dict)
    unverified: dict[str, str] = field(default_factory=dict)
    # the target-leakage screen on the training split (beyond the paper; verify.py)
    screen: dict[str, Any] = field(default_factory=dict)

    def with_outcome(self, *outcomes: str) -> list[ItemOutcome]:
        return [item for item in self.items.values() if item.outcome in outcomes]

    def false_failures(self) -> list[ItemOutcome]:
        """Failed or errored items but the true findings the harness verified."""
        return [i for i in self.with_outcome("failed", "error") if i.nodeid not in self.findings]


@dataclass(frozen=True)
class Verdict:
    project: str
    defect: str
    strength: str
    must_catch: tuple[str, ...]
    caught: bool | None  # None: not plantable in this project (evidence says why)
    evidence: str  # the catching items' reasons, or what happened instead
    # the target-leakage screen on the variant's training split (beyond the paper; credits
    # no rubric item and never makes a defect caught)
    screen: dict[str, Any] = field(default_factory=dict)

    @property
    def said_not_measurable(self) -> bool:
        """Not caught, and the item that must catch it said it cannot measure it here
        (a skip whose reason starts "not measurable here"), rather than passing."""
        said = re.search(r" (skipped|not_applicable): not measurable here", self.evidence)
        return self.caught is False and said is not None

    @property
    def label(self) -> str:
        if self.caught is None:
            return "not planted"
        if self.caught:
            return "caught"
        return "not measurable, said so" if self.said_not_measurable else "**missed**"


def _environment() -> dict[str, str]:
    return dict(
        os.environ,
        PYTHONHASHSEED="0",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )


def read_items(scorecard: dict[str, Any]) -> dict[str, ItemOutcome]:
    """The generated items' outcomes and reasons from a JSON scorecard, one per node id."""
    outcomes: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for item in scorecard.get("items", []):
        for evidence in item.get("evidence", []):
            nodeid = str(evidence.get("nodeid") or "")
            if not nodeid.startswith(GENERATED):
                continue
            if evidence.get("kind") == "test":
                outcomes[nodeid] = str(evidence.get("outcome"))
                reasons.setdefault(nodeid, str(evidence.get("message") or ""))
            elif evidence.get("kind") == "check" and evidence.get("reason"):
                reasons[nodeid] = str(evidence["reason"])
                outcomes.setdefault(nodeid, str(evidence.get("outcome")))
    return {
        nodeid: ItemOutcome(nodeid, outcome, reasons.get(nodeid, ""))
        for nodeid, outcome in sorted(outcomes.items())
    }


def score(folder: Path, project: str, variant: str, select: str | None = None) -> Run:
    """``pytest --mlscore`` in ``folder`` (only the items matching ``select``)."""
    report = folder / "reports" / "mlscore.json"
    command = [sys.executable, "-m", "pytest", "--mlscore", "-q", f"--mlscore-json={report}"]
    if select:
        command += ["-k", select]
    started = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=folder,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=PYTEST_TIMEOUT_S,
        check=False,
    )
    run = Run(project, variant, done.returncode, time.perf_counter() - started)
    if report.is_file():
        run.items = read_items(json.loads(report.read_text()))
    if not run.items:
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        run.notes["no items"] = " / ".join(tail)
    return run


def run_clean(spec: Project, workdir: Path) -> Run:
    """The clean project scored; a failed data-2 item verified by a drop-column refit, and
    the leakage screen measured (tests/corpus/verify.py)."""
    from tests.corpus.verify import DATA_2, leakage_screen, verify_data_2

    build = builder.prepare(spec, None)
    folder = builder.write(build, workdir / spec.name / "clean")
    run = score(folder, spec.name, "clean")
    failed = run.items.get(DATA_2)
    if failed is not None and failed.outcome == "failed":
        verified, evidence = verify_data_2(spec, build.train, failed.reason)
        (run.findings if verified else run.unverified)[DATA_2] = evidence
    run.screen = leakage_screen(spec, build.train, [*build.numeric, *build.categorical])
    return run


def _caught(run: Run, defect: Defect, column: str | None, clean: Run | None) -> tuple[bool, str]:
    """Caught when an item of each must-catch id failed and the failure is the defect's: its
    reason names the planted column, or the same item passed on the clean project (a failure
    the clean project shows too cannot be credited to the defect)."""
    found: list[str] = []
    clean_passed = {
        item.nodeid for item in (clean.with_outcome("passed", "skipped") if clean else [])
    }
    for rubric_id in defect.must_catch:
        failed = [
            item
            for item in run.with_outcome("failed")
            if item.nodeid.startswith(f"{GENERATED}{rubric_id}::")
            and (
                defect.reason_must_match is None or re.search(defect.reason_must_match, item.reason)
            )
        ]
        attributable = [
            item
            for item in failed
            if (column is not None and column in item.reason) or item.nodeid in clean_passed
        ]
        if failed and not attributable:
            return False, "not attributable (the clean project fails it too): " + "; ".join(
                f"{item.nodeid}: {item.reason}" for item in failed
            )
        failed = attributable
        if not failed:
            others = [
                f"{item.nodeid} {item.outcome}: {item.reason}"
                for item in run.items.values()
                if item.nodeid.startswith(f"{GENERATED}{rubric_id}::")
            ]
            return False, "; ".join(others) or run.notes.get("no items", "no item ran")
        found += [f"{item.nodeid}: {item.reason}" for item in failed]
    for rubric_id in defect.also_reported:
        found += [
            f"(also, not required) {item.nodeid} {item.outcome}: {item.reason}"
            for item in run.items.values()
            if item.nodeid.startswith(f"{GENERATED}{rubric_id}::")
        ]
    return True, "; ".join(found)


def run_defect(
    spec: Project, defect: Defect, workdir: Path, clean: Run | None = None
) -> tuple[Verdict, list[Run]]:
    build = builder.prepare(spec, defect)
    why_not = defect.not_plantable(build) if defect.not_plantable else None
    if why_not:
        return Verdict(spec.name, defect.name, "not planted", defect.must_catch, None, why_not), []
    folder = builder.write(build, workdir / spec.name / defect.name)
    runs: list[Run] = []
    if defect.name == "slow":
        # The clean run measured this model once already: its history is the first baseline.
        history = workdir / spec.name / "clean" / "models" / "performance-history.jsonl"
        if clean is not None and history.is_file():
            shutil.copy(history, folder / "models" / history.name)
            kept = history.parent / "performance-baseline"  # the baseline's model, its copy
            if kept.is_dir():
                shutil.copytree(kept, folder / "models" / kept.name, dirs_exist_ok=True)
        for number in range(PERFORMANCE_BASELINE_RUNS - (1 if clean is not None else 0)):
            runs.append(score(folder, spec.name, f"slow-baseline-{number + 1}", defect.select))
        builder.register_slowed_model(build, folder)
        build.notes["strength"] = "2x predict work (two-member voting ensemble, same model)"
    runs.append(score(folder, spec.name, defect.name, defect.select))
    column = build.notes.get("column")
    caught, evidence = _caught(runs[-1], defect, None if column is None else str(column), clean)
    screen: dict[str, Any] = {}
    if defect.name == "leakage":
        from tests.corpus.verify import leakage_screen

        screen = leakage_screen(spec, build.train, [*build.numeric, *build.categorical])
    verdict = Verdict(
        spec.name,
        defect.name,
        str(build.notes.get("strength", "")),
        defect.must_catch,
        caught,
        evidence,
        screen,
    )
    return verdict, runs


@dataclass
class CorpusResult:
    clean: list[Run] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    sweeps: list[object] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def false_failures(self) -> int:
        """Failed or errored items on the clean projects, the verified findings excepted."""
        return sum(len(run.false_failures()) for run in self.clean)

    @property
    def true_findings(self) -> int:
        """Failures on the clean projects the harness verified independently."""
        return sum(len(run.findings) for run in self.clean)

    @property
    def missed(self) -> int:
        """Not caught, the not-measurable ones included (they are not caught either)."""
        return sum(verdict.caught is False for verdict in self.verdicts)

    @property
    def said_not_measurable(self) -> int:
        return sum(verdict.said_not_measurable for verdict in self.verdicts)

    @property
    def planted(self) -> int:
        return sum(verdict.caught is not None for verdict in self.verdicts)


def run_corpus(
    only: Sequence[str] = (),
    defects: Sequence[str] = (),
    sweeps: bool = True,
    projects: bool = True,
    workdir: Path | None = None,
    progress: bool = True,
    after_each: Callable[[CorpusResult], None] | None = None,
) -> CorpusResult:
    """Run the clean projects, their defect variants and the sweeps; ``only`` limits the
    projects, ``defects`` the defects (empty: all). The LightGBM and XGBoost flavours
    (``FLAVOURED``) run only when ``only`` names them."""
    started, cpu_started = time.perf_counter(), _cpu()
    result = CorpusResult()
    selected = (
        [spec for spec in (*PROJECTS, *FLAVOURED) if spec.name in only] if only else [*PROJECTS]
    )
    with tempfile.TemporaryDirectory(prefix="mltestscore-corpus-") as temporary:
        root = workdir or Path(temporary)
        # Every clean project first: the false failures are the first thing to read.
        for spec in selected if projects else ():
            run = run_clean(spec, root)
            result.clean.append(run)
            _say(progress, f"{spec.name} clean: {len(run.with_outcome('failed', 'error'))} "
                 f"failing of {len(run.items)} items ({run.seconds:.0f} s)")  # fmt: skip
            _progress(result, started, cpu_started, after_each)
        for spec, clean in zip(selected if projects else (), result.clean, strict=True):
            for defect in DEFECTS:
                if defects and defect.name not in defects:
                    continue
                verdict, runs = run_defect(spec, defect, root, clean)
                result.verdicts.append(verdict)
                seconds = sum(r.seconds for r in runs)
                _say(progress, f"{spec.name} {defect.name}: "
                     f"{ {True: 'caught', False: 'MISSED', None: 'not planted'}[verdict.caught]} ({seconds:.0f} s)")  # fmt: skip
                _progress(result, started, cpu_started, after_each)
    if sweeps:
        from tests.corpus.sweeps import bias_sweep, drift_sweep

        for make in (drift_sweep, bias_sweep):
            sweep_started = time.perf_counter()
            result.sweeps.append(make())
            _say(progress, f"{make.__name__}: {time.perf_counter() - sweep_started:.0f} s")
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = _cpu() - cpu_started
    return result


def _progress(
    result: CorpusResult,
    started: float,
    cpu_started: float,
    after_each: Callable[[CorpusResult], None] | None,
) -> None:
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = _cpu() - cpu_started
    if after_each is not None:
        after_each(result)


def _cpu() -> float:
    own, children = os.times()[:2], os.times()[2:4]
    return float(sum(own) + sum(children))


def _say(enabled: bool, text: str) -> None:
    if enabled:
        print(text, file=sys.stderr, flush=True)


def save(result: CorpusResult, path: Path) -> None:
    """The result as JSON, so runs of parts of the corpus can be combined into one table."""
    from dataclasses import asdict

    path.write_text(json.dumps(asdict(result), indent=1))


def load(path: Path) -> CorpusResult:
    from tests.corpus.sweeps import Sweep, SweepCell

    data = json.loads(path.read_text())
    result = CorpusResult(seconds=data["seconds"], cpu_seconds=data["cpu_seconds"])
    for run in data["clean"]:
        items = {k: ItemOutcome(**v) for k, v in run.pop("items").items()}
        result.clean.append(Run(**run, items=items))
    result.verdicts = [
        Verdict(**{**v, "must_catch": tuple(v["must_catch"])}) for v in data["verdicts"]
    ]
    result.sweeps = [
        Sweep(s["name"], s["effect_label"], tuple(SweepCell(**c) for c in s["cells"]))
        for s in data["sweeps"]
    ]
    return result


def combine(results: Sequence[CorpusResult]) -> CorpusResult:
    """One result from runs of parts of the corpus (times add up: the parts ran side by side
    or one after another, either way that is the work done)."""
    combined = CorpusResult()
    for part in results:
        combined.clean += part.clean
        combined.verdicts += part.verdicts
        combined.sweeps += part.sweeps
        combined.seconds += part.seconds
        combined.cpu_seconds += part.cpu_seconds
    order = [spec.name for spec in (*PROJECTS, *FLAVOURED)]
    combined.clean.sort(key=lambda run: order.index(run.project))
    combined.verdicts.sort(key=lambda verdict: order.index(verdict.project))
    return combined
