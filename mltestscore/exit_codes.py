"""The exit codes ``pytest --mlscore`` and the ``mltestscore`` command add to pytest's 0-5.

Kept free of pytest so the command line and the report layer can use them; documented in the
README's "Options and exit codes".
"""

from __future__ import annotations

# Every test passed but the final score is below --mlscore-fail-under.
EXIT_SCORE_BELOW_THRESHOLD = 6
# Every test passed but the score regressed against --mlscore-compare.
EXIT_SCORE_REGRESSED = 7
