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

from mltestscore.report.atomic import append_text, write_atomic
from mltestscore.report.text import neutralise
from mltestscore.scorecard_model import PARTIAL_CONSEQUENCE, Item, Scorecard, partial_reasons
from mltestscore.scoring import Status

STATUS_ICONS = {
    Status.AUTOMATED: "✅",
    Status.MANUAL: "📝",
    Status.FAILING: "❌",
    Status.MISSING: "⬜",
}
#: Outcomes of a test or check that count as a failure worth quoting.
BAD_OUTCOMES = frozenset({"failed", "error"})
# Inline Markdown that could change what a line shows; our text never starts a line, so
# block markers (#, -, 1.) need no escape.
_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


#: What GitHub would make live in plain text: bare URLs (autolinks) and @mentions (which
#: notify people). They are shown in code spans, where nothing is linked or notified.
_LIVE = re.compile(r"(?:https?://|ftp://|www\.)[^\s|`]+|(?<![\w`])@[\w/-]+", re.IGNORECASE)


def _escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", text)


def md_text(value: object, limit: int = 200) -> str:
    """Untrusted text as inert Markdown: one line, control and bidirectional characters
    made visible, HTML characters as entities, Markdown punctuation backslash-escaped, bare
    URLs and @mentions in code spans (never linked, nobody notified), cut to ``limit``
    characters."""
    text = neutralise(" ".join(str(value).split()))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    parts: list[str] = []
    start = 0
    for match in _LIVE.finditer(text):
        parts.append(_escape(text[start : match.start()]))
        parts.append("`" + match.group().replace("`", "'") + "`")
        start = match.end()
    parts.append(_escape(text[start:]))
    return "".join(parts)


def _num(value: float) -> str:
    return f"{value:g}"


def _signed(value: float) -> str:
    return f"+{value:g}" if value > 0 else f"{value:g}"


def _first_failure(item: Item) -> str:
    for entry in item["evidence"]:
        if entry["kind"] == "test" and entry["outcome"] in BAD_OUTCOMES:
            message = f": {md_text(entry['message'], 120)}" if entry.get("message") else ""
            return f"`{md_code(entry['nodeid'])}` {entry['outcome']}{message}"
        if entry["kind"] == "check" and entry["outcome"] in BAD_OUTCOMES:
            reason = md_text(entry["reason"], 160)
            return f"check `{md_code(entry['check'])}` {entry['outcome']}: {reason}"
    return "a claiming test failed"


def md_code(value: object, limit: int = 120) -> str:
    """Text for inside a code span: no backticks or line breaks can escape it."""
    text = neutralise(" ".join(str(value).split())).replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def partial_banner(scorecard: Scorecard) -> list[str]:
    """The lines that mark a partial run, first thing in the summary; none for a full run."""
    reasons = partial_reasons(scorecard)
    if not reasons:
        return []
    return [
        "> [!WARNING]",
        "> **Partial run**: " + "; ".join(md_text(reason, 200) for reason in reasons) + ".",
        f"> {PARTIAL_CONSEQUENCE}",
        "",
    ]


def render_markdown(scorecard: Scorecard, comparison: Mapping[str, Any] | None = None) -> str:
    band = scorecard["band"]
    commit = scorecard.get("commit")
    partial = " (partial run)" if partial_reasons(scorecard) else ""
    lines = [
        f"## ML Test Score: {_num(scorecard['score'])} / {_num(scorecard['max_score'])}{partial}",
        "",
        *partial_banner(scorecard),
        f"**Band {md_text(band['interval'])}**: {md_text(band['label'])}. "
        f"Rubric {md_text(scorecard['rubric']['title'])}, credit mode "
        f"`{md_code(scorecard['credit_mode'])}`"
        + (f", commit `{md_code(commit[:12])}`" if commit else "")
        + ".",
        "",
        "| section | score | " + " | ".join(Status) + " |",
        "|---|---:|" + "---:|" * len(Status),
    ]
    weakest = set(scorecard["weakest_sections"])
    for section in scorecard["sections"]:
        counts = section["counts"]
        name = md_text(section["title"])
        name = f"**{name}** (weakest)" if section["id"] in weakest else name
        lines.append(
            f"| {name} | {_num(section['score'])} / {_num(section['max'])} | "
            + " | ".join(str(counts.get(status, 0)) for status in Status)
            + " |"
        )
    failing = [i for i in scorecard["items"] if i["status"] == Status.FAILING]
    if failing:
        lines += ["", f"**{Status.FAILING.capitalize()} ({len(failing)})**", ""]
        lines += [
            f"- {STATUS_ICONS[Status.FAILING]} **{md_text(i['id'])}** {md_text(i['title'])}: "
            f"{_first_failure(i)}"
            for i in failing
        ]
    missing = [i for i in scorecard["items"] if i["status"] == Status.MISSING]
    if missing:
        lines += [
            "",
            f"**{Status.MISSING.capitalize()} ({len(missing)})**: "
            + ", ".join(md_text(i["id"]) for i in missing),
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
    return append_text(path, text if text.endswith("\n") else text + "\n")
