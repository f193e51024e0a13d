"""The typed scorecard model and the JSON Schema describe one shape.

The TypedDicts in ``mltestscore.scorecard_model`` are what mypy checks the reports against;
the schema is what a saved scorecard is validated against. These tests walk both side by
side, so a field added to one and not the other fails here instead of drifting apart.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, NotRequired, Required, Union, get_args, get_origin

import pytest

from mltestscore import scorecard_model
from mltestscore.report.json_report import scorecard_schema, validation_errors
from mltestscore.scorecard_model import Scorecard
from mltestscore.scoring import Status

SCHEMA = scorecard_schema()
JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (float, int),
    "integer": (int,),
    "boolean": (bool,),
    "null": (type(None),),
}


def _resolve(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        schema = SCHEMA["$defs"][name]
    return schema


def _is_typeddict(annotation: object) -> bool:
    return typing.is_typeddict(annotation)


def _options(annotation: object) -> list[object]:
    """The members of a union (``X | None``), or the annotation itself."""
    if get_origin(annotation) in (Union, types.UnionType):
        return list(get_args(annotation))
    return [annotation]


def _strip(annotation: object) -> object:
    while get_origin(annotation) in (NotRequired, Required):
        (annotation,) = get_args(annotation)
    return annotation


def _disagreements(schema: Mapping[str, Any], annotation: object, where: str) -> list[str]:
    """Where the annotation cannot hold what the schema allows, or has keys it does not."""
    schema = _resolve(schema)
    annotation = _strip(annotation)
    if "oneOf" in schema:
        branches = [_resolve(branch) for branch in schema["oneOf"]]
        members = [m for m in _options(annotation) if _is_typeddict(m)]
        if len(members) != len(branches):
            return [f"{where}: {len(branches)} schema variants, {len(members)} TypedDicts"]
        problems = []
        for branch in branches:
            kind = branch["properties"]["kind"]["const"]
            match = [m for m in members if get_args(typing.get_type_hints(m)["kind"]) == (kind,)]
            if not match:
                problems.append(f"{where}: no TypedDict for kind {kind!r}")
                continue
            problems += _disagreements(branch, match[0], f"{where}<{kind}>")
        return problems
    if "const" in schema:
        const = schema["const"]
        for option in _options(annotation):
            if get_origin(option) is Literal and const in get_args(option):
                return []
            if isinstance(option, type) and isinstance(const, option):
                return []
        return [f"{where}: {annotation} cannot hold the constant {const!r}"]
    if "enum" in schema:
        values = schema["enum"]
        if all(isinstance(v, str) for v in values) and str in _options(annotation):
            return []
        return [f"{where}: {annotation} cannot hold {values}"]
    kinds = schema.get("type")
    if kinds is None:
        return []  # an unconstrained value ("expired_attestations" items, for example)
    kinds = [kinds] if isinstance(kinds, str) else kinds
    options = _options(annotation)
    problems: list[str] = []
    for kind in kinds:
        if kind in JSON_TYPES:
            if not any(o in JSON_TYPES[kind] for o in options):
                problems.append(f"{where}: schema type {kind!r}, annotation {annotation}")
        elif kind == "array":
            lists = [o for o in options if get_origin(o) is list]
            if not lists:
                problems.append(f"{where}: schema array, annotation {annotation}")
            elif "items" in schema:
                (element,) = get_args(lists[0])
                problems += _disagreements(schema["items"], element, f"{where}[]")
        elif kind == "object":
            problems += _object_disagreements(schema, options, where)
    return problems


def _object_disagreements(
    schema: Mapping[str, Any], options: list[object], where: str
) -> list[str]:
    typed = [o for o in options if _is_typeddict(o)]
    if typed:
        model: Any = typed[0]
        hints = typing.get_type_hints(model, include_extras=True)
        properties = schema.get("properties", {})
        problems = [
            f"{where}: schema property {name!r} has no key in {model.__name__}"
            for name in properties
            if name not in hints
        ]
        problems += [
            f"{where}: {model.__name__}.{name} is not in the schema"
            for name in hints
            if name not in properties
        ]
        required = set(schema.get("required", ()))
        if set(model.__required_keys__) != required:
            problems.append(
                f"{where}: required keys differ: schema {sorted(required)}, "
                f"{model.__name__} {sorted(model.__required_keys__)}"
            )
        for name, sub in properties.items():
            if name in hints:
                problems += _disagreements(sub, hints[name], f"{where}.{name}")
        return problems
    mappings = [o for o in options if get_origin(o) is dict]
    if not mappings:
        return [f"{where}: schema object, annotation {options}"]
    key, value = get_args(mappings[0])
    problems = [] if key is str else [f"{where}: keys are {key}, not str"]
    if isinstance(schema.get("additionalProperties"), Mapping):
        problems += _disagreements(schema["additionalProperties"], value, f"{where}{{}}")
    return problems


def test_the_typeddicts_and_the_json_schema_describe_the_same_scorecard() -> None:
    assert _disagreements(SCHEMA, Scorecard, "scorecard") == []


def test_the_schema_check_notices_a_key_the_schema_lacks() -> None:
    class Extended(Scorecard):
        surprise: str

    problems = _disagreements(SCHEMA, Extended, "scorecard")
    assert problems[0] == "scorecard: Extended.surprise is not in the schema"
    assert problems[1].startswith("scorecard: required keys differ")
    assert len(problems) == 2


def test_the_schema_check_notices_a_type_that_cannot_hold_the_schemas_values() -> None:
    problems = _disagreements({"type": "integer"}, str, "x")
    assert problems == ["x: schema type 'integer', annotation <class 'str'>"]


def test_the_status_enum_is_the_schemas_status_enum() -> None:
    assert list(Status) == SCHEMA["$defs"]["status"]["enum"]
    counts = SCHEMA["properties"]["sections"]["items"]["properties"]["counts"]
    assert counts["required"] == list(Status)


def test_the_partial_fields_are_optional_so_older_scorecards_stay_valid() -> None:
    assert "partial" not in SCHEMA["required"]
    assert "selection" not in SCHEMA["required"]
    assert {"partial", "selection"} <= Scorecard.__optional_keys__


@pytest.mark.parametrize(
    ("selection", "valid"),
    [
        (None, True),
        ({"reasons": ["-k fairness"]}, True),
        ({"reasons": ["--lf"], "args": ["--lf"], "deselected": 3, "not_run": 0}, True),
        ({"args": ["--lf"]}, False),
        ({"reasons": ["x"], "surprise": 1}, False),
        ({"reasons": ["x"], "deselected": -1}, False),
    ],
)
def test_the_schema_accepts_a_selection_exactly_as_the_interface_gives_it(
    demo_scorecard: Any, selection: Any, valid: bool
) -> None:
    data = dict(demo_scorecard, partial=selection is not None, selection=selection)
    assert (validation_errors(data) == []) is valid


def test_the_model_module_spells_no_status_name() -> None:
    source = scorecard_model.__file__
    assert source is not None
    with open(source, encoding="utf-8") as handle:
        text = handle.read()
    assert not [s for s in Status if f'"{s}"' in text]
