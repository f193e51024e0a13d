"""Feature policy (data-4): every model input is documented, owned, allowed and current.

The rubric asks that features adhere to meta-level requirements: someone owns each feature and
can say what it is and where it comes from, deprecated features leave the model, and sensitive
attributes (or personal data) are not model inputs unless someone decided they may be. Those
decisions live in a reviewed YAML file next to the code; this check compares it with the
features the model actually consumes.

The spec file::

    features:
      age:
        owner: census-team
        description: Age in whole years at the interview
        source: census.person.age
        sensitive: true          # flags, all optional: deprecated, pii, sensitive
        cost: 0.2                # optional, any non-negative number (e.g. ms to compute)
      fnlwgt:
        owner: census-team
        description: Sampling weight
        source: census.weights
        deprecated: true
    allow_sensitive: [age]       # sensitive inputs explicitly allowed
    allow_pii: []                # personal-data inputs explicitly allowed
    deny: [native-country]       # never a model input, whatever the flags say
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table

RUBRIC_IDS = ("data-4",)
REQUIRED_FIELDS = ("owner", "description", "source")
_FLAGS = ("deprecated", "pii", "sensitive")
_FEATURE_KEYS = {*REQUIRED_FIELDS, *_FLAGS, "cost", "name", "notes", "tags"}
_TOP_KEYS = {"features", "allow_sensitive", "allow_pii", "deny", "version", "description"}


class FeatureSpecError(CheckInputError):
    """A feature spec that cannot be read; the message names the file and the feature."""


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    owner: str = ""
    description: str = ""
    source: str = ""
    deprecated: bool = False
    pii: bool = False
    sensitive: bool = False
    cost: float | None = None

    @property
    def missing_fields(self) -> tuple[str, ...]:
        return tuple(f for f in REQUIRED_FIELDS if not getattr(self, f).strip())


@dataclass(frozen=True)
class FeaturePolicy:
    features: Mapping[str, FeatureSpec]
    allow_sensitive: frozenset[str] = frozenset()
    allow_pii: frozenset[str] = frozenset()
    deny: frozenset[str] = frozenset()
    path: str = "<in memory>"


def load_feature_spec(path: str | os.PathLike[str]) -> FeaturePolicy:
    """Read and validate a feature spec YAML file; errors name the file and the feature."""
    import yaml

    source = Path(path)
    if not source.is_file():
        raise FeatureSpecError("spec", f"file {str(source)!r} does not exist")
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise FeatureSpecError(str(source), f"is not valid YAML: {exc}") from exc
    return parse_feature_spec(data, str(source))


def parse_feature_spec(data: Any, origin: str = "<in memory>") -> FeaturePolicy:
    """Build a policy from the parsed YAML (a mapping); ``origin`` is used in error messages."""
    if not isinstance(data, Mapping):
        raise FeatureSpecError(origin, "must be a mapping with a 'features' key")
    unknown = sorted(set(map(str, data)) - _TOP_KEYS)
    if unknown:
        raise FeatureSpecError(
            origin, f"unknown top-level key(s) {unknown}; expected some of {sorted(_TOP_KEYS)}"
        )
    raw = data.get("features")
    if isinstance(raw, Sequence) and not isinstance(raw, str):
        raw = _list_to_mapping(raw, origin)
    if not isinstance(raw, Mapping) or not raw:
        raise FeatureSpecError(origin, "'features' must be a non-empty mapping of name -> fields")
    features = {
        str(name): _parse_feature(str(name), fields, origin) for name, fields in raw.items()
    }
    return FeaturePolicy(
        features=features,
        allow_sensitive=_names(data.get("allow_sensitive"), "allow_sensitive", origin),
        allow_pii=_names(data.get("allow_pii"), "allow_pii", origin),
        deny=_names(data.get("deny"), "deny", origin),
        path=origin,
    )


def _list_to_mapping(items: Sequence[Any], origin: str) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for position, item in enumerate(items):
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise FeatureSpecError(origin, f"features[{position}] needs a 'name'")
        mapping[item["name"]] = item
    return mapping


def _parse_feature(name: str, fields: Any, origin: str) -> FeatureSpec:
    where = f"{origin}: feature {name!r}"
    if fields is None:
        return FeatureSpec(name)
    if not isinstance(fields, Mapping):
        raise FeatureSpecError(where, "must be a mapping of fields")
    unknown = sorted(set(map(str, fields)) - _FEATURE_KEYS)
    if unknown:
        raise FeatureSpecError(where, f"unknown field(s) {unknown}; known: {sorted(_FEATURE_KEYS)}")
    values: dict[str, Any] = {}
    for key in REQUIRED_FIELDS:
        value = fields.get(key, "")
        if not isinstance(value, str):
            raise FeatureSpecError(where, f"'{key}' must be text, not {type(value).__name__}")
        values[key] = value
    for flag in _FLAGS:
        value = fields.get(flag, False)
        if not isinstance(value, bool):
            raise FeatureSpecError(where, f"'{flag}' must be true or false, not {value!r}")
        values[flag] = value
    cost = fields.get("cost")
    if cost is not None and (
        isinstance(cost, bool) or not isinstance(cost, int | float) or cost < 0
    ):
        raise FeatureSpecError(where, f"'cost' must be a non-negative number, not {cost!r}")
    return FeatureSpec(name=name, cost=None if cost is None else float(cost), **values)


def _names(value: Any, key: str, origin: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise FeatureSpecError(origin, f"'{key}' must be a list of feature names")
    return frozenset(str(v) for v in value)


def model_input_names(model: Any) -> list[str]:
    """The feature names a fitted model consumes: ``feature_names_in_`` on the model, or on a
    Pipeline's first step."""
    names = getattr(model, "feature_names_in_", None)
    steps = getattr(model, "steps", None)
    if names is None and isinstance(steps, list) and steps:
        names = getattr(steps[0][1], "feature_names_in_", None)
    if names is None:
        raise CheckInputError(
            "model",
            f"{type(model).__name__} exposes no feature_names_in_ (fit it on a DataFrame, "
            "or pass columns=)",
        )
    return [str(n) for n in names]


@register_check(*RUBRIC_IDS)
def check_feature_policy(
    spec: FeaturePolicy | Mapping[str, Any] | str | os.PathLike[str],
    model: Any = None,
    *,
    columns: Sequence[str] | None = None,
) -> CheckResult:
    """Check model inputs against the feature spec: documented, current, allowed.

    Every input the model consumes (``feature_names_in_``, a Pipeline's first step, or
    ``columns``) must have a spec entry with owner, description and source, must not be
    deprecated or on the deny list, and must not be a sensitive or personal-data attribute
    unless the spec's ``allow_sensitive`` / ``allow_pii`` list names it.
    """
    policy = _as_policy(spec)
    if columns is not None:
        if isinstance(columns, str) or not all(isinstance(c, str) for c in columns):
            raise CheckInputError("columns", "must be a list of column names")
        inputs = list(columns)
    elif model is not None:
        inputs = model_input_names(model)
    else:
        raise CheckInputError("model", "pass a fitted model or columns= to say what it consumes")
    if not inputs:
        raise CheckInputError("columns", "the model consumes no features")
    problems = {name: _problems(name, policy) for name in inputs}
    broken = {name: found for name, found in problems.items() if found}
    unused = sorted(set(policy.features) - set(inputs))
    costs = [policy.features[n].cost for n in inputs if n in policy.features]
    kw: dict[str, Any] = {
        "measurements": {
            "inputs": len(inputs),
            "inputs_breaking_policy": len(broken),
            "undocumented": sum("undocumented" in p for p in broken.values()),
            "documented_but_unused": len(unused),
            "total_cost": (
                sum(c for c in costs if c is not None)
                if any(c is not None for c in costs)
                else None
            ),
        },
        "thresholds": {"inputs_breaking_policy_allowed": 0},
        "parameters": {"spec": policy.path, "input_source": "columns" if columns else "model"},
        "tables": [_table(inputs, policy, problems)],
    }
    if not broken:
        return CheckResult.passed(
            "check_feature_policy",
            RUBRIC_IDS,
            f"all {len(inputs)} model inputs are documented, current and allowed",
            **kw,
        )
    shown = ", ".join(f"{n} ({'; '.join(p)})" for n, p in list(broken.items())[:4])
    more = f", and {len(broken) - 4} more" if len(broken) > 4 else ""
    return CheckResult.failed(
        "check_feature_policy",
        RUBRIC_IDS,
        f"{len(broken)} of {len(inputs)} model inputs break the feature policy: {shown}{more}",
        **kw,
    )


def _as_policy(spec: Any) -> FeaturePolicy:
    if isinstance(spec, FeaturePolicy):
        return spec
    if isinstance(spec, str | os.PathLike):
        return load_feature_spec(spec)
    if isinstance(spec, Mapping):
        return parse_feature_spec(spec)
    raise CheckInputError(
        "spec", f"expected a FeaturePolicy, a mapping or a YAML path, got {type(spec).__name__}"
    )


def _problems(name: str, policy: FeaturePolicy) -> list[str]:
    feature = policy.features.get(name)
    found: list[str] = []
    if name in policy.deny:
        found.append("denied")
    if feature is None:
        found.append("undocumented")
        return found
    if feature.missing_fields:
        found.append("no " + "/".join(feature.missing_fields))
    if feature.deprecated:
        found.append("deprecated")
    if feature.sensitive and name not in policy.allow_sensitive:
        found.append("sensitive, not allowed")
    if feature.pii and name not in policy.allow_pii:
        found.append("personal data, not allowed")
    return found


def _table(
    inputs: Sequence[str], policy: FeaturePolicy, problems: Mapping[str, list[str]]
) -> Table:
    rows = []
    for name in sorted(inputs, key=lambda n: (not problems[n], n)):
        feature = policy.features.get(name)
        flags = [f for f in _FLAGS if feature is not None and getattr(feature, f)]
        rows.append(
            (
                name,
                feature.owner if feature else "",
                ", ".join(flags),
                feature.cost if feature else None,
                "; ".join(problems[name]) or "ok",
            )
        )
    return Table.build(
        "Model inputs against the feature spec",
        ["feature", "owner", "flags", "cost", "verdict"],
        rows,
    )
