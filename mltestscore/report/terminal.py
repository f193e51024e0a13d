"""The terminal summary: what an engineer reads at the end of ``pytest --mlscore``."""

from __future__ import annotations

import textwrap

from mltestscore.rubric import MODIFIED_LABEL
from mltestscore.scorecard_model import PARTIAL_CONSEQUENCE, Item, Scorecard, partial_reasons
from mltestscore.scoring import Status

CREDIT_NOTE = {
    "passed": " (beyond the paper: tests must pass to earn credit)",
    "present": " (the paper-literal reading: a test that runs earns credit)",
}


def _num(value: float) -> str:
    return f"{value:g}"


def _bar(score: float, maximum: float, width: int = 14) -> str:
    filled = 0 if maximum <= 0 else round(width * score / maximum)
    return "█" * filled + "░" * (width - filled)


BAD_OUTCOMES = frozenset({"failed", "error"})


def _failing_reason(item: Item) -> str:
    for entry in item["evidence"]:
        if entry["kind"] == "test" and entry["outcome"] in BAD_OUTCOMES:
            return f"{entry['nodeid']} {entry['outcome']}"
        if entry["kind"] == "check" and entry["outcome"] in BAD_OUTCOMES:
            return f"{entry['check']} {entry['outcome']}: {entry['reason']}"
    return "a claiming test failed"


def partial_line(scorecard: Scorecard) -> str | None:
    """The one line that marks a partial run, or None for a full run."""
    reasons = partial_reasons(scorecard)
    if not reasons:
        return None
    return f"Partial run: {'; '.join(reasons)}. {PARTIAL_CONSEQUENCE}"


def summary_lines(scorecard: Scorecard, width: int = 100) -> list[str]:
    lines: list[str] = []
    partial = partial_line(scorecard)
    if partial is not None:
        lines.append(partial)
    rubric = scorecard["rubric"]
    mode = scorecard["credit_mode"]
    mode_note = CREDIT_NOTE.get(mode, "")
    modified = f" ({MODIFIED_LABEL})" if rubric.get("modified") else ""
    lines.append(f"rubric {rubric['id']}{modified}, credit mode {mode!r}{mode_note}")
    for section in scorecard["sections"]:
        counts = section["counts"]
        lines.append(
            f"{section['id']:<8} {_bar(section['score'], section['max'])} "
            f"{_num(section['score']):>4} / {_num(section['max'])}   "
            + ", ".join(f"{counts.get(status, 0)} {status}" for status in Status)
        )
    band = scorecard["band"]
    lines.append(
        f"ML Test Score: {_num(scorecard['score'])} (band {band['interval']}: {band['label']})"
    )
    weakest = [s for s in scorecard["sections"] if s["id"] in scorecard["weakest_sections"]]
    lines.append(
        "weakest section: " + ", ".join(f"{s['id']} ({_num(s['score'])})" for s in weakest)
    )
    failing = [item for item in scorecard["items"] if item["status"] == Status.FAILING]
    if failing:
        lines.append(f"{Status.FAILING} items:")
        lines.extend(f"  ✘ {item['id']}: {_failing_reason(item)}" for item in failing)
    expired = [item for item in scorecard["items"] if item["expired_attestations"]]
    if expired:
        lines.append("expired attestations (no longer counted):")
        for item in expired:
            for attestation in item["expired_attestations"]:
                lines.append(
                    f"  {item['id']}: dated {attestation['date']}, older than "
                    f"{scorecard['manual_max_age_days']} days"
                )
    if scorecard["next_steps"]:
        lines.append("next steps (what raises the final score most):")
        hints = {item["id"]: item["hints"] for item in scorecard["items"]}
        for number, step in enumerate(scorecard["next_steps"], start=1):
            lines.append(f"  {number}. {step['id']} {step['title']} ({step['status']})")
            lines.extend(f"     could be automated: {hint}" for hint in hints[step["id"]])
            lines.extend(
                textwrap.wrap(
                    step["remediation"],
                    width=max(width, 40),
                    initial_indent="     ",
                    subsequent_indent="     ",
                )
            )
    lines.extend(f"warning: {warning}" for warning in scorecard["warnings"])
    return lines
