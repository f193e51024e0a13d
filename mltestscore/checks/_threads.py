"""Native thread pools (OpenMP, BLAS) limited through one cached ``ThreadpoolController``.

Checks repeat small fits and predictions, and on a shared CI machine oversubscribed pools
make those many times slower, so they run single-threaded. ``threadpool_limits`` lists the
process's native libraries each time it is entered (3 ms); the generated suite enters a
limit for every item and some checks for every batch, so the controller is kept.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

# (number of modules, last module imported) when built -> its ThreadpoolController
_controllers: dict[tuple[int, str], Any] = {}


def thread_limit(threads: int | None) -> Any:
    """A context manager limiting every native pool to ``threads`` (None: no limit).

    The native thread pools come with extension modules, so the cached controller is rebuilt
    whenever more modules have been imported since: it always knows every pool loaded so
    far, as a fresh ``threadpool_limits`` would.
    """
    from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

    modules = (len(sys.modules), next(reversed(sys.modules)))
    if modules not in _controllers:
        _controllers.clear()
        _controllers[modules] = ThreadpoolController()
    return _controllers[modules].limit(limits=threads)


@contextlib.contextmanager
def limited_threads(n_threads: int | None) -> Iterator[None]:
    """:func:`thread_limit` as a plain context manager, for a check that repeats many small
    predictions: on a shared CI box, gradient boosting's OpenMP threads oversubscribe the
    cores and a 500-row prediction can take ten times longer than single-threaded. None
    leaves the pools alone."""
    if n_threads is None:
        yield
        return
    with thread_limit(n_threads):
        yield
