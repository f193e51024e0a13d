"""Finding installed mltestscore plugins cheaply: the entry points of the
``mltestscore.plugins`` group, with "none installed" remembered between runs.

Reading the metadata of every installed distribution costs a ``pytest --mlscore`` run more
than scoring it, and most environments have no mltestscore plugin. Standard library only,
so that a run with no plugin never imports :mod:`mltestscore.extensions`.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys

ENTRY_POINT_GROUP = "mltestscore.plugins"
ENTRY_POINTS_CACHE = "entry-points"  # "no plugin installed", per installed state
_METADATA_SUFFIXES = (".dist-info", ".egg-info")


def installed_entry_points() -> list[importlib.metadata.EntryPoint]:
    """The group's entry points; an empty answer is kept in the per-user cache for as long
    as the installed distributions stay the same."""
    from mltestscore.cache import load_cached, store_cached

    key = installed_state(ENTRY_POINT_GROUP, "entry_points.txt")
    if load_cached(ENTRY_POINTS_CACHE, key) == []:
        return []
    found = list(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))
    if not found:
        store_cached(ENTRY_POINTS_CACHE, key, [])
    return found


def installed_state(purpose: str, stamped_file: str) -> bytes:
    """A cache key for ``purpose``: every distribution's metadata folder on ``sys.path``
    (its name carries the version) with the time its ``stamped_file`` last changed.
    Installing, removing or reinstalling anything changes it."""
    parts = [purpose]
    for entry in sys.path:
        folder = os.path.abspath(entry or ".")
        try:
            names = sorted(n for n in os.listdir(folder) if n.endswith(_METADATA_SUFFIXES))
        except OSError:
            continue  # not a folder (a zip file holds no installed distribution)
        for name in names:
            try:
                stamp = os.stat(os.path.join(folder, name, stamped_file)).st_mtime_ns
            except OSError:
                stamp = 0
            parts.append(f"{folder}{os.sep}{name}\0{stamp}")
    return "\n".join(parts).encode("utf-8", "surrogateescape")
