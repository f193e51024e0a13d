"""The scorecard in continuous integration: what the GitHub Action (``action.yml``) and the
GitLab recipe of ``docs/ci.md`` run, as ``python -m mltestscore.ci github|gitlab``.

One run: fetch the base branch's scorecard, run ``pytest --mlscore`` (comparing with that
base on a pull request), then annotate failing items, post or update one comment on the
pull or merge request and set the step's outputs. Standard library only (``urllib``), so
the action needs nothing beyond mltestscore itself; every network call goes to the API URL
the CI provides, which is what lets the tests use a fake server on localhost.
"""
