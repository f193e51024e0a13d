"""The evidence a run collects, before scoring: test runs and manual attestations.

Both are plain, JSON-friendly records so they cross pytest-xdist workers and land in the
scorecard unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from mltestscore.scorecard_model import AttestationEvidence

TEST_OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")


@dataclass(frozen=True)
class TestRun:
    """One test's combined outcome over its setup, call and teardown phases."""

    __test__ = False  # not a pytest test class

    nodeid: str
    outcome: str
    duration: float
    claims: tuple[str, ...]
    message: str = ""
    checks: tuple[Mapping[str, Any], ...] = ()
    measurements: tuple[Mapping[str, Any], ...] = ()
    claimed_by: Mapping[str, str] = field(default_factory=dict)  # item id -> marker/map/check

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodeid": self.nodeid,
            "outcome": self.outcome,
            "duration": round(self.duration, 6),
            "message": self.message,
            "claims": list(self.claims),
            "checks": [dict(c) for c in self.checks],
            "measurements": [dict(m) for m in self.measurements],
        }


@dataclass(frozen=True)
class Attestation:
    """A manual test whose result is documented elsewhere (worth the rubric's manual points
    while it is younger than the configured maximum age)."""

    item: str
    evidence: str
    date: date
    owner: str | None
    expired: bool
    where: str  # which entry of the configuration it came from, for messages

    def to_dict(self) -> AttestationEvidence:
        return {
            "kind": "attestation",
            "evidence": self.evidence,
            "date": self.date.isoformat(),
            "owner": self.owner,
            "expired": self.expired,
        }
