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
import math
import os
from collections import deque
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from mltestscore.report.atomic import open_for_append
from mltestscore.scorecard import Scorecard

HISTORY_NAME = "mlscore-history.jsonl"
HISTORY_VERSION = 1
MAX_WARNINGS = 3
#: A history line is a few hundred bytes; a longer one is not ours and is skipped unread.
MAX_LINE_BYTES = 1 << 16


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
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    data = (line + "\n").encode("utf-8")
    fd = open_for_append(target)  # a regular file only; never through a link
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


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _problem(record: object) -> str | None:
    if not isinstance(record, dict):
        return "not a JSON object"
    score = record.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float):
        return "no numeric 'score'"
    if not math.isfinite(score):
        return "a 'score' that is not finite"
    sections = record.get("sections")
    if not isinstance(sections, dict) or not all(_finite(v) for v in sections.values()):
        return "no 'sections' mapping of finite numbers"
    if not isinstance(record.get("generated_at"), str) or not isinstance(record.get("rubric"), str):
        return "no 'generated_at' or 'rubric' text"
    return None


def _lines(handle: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """The numbered lines of the file, one at a time; a line longer than
    :data:`MAX_LINE_BYTES` is skipped without holding it (None in its place)."""
    number = 0
    while True:
        line = handle.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while True:  # drop the rest of the overlong line, a bounded chunk at a time
                rest = handle.readline(MAX_LINE_BYTES)
                if not rest or rest.endswith(b"\n"):
                    break
            yield number, None
            continue
        yield number, line


def _parse(line: bytes) -> tuple[Any, str | None]:
    """The JSON value of one line, or why it cannot be read (never raises)."""
    try:
        record = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "not UTF-8"
    except json.JSONDecodeError as exc:
        return None, f"not JSON: {exc.msg}"
    except RecursionError:
        return None, "JSON nested too deeply"
    if b"\\u" in line:  # an escaped lone surrogate cannot be written out again as UTF-8
        try:
            json.dumps(record, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            return None, "a lone surrogate escape"
        except RecursionError:
            return None, "JSON nested too deeply"
    return record, None


def read_history(
    path: str | os.PathLike[str], limit: int | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """The records of the history file (the last ``limit`` when given) and warnings about
    the lines skipped, naming the file and the lines. The file is read a line at a time and
    only the last ``limit`` records are kept, so a long history costs time, not memory. A
    missing file is an empty history; nothing here raises on content."""
    source = Path(path)
    records: deque[dict[str, Any]] = deque(maxlen=limit or None)
    skipped: list[str] = []
    try:
        with source.open("rb") as handle:
            for number, line in _lines(handle):
                if line is None:
                    skipped.append(f"line {number} (longer than {MAX_LINE_BYTES} bytes)")
                    continue
                if not line.strip():
                    continue
                record, problem = _parse(line)
                if problem is None:
                    if isinstance(record, dict) and record.get("partial") is True:
                        continue  # a partial run's score is not the project's: not the trend
                    problem = _problem(record)
                if problem:
                    skipped.append(f"line {number} ({problem})")
                    continue
                records.append(record)
    except FileNotFoundError:
        return [], []
    except OSError as exc:
        return [], [f"could not read the score history {source}: {exc.strerror or exc}"]
    warnings = []
    if skipped:
        shown = ", ".join(skipped[:MAX_WARNINGS])
        more = f" and {len(skipped) - MAX_WARNINGS} more" if len(skipped) > MAX_WARNINGS else ""
        warnings.append(
            f"score history {source}: skipped {len(skipped)} corrupt line(s): {shown}{more}"
        )
    return list(records), warnings
