"""The ``[tool.mltestscore]`` section of ``pyproject.toml``, read and validated.

Every problem becomes a :class:`ConfigError` whose message names the file, the key and what
is wrong, so the plugin can stop the run with a usage error instead of a traceback.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from mltestscore.config_files import read_utf8
from mltestscore.errors import ConfigError
from mltestscore.evidence import Attestation
from mltestscore.rubric import Rubric
from mltestscore.scoring import CreditMode

SECTION = "tool.mltestscore"
DEFAULT_MAX_AGE_DAYS = 365

# Keys of the spine, and keys the zero-config suite reads (validated there).
SPINE_KEYS = {"map", "manual", "manual_max_age_days", "rubric", "credit", "fail_under"}
SUITE_KEYS = {
    "model",
    "model_trusted",
    "train",
    "test",
    "serving",
    "target",
    "prediction",
    "sensitive",
    "slices",
    "time_column",
    "features",
    "id_columns",
    "schema",
    "feature_spec",
    "registry",
    "mlflow_tracking_uri",
    "train_fn",
    "thresholds",
    "storage_options",
}
ATTESTATION_KEYS = {"item", "evidence", "date", "owner"}


@dataclass(frozen=True)
class ProjectConfig:
    source: str  # "path/pyproject.toml" or "(none)" for messages
    root: Path
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def rubric(self) -> str | None:
        value = self.settings.get("rubric")
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{self.source}: [{SECTION}] rubric must be a rubric id or a path")
        path = self.root / value
        return str(path) if path.suffix in {".yaml", ".yml"} else value

    @property
    def credit(self) -> CreditMode | None:
        value = self.settings.get("credit")
        return None if value is None else parse_credit(value, f"{self.source}: [{SECTION}] credit")

    @property
    def fail_under(self) -> float | None:
        value = self.settings.get("fail_under")
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConfigError(f"{self.source}: [{SECTION}] fail_under must be a number >= 0")
        return float(value)

    @property
    def max_age_days(self) -> int:
        value = self.settings.get("manual_max_age_days", DEFAULT_MAX_AGE_DAYS)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(
                f"{self.source}: [{SECTION}] manual_max_age_days must be a whole number of "
                f"days >= 1, got {value!r}"
            )
        return value

    def mapping(self, rubric: Rubric) -> list[tuple[str, tuple[str, ...]]]:
        """``[tool.mltestscore.map]``: node-id glob pattern -> rubric ids, ids validated."""
        raw = self.settings.get("map", {})
        where = f"{self.source}: [{SECTION}.map]"
        if not isinstance(raw, dict):
            raise ConfigError(f'{where} must be a table of "pattern" = ["rubric-id", ...]')
        patterns = []
        for pattern, value in raw.items():
            ids = [value] if isinstance(value, str) else value
            if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
                raise ConfigError(f"{where} {pattern!r} must map to a list of rubric ids")
            for item_id in ids:
                if item_id not in rubric.item_ids:
                    raise ConfigError(f"{where} {pattern!r}: {rubric.unknown_id_message(item_id)}")
            patterns.append((pattern, tuple(ids)))
        return patterns

    def attestations(self, rubric: Rubric, today: date) -> list[Attestation]:
        raw = self.settings.get("manual", [])
        if not isinstance(raw, list):
            raise ConfigError(
                f"{self.source}: [[{SECTION}.manual]] must be an array of tables "
                "(write each attestation under its own [[tool.mltestscore.manual]] header)"
            )
        max_age = self.max_age_days
        return [
            _attestation(
                entry, f"{self.source}: [[{SECTION}.manual]] entry {n}", rubric, today, max_age
            )
            for n, entry in enumerate(raw, start=1)
        ]


def parse_credit(value: object, where: str) -> CreditMode:
    try:
        return CreditMode(str(value))
    except ValueError:
        choices = ", ".join(repr(m.value) for m in CreditMode)
        raise ConfigError(f"{where} must be one of {choices}, got {value!r}") from None


def _parse_date(value: object, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ConfigError(f"{where}: date {value!r} is not a real date ({exc})") from None
    raise ConfigError(f"{where}: date must be a TOML date like 2026-10-01, got {value!r}")


def _attestation(
    entry: object, where: str, rubric: Rubric, today: date, max_age_days: int
) -> Attestation:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a table with item, evidence and date")
    unknown = sorted(set(entry) - ATTESTATION_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(ATTESTATION_KEYS))})"
        )
    for key in ("item", "evidence", "date"):
        if key not in entry:
            raise ConfigError(f"{where} has no {key!r}")
    item = entry["item"]
    if not isinstance(item, str) or item not in rubric.item_ids:
        raise ConfigError(f"{where}: {rubric.unknown_id_message(str(item))}")
    where = f"{where} ({item})"
    evidence = entry["evidence"]
    if not isinstance(evidence, str) or not evidence.strip():
        raise ConfigError(f"{where}: evidence must be a non-empty link or repository path")
    owner = entry.get("owner")
    if owner is not None and not isinstance(owner, str):
        raise ConfigError(f"{where}: owner must be a string")
    when = _parse_date(entry["date"], where)
    if when > today:
        raise ConfigError(f"{where}: date {when.isoformat()} is in the future")
    return Attestation(
        item=item,
        evidence=evidence.strip(),
        date=when,
        owner=owner,
        expired=(today - when).days > max_age_days,
        where=where,
    )


def load_project_config(pyproject: Path | None) -> ProjectConfig:
    """Read ``[tool.mltestscore]`` from ``pyproject`` (absent file or section: empty config)."""
    if pyproject is None or not pyproject.is_file():
        root = pyproject.parent if pyproject is not None else Path.cwd()
        return ProjectConfig(source="(no pyproject.toml)", root=root)
    source = str(pyproject)
    try:
        document = tomllib.loads(read_utf8(pyproject))
    except OSError as exc:
        raise ConfigError(f"cannot read {source}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}") from None
    except ValueError as exc:  # not UTF-8: TOML files must be
        raise ConfigError(str(exc)) from None
    settings = document.get("tool", {}).get("mltestscore", {})
    if not isinstance(settings, dict):
        raise ConfigError(f"{source}: [{SECTION}] must be a table")
    known = SPINE_KEYS | SUITE_KEYS
    for key in settings:
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"{source}: [{SECTION}] has an unknown key {key!r}{hint}")
    return ProjectConfig(source=source, root=pyproject.parent, settings=settings)
