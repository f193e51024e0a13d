"""The exit codes ``pytest --mlscore`` and the ``mltestscore`` command add to pytest's 0-5.

Kept free of pytest so the command line and the report layer can use them; documented in the
README's "Options and exit codes".
"""

from __future__ import annotations

# Every test passed but the final score is below --mlscore-fail-under.
EXIT_SCORE_BELOW_THRESHOLD = 6
# Every test passed but the score regressed against --mlscore-compare.
EXIT_SCORE_REGRESSED = 7
# --mlscore-fail-on-regression (or ``mltestscore diff --fail-on-regression``) and the base
# file does not exist yet (the first run on the main branch): CI may treat it as "nothing to
# compare with". A base that exists but cannot be used (not JSON, not UTF-8, another schema,
# NaN scores, a partial run) is a usage error instead: 4 from pytest, 2 from the command.
EXIT_NO_BASE = 8
