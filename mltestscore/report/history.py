"""Score history: one JSON line per ``pytest --mlscore`` run, read back for the trend chart.

Each line holds the final and section scores, the commit and the time, so a team can see
whether its score moves the right way. Appends are atomic: the line is written with one
``write`` on a file opened in append mode, under an exclusive lock where the platform has
one, and synced; a line cut short by a crash is fenced off by a newline before the next
record. Reading never fails on a bad line: it is skipped with a warning. Only full runs are
appended; a line marked ``"partial": true`` (written by something else) is skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mltestscore.scorecard import Scorecard

HISTORY_NAME = "mlscore-history.jsonl"
HISTORY_VERSION = 1
MAX_WARNINGS = 3


def default_history_path(json_path: str | os.PathLike[str]) -> Path:
    """``mlscore-history.jsonl`` in the folder of the JSON report."""
    return Path(json_path).parent / HISTORY_NAME


def history_record(scorecard: Scorecard) -> dict[str, Any]:
    """The line a run adds to the history: scores, commit and time, nothing bulky."""
    return {
        "history_version": HISTORY_VERSION,
        "generated_at": scorecard["generated_at"],
        "commit": scorecard.get("commit"),
        "rubric": scorecard["rubric"]["id"],
        "score": scorecard["score"],
        "max_score": scorecard["max_score"],
        "band": scorecard["band"]["index"],
        "sections": {s["id"]: s["score"] for s in scorecard["sections"]},
        "tests": scorecard["tests"]["total"],
    }


@contextlib.contextmanager
def _locked(fd: int) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: O_APPEND alone keeps lines whole
        yield
        return
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _last_byte(fd: int, size: int) -> bytes:
    os.lseek(fd, size - 1, os.SEEK_SET)  # writes still go to the end: O_APPEND
    return os.read(fd, 1)


def append_history(path: str | os.PathLike[str], record: Mapping[str, Any]) -> Path:
    """Append one record as one line, atomically with respect to other writers."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    data = (line + "\n").encode("utf-8")
    fd = os.open(target, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        with _locked(fd):
            size = os.fstat(fd).st_size
            if size and _last_byte(fd, size) != b"\n":
                data = b"\n" + data  # an earlier writer died mid-line: start a fresh one
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
    finally:
        os.close(fd)
    return target


def _problem(record: object) -> str | None:
    if not isinstance(record, dict):
        return "not a JSON object"
    score = record.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float):
        return "no numeric 'score'"
    sections = record.get("sections")
    if not isinstance(sections, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in sections.values()
    ):
        return "no 'sections' mapping of numbers"
    if not isinstance(record.get("generated_at"), str) or not isinstance(record.get("rubric"), str):
        return "no 'generated_at' or 'rubric' text"
    return None


def read_history(
    path: str | os.PathLike[str], limit: int | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """The records of the history file (the last ``limit`` when given) and warnings about
    the lines skipped. A missing file is an empty history; nothing here raises on content."""
    source = Path(path)
    try:
        raw = source.read_bytes()
    except FileNotFoundError:
        return [], []
    except OSError as exc:
        return [], [f"could not read the score history {source}: {exc.strerror or exc}"]
    records: list[dict[str, Any]] = []
    skipped: list[str] = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            skipped.append(f"line {number} ({type(exc).__name__})")
            continue
        if isinstance(record, dict) and record.get("partial") is True:
            continue  # a partial run's score is not the project's: not part of the trend
        problem = _problem(record)
        if problem:
            skipped.append(f"line {number} ({problem})")
            continue
        records.append(record)
    warnings = []
    if skipped:
        shown = ", ".join(skipped[:MAX_WARNINGS])
        more = f" and {len(skipped) - MAX_WARNINGS} more" if len(skipped) > MAX_WARNINGS else ""
        warnings.append(
            f"score history {source}: skipped {len(skipped)} corrupt line(s): {shown}{more}"
        )
    return (records[-limit:] if limit else records), warnings
