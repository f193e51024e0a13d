"""The Markdown summary: short enough for a pull-request comment or a CI job summary.

It shows the score and band, the sections, the failing items with their first failure, the
missing items by id, the next steps and, when a base was given, what changed. Text from the
run is escaped so a test name cannot inject Markdown or HTML into the comment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mltestscore.report.atomic import write_atomic
from mltestscore.scorecard import Scorecard

STATUS_ICONS = {"automated": "✅", "manual": "📝", "failing": "❌", "missing": "⬜"}
# Inline Markdown that could change what a line shows; our text never starts a line, so
# block markers (#, -, 1.) need no escape.
_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md_text(value: object, limit: int = 200) -> str:
    """Untrusted text as inert Markdown: one line, HTML characters as entities, Markdown
    punctuation backslash-escaped, cut to ``limit`` characters."""
    text = " ".join(str(value).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", text)


def _num(value: float) -> str:
    return f"{value:g}"


def _signed(value: float) -> str:
    return f"+{value:g}" if value > 0 else f"{value:g}"


def _first_failure(item: Mapping[str, Any]) -> str:
    for entry in item["evidence"]:
        if entry["kind"] == "test" and entry["outcome"] in {"failed", "error"}:
            message = f": {md_text(entry['message'], 120)}" if entry.get("message") else ""
            return f"`{md_code(entry['nodeid'])}` {entry['outcome']}{message}"
        if entry["kind"] == "check" and entry["outcome"] in {"failed", "error"}:
            reason = md_text(entry["reason"], 160)
            return f"check `{md_code(entry['check'])}` {entry['outcome']}: {reason}"
    return "a claiming test failed"


def md_code(value: object, limit: int = 120) -> str:
    """Text for inside a code span: no backticks or line breaks can escape it."""
    text = " ".join(str(value).split()).replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_markdown(scorecard: Scorecard, comparison: Mapping[str, Any] | None = None) -> str:
    band = scorecard["band"]
    lines = [
        f"## ML Test Score: {_num(scorecard['score'])} / {_num(scorecard['max_score'])}",
        "",
        f"**Band {md_text(band['interval'])}**: {md_text(band['label'])}. "
        f"Rubric {md_text(scorecard['rubric']['title'])}, credit mode "
        f"`{md_code(scorecard['credit_mode'])}`"
        + (f", commit `{md_code(scorecard['commit'][:12])}`" if scorecard.get("commit") else "")
        + ".",
        "",
        "| section | score | automated | manual | failing | missing |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    weakest = set(scorecard["weakest_sections"])
    for section in scorecard["sections"]:
        counts = section["counts"]
        name = md_text(section["title"])
        name = f"**{name}** (weakest)" if section["id"] in weakest else name
        lines.append(
            f"| {name} | {_num(section['score'])} / {_num(section['max'])} | "
            f"{counts['automated']} | {counts['manual']} | {counts['failing']} | "
            f"{counts['missing']} |"
        )
    failing = [i for i in scorecard["items"] if i["status"] == "failing"]
    if failing:
        lines += ["", f"**Failing ({len(failing)})**", ""]
        lines += [
            f"- {STATUS_ICONS['failing']} **{md_text(i['id'])}** {md_text(i['title'])}: "
            f"{_first_failure(i)}"
            for i in failing
        ]
    missing = [i for i in scorecard["items"] if i["status"] == "missing"]
    if missing:
        lines += [
            "",
            f"**Missing ({len(missing)})**: " + ", ".join(md_text(i["id"]) for i in missing),
        ]
    expired = [i for i in scorecard["items"] if i["expired_attestations"]]
    if expired:
        lines += [
            "",
            "**Expired attestations** (no longer counted): "
            + ", ".join(md_text(i["id"]) for i in expired),
        ]
    if scorecard["next_steps"]:
        lines += ["", "**Next steps**", ""]
        lines += [
            f"{n}. **{md_text(s['id'])}** {md_text(s['title'])} ({s['status']}): "
            f"{md_text(s['remediation'], 240)}"
            for n, s in enumerate(scorecard["next_steps"], start=1)
        ]
    if comparison:
        lines += ["", *comparison_markdown(comparison)]
    notes = [*scorecard["departures"], *scorecard["warnings"]]
    if notes:
        lines += ["", "<details><summary>Departures from the paper and warnings</summary>", ""]
        lines += [f"- {md_text(note, 400)}" for note in notes]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def comparison_markdown(comparison: Mapping[str, Any]) -> list[str]:
    base = comparison["base"]
    head = f"**Compared with {md_text(base['label'])}**"
    if base.get("commit"):
        head += f" (commit `{md_code(base['commit'][:12])}`)"
    if not comparison["comparable"]:
        return [f"{head}: {md_text(comparison['reason'], 300)}"]
    final = comparison["final"]
    lines = [
        f"{head}: final {_num(final['before'])} → {_num(final['after'])} "
        f"({_signed(final['delta'])})",
        "",
    ]
    changed = [s for s in comparison["sections"] if s["delta"]]
    lines += [
        f"- {md_text(s['id'])}: {_num(s['before'])} → {_num(s['after'])} ({_signed(s['delta'])})"
        for s in changed
    ]
    lines += [
        f"- {md_text(i['id'])}: {i['before']} → {i['after']}"
        + (" ⚠️" if i["change"] == "worse" else "")
        for i in comparison["items"]
    ]
    if not changed and not comparison["items"]:
        lines.append("- no section or item changed")
    if comparison["regressions"]:
        lines += ["", "**Regression**: " + md_text("; ".join(comparison["regressions"]), 400)]
    return lines


def write_markdown(
    scorecard: Scorecard,
    path: str | os.PathLike[str],
    comparison: Mapping[str, Any] | None = None,
) -> Path:
    return write_atomic(path, render_markdown(scorecard, comparison))


def append_step_summary(text: str, path: str | os.PathLike[str]) -> Path:
    """Append to the GitHub Actions job summary file (``$GITHUB_STEP_SUMMARY``)."""
    target = Path(path)
    with target.open("a", encoding="utf-8", newline="\n") as handle:
        handle.write(text if text.endswith("\n") else text + "\n")
    return target
