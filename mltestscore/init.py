"""``mltestscore init``: write a ``[tool.mltestscore]`` section from what the project holds.

:mod:`mltestscore.init_inspect` looks inside the project (the model's own columns and task,
the label that fits it, time columns, identifiers and personal data, protected attributes, a
training function it has called); this module turns the findings into a commented section of
``pyproject.toml`` (creating the file when there is none) with attestation templates for the
process items, prints each finding with its reason, and merges on a re-run: every key
already in the section is the user's and is kept; new findings are added, and a finding that
differs from the user's value is only proposed (``--force`` takes it, and still deletes no
key). ``--dry-run`` prints the diff and what a real run would refuse. The file is replaced
atomically (written beside it, then renamed).

    python -m mltestscore.init [--root DIR] [--force] [--dry-run]
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import textwrap
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from mltestscore.config_files import read_utf8
from mltestscore.init_inspect import Finding, Inspection, inspect_project

PROCESS_ITEMS = {
    "data-6": "how long adding a feature takes (a recent example with dates)",
    "model-1": "model spec reviews (pull requests with a review checklist)",
    "model-2": "the offline/online metric comparison (A/B test or shadow results)",
    "data-5": "privacy review of the data pipeline (access controls, retention)",
    "infra-6": "the canary procedure of your serving stack",
    "infra-7": "the rollback runbook and its last drill",
}
EXIT_REFUSED = 1
EXIT_USAGE = 2


# -- values and comments -------------------------------------------------------------------


def toml_value(value: Any) -> str:
    """A TOML spelling of a value read from (or written to) ``[tool.mltestscore]``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML spelling for {type(value).__name__}")


def _comment(text: str, width: int = 96) -> list[str]:
    return textwrap.wrap(
        text,
        width=width,
        initial_indent="# ",
        subsequent_indent="# ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def _key_lines(finding: Finding) -> list[str]:
    prefix = "" if finding.active else "# "
    if finding.item_reasons and isinstance(finding.value, list):
        lines = [f"{prefix}{finding.key} = ["]
        for value, reason in zip(finding.value, finding.item_reasons, strict=True):
            lines.append(f"{prefix}    {json.dumps(value)},  # {value}: {reason}")
        return [*lines, f"{prefix}]"]
    return [f"{prefix}{finding.key} = {toml_value(finding.value)}"]


# -- merging with what is there ---------------------------------------------------------------


@dataclass
class Merge:
    """The section to write and what it did to the user's keys."""

    findings: dict[str, Finding]  # what init writes (active or commented)
    kept: dict[str, Any] = field(default_factory=dict)  # the user's keys, written unchanged
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # with --force
    refused: list[str] = field(default_factory=list)  # findings not taken over a user's value


def main_keys(existing: dict[str, Any]) -> dict[str, Any]:
    """The main table's own keys (not its sub-tables or arrays of tables)."""
    return {
        key: value
        for key, value in existing.items()
        if not isinstance(value, dict)
        and not (isinstance(value, list) and value and all(isinstance(v, dict) for v in value))
    }


def merge(found: Inspection, existing: dict[str, Any], force: bool) -> Merge:
    """Every existing key is the user's: kept, never deleted or commented out. A finding
    for a key the user has not set is added; one that differs from the user's value is
    taken only with ``force``."""
    result = Merge(findings={})
    user = main_keys(existing)
    for key, finding in found.findings.items():
        if key not in user:
            result.findings[key] = finding
            if finding.active:
                result.added.append(key)
        elif not finding.active or user[key] == finding.value:
            continue  # the user's value stays (an undecided finding never overrides it)
        elif force:
            result.findings[key] = finding
            result.replaced.append(
                f"{key} = {toml_value(user[key])} -> {toml_value(finding.value)}"
            )
        else:
            result.refused.append(
                f"{key} = {toml_value(user[key])}; init finds "
                f"{toml_value(finding.value)} ({finding.reason}); --force takes it"
            )
    result.kept = {k: v for k, v in user.items() if k not in result.findings}
    return result


# -- writing the section ----------------------------------------------------------------------


def render_section(merged: Merge, notes: list[str]) -> str:
    lines = [
        "[tool.mltestscore]",
        *_comment(
            "Written by `mltestscore init` from what it found in the project: each key turns "
            "on the built-in checks that need it (docs/zero-config.md); `pytest --mlscore` runs "
            "them. Re-running init keeps every key set here and proposes new findings."
        ),
    ]
    if merged.kept:
        lines.append("# Set by you (init keeps these as they are):")
        lines += [f"{key} = {toml_value(value)}" for key, value in merged.kept.items()]
    active = {k: f for k, f in merged.findings.items() if f.active}
    commented = {k: f for k, f in merged.findings.items() if not f.active}
    for finding in active.values():
        lines += _comment(finding.reason)
        lines += _key_lines(finding)
    if commented:
        lines.append("")
        lines.append("# Not decided by init: what to do is said above each line.")
    for finding in commented.values():
        lines += _comment(finding.reason)
        lines += _key_lines(finding)
    for note in notes:
        lines += _comment(f"Note: {note}")
    lines.append("# Other keys: slices = [...], prediction, feature_spec, train_fn, registry,")
    lines.append("# and [tool.mltestscore.thresholds] for check parameters.")
    lines.append("")
    lines.append(
        "# Process items earn 0.5 point with an attestation: uncomment one when it is true,"
    )
    lines.append("# with a link or repository path to the evidence and the date it was done.")
    for item, what in PROCESS_ITEMS.items():
        lines.append(f"# [[tool.mltestscore.manual]]  # {item}: {what}")
        lines.append(f'# item = "{item}"')
        lines.append('# evidence = "https://..."')
        lines.append("# date = 2026-01-31")
        lines.append('# owner = "team"')
    return "\n".join(lines) + "\n"


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def _remove_main_table(text: str) -> str:
    """The document without the ``[tool.mltestscore]`` table's own lines (its sub-tables, such
    as attestations and thresholds, are kept)."""
    out: list[str] = []
    inside = False
    for line in text.splitlines(keepends=True):
        match = _HEADER.match(line)
        if match:
            inside = match.group(1) == "tool.mltestscore" and not line.lstrip().startswith("[[")
            if inside:
                continue
        if not inside:
            out.append(line)
    return "".join(out)


def read_existing(pyproject: Path) -> tuple[str, dict[str, Any]]:
    """The file's text and its ``[tool.mltestscore]`` table; ValueError when it does not
    parse (init never rewrites a file it cannot read)."""
    text = read_utf8(pyproject) if pyproject.is_file() else ""  # ValueError: not UTF-8
    try:
        existing = tomllib.loads(text).get("tool", {}).get("mltestscore", {})
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{pyproject} is not valid TOML ({exc}); fix it first") from None
    return text, existing if isinstance(existing, dict) else {}


def new_document(text: str, section: str) -> str:
    """``text`` with its main ``[tool.mltestscore]`` table replaced by ``section``; raises
    ValueError rather than produce a file that no longer parses."""
    rest = _remove_main_table(text)
    new_text = rest.rstrip("\n") + ("\n\n" if rest.strip() else "") + section
    try:
        tomllib.loads(new_text)
    except tomllib.TOMLDecodeError as exc:  # pragma: no cover - a bug here, not the user's
        raise ValueError(f"the merged section does not parse ({exc}); nothing written") from None
    return new_text


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` beside ``path`` and rename it into place: a reader (or a crash) never
    sees half a pyproject.toml. The file keeps its permissions. A link, device or folder at
    ``path`` is refused (:class:`mltestscore.report.atomic.UnsafeTargetError`), never
    written through."""
    from mltestscore.report.atomic import write_atomic

    write_atomic(path, text, keep_mode=True)


def _diff(old: str, new: str, name: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), name, f"{name} (init)"
    )
    return "".join(lines)


def _register_marker(root: Path, dry_run: bool) -> None:
    """Projects running ``--strict-markers`` with the plugin disabled need the marker in
    their own pytest configuration (:mod:`mltestscore.marker_registration`)."""
    from mltestscore.marker_registration import register_marker

    try:
        print(register_marker(root, dry_run))
    except ValueError as exc:
        print(f"mltestscore init: {exc}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mltestscore init",
        description="Write a [tool.mltestscore] section from what the project holds: the "
        "model's columns and task, the label, time columns, personal data, protected "
        "attributes. Keys already set are kept.",
    )
    parser.add_argument("--root", default=".", help="the project folder (default: here)")
    parser.add_argument(
        "--force",
        action="store_true",
        help="take init's finding where it differs from a key you set (no key is deleted)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the diff and what a real run would refuse"
    )
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    if not root.is_dir():
        print(f"mltestscore init: {root} is not a directory", file=sys.stderr)
        return EXIT_USAGE
    pyproject = root / "pyproject.toml"
    try:
        old_text, existing = read_existing(pyproject)
    except ValueError as exc:
        print(f"mltestscore init: {'--dry-run: a real run would refuse: ' if args.dry_run else ''}"
              f"{exc}", file=sys.stderr)  # fmt: skip
        return EXIT_REFUSED
    found = inspect_project(root)
    _print_findings(root, found)
    merged = merge(found, existing, args.force)
    new_text = new_document(old_text, render_section(merged, found.notes))
    for line in merged.refused:
        verb = "a real run would keep" if args.dry_run else "kept"
        print(f"  {verb} your key {line}")
    if args.dry_run:
        diff = _diff(old_text, new_text, "pyproject.toml")
        print(f"\n--dry-run: the changes to {pyproject}:\n\n{diff or '(none)'}")
        _register_marker(root, dry_run=True)
        return 0
    action = "created" if not old_text else "updated"
    if new_text == old_text:
        print(f"nothing to change in {pyproject}")
    else:
        from mltestscore.report.atomic import UnsafeTargetError

        try:
            write_atomically(pyproject, new_text)
        except (UnsafeTargetError, OSError) as exc:
            print(f"mltestscore init: {pyproject} not written: {exc}", file=sys.stderr)
            return EXIT_REFUSED
        print(f"{action} {pyproject}" + (f" (added: {', '.join(merged.added)})" if old_text
                                         and merged.added else ""))  # fmt: skip
    for line in merged.replaced:
        print(f"  replaced (--force): {line}")
    _register_marker(root, dry_run=False)
    print("next: review the section, then run `pytest --mlscore`")
    return 0


def _print_findings(root: Path, found: Inspection) -> None:
    print(f"mltestscore init: looked at {root}")
    for key, finding in found.active().items():
        print(f"  {key} = {toml_value(finding.value)}  ({finding.reason})")
    for key, finding in found.commented().items():
        print(f"  # {key} = {toml_value(finding.value)}  (left commented: {finding.reason})")
    for note in found.notes:
        print(f"  note: {note}")
    if not found.findings:
        print("  found no data or model: the section only holds comments to fill in")


if __name__ == "__main__":
    sys.exit(main())
