"""The HTML scorecard: one self-contained page rendered from the scorecard model.

Python prepares a *view* of the scorecard (plain strings and numbers: clipped texts, chart
geometry, safe links) and the Jinja2 templates in ``mltestscore/templates`` turn it into
markup with autoescaping on, so nothing from the run (test names, messages, table cells,
attestation fields) can become markup. The page loads nothing from anywhere: CSS is inline
and allowed by its hash in a Content-Security-Policy that forbids every other load, charts
are inline SVG, and the filter is CSS-only (radio inputs), so the page needs no script.

Everything a run records is capped (entries per item, tables, rows, text length) so the page
stays small however much evidence a run collects; the page says where it cut, and the JSON
report keeps everything.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import math
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mltestscore.cache import cache_folder
from mltestscore.report.atomic import write_atomic
from mltestscore.report.text import neutralise
from mltestscore.scorecard_model import (
    PARTIAL_CONSEQUENCE,
    CheckEvidence,
    Evidence,
    Item,
    Scalar,
    Scorecard,
    Table,
    partial_reasons,
)
from mltestscore.scoring import Status

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class StatusStyle:
    """How the page shows one status: its icon, the CSS colour variable it is drawn in, and
    the background of its item cards when it should stand out."""

    icon: str
    colour: str
    background: str | None = None


#: The one place the page's look of each status is set; the stylesheet's status rules are
#: generated from it (and from :class:`Status` itself), so no status name is spelled twice.
STATUS_STYLES = {
    Status.AUTOMATED: StatusStyle("✓", "--auto"),
    Status.MANUAL: StatusStyle("◐", "--manual"),
    Status.FAILING: StatusStyle("✗", "--fail", background="#fffafa"),
    Status.MISSING: StatusStyle("○", "--miss"),
}
STATUS_ICONS = {status: style.icon for status, style in STATUS_STYLES.items()}
#: Statuses that ask for work: their items show the remediation ("To do").
TODO_STATUSES = (Status.FAILING, Status.MISSING)


@dataclass(frozen=True)
class ItemFilter:
    """One button of the page's CSS-only item filter: a radio ``#show-<key>`` that leaves
    only the items whose status is in ``shows`` visible."""

    key: str
    label: str
    shows: tuple[Status, ...]

    @property
    def hides(self) -> tuple[Status, ...]:
        return tuple(s for s in Status if s not in self.shows)


def _only(status: Status) -> ItemFilter:
    return ItemFilter(status, f"{STATUS_ICONS[status]} {status.capitalize()}", (status,))


ITEM_FILTERS = (
    ItemFilter("all", "All", tuple(Status)),
    ItemFilter("todo", " or ".join(TODO_STATUSES).capitalize(), TODO_STATUSES),
    *(_only(status) for status in TODO_STATUSES),
)


def style_context() -> dict[str, object]:
    """What both the stylesheet and the page template are rendered with: the stylesheet is
    included in the page and allowed by its hash, so the two renders must agree."""
    return {"status_styles": list(STATUS_STYLES.items()), "filters": ITEM_FILTERS}


OUTCOME_ICONS = {
    "passed": "✓",
    "failed": "✗",
    "error": "⚠",
    "skipped": "–",
    "xfailed": "–",
    "xpassed": "!",
    "not_applicable": "–",
}
# Outcomes that make an entry worth showing first.
BAD_OUTCOMES = {"failed", "error"}
BAR_WIDTH = 80


@dataclass(frozen=True)
class HtmlLimits:
    """Caps that keep the page small whatever a run records (the JSON keeps everything)."""

    entries_per_item: int = 20
    tables_per_item: int = 4
    rows_per_table: int = 10
    values_per_entry: int = 12
    message_chars: int = 400
    text_chars: int = 120
    history_runs: int = 30

    def shrunk(self) -> HtmlLimits:
        """Tighter limits for a run that recorded more than fits the size budget."""
        return HtmlLimits(
            entries_per_item=max(self.entries_per_item // 2, 1),
            tables_per_item=self.tables_per_item // 2,
            rows_per_table=max(self.rows_per_table // 2, 3),
            values_per_entry=max(self.values_per_entry // 2, 2),
            message_chars=max(self.message_chars // 2, 80),
            text_chars=max(self.text_chars // 2, 40),
            history_runs=self.history_runs,
        )

    @property
    def at_floor(self) -> bool:
        return self == self.shrunk()


#: The page must stay under 500 KB; this leaves room for the parts that are not capped.
SIZE_BUDGET = 480 * 1024


# -- small formatting helpers -------------------------------------------------------------


def clip(text: object, limit: int) -> str:
    """The text, cut to ``limit`` characters with an ellipsis when longer."""
    value = "" if text is None else str(text)
    return value if len(value) <= limit else value[: max(limit - 1, 0)] + "…"


def number(value: float) -> str:
    return f"{value:g}"


def format_value(value: object) -> str:
    """A scalar as a person reads it: 4 significant digits, no float noise."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if 1e4 <= abs(value) < 1e12:
            return f"{value:,.0f}"
        return f"{value:.4g}"
    return str(value)


def format_duration(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.0f} ms"
    return f"{seconds:.2f} s"


def safe_href(url: object) -> str | None:
    """The URL when it is a plain http(s) link, else None (then it is shown as text only).

    ``javascript:``, ``data:``, relative paths and anything with control characters or
    spaces stay text: a report must not turn recorded strings into active links.
    """
    if not isinstance(url, str):
        return None
    candidate = url.strip()
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in candidate):
        return None
    lowered = candidate.lower()
    if not lowered.startswith(("http://", "https://")):
        return None
    if len(candidate) <= len("https://") or "\\" in candidate:
        return None
    return candidate


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return not (isinstance(value, float) and math.isnan(value))


def band_level(index: int, count: int) -> int:
    """The band's place on a 0-5 colour scale, whatever the number of bands in the rubric."""
    if count <= 1:
        return 5
    return round(5 * index / (count - 1))


# -- evidence ---------------------------------------------------------------------------


def _bars(values: Sequence[object]) -> list[dict[str, Any] | None]:
    """Bar geometry (x and width in a BAR_WIDTH box) for a column, zero as the baseline."""
    numbers = [float(v) for v in values if _is_number(v)]  # type: ignore[arg-type]
    if not numbers:
        return [None for _ in values]
    low, high = min(0.0, *numbers), max(0.0, *numbers)
    span = (high - low) or 1.0
    zero = (0.0 - low) / span * BAR_WIDTH
    bars: list[dict[str, Any] | None] = []
    for value in values:
        if not _is_number(value):
            bars.append(None)
            continue
        position = (float(value) - low) / span * BAR_WIDTH  # type: ignore[arg-type]
        bars.append(
            {
                "x": round(min(zero, position), 1),
                "width": round(max(abs(position - zero), 0.5), 1),
                "negative": float(value) < 0,  # type: ignore[arg-type]
            }
        )
    return bars


def table_view(table: Table, limits: HtmlLimits) -> dict[str, Any]:
    columns = [clip(c, limits.text_chars) for c in table.get("columns", [])]
    all_rows = list(table.get("rows", []))
    rows = all_rows[: limits.rows_per_table]
    chart = table.get("chart")
    raw_columns = list(table.get("columns", []))
    chart_index = raw_columns.index(chart) if chart is not None and chart in raw_columns else None
    if chart_index is None:
        bars: list[dict[str, Any] | None] = [None] * len(rows)
    else:
        bars = _bars([r[chart_index] if chart_index < len(r) else None for r in rows])
    return {
        "title": clip(table.get("title", ""), limits.text_chars),
        "columns": columns,
        "rows": [
            {
                "cells": [clip(format_value(v), limits.text_chars) for v in row],
                "bar": bar,
            }
            for row, bar in zip(rows, bars, strict=True)
        ],
        "chart": clip(chart, limits.text_chars) if chart_index is not None else None,
        "bar_index": chart_index,
        "hidden_rows": len(all_rows) - len(rows),
    }


# Where a check ran (docs/bigdata.md): a data check's engine and what it scanned and read, a
# model check's engine sample. Shown on a line of their own, before the measurements and
# outside their cap, so a long list of figures never hides them.
ORIGIN_MEASUREMENTS = ("engine", "rows_scanned", "rows_sampled", "bytes_read", "bytes_read_note")
ORIGIN_PARAMETERS = ("sample_seed", "sampled_data")


def _origin(entry: CheckEvidence) -> dict[str, Scalar]:
    measured = entry.get("measurements") or {}
    if "engine" not in measured:
        return {}
    parameters = entry.get("parameters") or {}
    origin = {k: measured[k] for k in ORIGIN_MEASUREMENTS if k in measured}
    origin.update({k: parameters[k] for k in ORIGIN_PARAMETERS if k in parameters})
    return origin


def _without(values: Mapping[str, Scalar] | None, keys: Mapping[str, Scalar]) -> dict[str, Scalar]:
    return {k: v for k, v in (values or {}).items() if k not in keys}


def _pairs(values: Mapping[str, Scalar] | None, limits: HtmlLimits) -> list[tuple[str, str]]:
    items = list((values or {}).items())[: limits.values_per_entry]
    return [
        (clip(k, limits.text_chars), clip(format_value(v), limits.text_chars)) for k, v in items
    ]


def _entry_priority(entry: Evidence) -> int:
    """Attestations first, then failures, then entries carrying measurements, then the rest."""
    if entry["kind"] == "attestation":
        return 0
    if entry.get("outcome") in BAD_OUTCOMES:
        return 1
    if entry["kind"] == "check":
        return 2 if entry.get("measurements") or entry.get("tables") else 3
    return 2 if entry.get("measurements") else 3


class _TableBudget:
    def __init__(self, limit: int) -> None:
        self.left = limit
        self.hidden = 0

    def take(self, tables: Sequence[Table], limits: HtmlLimits) -> list[dict[str, Any]]:
        shown = list(tables[: max(self.left, 0)])
        self.hidden += len(tables) - len(shown)
        self.left -= len(shown)
        return [table_view(t, limits) for t in shown]


def entry_view(entry: Evidence, limits: HtmlLimits, budget: _TableBudget) -> dict[str, Any]:
    if entry["kind"] == "attestation":
        return {
            "kind": entry["kind"],
            "evidence": clip(entry.get("evidence", ""), limits.message_chars),
            "href": safe_href(entry.get("evidence")),
            "date": clip(entry.get("date", ""), limits.text_chars),
            "owner": clip(entry.get("owner"), limits.text_chars) if entry.get("owner") else None,
            "expired": bool(entry.get("expired")),
            "label": f"{STATUS_ICONS[Status.MANUAL]} {Status.MANUAL} attestation",
        }
    outcome = str(entry.get("outcome", ""))
    view: dict[str, Any] = {
        "kind": entry["kind"],
        "nodeid": clip(entry.get("nodeid", ""), limits.text_chars * 2),
        "outcome": outcome,
        "icon": OUTCOME_ICONS.get(outcome, "?"),
        "bad": outcome in BAD_OUTCOMES,
    }
    if entry["kind"] == "check":
        origin = _origin(entry)
        view.update(
            check=clip(entry.get("check", ""), limits.text_chars),
            reason=clip(entry.get("reason", ""), limits.message_chars),
            ran_on=[(k, clip(format_value(v), limits.text_chars)) for k, v in origin.items()],
            measured=_pairs(_without(entry.get("measurements"), origin), limits),
            thresholds=_pairs(entry.get("thresholds"), limits),
            parameters=_pairs(_without(entry.get("parameters"), origin), limits),
            tables=budget.take(list(entry.get("tables") or []), limits),
        )
        return view
    message = str(entry.get("message") or "")
    measurements = list(entry.get("measurements") or [])
    values = [m for m in measurements if "table" not in m][: limits.values_per_entry]
    tables = [m["table"] for m in measurements if "table" in m]
    view.update(
        duration=format_duration(float(entry.get("duration") or 0.0)),
        via=str(entry.get("via", "")),
        message=clip(message, limits.message_chars),
        message_clipped=len(message) > limits.message_chars,
        values=[
            {
                "name": clip(m.get("name", ""), limits.text_chars),
                "value": clip(format_value(m.get("value")), limits.text_chars),
                "unit": clip(m.get("unit"), limits.text_chars) if m.get("unit") else "",
            }
            for m in values
        ],
        tables=budget.take(tables, limits),
    )
    return view


def evidence_summary(evidence: Sequence[Evidence]) -> str:
    """A one-line count of the evidence, e.g. '12 tests: 10 passed, 2 failed · 1 attestation'."""
    parts = []
    for kind, noun in (("test", "test"), ("check", "check")):
        outcomes = Counter(
            str(e["outcome"]) for e in evidence if e["kind"] != "attestation" and e["kind"] == kind
        )
        total = sum(outcomes.values())
        if total:
            detail = ", ".join(
                f"{count} {outcome.replace('_', ' ')}" for outcome, count in outcomes.most_common()
            )
            parts.append(f"{total} {noun}{'s' if total != 1 else ''}: {detail}")
    attestations = sum(1 for e in evidence if e["kind"] == "attestation")
    if attestations:
        parts.append(f"{attestations} attestation{'s' if attestations != 1 else ''}")
    return " · ".join(parts) or "no evidence recorded"


def status_icon(status: str) -> str:
    return STATUS_ICONS[Status(status)] if status in STATUS_ICONS else "?"


def item_view(item: Item, limits: HtmlLimits) -> dict[str, Any]:
    evidence = list(item["evidence"])
    ordered = sorted(evidence, key=_entry_priority)
    shown = ordered[: limits.entries_per_item]
    budget = _TableBudget(limits.tables_per_item)
    status = str(item["status"])
    return {
        "id": item["id"],
        "anchor": f"item-{item['id']}",
        "title": item["title"],
        "status": status,
        "icon": status_icon(status),
        "todo": status in TODO_STATUSES,
        "points": number(item["points"]),
        "max_points": number(item["max_points"]),
        "guidance": item.get("guidance", ""),
        "remediation": item.get("remediation", ""),
        "hints": [clip(h, limits.message_chars) for h in item.get("hints", [])][:5],
        "summary": evidence_summary(evidence),
        "entries": [entry_view(e, limits, budget) for e in shown],
        "hidden_entries": len(evidence) - len(shown),
        "hidden_tables": budget.hidden,
        "expired": [
            entry_view(a, limits, _TableBudget(0)) for a in item.get("expired_attestations", [])
        ][: limits.entries_per_item],
    }


# -- charts -------------------------------------------------------------------------------


MAX_TICKS = 11


def tick_values(maximum: float) -> list[float]:
    """Axis ticks from 0 to ``maximum``: every point up to 10, every 2 up to 20, then a
    round step (1, 2 or 5 times a power of ten) giving at most :data:`MAX_TICKS` ticks, so
    a huge maximum (a hostile scorecard's 1e300) costs 11 ticks, not a loop until memory
    runs out."""
    if not math.isfinite(maximum) or maximum <= 0:
        return [0.0]
    if maximum <= 10:
        step = 1.0
    elif maximum <= 20:
        step = 2.0
    else:
        power = 10.0 ** math.floor(math.log10(maximum / (MAX_TICKS - 1)))
        step = next(
            (m * power for m in (1.0, 2.0, 5.0, 10.0) if maximum / (m * power) <= MAX_TICKS - 1),
            10.0 * power,
        )
    count = min(int(maximum / step + 1e-9), MAX_TICKS * 2)
    return [index * step for index in range(count + 1)]


def sections_chart(scorecard: Scorecard) -> dict[str, Any]:
    """Geometry of the section bar chart: one bar per section out of its maximum, split into
    automated and manual points, with the final score (the minimum) as a line."""
    sections = scorecard["sections"]
    points = scorecard["rubric"]["points"]
    maximum = max((s["max"] for s in sections), default=1.0) or 1.0
    left, width, row = 64.0, 250.0, 30.0
    scale = width / maximum
    ticks = [
        {"x": round(left + value * scale, 2), "label": number(value)}
        for value in tick_values(maximum)
    ]
    rows = []
    for index, section in enumerate(sections):
        automated = section["counts"].get(Status.AUTOMATED, 0) * points["automated"]
        manual = section["counts"].get(Status.MANUAL, 0) * points["manual"]
        y = 24 + index * row
        rows.append(
            {
                "id": section["id"],
                "title": section["title"],
                "y": y,
                "text_y": y + 14,
                "max_width": round(section["max"] * scale, 2),
                "automated_width": round(automated * scale, 2),
                "manual_x": round(left + automated * scale, 2),
                "manual_width": round(manual * scale, 2),
                "value": f"{number(section['score'])} / {number(section['max'])}",
                "weakest": section["id"] in scorecard["weakest_sections"],
            }
        )
    bottom = 24 + len(sections) * row
    final_x = round(left + scorecard["score"] * scale, 2)
    return {
        "width": 420,
        "height": bottom + 4,
        "left": left,
        "right": left + width,
        "ticks": ticks,
        "rows": rows,
        "bottom": bottom,
        "final_x": final_x,
        "final_label": f"final {number(scorecard['score'])}",
        "automated_label": f"{Status.AUTOMATED} ({number(points['automated'])} pt each)",
        "manual_label": f"{Status.MANUAL} ({number(points['manual'])} pt each)",
        "other_label": f"{Status.MISSING} or {Status.FAILING}",
        "final_anchor": "end" if final_x > left + width - 40 else "start",
        "label": (
            "Section scores out of "
            + number(maximum)
            + ": "
            + "; ".join(f"{s['id']} {number(s['score'])}" for s in sections)
            + f"; final score (the minimum) {number(scorecard['score'])}"
        ),
    }


def history_chart(
    records: Sequence[Mapping[str, Any]], scorecard: Scorecard, limits: HtmlLimits
) -> dict[str, Any] | None:
    """Geometry of the trend chart over the last runs of the same rubric, or None."""
    rubric_id = scorecard["rubric"]["id"]
    runs = [r for r in records if r.get("rubric") == rubric_id][-limits.history_runs :]
    if not runs:
        return None
    maximum = float(scorecard["max_score"]) or 1.0
    left, top, width, height = 26.0, 10.0, 320.0, 120.0
    step_x = width / max(len(runs) - 1, 1)

    def at(index: int, value: float) -> tuple[float, float]:
        x = left + (index * step_x if len(runs) > 1 else width / 2)
        y = top + height - min(max(value, 0.0), maximum) / maximum * height
        return round(x, 2), round(y, 2)

    final = [at(i, float(r["score"])) for i, r in enumerate(runs)]
    section_ids = [s["id"] for s in scorecard["sections"]]
    sections = []
    for section_id in section_ids:
        line = [
            at(i, float(r["sections"][section_id]))
            for i, r in enumerate(runs)
            if _is_number(r.get("sections", {}).get(section_id))
        ]
        if line:
            sections.append(
                {
                    "id": section_id,
                    "points": " ".join(f"{x},{y}" for x, y in line),
                    "label_x": line[-1][0] + 6,
                    "label_y": line[-1][1] + 4,
                }
            )
    _spread_labels(sections)
    y_ticks = [{"y": at(0, value)[1], "label": number(value)} for value in tick_values(maximum)]
    dots = [
        {
            "x": x,
            "y": y,
            "title": f"{clip(r.get('generated_at', ''), 32)} · "
            f"{clip(r.get('commit') or 'no commit', 12)} · final {number(float(r['score']))}",
        }
        for (x, y), r in zip(final, runs, strict=True)
    ]
    first, last = runs[0], runs[-1]
    return {
        "width": 420,
        "height": top + height + 26,
        "left": left,
        "right": left + width,
        "bottom": top + height,
        "y_ticks": y_ticks,
        "final": " ".join(f"{x},{y}" for x, y in final),
        "dots": dots,
        "sections": sections,
        "first_label": str(first.get("generated_at", ""))[:16].replace("T", " "),
        "last_label": str(last.get("generated_at", ""))[:16].replace("T", " "),
        "count": len(runs),
        "label": (
            f"Final score over the last {len(runs)} run(s): "
            + ", ".join(number(float(r["score"])) for r in runs)
        ),
    }


def _spread_labels(sections: list[dict[str, Any]], gap: float = 11.0) -> None:
    """Move line-end labels apart vertically so equal scores do not print on each other."""
    ordered = sorted(sections, key=lambda s: s["label_y"])
    for previous, current in itertools.pairwise(ordered):
        if current["label_y"] - previous["label_y"] < gap:
            current["label_y"] = round(previous["label_y"] + gap, 2)


# -- the page -------------------------------------------------------------------------------


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs: compiling them costs more than rendering.

    Jinja2 keys each entry by the template's source checksum, so an edited template is
    recompiled; a cache folder that cannot be created (or is not private) just means no
    cache, and a file in it is loaded only when this user wrote it.
    """
    from mltestscore.report.template_cache import VerifiedBytecodeCache

    folder = cache_folder(f"jinja-{_settings_digest()}")
    return VerifiedBytecodeCache(folder) if folder is not None else None


#: What the compiled code depends on besides the template's source (Jinja2 keys its cache by
#: the source only): change it with the environment's options below.
_ENVIRONMENT_SETTINGS = "autoescape strict-undefined trim lstrip finalize=_visible v2"


def _settings_digest() -> str:
    import hashlib

    from mltestscore import __version__

    text = f"{__version__} {_ENVIRONMENT_SETTINGS}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _visible(value: object) -> object:
    """Every ``{{ value }}`` of the templates passes here before autoescaping: untrusted
    text shows its control and bidirectional characters (:func:`neutralise`)."""
    if isinstance(value, str) and not hasattr(value, "__html__"):
        return neutralise(value)
    return value


@cache
def environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        bytecode_cache=_bytecode_cache(),
        finalize=_visible,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = number
    return env


@cache
def stylesheet() -> tuple[str, str]:
    """The inline CSS exactly as the page embeds it, and its CSP hash source."""
    css = environment().get_template("scorecard.css").render(style_context())
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return css, f"'sha256-{digest}'"


def content_security_policy() -> str:
    """No load of any kind is allowed except the page's own inline stylesheet."""
    _, style_hash = stylesheet()
    return (
        f"default-src 'none'; style-src {style_hash}; img-src 'none'; script-src 'none'; "
        "base-uri 'none'; form-action 'none'"
    )


def page_view(
    scorecard: Scorecard,
    history: Sequence[Mapping[str, Any]] = (),
    comparison: Mapping[str, Any] | None = None,
    extra_warnings: Sequence[str] = (),
    limits: HtmlLimits | None = None,
) -> dict[str, Any]:
    """Everything the template shows, as plain strings and numbers."""
    limits = limits or HtmlLimits()
    items = {item["id"]: item_view(item, limits) for item in scorecard["items"]}
    statuses = Counter(Status(item["status"]) for item in scorecard["items"])
    bands = scorecard["rubric"]["bands"]
    band = scorecard["band"]
    commit = scorecard.get("commit")
    return {
        "csp": content_security_policy(),
        "score": number(scorecard["score"]),
        "max_score": number(scorecard["max_score"]),
        "band": band,
        "band_level": band_level(band["index"], len(bands)),
        "bands": [
            {
                "interval": b["interval"],
                "label": b["label"],
                "current": i == band["index"],
                "level": band_level(i, len(bands)),
            }
            for i, b in enumerate(bands)
        ],
        "rubric": scorecard["rubric"],
        "tool": scorecard["tool"],
        "generated_at": scorecard["generated_at"],
        "commit": str(commit)[:12] if commit else None,
        "commit_full": clip(commit, 80) if commit else None,
        "credit_mode": scorecard["credit_mode"],
        "tests": scorecard["tests"],
        "outcomes": ", ".join(
            f"{scorecard['tests'][o]} {o}"
            for o in ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
            if scorecard["tests"].get(o)
        ),
        "departures": list(scorecard["departures"]),
        "warnings": [clip(w, limits.message_chars) for w in scorecard["warnings"]]
        + [clip(w, limits.message_chars) for w in extra_warnings],
        "weakest": [
            {"id": s["id"], "title": s["title"], "score": number(s["score"])}
            for s in scorecard["sections"]
            if s["id"] in scorecard["weakest_sections"]
        ],
        "next_steps": [
            dict(
                step,
                icon=status_icon(step["status"]),
                final_after=number(step["final_after"]),
                gain=number(step["gain"]),
                anchor=f"item-{step['id']}",
            )
            for step in scorecard["next_steps"]
        ],
        "chart": sections_chart(scorecard),
        "trend": history_chart(history, scorecard, limits),
        "comparison": comparison,
        "filters": [
            {
                "key": f.key,
                "label": f.label,
                "count": sum(statuses[status] for status in f.shows),
                "checked": f is ITEM_FILTERS[0],
            }
            for f in ITEM_FILTERS
        ],
        "partial": [clip(r, limits.message_chars) for r in partial_reasons(scorecard)],
        "partial_consequence": PARTIAL_CONSEQUENCE,
        "sections": [
            {
                "id": s["id"],
                "title": s["title"],
                "score": number(s["score"]),
                "max": number(s["max"]),
                "counts": [(status, s["counts"].get(status, 0)) for status in Status],
                "weakest": s["id"] in scorecard["weakest_sections"],
                "items": [items[i["id"]] for i in scorecard["items"] if i["section"] == s["id"]],
            }
            for s in scorecard["sections"]
        ],
        "limits": limits,
    }


def render_html(
    scorecard: Scorecard,
    history: Sequence[Mapping[str, Any]] = (),
    comparison: Mapping[str, Any] | None = None,
    extra_warnings: Sequence[str] = (),
    limits: HtmlLimits | None = None,
    size_budget: int | None = SIZE_BUDGET,
) -> str:
    """The scorecard page as one self-contained HTML document.

    When a run recorded so much that the page would exceed ``size_budget`` bytes, the
    evidence lists are shortened further (and the page says so) until it fits.
    """
    template = environment().get_template("scorecard.html.j2")
    limits = limits or HtmlLimits()
    shortened = False
    while True:
        view = page_view(scorecard, history, comparison, extra_warnings, limits)
        html = template.render(page=view, shortened=shortened, **style_context())
        if size_budget is None or len(html.encode("utf-8")) <= size_budget or limits.at_floor:
            return html
        limits, shortened = limits.shrunk(), True


def write_html(
    scorecard: Scorecard,
    path: str | os.PathLike[str],
    history: Sequence[Mapping[str, Any]] = (),
    comparison: Mapping[str, Any] | None = None,
    extra_warnings: Sequence[str] = (),
    limits: HtmlLimits | None = None,
) -> Path:
    return write_atomic(path, render_html(scorecard, history, comparison, extra_warnings, limits))
