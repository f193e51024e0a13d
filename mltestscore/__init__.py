"""The ML Test Score as code.

Importing the package must stay cheap: the pytest plugin imports it on every pytest start,
including runs that never enable ``--mlscore``. So ``__version__`` is looked up only when it is
read: the installed distribution's version, which the build takes from the git tag.
"""

from __future__ import annotations

from functools import cache

__version__: str

__all__ = ["__version__"]


@cache
def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mltestscore")
    except PackageNotFoundError:  # a source tree on sys.path, never installed
        return "0+unknown"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _installed_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
