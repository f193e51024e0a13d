"""The scorecard's shape as types: TypedDicts mirroring ``schemas/scorecard.schema.json``.

The JSON stays the data (it is what the session writes, the CLI reads back and the templates
render), so the model is a set of TypedDicts over it rather than classes around it: a report
reads ``scorecard["sections"][0]["score"]`` and mypy knows it is a float. A test walks the
schema and these types side by side (every property a key of a compatible type, the same
required keys), so the two cannot drift apart.

Status names are not spelled here: an item's ``status`` is one of
:class:`mltestscore.scoring.Status` (a ``StrEnum``, so it compares equal to the JSON string),
and section counts are keyed by those values.

Annotations are evaluated (no ``from __future__ import annotations``): TypedDict reads
``NotRequired`` from them when the class is made, and the schema test reads them back.
"""

# ruff: noqa: I002  (see above: the annotations must be evaluated)
from typing import Literal, NotRequired, TypeAlias, TypedDict

#: A value a check or a test records: what a JSON table cell or measurement may hold.
Scalar: TypeAlias = str | int | float | bool | None


class Tool(TypedDict):
    name: str
    version: str


class Points(TypedDict):
    missing: float
    manual: float
    automated: float


class BandInfo(TypedDict):
    """One band of the rubric: its label and its interval, e.g. ``(1,2]``."""

    label: str
    interval: str


class RubricInfo(TypedDict):
    id: str
    title: str
    source: str
    points: Points
    bands: list[BandInfo]
    #: sha256 of the rubric's content; ``modified``: it calls itself by a shipped rubric's
    #: id with other content (absent in scorecards written before they were added).
    fingerprint: NotRequired[str]
    modified: NotRequired[bool]


class Band(TypedDict):
    """The band this run's final score falls in (``index`` into the rubric's bands)."""

    index: int
    label: str
    interval: str


class Section(TypedDict):
    id: str
    title: str
    score: float
    max: float
    counts: dict[str, int]  # Status value -> number of items


class Table(TypedDict):
    title: str
    columns: list[str]
    rows: list[list[Scalar]]
    chart: NotRequired[str | None]


class Measurement(TypedDict):
    """A value a test recorded with ``record_measurement`` (or a table)."""

    name: str
    item: NotRequired[str | None]
    value: NotRequired[Scalar]
    unit: NotRequired[str | None]
    table: NotRequired[Table]


class PytestEvidence(TypedDict):
    """A pytest test that claims the item (by marker, the configured map, or the suite)."""

    kind: Literal["test"]
    nodeid: str
    outcome: str
    duration: float
    message: str
    via: str
    measurements: list[Measurement]


class CheckEvidence(TypedDict):
    """A built-in check's result (``CheckResult.to_dict``) and the test that ran it."""

    kind: Literal["check"]
    nodeid: str
    check: str
    rubric_ids: list[str]
    outcome: str
    reason: str
    measurements: NotRequired[dict[str, Scalar]]
    thresholds: NotRequired[dict[str, Scalar]]
    parameters: NotRequired[dict[str, Scalar]]
    tables: NotRequired[list[Table]]


class AttestationEvidence(TypedDict):
    """A manual attestation from ``[tool.mltestscore]``."""

    kind: Literal["attestation"]
    evidence: str
    date: str
    owner: str | None
    expired: bool


Evidence: TypeAlias = PytestEvidence | CheckEvidence | AttestationEvidence


class Item(TypedDict):
    id: str
    section: str
    title: str
    status: str  # a mltestscore.scoring.Status value
    points: float
    max_points: float
    guidance: str
    remediation: str
    evidence: list[Evidence]
    expired_attestations: list[AttestationEvidence]
    hints: list[str]


class NextStep(TypedDict):
    id: str
    title: str
    status: str  # a mltestscore.scoring.Status value
    remediation: str
    final_after: float
    gain: float


class Selection(TypedDict):
    """Why a run is partial: it did not run the whole suite."""

    reasons: list[str]
    args: NotRequired[list[str]]
    deselected: NotRequired[int]
    not_run: NotRequired[int]


class Scorecard(TypedDict):
    """The whole scorecard, as ``build_scorecard`` returns it and the JSON report holds it.

    ``partial`` and ``selection`` are absent from scorecards written before partial runs
    were marked; read them with ``.get`` (:func:`is_partial`, :func:`partial_reasons`).
    """

    schema_version: int
    tool: Tool
    generated_at: str
    commit: str | None
    rubric: RubricInfo
    credit_mode: str
    manual_max_age_days: int
    departures: list[str]
    score: float
    max_score: float
    band: Band
    sections: list[Section]
    weakest_sections: list[str]
    items: list[Item]
    next_steps: list[NextStep]
    tests: dict[str, int]  # total, claiming and one count per pytest outcome
    warnings: list[str]
    partial: NotRequired[bool]
    selection: NotRequired[Selection | None]


def is_partial(scorecard: Scorecard) -> bool:
    """True for a run that did not run the whole suite (false for older scorecards, which
    predate the mark)."""
    return bool(scorecard.get("partial"))


def partial_reasons(scorecard: Scorecard) -> list[str]:
    """Why the run is partial, one reason each; empty for a full run."""
    if not is_partial(scorecard):
        return []
    selection = scorecard.get("selection") or {"reasons": []}
    return [str(reason) for reason in selection["reasons"]] or ["reason not recorded"]


#: What every report says under the reasons of a partial run.
PARTIAL_CONSEQUENCE = (
    "This scorecard is not the project's score; it is kept out of the history and cannot "
    "be a comparison base."
)
