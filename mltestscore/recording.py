"""Where checks and tests hand evidence to the running ``pytest --mlscore`` session.

The plugin pushes a sink while a test runs; outside pytest (or with ``--mlscore`` off) there
is no sink and recording is a no-op. The sink writes into ``item.user_properties`` so the
evidence travels with the test report, across pytest-xdist workers too. Kept free of any
import beyond the standard library: the plugin imports it on every start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

CHECK_PROPERTY = "mltestscore.check"
MEASUREMENT_PROPERTY = "mltestscore.measurement"
CLAIMS_PROPERTY = "mltestscore.claims"

Sink = Callable[[str, Any], None]
_sinks: list[Sink] = []


@contextmanager
def recording_into(sink: Sink) -> Iterator[None]:
    _sinks.append(sink)
    try:
        yield
    finally:
        _sinks.remove(sink)


def start_recording(sink: Sink) -> None:
    """Make ``sink`` receive everything recorded until :func:`stop_recording` (for a
    session-long sink; :func:`recording_into` scopes one to a block)."""
    _sinks.append(sink)


def stop_recording(sink: Sink) -> None:
    """Remove ``sink`` if it is recording; a sink that never started is not an error."""
    if sink in _sinks:
        _sinks.remove(sink)


def is_recording() -> bool:
    return bool(_sinks)


def record_check(result: dict[str, Any]) -> None:
    """Record a check result (its ``to_dict()`` form) as evidence for the running test."""
    if _sinks:
        _sinks[-1](CHECK_PROPERTY, result)


def record_measurement(measurement: dict[str, Any]) -> None:
    """Record a measurement (a named value or a small table) for the running test."""
    if _sinks:
        _sinks[-1](MEASUREMENT_PROPERTY, measurement)
