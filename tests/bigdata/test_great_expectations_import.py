"""Great Expectations beside pyspark in a process without a script (a pytest-xdist worker):
pyspark 4 without its Connect dependencies ends such a process with ``sys.exit(0)`` when
``pyspark.sql.connect`` is imported, which Great Expectations does on import."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pyspark")

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> subprocess.CompletedProcess[str]:
    """``python -c code``: its ``__main__`` has neither ``__spec__`` nor ``__file__``, as in
    an xdist worker."""
    return subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def test_great_expectations_imports_through_mltestscore_where_pyspark_would_exit() -> None:
    done = _run(
        "from mltestscore.checks._expectations import great_expectations_context\n"
        "great_expectations_context()\n"
        "import sys; print('imported', hasattr(sys.modules['__main__'], '__file__'))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["imported", "False"]  # and __main__ is left as it was


@pytest.mark.skipif(
    importlib.util.find_spec("grpc") is not None, reason="pyspark's Connect dependencies present"
)
def test_a_bare_import_of_great_expectations_there_ends_the_process() -> None:
    """The failure the helper prevents, so the test above can fail."""
    done = _run("import great_expectations\nprint('imported')")
    assert "imported" not in done.stdout
    assert "Skipping doctests" in done.stderr
