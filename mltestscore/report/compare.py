"""Compare a run with a base scorecard (say, the JSON from the main branch) and gate on it.

A *regression* is what the no-regression gate fails on: the final score, or any section
score, lower than in the base. Item changes ("model-6: automated → failing") are listed for
people to read; an item may get worse while its section holds (another item improved), and
that alone is not a regression of the score.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mltestscore.scorecard import Scorecard

Comparison = dict[str, Any]


def _partial_reasons(scorecard: Scorecard) -> str:
    selection = scorecard.get("selection")
    reasons = selection["reasons"] if selection else []
    return "; ".join(str(r) for r in reasons) or "not the whole suite"


def partial_base_problem(
    scorecard: Scorecard, label: str | os.PathLike[str] = "the base"
) -> str | None:
    """Why a scorecard cannot be a comparison base, or None: a partial run's score is not
    the project's, and a gate against it would pass or fail by accident."""
    if not scorecard.get("partial", False):
        return None
    return (
        f"{label} is a partial scorecard ({_partial_reasons(scorecard)}): it is not the "
        "project's score and cannot be a comparison base; compare with a full run's scorecard"
    )


def partial_run_problem(scorecard: Scorecard) -> str | None:
    """Why a scorecard cannot be compared with a base (or gated on), or None."""
    if not scorecard.get("partial", False):
        return None
    return f"this run is partial ({_partial_reasons(scorecard)}): its score is not the project's"


def _number(value: float) -> str:
    return f"{value:g}"


def _signed(value: float) -> str:
    return f"+{value:g}" if value > 0 else f"{value:g}"


def _delta(before: float, after: float) -> float:
    return round(after - before, 9) + 0.0


def compare_scorecards(
    base: Scorecard, current: Scorecard, base_label: str | os.PathLike[str] = "base"
) -> Comparison:
    """Per-section and per-item changes from ``base`` to ``current``, and the regressions."""
    label = Path(base_label).name if isinstance(base_label, os.PathLike) else str(base_label)
    comparison: Comparison = {
        "base": {
            "label": label,
            "generated_at": base["generated_at"],
            "commit": base.get("commit"),
            "rubric": base["rubric"]["id"],
        },
        "comparable": True,
        "reason": None,
        "final": {
            "before": base["score"],
            "after": current["score"],
            "delta": _delta(base["score"], current["score"]),
        },
        "sections": [],
        "items": [],
        "regressions": [],
    }
    if base["rubric"]["id"] != current["rubric"]["id"]:
        comparison["comparable"] = False
        comparison["reason"] = (
            f"{label} was scored with rubric {base['rubric']['id']}, this run with "
            f"{current['rubric']['id']}: the scores are not comparable."
        )
        return comparison
    if bool(base["rubric"].get("modified")) != bool(current["rubric"].get("modified")):
        # Same id, other content: an own rubric calling itself the official one (easier
        # points would pass the gate against an official base).
        which = ("this run", label) if current["rubric"].get("modified") else (label, "this run")
        comparison["comparable"] = False
        comparison["reason"] = (
            f"{which[0]} was scored with a modified {current['rubric']['id']} rubric (not the "
            f"official one), {which[1]} with the official one: the scores are not comparable."
        )
        return comparison
    base_sections: dict[str, Mapping[str, Any]] = {s["id"]: s for s in base["sections"]}
    for section in current["sections"]:
        before = base_sections.get(section["id"], {}).get("score", 0.0)
        comparison["sections"].append(
            {
                "id": section["id"],
                "title": section["title"],
                "before": before,
                "after": section["score"],
                "delta": _delta(before, section["score"]),
            }
        )
    base_items = {i["id"]: i for i in base["items"]}
    for item in current["items"]:
        old = base_items.get(item["id"])
        before_status = old["status"] if old else "absent"
        if before_status == item["status"]:
            continue
        before_points = old["points"] if old else 0.0
        change = (
            "better"
            if item["points"] > before_points
            else "worse"
            if item["points"] < before_points
            else "changed"
        )
        comparison["items"].append(
            {
                "id": item["id"],
                "title": item["title"],
                "before": before_status,
                "after": item["status"],
                "change": change,
            }
        )
    final = comparison["final"]
    if final["delta"] < 0:
        comparison["regressions"].append(
            f"final score {_number(final['before'])} → {_number(final['after'])}"
        )
    comparison["regressions"].extend(
        f"{s['id']} {_number(s['before'])} → {_number(s['after'])}"
        for s in comparison["sections"]
        if s["delta"] < 0
    )
    return comparison


def comparison_lines(comparison: Comparison) -> list[str]:
    """The comparison as terminal lines: final score, changed sections, changed items."""
    base = comparison["base"]
    commit = f" (commit {base['commit'][:12]})" if base.get("commit") else ""
    if not comparison["comparable"]:
        return [f"compared with {base['label']}{commit}: {comparison['reason']}"]
    final = comparison["final"]
    lines = [
        f"compared with {base['label']}{commit}: final {_number(final['before'])} → "
        f"{_number(final['after'])} ({_signed(final['delta'])})"
    ]
    lines.extend(
        f"  {s['id']:<8} {_number(s['before'])} → {_number(s['after'])} ({_signed(s['delta'])})"
        for s in comparison["sections"]
        if s["delta"]
    )
    lines.extend(
        f"  {i['id']}: {i['before']} → {i['after']}"
        + (" (worse)" if i["change"] == "worse" else "")
        for i in comparison["items"]
    )
    if len(lines) == 1:
        lines.append("  no section or item changed")
    return lines


def regression_message(comparison: Comparison) -> str | None:
    """What the no-regression gate reports, or None when nothing regressed."""
    if not comparison["regressions"]:
        return None
    return f"the score regressed against {comparison['base']['label']}: " + "; ".join(
        comparison["regressions"]
    )
