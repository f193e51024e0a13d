"""Which rubric items deserve an annotation on the pull request, and where.

A failing item is an ``::error`` at the first claiming test or check that failed; an item
that earned fewer points than on the base branch (without failing: e.g. an attestation
expired, or the test that claimed it was removed) is a ``::warning``. Missing items are
not annotated: most projects have many, and the summary and comment list them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from mltestscore.ci.locations import where_defined
from mltestscore.ci.workflow_commands import Annotation
from mltestscore.scorecard_model import Item, Scorecard
from mltestscore.scoring import Status

BAD_OUTCOMES = frozenset({"failed", "error"})
#: GitHub shows at most 10 annotations of each level per step; more would be cut anyway.
MAX_PER_LEVEL = 10


def _first_failure(item: Item) -> tuple[str | None, str]:
    """The node id of the first failing evidence and what it says."""
    for entry in item["evidence"]:
        if entry["kind"] == "test" and entry["outcome"] in BAD_OUTCOMES:
            message = f": {entry['message']}" if entry["message"] else ""
            return entry["nodeid"], f"{entry['nodeid']} {entry['outcome']}{message}"
        if entry["kind"] == "check" and entry["outcome"] in BAD_OUTCOMES:
            return entry["nodeid"], f"check {entry['check']} {entry['outcome']}: {entry['reason']}"
    return None, "a claiming test failed"


def _claiming_test(item: Item) -> str | None:
    for entry in item["evidence"]:
        if entry["kind"] in ("test", "check"):
            return str(entry["nodeid"])
    return None


def item_annotations(
    scorecard: Scorecard,
    rootdir: Path,
    workspace: Path,
    base: Scorecard | None = None,
) -> Iterator[Annotation]:
    base_points = {item["id"]: item["points"] for item in base["items"]} if base else {}
    errors = warnings = 0
    for item in scorecard["items"]:
        label = f"{item['id']} {item['title']}"
        if item["status"] == Status.FAILING and errors < MAX_PER_LEVEL:
            errors += 1
            nodeid, what = _first_failure(item)
            file, line = where_defined(nodeid, rootdir, workspace) if nodeid else (None, None)
            yield Annotation(
                "error",
                f"{label} is failing: {what}",
                title=f"ML Test Score: {item['id']} failing",
                file=file,
                line=line,
            )
        elif item["id"] in base_points and item["points"] < base_points[item["id"]]:
            if warnings >= MAX_PER_LEVEL:
                continue
            warnings += 1
            nodeid = _claiming_test(item)
            file, line = where_defined(nodeid, rootdir, workspace) if nodeid else (None, None)
            yield Annotation(
                "warning",
                f"{label}: {item['points']:g} points, {base_points[item['id']]:g} on the base "
                f"branch (now {item['status']})",
                title=f"ML Test Score: {item['id']} lost points",
                file=file,
                line=line,
            )
