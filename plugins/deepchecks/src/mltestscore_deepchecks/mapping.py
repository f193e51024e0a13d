"""The mapping from deepchecks checks to ML Test Score items, read from ``mapping.yaml``.

Data, not code: which rubric item a deepchecks check evidences, how its PASS / WARN / FAIL /
ERROR conditions become our outcomes, and which deepchecks errors mean "does not apply".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

MAPPING_FILE = Path(__file__).with_name("mapping.yaml")
OUTCOMES = {"passed", "failed", "error", "not_applicable"}


@dataclass(frozen=True)
class DeepchecksMapping:
    checks: Mapping[str, tuple[str, ...]]
    status_outcomes: Mapping[str, str]
    not_applicable: tuple[re.Pattern[str], ...]

    def rubric_ids(self, check_name: str) -> tuple[str, ...]:
        return self.checks.get(check_name, ())

    def all_rubric_ids(self) -> tuple[str, ...]:
        return tuple(sorted({i for ids in self.checks.values() for i in ids}))

    def does_not_apply(self, message: str) -> bool:
        return any(p.search(message) for p in self.not_applicable)


def parse_mapping(data: Any, where: str = "mapping") -> DeepchecksMapping:
    if not isinstance(data, Mapping) or not isinstance(data.get("checks"), Mapping):
        raise ValueError(f"{where}: needs a 'checks' mapping of check name -> rubric ids")
    checks = {str(k): tuple(str(i) for i in v) for k, v in data["checks"].items()}
    outcomes = {str(k).upper(): str(v) for k, v in dict(data.get("status_outcomes", {})).items()}
    unknown = {v for v in outcomes.values() if v not in OUTCOMES}
    if unknown or set(outcomes) != {"PASS", "WARN", "FAIL", "ERROR"}:
        raise ValueError(
            f"{where}: status_outcomes must map PASS, WARN, FAIL and ERROR to one of "
            f"{sorted(OUTCOMES)}"
        )
    patterns = tuple(re.compile(str(p), re.IGNORECASE) for p in data.get("not_applicable", []))
    return DeepchecksMapping(checks, outcomes, patterns)


@cache
def default_mapping() -> DeepchecksMapping:
    import yaml

    return parse_mapping(
        yaml.safe_load(MAPPING_FILE.read_text(encoding="utf-8")), str(MAPPING_FILE)
    )
