"""The one registry of built-in checks.

A check is registered with the rubric ids it evidences. The decorator also makes every check
safe to call from a test session: an exception inside a check becomes an ``error`` result that
names what went wrong instead of crashing the session, and inside ``pytest --mlscore`` the
result is recorded as evidence for its rubric ids.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ParamSpec

from mltestscore import recording
from mltestscore.checks.result import CheckResult

P = ParamSpec("P")


class CheckInputError(ValueError):
    """Raised inside a check when an input is unusable; becomes an ``error`` result.

    ``argument`` names the parameter, column or file at fault so the message can say where.
    """

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"{argument}: {message}")
        self.argument = argument


@dataclass(frozen=True)
class CheckInfo:
    name: str
    rubric_ids: tuple[str, ...]
    description: str
    function: Callable[..., CheckResult]
    module: str


_REGISTRY: dict[str, CheckInfo] = {}


# The one spelling of each public keyword every check shares, and the old spellings some
# checks had. The old ones are accepted for one release, with a DeprecationWarning.
RENAMED_KEYWORDS: Mapping[str, str] = {
    "random_state": "seed",
    "max_rows": "sample_size",
    "sample_rows": "sample_size",
}


def register_check(
    *rubric_ids: str, name: str | None = None, renamed: Mapping[str, str] | None = None
) -> Callable[[Callable[P, CheckResult]], Callable[P, CheckResult]]:
    """Register a check function as evidence for ``rubric_ids``.

    ``renamed`` maps a keyword the check used to take to its new name: a call with the old
    name still works for one release, warns, and passes the value on under the new name.
    """
    if not rubric_ids:
        raise ValueError("a check must name at least one rubric id")
    old_names = dict(renamed or {})

    def decorate(function: Callable[P, CheckResult]) -> Callable[P, CheckResult]:
        check_name = name or function.__name__
        ids = tuple(rubric_ids)

        @functools.wraps(function)
        def run_check(*args: P.args, **kwargs: P.kwargs) -> CheckResult:
            if old_names:
                _rename_keywords(check_name, old_names, kwargs)
            return _run_guarded(check_name, ids, function, *args, **kwargs)

        doc = (function.__doc__ or "").strip()
        description = doc.splitlines()[0].strip() if doc else check_name
        if check_name in _REGISTRY and _REGISTRY[check_name].module != function.__module__:
            raise ValueError(f"check name {check_name!r} is registered twice")
        _REGISTRY[check_name] = CheckInfo(
            check_name, ids, description, run_check, function.__module__
        )
        return run_check

    return decorate


def _rename_keywords(check_name: str, old_names: dict[str, str], kwargs: dict[str, Any]) -> None:
    """Move each deprecated keyword in ``kwargs`` to its new name, warning once per call.

    Both spellings at once is a mistake the caller must resolve, so the old one is dropped
    with the warning saying so; the check then sees only its current signature."""
    for old, new in old_names.items():
        if old not in kwargs:
            continue
        value = kwargs.pop(old)
        if new in kwargs:
            message = f"{check_name}: both {old!r} and {new!r} given; {old!r} is ignored"
        else:
            kwargs[new] = value
            message = (
                f"{check_name}: the keyword {old!r} is deprecated and will be removed in the "
                f"next release; use {new!r}"
            )
        warnings.warn(message, DeprecationWarning, stacklevel=3)


def _run_guarded(
    check_name: str,
    ids: tuple[str, ...],
    function: Callable[..., CheckResult],
    *args: Any,
    **kwargs: Any,
) -> CheckResult:
    try:
        result = function(*args, **kwargs)
    except CheckInputError as exc:
        result = CheckResult.error(check_name, ids, f"bad input, {exc}")
    except Exception as exc:  # a check never crashes the session
        result = CheckResult.error(check_name, ids, f"the check raised {type(exc).__name__}: {exc}")
    recording.record_check(result.to_dict())
    return result


def run_as_check(
    check_name: str, function: Callable[..., CheckResult], *args: Any, **kwargs: Any
) -> CheckResult:
    """Call ``function`` as the registered check ``check_name`` is called: bad input and
    exceptions become ``error`` results under that check's name, and the result is recorded.
    For a check's own parts called separately (the canary started ahead of its sample)."""
    info = get_check(check_name)
    return _run_guarded(info.name, info.rubric_ids, function, *args, **kwargs)


@functools.cache
def _import_builtin_check_modules() -> None:
    """Import every public module of ``mltestscore.checks`` so their checks register.

    Check modules import their heavy libraries inside the functions, so this stays cheap.
    Done once per process (a failed attempt is not cached): every registry lookup calls it,
    and so does every attribute probe on ``mltestscore.checks`` (skops probes each loaded
    module for each ufunc it trusts, a thousand probes), and listing the package folder each
    time added up.
    """
    package = importlib.import_module("mltestscore.checks")
    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_") and module.name not in {"result", "registry"}:
            importlib.import_module(f"mltestscore.checks.{module.name}")


def all_checks() -> list[CheckInfo]:
    """Every built-in check, sorted by the first rubric id it evidences, then by name.

    Checks a project registers in its own modules still record evidence, but are not
    built-in: they stay out of this list, the generated docs and the rubric text.
    """
    _import_builtin_check_modules()
    builtin = [c for c in _REGISTRY.values() if c.module.startswith("mltestscore.")]
    return sorted(builtin, key=lambda c: (_rubric_order(c.rubric_ids[0]), c.name))


def get_check(name: str) -> CheckInfo:
    _import_builtin_check_modules()
    return _REGISTRY[name]


def _rubric_order(rubric_id: str) -> tuple[int, int]:
    sections = ["data", "model", "infra", "monitor"]
    section, _, number = rubric_id.partition("-")
    return (
        sections.index(section) if section in sections else len(sections),
        int(number) if number.isdigit() else 0,
    )


def registered_names() -> dict[str, Any]:
    """Name → callable of every registered check, for ``mltestscore.checks.<name>`` lookups."""
    _import_builtin_check_modules()
    return {name: info.function for name, info in _REGISTRY.items()}
