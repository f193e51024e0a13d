"""The ML Test Score as code.

Importing the package must stay cheap: the pytest plugin imports it on every pytest start,
including runs that never enable ``--mlscore``.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
