"""Serving models can be rolled back (infra-7): prove it by doing it.

A rollback plan that was never exercised fails when it is needed: the previous model was
garbage-collected, no longer loads with today's libraries, or the pointer switch is manual. The
check takes a registry (``mltestscore.model_store``), makes the previous version current, loads
and serves it, switches back to the version that was current, serves again, and reports how
long each step took.

A drill must not be an incident: by default it moves a drill pointer of its own (the store's
``rehearsal()``: a drill alias on the same MLflow registered model, or a temporary folder
linking to the local registry's versions), so whoever reads the real pointer keeps being
served the current version. ``live=True`` drills the real pointer instead, for a staging
registry or a team that wants the real switch exercised; it is moved back when the drill
ends, and is left alone when someone else moved it meanwhile.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from mltestscore import artifacts
from mltestscore.checks import _inputs as inputs
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table
from mltestscore.model_store import ModelStore, ModelVersion

RUBRIC = ("infra-7",)
CHECK = "check_rollback"
_STORE_METHODS = ("current", "previous", "set_current", "load")
DRILL_POINTER = "a drill pointer (the real one never moved)"
LIVE_POINTER = "the live pointer (moved back after the drill)"


class _StepFailed(Exception):
    pass


def _serve(store: ModelStore, version: ModelVersion, X: Any, trusted: artifacts.Trust) -> Any:
    """Load ``version`` and predict ``X``: one prediction per row or a _StepFailed."""
    import numpy as np

    try:
        model = store.load(version, trusted=trusted)
        predictions = np.asarray(model.predict(X))
    except Exception as exc:
        raise _StepFailed(f"version {version} does not serve: {type(exc).__name__}: {exc}") from exc
    if len(predictions) != len(X):
        raise _StepFailed(
            f"version {version} returns {len(predictions)} predictions for {len(X)} rows"
        )
    return predictions


def _switch(store: ModelStore, version: ModelVersion) -> None:
    store.set_current(version)
    now = store.current()
    if now is None or now.name != version.name:
        raise _StepFailed(f"after switching to {version} the registry says current is {now}")


@contextlib.contextmanager
def _drilled(store: ModelStore, live: bool) -> Iterator[ModelStore]:
    """The store whose pointer the drill moves: the store itself when ``live``, else its
    ``rehearsal()`` stand-in (CheckInputError for a store that has none)."""
    if live:
        yield store
        return
    rehearsal = getattr(store, "rehearsal", None)
    if not callable(rehearsal):
        raise CheckInputError(
            "live",
            f"{type(store).__name__} has no rehearsal() to drill on a pointer of its own; pass "
            "live=True to drill its real pointer (moved back after the drill)",
        )
    with rehearsal() as staged:
        yield staged


@register_check(*RUBRIC)
def check_rollback(
    store: ModelStore,
    X_sample: Any,
    *,
    trusted: artifacts.Trust = (),
    max_seconds: float = 60.0,
    live: bool = False,
) -> CheckResult:
    """The previous model version exists, loads, serves, and rolling back and forward works.

    Makes the version before the current one current, loads it (``trusted`` as in
    ``mltestscore.artifacts.load_model``) and predicts ``X_sample``, then restores the
    original version and serves it again. Fails when there is no current or previous version,
    a step fails, or rolling back (switch, load, first predictions) takes more than
    ``max_seconds``.

    The drill moves a pointer of its own (``store.rehearsal()``), never the one serving
    reads, unless ``live`` is True: then the real pointer moves and is moved back when the
    drill ends (left alone, and the check failed, when someone else moved it meanwhile).
    """
    missing = [m for m in _STORE_METHODS if not callable(getattr(store, m, None))]
    if missing:
        raise CheckInputError(
            "store", f"{type(store).__name__} is not a model store (no {', '.join(missing)})"
        )
    X_sample = inputs.require_rows(X_sample, "X_sample")
    with _drilled(store, live) as drilled:
        return _drill(drilled, X_sample, trusted, max_seconds, repr(store), live)


def _drill(
    store: ModelStore,
    X_sample: Any,
    trusted: artifacts.Trust,
    max_seconds: float,
    described: str,
    live: bool,
) -> CheckResult:
    """The drill itself on ``store`` (the stand-in or the live store); ``described`` is the
    user's store for the messages."""
    current = store.current()
    if current is None:
        return CheckResult.failed(
            CHECK, RUBRIC, f"{described} has no current version to roll back from"
        )
    previous = store.previous(current)
    if previous is None:
        return CheckResult.failed(
            CHECK,
            RUBRIC,
            f"{described} has no version before the current {current} to roll back to",
            parameters={"current": current.name},
        )

    steps: list[tuple[str, str, float, str]] = []
    failure: str | None = None
    timings: dict[str, float] = {}

    def run(step: str, version: ModelVersion, action: Any) -> None:
        nonlocal failure
        if failure is not None:
            steps.append((step, version.name, 0.0, "not run"))
            return
        begin = time.perf_counter()
        try:
            action()
            status = "ok"
        except _StepFailed as exc:
            failure, status = f"{step}: {exc}", "failed"
        timings[step] = time.perf_counter() - begin
        steps.append((step, version.name, timings[step], status))

    baseline: dict[str, Any] = {}

    def roll_back() -> None:
        _switch(store, previous)
        baseline["previous"] = _serve(store, previous, X_sample, trusted)

    def roll_forward() -> None:
        _switch(store, current)
        _serve(store, current, X_sample, trusted)

    try:
        run("serve current", current, lambda: _serve(store, current, X_sample, trusted))
        run("roll back", previous, roll_back)
        run("roll forward", current, roll_forward)
    finally:
        now = store.current()
        moved_by_others = now is not None and now.name not in {current.name, previous.name}
        if not moved_by_others and (now is None or now.name != current.name):
            store.set_current(current)  # never leave the registry rolled back

    rollback_seconds = timings.get("roll back")
    too_slow = rollback_seconds is not None and rollback_seconds > max_seconds
    if moved_by_others:  # a release during the drill: theirs to keep, not ours to undo
        failure = f"the pointer was moved to {now} by someone else during the drill"
        reason = f"rollback from {current} to {previous}: {failure}; left there"
    elif failure is not None:
        reason = f"rollback from {current} to {previous} failed at {failure}"
    elif too_slow:
        reason = (
            f"rolling back from {current} to {previous} took {rollback_seconds:.2f}s "
            f"(limit {max_seconds}s)"
        )
    else:
        reason = (
            f"rolled back from {current} to {previous} and forward again; rollback took "
            f"{rollback_seconds or 0.0:.2f}s and the previous model served {len(X_sample)} "
            f"rows; drilled on {LIVE_POINTER if live else DRILL_POINTER}"
        )
    return CheckResult.judge(
        failure is None and not too_slow,
        CHECK,
        RUBRIC,
        reason,
        measurements={
            "rollback_seconds": rollback_seconds,
            "roll_forward_seconds": timings.get("roll forward"),
        },
        thresholds={"max_seconds": max_seconds},
        parameters={
            "store": described,
            "pointer": LIVE_POINTER if live else DRILL_POINTER,
            "current": current.name,
            "previous": previous.name,
            "rows": len(X_sample),
        },
        tables=[
            Table.build(
                "Rollback drill", ["step", "version", "seconds", "status"], steps, chart="seconds"
            )
        ],
    )
