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

    key = _installed_state()
    if load_cached(ENTRY_POINTS_CACHE, key) == []:
        return []
    found = list(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))
    if not found:
        store_cached(ENTRY_POINTS_CACHE, key, [])
    return found


def _installed_state() -> bytes:
    """Every distribution's metadata folder on ``sys.path`` with the time its entry points
    last changed: installing, removing or reinstalling anything changes it."""
    parts = [ENTRY_POINT_GROUP]
    for entry in sys.path:
        folder = os.path.abspath(entry or ".")
        try:
            names = sorted(n for n in os.listdir(folder) if n.endswith(_METADATA_SUFFIXES))
        except OSError:
            continue  # not a folder (a zip file holds no installed distribution)
        for name in names:
            try:
                stamp = os.stat(os.path.join(folder, name, "entry_points.txt")).st_mtime_ns
            except OSError:
                stamp = 0
            parts.append(f"{folder}{os.sep}{name}\0{stamp}")
    return "\n".join(parts).encode("utf-8", "surrogateescape")
