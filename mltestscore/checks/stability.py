"""Numerical stability (monitor-5): the model's outputs stay finite and well-formed.

A NaN or an infinity in a prediction usually means an input the training data never showed:
a zero where a log or a division expects a positive value, a huge value that overflows, a
missing value, a category never seen. ``check_numerical_stability`` feeds the model such
inputs on purpose: the given data, one probe per column at each edge of the observed domain
(min, max, zero, very large of both signs, missing, an unseen category), and rows that
hypothesis generates inside and at the numeric edges of that domain, then shrinks to the
simplest failing row. The domain comes from a reference frame or from a Great Expectations
suite (``expect_column_values_to_be_between`` / ``expect_column_values_to_be_in_set``), the
same schema the data-1 check infers.

What counts as instability is what the rubric means: *silent* bad outputs (NaN, infinity,
probabilities outside [0, 1] or not summing to 1), or an error on a finite, known input the
model should take. A model that refuses a missing value or an unseen category with an error is
doing its job loudly; that is reported as a finding (what the model does on such input), not
a failure. The measuring lives in :mod:`mltestscore.checks._stability_probes`; this module
turns its measurement into a verdict and tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mltestscore.checks._stability_probes import (
    RAISED,
    UNSEEN_CATEGORY,
    ColumnDomain,
    SearchPlan,
    build_domains,
    direct_outputs,
    first_line,
    output_problems,
    run_rows,
    same_value,
    search,
)
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table

__all__ = ["UNSEEN_CATEGORY", "check_numerical_stability", "direct_outputs"]

RUBRIC_IDS = ("monitor-5",)


@dataclass(frozen=True)
class ProbeOutcome:
    """One edge probe: a typical row with ``column`` set to ``value``, and what came out."""

    column: str
    value: Any
    problem: str  # '' when the outputs were fine

    @property
    def raised(self) -> bool:
        return self.problem.startswith(RAISED)

    @property
    def input_kind(self) -> str:
        """'missing', 'unseen category' or 'value': what is unusual about the input."""
        if self.value is None or (isinstance(self.value, float) and math.isnan(self.value)):
            return "missing"
        if self.value == UNSEEN_CATEGORY:
            return "unseen category"
        return "value"

    @property
    def rejection(self) -> bool:
        """A loud refusal of an input the model was never meant to take: a finding."""
        return self.raised and self.input_kind != "value"


@dataclass
class StabilityMeasurement:
    """Everything the three input sources showed, before any judgement."""

    columns: int
    base_row: dict[str, Any]
    data_rows: int | None = None
    data_problems: list[tuple[str, str]] = field(default_factory=list)  # (row label, problem)
    data_has_missing: bool | None = None
    probes: list[ProbeOutcome] = field(default_factory=list)
    generated_examples: int = 0
    generated_row: dict[str, Any] | None = None
    generated_problem: str = ""
    engine: str = ""
    proba_checked: bool = False

    def failing_probes(self) -> list[ProbeOutcome]:
        return [p for p in self.probes if p.problem and not p.rejection]

    def rejections(self) -> list[ProbeOutcome]:
        return [p for p in self.probes if p.rejection]

    def behaviour_on(self, kind: str) -> str:
        """What the model does when one column is ``kind`` ('missing', 'unseen category')."""
        probes = [p for p in self.probes if p.input_kind == kind]
        if not probes:
            return "not probed"
        rejected = [p for p in probes if p.raised]
        silent = [p for p in probes if p.problem and not p.raised]
        if silent:
            return f"bad outputs in {len(silent)} of {len(probes)} columns"
        if rejected:
            error = rejected[0].problem.removeprefix(RAISED).strip()
            return f"rejected with an error in {len(rejected)} of {len(probes)} columns ({error})"
        return f"finite outputs in all {len(probes)} columns"


@dataclass(frozen=True)
class StabilityVerdict:
    ok: bool
    reason: str
    failures: tuple[str, ...]


def measure_stability(
    model: Any,
    data_frame: Any,
    domains: Mapping[str, ColumnDomain],
    *,
    sample_size: int | None,
    seed: int,
    large_factor: float,
    include_missing: bool,
    include_unseen: bool,
    proba_tolerance: float,
    max_examples: int,
    rows_per_example: int,
    shrink_budget: int,
) -> StabilityMeasurement:
    """Run the given rows, the edge probes and the search; judge nothing."""
    base_row = {column: d.typical for column, d in domains.items()}
    measured = StabilityMeasurement(columns=len(domains), base_row=base_row)
    if data_frame is not None:
        _measure_given_data(
            model, data_frame, domains, measured, sample_size, seed, proba_tolerance
        )
    _measure_edge_probes(
        model, domains, measured, large_factor, include_missing, include_unseen, proba_tolerance
    )
    # Missing values and unseen categories are probed column by column above, where a refusal
    # can be told from a crash; the search looks for bad outputs on finite, known inputs.
    shrunk, problem, engine = search(
        model,
        domains,
        SearchPlan(
            max_examples=max_examples,
            rows_per_example=rows_per_example,
            shrink_budget=shrink_budget,
            seed=seed,
            large_factor=large_factor,
            missing=False,
            unseen=False,
            proba_tolerance=proba_tolerance,
        ),
    )
    measured.generated_examples = max_examples
    measured.generated_row = shrunk
    measured.generated_problem = problem
    measured.engine = engine
    return measured


def _measure_given_data(
    model: Any,
    frame: Any,
    domains: Mapping[str, ColumnDomain],
    measured: StabilityMeasurement,
    sample_size: int | None,
    seed: int,
    proba_tolerance: float,
) -> None:
    import warnings

    from mltestscore.checks.drift import _sample_rows

    absent = [c for c in domains if c not in frame.columns]
    if absent:
        raise CheckInputError(f"column {absent[0]!r}", "is not in the data")
    sample, _ = _sample_rows(frame, sample_size, seed)
    if list(sample.columns) != list(domains):
        sample = sample[list(domains)]  # otherwise keep the object: cached predictions reuse it
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            problems, measured.proba_checked = output_problems(
                model, sample, proba_tolerance, cached=True
            )
    except CheckInputError:
        raise
    except Exception as exc:
        problems = [f"{RAISED} {type(exc).__name__}: {first_line(exc)}"] * len(sample)
    measured.data_rows = len(sample)
    measured.data_has_missing = bool(sample.isna().to_numpy().any())
    measured.data_problems = [
        (f"row {sample.index[i]}", str(p)) for i, p in enumerate(problems) if p
    ]


def _measure_edge_probes(
    model: Any,
    domains: Mapping[str, ColumnDomain],
    measured: StabilityMeasurement,
    large_factor: float,
    include_missing: bool,
    include_unseen: bool,
    proba_tolerance: float,
) -> None:
    base_row = measured.base_row
    probes = [
        (column, value)
        for column, domain in domains.items()
        for value in domain.edge_values(large_factor, include_missing, include_unseen)
    ]
    (typical_problem,), _ = run_rows(model, [base_row], domains, proba_tolerance)
    if typical_problem.startswith(RAISED):  # bad outputs there are findings, a crash is not
        raise CheckInputError(
            "model",
            f"fails on a typical row (median / most frequent value of every column): "
            f"{typical_problem}; the inputs built from the domain (numbers as float64, "
            f"categories as objects) do not suit this model",
        )
    rows = [{**base_row, column: value} for column, value in probes]
    problems, proba_checked = run_rows(model, rows, domains, proba_tolerance)
    measured.proba_checked = measured.proba_checked or proba_checked
    measured.probes = [
        ProbeOutcome(column, value, problem)
        for (column, value), problem in zip(probes, problems, strict=True)
    ]


def judge_stability(measured: StabilityMeasurement) -> StabilityVerdict:
    """Failed on silent bad outputs anywhere, on an error for the given rows or for a finite,
    known input; a refusal of a missing value or an unseen category is a finding."""
    failures: list[str] = []
    if measured.data_problems:
        first = measured.data_problems[0][1]
        failures.append(
            f"{len(measured.data_problems)} of {measured.data_rows} given rows (first: {first})"
        )
    failing = measured.failing_probes()
    if failing:
        probe = failing[0]
        failures.append(
            f"{len(failing)} of {len(measured.probes)} edge probes (first: "
            f"{probe.column}={show(probe.value)}: {probe.problem})"
        )
    if measured.generated_row is not None:
        unusual = {
            k: v
            for k, v in measured.generated_row.items()
            if not same_value(v, measured.base_row[k])
        } or measured.generated_row
        shown = ", ".join(f"{k}={show(v)}" for k, v in list(unusual.items())[:6])
        failures.append(f"generated row {shown}: {measured.generated_problem}")
    no_proba = (
        "" if measured.proba_checked else " (no predict_proba: probability checks not applicable)"
    )
    if failures:
        return StabilityVerdict(
            False, "unstable outputs on " + "; ".join(failures) + no_proba, tuple(failures)
        )
    reason = (
        f"outputs finite{' and probabilities valid' if measured.proba_checked else ''} on "
        f"{measured.data_rows or 0} given rows, {len(measured.probes)} edge probes and "
        f"{measured.generated_examples} generated examples over {measured.columns} "
        f"columns{no_proba}"
    )
    rejections = measured.rejections()
    if rejections:
        kinds = sorted({p.input_kind for p in rejections})
        reason += (
            f"; finding, not a failure: the model refuses {' and '.join(kinds)} input with an "
            f"error ({len(rejections)} probes, e.g. {rejections[0].column}: "
            f"{rejections[0].problem.removeprefix(RAISED).strip()})"
        )
        if measured.data_has_missing is False and "missing" in kinds:
            reason += "; the given data has no missing values"
    return StabilityVerdict(True, reason, ())


def stability_tables(measured: StabilityMeasurement, max_listed: int) -> list[Table]:
    tables: list[Table] = []
    findings: list[list[object]] = [
        ["given data", where, "", problem] for where, problem in measured.data_problems[:max_listed]
    ]
    findings += [
        ["edge probe", p.column, show(p.value), p.problem]
        for p in measured.failing_probes()[:max_listed]
    ]
    if findings:
        tables.append(
            Table.build(
                "Inputs with unstable outputs",
                ["source", "where", "input value", "problem"],
                findings,
                max_rows=max_listed * 2,
            )
        )
    if measured.generated_row is not None:
        tables.append(
            Table.build(
                "Simplest failing row hypothesis found (shrunk)",
                ["column", "value", "typical value"],
                [
                    [k, show(v), show(measured.base_row[k])]
                    for k, v in measured.generated_row.items()
                ],
            )
        )
    rejections = measured.rejections()
    if rejections:
        tables.append(
            Table.build(
                "Inputs the model refuses with an error (findings, not failures)",
                ["column", "input", "error"],
                [
                    [p.column, p.input_kind, p.problem.removeprefix(RAISED).strip()]
                    for p in rejections[:max_listed]
                ],
            )
        )
    return tables


def _measurements(measured: StabilityMeasurement) -> dict[str, object]:
    values: dict[str, object] = {"columns": measured.columns}
    if measured.data_rows is not None:
        values["data_rows"] = measured.data_rows
        values["data_rows_failing"] = len(measured.data_problems)
        values["data_has_missing"] = measured.data_has_missing
    values.update(
        edge_probes=len(measured.probes),
        edge_probes_failing=len(measured.failing_probes()),
        edge_probes_rejected=len(measured.rejections()),
        on_missing_input=measured.behaviour_on("missing"),
        on_unseen_category=measured.behaviour_on("unseen category"),
        generated_examples=measured.generated_examples,
        search_engine=measured.engine,
        generated_failure=measured.generated_row is not None,
        probabilities_checked=measured.proba_checked,
    )
    return values


@register_check(*RUBRIC_IDS)
def check_numerical_stability(
    model: Any,
    data: Any = None,
    *,
    reference: Any = None,
    schema: Any = None,
    columns: Sequence[str] | None = None,
    max_examples: int = 25,
    rows_per_example: int = 20,
    shrink_budget: int = 60,
    seed: int = 0,
    sample_size: int | None = 1000,
    large_factor: float = 1e6,
    include_missing: bool = True,
    include_unseen: bool = True,
    proba_tolerance: float = 1e-6,
    max_listed: int = 20,
) -> CheckResult:
    """Predictions stay finite, and probabilities in [0, 1] summing to 1, on edge-case inputs.

    Three sources of inputs: the given ``data`` (``sample_size`` rows, seeded); one probe per
    column and edge value (observed min and max, zero, ±``large_factor`` times the largest
    magnitude, missing, an unseen category) in an otherwise typical row; and ``max_examples``
    hypothesis examples of up to ``rows_per_example`` finite, known rows each, drawn inside and
    at the numeric edges of the domain and shrunk to the simplest failing row (at most
    ``shrink_budget`` more model calls). Failed on silent bad outputs (NaN or infinity in
    ``predict``; ``predict_proba``, when the model has it, outside [0, 1] or rows not summing
    to 1 within ``proba_tolerance``), on an error for the given rows, or on an error for a
    finite, known input. An error on a missing value or an unseen category is a finding (the
    model refuses it loudly), reported in ``on_missing_input`` / ``on_unseen_category`` and a
    table. The domain comes from ``schema`` (a Great Expectations suite, its JSON dict or path)
    where it has a range or value set, else from ``reference`` (or ``data``). Turn off
    ``include_missing`` / ``include_unseen`` to skip those probes.
    """
    from mltestscore.checks.drift import as_frame

    name = "check_numerical_stability"
    if not callable(getattr(model, "predict", None)):
        raise CheckInputError("model", f"has no predict method ({type(model).__name__})")
    for label, value in (("max_examples", max_examples), ("rows_per_example", rows_per_example)):
        if value < 1:
            raise CheckInputError(label, f"must be at least 1, got {value}")
    if not large_factor > 1:
        raise CheckInputError("large_factor", f"must be above 1, got {large_factor}")
    if proba_tolerance < 0:
        raise CheckInputError("proba_tolerance", f"must not be negative, got {proba_tolerance}")
    data_frame = as_frame(data, "data") if data is not None else None
    reference_frame = as_frame(reference, "reference") if reference is not None else None
    domains = build_domains(model, data_frame, reference_frame, schema, columns)
    measured = measure_stability(
        model,
        data_frame,
        domains,
        sample_size=sample_size,
        seed=seed,
        large_factor=large_factor,
        include_missing=include_missing,
        include_unseen=include_unseen,
        proba_tolerance=proba_tolerance,
        max_examples=max_examples,
        rows_per_example=rows_per_example,
        shrink_budget=shrink_budget,
    )
    verdict = judge_stability(measured)
    return CheckResult.judge(
        verdict.ok,
        name,
        RUBRIC_IDS,
        verdict.reason,
        measurements=_measurements(measured),
        thresholds={"proba_tolerance": proba_tolerance},
        parameters={
            "max_examples": max_examples,
            "rows_per_example": rows_per_example,
            "shrink_budget": shrink_budget,
            "seed": seed,
            "sample_size": sample_size,
            "large_factor": large_factor,
            "include_missing": include_missing,
            "include_unseen": include_unseen,
            "domain_source": ",".join(sorted({d.source for d in domains.values()})),
        },
        tables=stability_tables(measured, max_listed),
    )


def show(value: Any) -> str:
    """An input value as the report shows it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "missing"
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value) if isinstance(value, str) else str(value)
