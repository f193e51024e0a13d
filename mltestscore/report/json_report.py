"""The JSON report: the scorecard as written, versioned by ``schema_version``."""

from __future__ import annotations

import json
import math
import os
from functools import cache
from pathlib import Path
from typing import Any, cast

from mltestscore.errors import MLScoreError
from mltestscore.report.atomic import write_atomic
from mltestscore.scorecard import SCHEMA_VERSION
from mltestscore.scorecard_model import Scorecard

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "scorecard.schema.json"


@cache
def scorecard_schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def dumps(scorecard: Scorecard) -> str:
    """One top-level field a line, and one element a line for lists (sections, items, ...):
    readable and diffable, yet written by the C encoder (``indent`` falls back to pure
    Python, several times slower on a large run's evidence)."""
    lines = []
    for key, value in scorecard.items():
        if isinstance(value, list) and value:
            inner = ",\n".join(f"    {_compact(element)}" for element in value)
            lines.append(f"  {_compact(key)}: [\n{inner}\n  ]")
        else:
            lines.append(f"  {_compact(key)}: {_compact(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def write_json(scorecard: Scorecard, path: str | os.PathLike[str]) -> Path:
    return write_atomic(path, dumps(scorecard))


def validation_errors(data: object) -> list[str]:
    import jsonschema

    validator = jsonschema.Draft202012Validator(scorecard_schema())
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top level)'}: {error.message}"
        for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    ]


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a score: every number must be finite")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a score: every number must be finite")
    return value


def read_json(path: str | os.PathLike[str]) -> Scorecard:
    """Read a saved scorecard, refusing (with a clear message) one this version cannot render."""
    source = Path(path)
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise MLScoreError(f"cannot read {source}: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite)
    except UnicodeDecodeError as exc:
        raise MLScoreError(f"{source} is not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise MLScoreError(f"{source} is not JSON: {exc}") from None
    except RecursionError:
        raise MLScoreError(f"{source} is not a scorecard: its JSON is nested too deeply") from None
    except ValueError as exc:  # NaN or infinite numbers, refused by the parse hooks
        raise MLScoreError(f"{source} is not a valid scorecard: {exc}") from None
    if not isinstance(data, dict):
        raise MLScoreError(f"{source} is not an mltestscore scorecard (not a JSON object)")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise MLScoreError(
            f"{source} has scorecard schema_version {version!r}; this mltestscore reads "
            f"version {SCHEMA_VERSION}. Re-run pytest --mlscore with this version to refresh it."
        )
    try:
        errors = validation_errors(data)
    except RecursionError:
        raise MLScoreError(f"{source} is not a scorecard: its JSON is nested too deeply") from None
    if errors:
        raise MLScoreError(f"{source} is not a valid scorecard: {errors[0]}")
    bands, index = data["rubric"]["bands"], data["band"]["index"]
    if not 0 <= index < len(bands):
        raise MLScoreError(
            f"{source} is not a valid scorecard: band/index {index} is not one of the "
            f"rubric's {len(bands)} bands"
        )
    return cast(Scorecard, data)  # the schema just checked the shape the type describes
