"""The scorecard: one data model every report renders (terminal, JSON, HTML, Markdown).

``build_scorecard`` joins the rubric, the test runs and the attestations, scores them with
:mod:`mltestscore.scoring`, and returns a JSON-ready dict whose shape is fixed by
``schemas/scorecard.schema.json`` (versioned by ``SCHEMA_VERSION``).
"""

from __future__ import annotations

import os
import subprocess
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from mltestscore import __version__
from mltestscore.evidence import TEST_OUTCOMES, Attestation, TestRun
from mltestscore.rubric import Rubric
from mltestscore.scorecard_model import (
    CheckEvidence,
    Evidence,
    Item,
    Measurement,
    PytestEvidence,
    Scorecard,
    Selection,
)
from mltestscore.scoring import (
    CreditMode,
    Signal,
    Status,
    final_score,
    item_points,
    next_steps,
    section_scores,
    signal_of_check,
    signal_of_test,
    statuses_from_signals,
    weakest_sections,
)

SCHEMA_VERSION = 1

__all__ = ["SCHEMA_VERSION", "Scorecard", "build_scorecard", "departures_from_paper", "git_commit"]


def departures_from_paper(
    credit_mode: CreditMode, max_age_days: int, attestations: Sequence[Attestation]
) -> list[str]:
    """What this run does that the paper does not, so every report can say so."""
    notes = []
    if credit_mode is CreditMode.PASSED:
        notes.append(
            "Credit mode 'passed' (this tool's default, stricter than the paper): an item "
            "earns automated credit only when its tests pass, and a failing test makes it "
            'failing. The paper credits a test that runs; set mlscore_credit = "present" '
            "for that reading."
        )
    else:
        notes.append(
            "Credit mode 'present' (the paper-literal reading): a claiming test that ran "
            "earns automated credit whatever its outcome."
        )
    if attestations:
        notes.append(
            f"Manual attestations expire after {max_age_days} days (manual_max_age_days); "
            "the paper sets no expiry."
        )
    return notes


def git_commit(root: Path) -> str | None:
    """The commit being scored: CI's variable when set, else the checkout's HEAD."""
    for variable in ("GITHUB_SHA", "CI_COMMIT_SHA", "BUILD_VCS_NUMBER"):
        if os.environ.get(variable):
            return os.environ[variable]
    if os.environ.get("GIT_DIR"):
        return _head_from_git(root)  # git is told where the repository is: ask git
    git_dir = next(
        (folder / ".git" for folder in (root, *root.parents) if (folder / ".git").exists()), None
    )
    if git_dir is None:
        return None  # not a checkout: no git process to start
    return _head_from_files(git_dir) or _head_from_git(root)


def _head_from_files(git_dir: Path) -> str | None:
    """HEAD read from ``.git`` itself, for the common layout (a branch or a detached head in
    a plain checkout): a fraction of the cost of starting ``git``. None for anything else
    (worktrees, submodules, unusual refs), which :func:`_head_from_git` then answers."""
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref: "):
            return head if _is_sha(head) else None
        ref = head.removeprefix("ref: ")
        loose = git_dir / ref
        if loose.is_file():
            commit = loose.read_text(encoding="utf-8").strip()
            return commit if _is_sha(commit) else None
        for line in (git_dir / "packed-refs").read_text(encoding="utf-8").splitlines():
            commit, _, name = line.partition(" ")
            if name == ref and _is_sha(commit):
                return commit
    except OSError:  # .git is a file (a worktree), or refs are elsewhere
        return None
    return None


def _is_sha(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def _head_from_git(root: Path) -> str | None:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else None


def _test_entry(run: TestRun, item_id: str) -> PytestEvidence:
    return {
        "kind": "test",
        "nodeid": run.nodeid,
        "outcome": run.outcome,
        "duration": round(run.duration, 6),
        "message": run.message,
        "via": run.claimed_by.get(item_id, "marker"),
        "measurements": [
            cast(Measurement, dict(m)) for m in run.measurements if m.get("item") in (None, item_id)
        ],
    }


def _check_entry(run: TestRun, check: Mapping[str, Any]) -> CheckEvidence:
    """A check's recorded result (``CheckResult.to_dict``) as evidence of its items."""
    return cast(CheckEvidence, {"kind": "check", "nodeid": run.nodeid, **check})


def _selection_record(selection: Mapping[str, Any]) -> Selection:
    """The schema's ``selection`` object from what the session measured: only its keys,
    with the types the schema gives them."""
    record: Selection = {"reasons": [str(reason) for reason in selection.get("reasons", ())]}
    if selection.get("args") is not None:
        record["args"] = [str(arg) for arg in selection["args"]]
    if selection.get("deselected") is not None:
        record["deselected"] = int(selection["deselected"])
    if selection.get("not_run") is not None:
        record["not_run"] = int(selection["not_run"])
    return record


def build_scorecard(
    rubric: Rubric,
    runs: Sequence[TestRun],
    attestations: Sequence[Attestation],
    credit_mode: CreditMode = CreditMode.PASSED,
    max_age_days: int = 365,
    commit: str | None = None,
    warnings: Sequence[str] = (),
    now: datetime | None = None,
    hints: Mapping[str, Sequence[str]] | None = None,
    other_passed: int = 0,
    selection: Mapping[str, Any] | None = None,
) -> Scorecard:
    """``hints``: per item id, how it could be automated here (for example "set
    `serving = ...` in [tool.mltestscore]"), shown next to items that are not automated.
    ``other_passed``: tests that passed without claiming or recording anything, counted in
    the totals only (the session does not keep a run for each of them).
    ``selection``: for a run that did not run the whole suite, why (``reasons``, and the
    ``args``, ``deselected`` and ``not_run`` counts when known); None for a full run. The
    scorecard is then marked ``partial`` and every report says so."""
    signals: dict[str, list[Signal]] = defaultdict(list)
    evidence: dict[str, list[Evidence]] = defaultdict(list)
    for run in sorted(runs, key=lambda r: r.nodeid):
        for item_id in run.claims:
            signals[item_id].append(signal_of_test(run.outcome, credit_mode))
            evidence[item_id].append(_test_entry(run, item_id))
        for check in run.checks:
            for item_id in check["rubric_ids"]:
                signals[item_id].append(signal_of_check(check["outcome"], credit_mode))
                evidence[item_id].append(_check_entry(run, check))
    valid = [a for a in attestations if not a.expired]
    for attestation in valid:
        evidence[attestation.item].append(attestation.to_dict())

    statuses = statuses_from_signals(rubric, signals, (a.item for a in valid))
    sections = section_scores(rubric, statuses)
    score = final_score(sections)
    band_index = rubric.band_index(score)
    plan = next_steps(rubric, statuses)

    items: list[Item] = []
    for item in rubric.items:
        status = statuses[item.id]
        items.append(
            {
                "id": item.id,
                "section": item.section,
                "title": item.title,
                "status": status.value,
                "points": item_points(status, rubric),
                "max_points": rubric.points.automated,
                "guidance": item.guidance,
                "remediation": item.remediation,
                "evidence": evidence.get(item.id, []),
                "expired_attestations": [
                    a.to_dict() for a in attestations if a.item == item.id and a.expired
                ],
                "hints": list((hints or {}).get(item.id, ()))
                if status is not Status.AUTOMATED
                else [],
            }
        )
    counts_by_section = {
        section.id: Counter(statuses[i.id].value for i in section.items)
        for section in rubric.sections
    }
    outcome_counts = Counter(run.outcome for run in runs)
    outcome_counts["passed"] += other_passed
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "mltestscore", "version": __version__},
        "generated_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "commit": commit,
        "rubric": {
            "id": rubric.id,
            "title": rubric.title,
            "source": rubric.source,
            "fingerprint": rubric.fingerprint,
            "modified": rubric.modified,
            "points": {
                "missing": rubric.points.missing,
                "manual": rubric.points.manual,
                "automated": rubric.points.automated,
            },
            "bands": [
                {"label": band.label, "interval": rubric.band_interval(i)}
                for i, band in enumerate(rubric.bands)
            ],
        },
        "credit_mode": credit_mode.value,
        "manual_max_age_days": max_age_days,
        "departures": departures_from_paper(credit_mode, max_age_days, attestations),
        "score": score,
        "max_score": min(rubric.section_max(s) for s in rubric.sections),
        "band": {
            "index": band_index,
            "label": rubric.bands[band_index].label,
            "interval": rubric.band_interval(band_index),
        },
        "sections": [
            {
                "id": section.id,
                "title": section.title,
                "score": sections[section.id],
                "max": rubric.section_max(section),
                "counts": {s.value: counts_by_section[section.id].get(s.value, 0) for s in Status},
            }
            for section in rubric.sections
        ],
        "weakest_sections": weakest_sections(sections),
        "items": items,
        "next_steps": [
            {
                "id": step.item_id,
                "title": rubric.item(step.item_id).title,
                "status": step.status.value,
                "remediation": rubric.item(step.item_id).remediation,
                "final_after": step.final_after,
                "gain": step.gain,
            }
            for step in plan
        ],
        "tests": {
            "total": len(runs) + other_passed,
            "claiming": sum(1 for run in runs if run.claims or run.checks),
            **{outcome: outcome_counts.get(outcome, 0) for outcome in TEST_OUTCOMES},
        },
        "warnings": [*rubric.notices, *warnings],
        "partial": selection is not None,
        "selection": None if selection is None else _selection_record(selection),
    }
