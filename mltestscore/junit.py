"""The scorecard in pytest's JUnit XML (``--junitxml``), in the plain ``key=value`` form CI
dashboards read.

Evidence travels from where tests run to the scorer on ``report.user_properties`` as
Python dicts (that is how it crosses pytest-xdist workers), and pytest's junitxml writes every
user property of a test as ``str(value)``: a dict's repr in every ``<testcase>``. So the
scorer takes its own properties off each report once it has read them
(:func:`without_evidence`), adds plain per-test ones only when asked for
(``--mlscore-junit-properties``: :func:`per_test_properties`), and after junitxml has written the
file puts the score, band, rubric and section scores on its ``<testsuite>``
(:func:`add_suite_properties`) — the place pytest's own ``record_testsuite_property`` uses,
valid in the default xunit2 family.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence, Set
from pathlib import Path
from typing import Any

from mltestscore import recording
from mltestscore.report.atomic import write_atomic
from mltestscore.scorecard_model import Scorecard
from mltestscore.scoring import CreditMode, Signal, signal_of_check, signal_of_test

PREFIX = "mlscore."
_EVIDENCE = frozenset(
    {recording.CLAIMS_PROPERTY, recording.CHECK_PROPERTY, recording.MEASUREMENT_PROPERTY}
)
#: What a test does for an item, in the scorecard's status words.
_CREDIT = {Signal.PASS: "automated", Signal.FAIL: "failing", Signal.NONE: "none"}


def has_evidence(properties: Iterable[tuple[str, Any]]) -> bool:
    return any(name in _EVIDENCE for name, _ in properties)


def without_evidence(properties: Iterable[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """A test's user properties without the evidence mltestscore carries on them."""
    return [(name, value) for name, value in properties if name not in _EVIDENCE]


def per_test_properties(
    properties: Sequence[tuple[str, Any]], outcome: str, mode: CreditMode, known: Set[str]
) -> list[tuple[str, str]]:
    """Plain per-test properties: the rubric ids the test evidences
    (``mlscore.rubric_ids = data-1 model-6``) and, per id, what it does for the item under
    the run's credit mode (``mlscore.credit.data-1 = automated | failing | none``)."""
    signals: dict[str, list[Signal]] = {}
    for name, value in properties:
        if name == recording.CLAIMS_PROPERTY:
            for item_id in dict(value):
                signals.setdefault(item_id, []).append(signal_of_test(outcome, mode))
        elif name == recording.CHECK_PROPERTY:
            check_signal = signal_of_check(str(value["outcome"]), mode)
            for item_id in value["rubric_ids"]:
                signals.setdefault(item_id, []).append(signal_of_test(outcome, mode))
                signals[item_id].append(check_signal)
    ids = [item_id for item_id in signals if item_id in known]
    if not ids:
        return []
    plain = [(f"{PREFIX}rubric_ids", " ".join(ids))]
    for item_id in ids:
        seen = set(signals[item_id])
        signal = next((s for s in (Signal.FAIL, Signal.PASS) if s in seen), Signal.NONE)
        plain.append((f"{PREFIX}credit.{item_id}", _CREDIT[signal]))
    return plain


def suite_properties(scorecard: Scorecard) -> list[tuple[str, str]]:
    """The score, band, rubric and section scores as ``mlscore.*`` names and plain values."""
    properties = [
        (f"{PREFIX}score", f"{scorecard['score']:g}"),
        (f"{PREFIX}max_score", f"{scorecard['max_score']:g}"),
        (f"{PREFIX}band", scorecard["band"]["interval"]),
        (f"{PREFIX}band_label", scorecard["band"]["label"]),
        (f"{PREFIX}rubric", scorecard["rubric"]["id"]),
        (f"{PREFIX}credit_mode", str(scorecard["credit_mode"])),
        (f"{PREFIX}partial", "true" if scorecard.get("partial") else "false"),
    ]
    for section in scorecard["sections"]:
        properties.append((f"{PREFIX}section.{section['id']}", f"{section['score']:g}"))
    counts: dict[str, int] = {}
    for item in scorecard["items"]:
        counts[item["status"]] = counts.get(item["status"], 0) + 1
    for status, count in sorted(counts.items()):
        properties.append((f"{PREFIX}items.{status}", str(count)))
    return properties


def junit_path(xmlpath: str | None, invocation_dir: Path) -> Path | None:
    """Where ``--junitxml`` wrote, resolved as pytest resolves it."""
    if not xmlpath:
        return None
    path = Path(os.path.expanduser(os.path.expandvars(xmlpath)))
    return path if path.is_absolute() else invocation_dir / path


def add_suite_properties(path: Path, properties: Sequence[tuple[str, str]]) -> str | None:
    """Put ``properties`` on every ``<testsuite>`` of the JUnit file at ``path`` (replacing
    ``mlscore.*`` ones an earlier call left; other properties stay, first). A problem comes
    back as a one-line message; a missing file (junitxml disabled) is not one."""
    if not path.is_file():
        return None
    try:
        tree = ET.parse(path)
    except (OSError, ET.ParseError) as exc:
        return f"could not add the score to the JUnit XML {path}: {exc}"
    root = tree.getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    for suite in suites:
        node = suite.find("properties")
        if node is None:
            node = ET.Element("properties")
            suite.insert(0, node)
        for stale in [p for p in node if str(p.get("name", "")).startswith(PREFIX)]:
            node.remove(stale)
        for name, value in properties:
            ET.SubElement(node, "property", name=name, value=value)
    text = '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="unicode")
    try:
        write_atomic(path, text)
    except OSError as exc:
        return f"could not add the score to the JUnit XML {path}: {exc}"
    return None
