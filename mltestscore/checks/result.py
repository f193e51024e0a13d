"""The one result type every check returns.

Checks are plain functions usable without pytest, so the result carries everything a person
or a report needs: what was measured, against which thresholds, and why it passed or failed.
The JSON form (``to_dict``) is what crosses pytest-xdist workers and lands in the scorecard,
so it uses only JSON types.
"""

from __future__ import annotations

import enum
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Scalar = str | int | float | bool | None


class Outcome(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"


def _scalar(value: object) -> Scalar:
    """Coerce numpy scalars and friends to plain JSON values, so results serialize anywhere."""
    if value is None or isinstance(value, bool | str):
        return value
    # int()/float() also turn numpy's int/float subclasses into plain Python numbers, which
    # execnet (pytest-xdist) can ship and JSON can write.
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return None if math.isnan(value) else float(value)
    try:
        plain = python_value(value)
    except (TypeError, ValueError):
        return str(value)
    return str(value) if plain is value else _scalar(plain)


def fmt(value: float) -> str:
    """A number as a reason or a summary writes it: four significant digits, enough that a
    measured value a hair from its threshold is not printed equal to it (0.8496 against
    0.85)."""
    return f"{value:.4g}"


def python_value(value: Any) -> Any:
    """A numpy scalar's own Python value (``.item()``), anything else as it is: for the
    comparisons and messages of checks that meet numpy, pandas and Great Expectations
    values. Unlike :func:`_scalar` it keeps NaN, and what is not a scalar."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


@dataclass(frozen=True)
class Table:
    """A small table for the report (per feature, per slice, per group...).

    ``chart`` names a numeric column the HTML report may draw as a bar chart.
    """

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Scalar, ...], ...]
    chart: str | None = None

    @classmethod
    def build(
        cls,
        title: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[object]],
        chart: str | None = None,
        max_rows: int = 50,
    ) -> Table:
        """Build a table from any values, keeping at most ``max_rows`` so reports stay small."""
        if chart is not None and chart not in columns:
            raise ValueError(f"chart column {chart!r} is not one of the columns {list(columns)}")
        return cls(
            title=str(title),
            columns=tuple(str(c) for c in columns),
            rows=tuple(tuple(_scalar(v) for v in row) for row in list(rows)[:max_rows]),
            chart=chart,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "columns": list(self.columns),
            "rows": [list(r) for r in self.rows],
            "chart": self.chart,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Table:
        return cls(
            title=str(data["title"]),
            columns=tuple(data["columns"]),
            rows=tuple(tuple(r) for r in data["rows"]),
            chart=data.get("chart"),
        )


@dataclass(frozen=True)
class Verdict:
    """A check's judgement of what it measured: the outcome and the one-line reason saying
    why, before the measurements, thresholds and tables are attached. Checks that split
    measuring from judging return one from their judging function, so a test can ask what
    a measurement would be judged without running the measuring again."""

    outcome: Outcome
    reason: str


@dataclass(frozen=True)
class CheckResult:
    """What one check found. Build it with the ``passed`` / ``failed`` / ``error`` /
    ``not_applicable`` constructors so the fields stay consistent."""

    check: str
    rubric_ids: tuple[str, ...]
    outcome: Outcome
    reason: str
    measurements: Mapping[str, Scalar] = field(default_factory=dict)
    thresholds: Mapping[str, Scalar] = field(default_factory=dict)
    parameters: Mapping[str, Scalar] = field(default_factory=dict)
    tables: tuple[Table, ...] = ()

    @classmethod
    def _make(
        cls,
        outcome: Outcome,
        check: str,
        rubric_ids: Sequence[str],
        reason: str,
        measurements: Mapping[str, object] | None = None,
        thresholds: Mapping[str, object] | None = None,
        parameters: Mapping[str, object] | None = None,
        tables: Sequence[Table] = (),
    ) -> CheckResult:
        return cls(
            check=check,
            rubric_ids=tuple(rubric_ids),
            outcome=outcome,
            reason=" ".join(str(reason).split()),
            measurements={str(k): _scalar(v) for k, v in (measurements or {}).items()},
            thresholds={str(k): _scalar(v) for k, v in (thresholds or {}).items()},
            parameters={str(k): _scalar(v) for k, v in (parameters or {}).items()},
            tables=tuple(tables),
        )

    @classmethod
    def passed(cls, check: str, rubric_ids: Sequence[str], reason: str, **kw: Any) -> CheckResult:
        return cls._make(Outcome.PASSED, check, rubric_ids, reason, **kw)

    @classmethod
    def failed(cls, check: str, rubric_ids: Sequence[str], reason: str, **kw: Any) -> CheckResult:
        return cls._make(Outcome.FAILED, check, rubric_ids, reason, **kw)

    @classmethod
    def error(cls, check: str, rubric_ids: Sequence[str], reason: str, **kw: Any) -> CheckResult:
        return cls._make(Outcome.ERROR, check, rubric_ids, reason, **kw)

    @classmethod
    def not_applicable(
        cls, check: str, rubric_ids: Sequence[str], reason: str, **kw: Any
    ) -> CheckResult:
        return cls._make(Outcome.NOT_APPLICABLE, check, rubric_ids, reason, **kw)

    @classmethod
    def judge(
        cls, ok: bool, check: str, rubric_ids: Sequence[str], reason: str, **kw: Any
    ) -> CheckResult:
        """Passed when ``ok``, failed otherwise: for checks whose verdict is one comparison."""
        return cls._make(Outcome.PASSED if ok else Outcome.FAILED, check, rubric_ids, reason, **kw)

    @classmethod
    def from_verdict(
        cls, check: str, rubric_ids: Sequence[str], verdict: Verdict, **kw: Any
    ) -> CheckResult:
        """The result of a check that judged its measurement into ``verdict``."""
        return cls._make(verdict.outcome, check, rubric_ids, verdict.reason, **kw)

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.PASSED

    def summary(self) -> str:
        """One line plus the key figures: what a failing test shows."""
        lines = [f"{self.check} {self.outcome.value}: {self.reason}"]
        if self.measurements:
            lines.append("  measured:   " + _format_mapping(self.measurements))
        if self.thresholds:
            lines.append("  thresholds: " + _format_mapping(self.thresholds))
        if self.parameters:
            lines.append("  parameters: " + _format_mapping(self.parameters))
        return "\n".join(lines)

    def assert_ok(self) -> CheckResult:
        """Fail the calling test unless the check passed; skip it when the check does not apply.

        Returning ``self`` lets a test keep the result for further assertions.
        """
        __tracebackhide__ = True
        if self.outcome is Outcome.NOT_APPLICABLE:
            pytest = sys.modules.get("pytest")
            if pytest is not None:
                pytest.skip(self.summary())
            return self
        if self.outcome is not Outcome.PASSED:
            raise AssertionError(self.summary())
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "rubric_ids": list(self.rubric_ids),
            "outcome": self.outcome.value,
            "reason": self.reason,
            "measurements": dict(self.measurements),
            "thresholds": dict(self.thresholds),
            "parameters": dict(self.parameters),
            "tables": [t.to_dict() for t in self.tables],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckResult:
        return cls(
            check=str(data["check"]),
            rubric_ids=tuple(data["rubric_ids"]),
            outcome=Outcome(data["outcome"]),
            reason=str(data["reason"]),
            measurements=dict(data.get("measurements", {})),
            thresholds=dict(data.get("thresholds", {})),
            parameters=dict(data.get("parameters", {})),
            tables=tuple(Table.from_dict(t) for t in data.get("tables", [])),
        )


def _format_mapping(values: Mapping[str, Scalar]) -> str:
    return ", ".join(f"{k}={_format_value(v)}" for k, v in values.items())


def _format_value(value: Scalar) -> str:
    return fmt(value) if isinstance(value, float) else str(value)
