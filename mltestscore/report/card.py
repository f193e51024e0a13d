"""A model card from a scorecard: ``mltestscore card``.

The layout is the one of Mitchell et al., "Model Cards for Model Reporting" (FAT* 2019):
model details, intended use, factors, metrics, evaluation data, training data, quantitative
analyses, ethical considerations, caveats and recommendations. The scorecard already holds
most of it: the metrics the checks measured, the quality per slice (model-6), the outcomes by
sensitive group (model-7), a prediction explained (infra-5), and what failed. What only the
team knows (who the model is for, what it must not be used for, where the data came from) is
left as an explicit placeholder for the team to write, never guessed.

Markdown is rendered from ``templates/model_card.md.j2``; every value the template prints
goes through :func:`markdown_text` (Jinja2's ``finalize``), so a column name or a reason
holding ``|``, ``<script>`` or a newline can neither break a table nor inject markup.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mltestscore.report.atomic import write_atomic
from mltestscore.scorecard_model import (
    CheckEvidence,
    Item,
    Scorecard,
    Table,
    is_partial,
    partial_reasons,
)

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
TEMPLATE = "model_card.md.j2"
PLACEHOLDER = "[TO BE WRITTEN BY THE TEAM]"
MAX_ROWS = 20  # per table; the JSON scorecard keeps them all

# The evidence each part of the card is drawn from: checks by name, items by rubric id.
METRIC_CHECKS = (
    "check_simpler_model_is_not_better",
    "check_serving_gate",
    "check_served_quality",
    "check_reproducible_training",
)
SLICE_ITEMS = ("model-6",)
FAIRNESS_ITEMS = ("model-7",)
EXPLANATION_ITEMS = ("infra-5",)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#!&~{}])")
_SPACE = re.compile(r"\s+")


def markdown_text(value: object) -> str:
    """``value`` as inline Markdown text: numbers to four significant digits, every
    character Markdown or HTML would read as syntax backslash-escaped, newlines folded."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "—" if math.isnan(value) else f"{value:.4g}"
    text = _SPACE.sub(" ", str(value)).strip()
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


@cache
def environment() -> jinja2.Environment:
    import jinja2
    from markupsafe import Markup

    def finalize(value: object) -> object:
        # A macro's output is Markup already (its values were escaped when it rendered);
        # every other value is escaped for Markdown and marked so autoescape leaves it.
        return value if isinstance(value, Markup) else Markup(markdown_text(value))

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # macro output stays Markup; finalize does the Markdown escaping
        finalize=finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _checks(items: Iterable[Item]) -> list[CheckEvidence]:
    return [e for item in items for e in item["evidence"] if e["kind"] == "check"]


def _table_view(table: Table) -> dict[str, Any]:
    rows = table["rows"]
    return {
        "title": table["title"],
        "columns": list(table["columns"]),
        "rows": [list(row) for row in rows[:MAX_ROWS]],
        "more": max(0, len(rows) - MAX_ROWS),
    }


def _findings(items: Sequence[Item], ids: Sequence[str]) -> list[dict[str, Any]]:
    """The check results of the items ``ids``: outcome, reason and tables."""
    return [
        {
            "check": e["check"],
            "outcome": e["outcome"],
            "reason": e["reason"],
            "tables": [_table_view(t) for t in e.get("tables", [])],
        }
        for e in _checks(i for i in items if i["id"] in ids)
    ]


def _metrics(items: Sequence[Item]) -> list[dict[str, Any]]:
    """Every number a metric check measured, one row each."""
    rows = []
    for evidence in _checks(items):
        if evidence["check"] not in METRIC_CHECKS:
            continue
        for name, value in (evidence.get("measurements") or {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                rows.append({"check": evidence["check"], "name": name, "value": value})
    return rows


def _limitations(items: Sequence[Item]) -> list[dict[str, Any]]:
    """The failing items, each with the reasons of its failing evidence."""
    found = []
    for item in items:
        if item["status"] != "failing":
            continue
        # A generated item is both a test and the check it ran: the check's reason says it
        # once; a project's own failing test has only its message.
        failed = [e for e in item["evidence"] if e["kind"] != "attestation"]
        failed = [e for e in failed if e["outcome"] in ("failed", "error")]
        reasons = [e["reason"] for e in failed if e["kind"] == "check"] or [
            e["message"] for e in failed if e["kind"] == "test"
        ]
        reasons = list(dict.fromkeys(reasons))
        found.append({"id": item["id"], "title": item["title"], "reasons": " / ".join(reasons)})
    return found


def card_view(scorecard: Scorecard, model_name: str | None = None) -> dict[str, Any]:
    """What the template renders: plain data drawn from the scorecard."""
    items = scorecard["items"]
    return {
        "model_name": model_name or PLACEHOLDER,
        "placeholder": PLACEHOLDER,
        "generated_at": scorecard["generated_at"],
        "commit": scorecard.get("commit"),
        "tool": scorecard["tool"],
        "rubric": scorecard["rubric"]["title"],
        "score": scorecard["score"],
        "max_score": scorecard["max_score"],
        "band": scorecard["band"],
        "partial": is_partial(scorecard),
        "partial_reasons": "; ".join(partial_reasons(scorecard)),
        "sections": scorecard["sections"],
        "metrics": _metrics(items),
        "slices": _findings(items, SLICE_ITEMS),
        "fairness": _findings(items, FAIRNESS_ITEMS),
        "explanations": _findings(items, EXPLANATION_ITEMS),
        "limitations": _limitations(items),
        "untested": ", ".join(i["id"] for i in items if i["status"] == "missing"),
    }


def render_card(scorecard: Scorecard, model_name: str | None = None) -> str:
    return environment().get_template(TEMPLATE).render(card=card_view(scorecard, model_name))


def write_card(
    scorecard: Scorecard, path: str | os.PathLike[str], model_name: str | None = None
) -> Path:
    return write_atomic(path, render_card(scorecard, model_name))
