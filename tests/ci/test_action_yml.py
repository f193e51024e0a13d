"""``action.yml`` and the script it calls stay in step: every flag the action passes exists,
every input is used, and no input is pasted into a shell line (they go through ``env``)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from mltestscore.ci.__main__ import build_parser

ACTION = Path(__file__).resolve().parents[2] / "action.yml"


def _action() -> dict[str, object]:
    data = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_every_flag_the_action_passes_exists() -> None:
    known = {o for action in build_parser()._actions for o in action.option_strings}
    steps = _action()["runs"]["steps"]  # type: ignore[index]
    script = next(s["run"] for s in steps if "mltestscore.ci github" in s.get("run", ""))
    passed = set(re.findall(r"(--[a-z-]+)", script))
    assert passed
    assert passed <= known


def test_every_input_is_used_and_only_through_the_environment() -> None:
    action = _action()
    text = ACTION.read_text(encoding="utf-8")
    for name in action["inputs"]:  # type: ignore[union-attr]
        assert f"inputs.{name}" in text, f"input {name} is never used"
    for step in action["runs"]["steps"]:  # type: ignore[index]
        assert "${{" not in step.get("run", ""), f"an expression in a shell line: {step}"
