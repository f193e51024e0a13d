"""The action's script (``python -m mltestscore.ci github``), run as the action runs it:
a fake pull-request event payload, a fake GitHub API on localhost, a real
``pytest --mlscore`` on a small project. The assertions are on the requests it makes."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from mltestscore.ci.__main__ import main
from mltestscore.ci.comment import MARKER
from mltestscore.exit_codes import EXIT_SCORE_REGRESSED
from tests.ci.conftest import artifact_zip, clean_environment, make_project
from tests.ci.fake_api import Answer, FakeApi, Request, fake_api

TOKEN = "ghs_fake_token"
REPO = "acme/churn"
BASE_SHA = "b" * 40
SIGNED = "/storage/artifact-11.zip?sig=secret"


def _artifacts(_: Request) -> Answer:
    same_repo = {"repository_id": 1, "head_repository_id": 1}
    return Answer.json(
        {
            "artifacts": [
                {  # the newest, but from a fork's branch called main: never used
                    "id": 12,
                    "expired": False,
                    "created_at": "2026-12-06T10:00:00Z",
                    "workflow_run": {"head_branch": "main", "head_sha": "f" * 40,
                                     "repository_id": 1, "head_repository_id": 666},
                },
                {  # the base commit's own scorecard
                    "id": 11,
                    "expired": False,
                    "created_at": "2026-12-05T10:00:00Z",
                    "workflow_run": {"head_branch": "main", "head_sha": BASE_SHA, **same_repo},
                },
                {  # a pull request's branch
                    "id": 13,
                    "expired": False,
                    "created_at": "2026-12-06T11:00:00Z",
                    "workflow_run": {"head_branch": "feature", "head_sha": "c" * 40, **same_repo},
                },
            ]
        }
    )  # fmt: skip


def github_routes(
    base: dict[str, Any], comments: list[dict[str, Any]], comment_status: int = 201
) -> dict[tuple[str, str], Any]:
    def redirect(request: Request) -> Answer:
        return Answer(302, headers={"Location": f"http://{request.headers['host']}{SIGNED}"})

    return {
        ("GET", f"/repos/{REPO}/actions/artifacts"): _artifacts,
        ("GET", f"/repos/{REPO}/actions/artifacts/11/zip"): redirect,
        ("GET", SIGNED.split("?", maxsplit=1)[0]): lambda _: Answer(200, artifact_zip(base)),
        ("GET", f"/repos/{REPO}/issues/5/comments"): lambda _: Answer.json(comments),
        ("POST", f"/repos/{REPO}/issues/5/comments"): lambda r: Answer.json(
            {"id": 99, "body": r.body["body"]}, comment_status
        ),
        ("PATCH", f"/repos/{REPO}/issues/comments/41"): lambda r: Answer.json(
            {"id": 41, "body": r.body["body"]}
        ),
    }


def run_action(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, api: FakeApi, plant: str
) -> tuple[int, str, Path]:
    project = make_project(tmp_path)
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"pull_request": {"number": 5, "base": {"ref": "main", "sha": BASE_SHA}}})
    )
    for name in [n for n in list(__import__("os").environ) if n not in clean_environment()]:
        monkeypatch.delenv(name)
    variables = {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_API_URL": api.url,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "777",
        "GITHUB_WORKSPACE": str(project),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_TOKEN": TOKEN,
        "PLANT": plant,
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(project)
    stdout = io.StringIO()
    with redirect_stdout(stdout):
        status = main(["github", "--pytest-args", "-p no:cacheprovider -q"])
    return status, stdout.getvalue(), project


def test_it_compares_with_the_base_commits_artifact_and_creates_one_comment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, base_scorecard: dict[str, Any]
) -> None:
    with fake_api(github_routes(base_scorecard, comments=[])) as api:
        status, stdout, project = run_action(tmp_path, monkeypatch, api, plant="fail")
    assert status == 1  # the failing test fails the job, as pytest says
    # The base: the artifact of the base commit, never the fork's newer one; the signed
    # storage URL gets no token.
    assert [r.path for r in api.made("GET", f"/repos/{REPO}/actions/artifacts/")] == [
        f"/repos/{REPO}/actions/artifacts/11/zip"
    ]
    (storage,) = api.made("GET", "/storage/")
    assert "authorization" not in storage.headers
    (download,) = api.made("GET", f"/repos/{REPO}/actions/artifacts/11")
    assert download.headers["authorization"] == f"Bearer {TOKEN}"
    assert (project / "reports/mlscore-ci/base/mlscore.json").is_file()
    # One comment created, with the marker, the scorecard, the comparison and the run link.
    (created,) = api.made("POST", f"/repos/{REPO}/issues/5/comments")
    assert not api.made("PATCH", "/")
    assert created.headers["authorization"] == f"Bearer {TOKEN}"
    assert created.headers["x-github-api-version"] == "2022-11-28"
    body = created.body["body"]
    assert body.startswith(MARKER)
    assert "ML Test Score" in body
    assert "data-1" in body
    assert f"`main` at `{BASE_SHA[:12]}` (the base commit)" in body
    assert "https://github.com/acme/churn/actions/runs/777" in body
    # The failing item is an error annotation at the test that claims it.
    errors = [line for line in stdout.splitlines() if line.startswith("::error")]
    assert len(errors) == 1
    assert errors[0].startswith(
        "::error title=ML Test Score%3A data-1 failing,file=tests/test_model.py,line=7::"
    )
    assert "age: 212 is outside [17, 90]" in errors[0]
    # Step summary (the plugin's scorecard and the script's note) and outputs.
    summary = (tmp_path / "summary.md").read_text()
    assert "ML Test Score" in summary
    assert "(the base commit)" in summary
    outputs = (tmp_path / "output.txt").read_text()
    assert "score=0" in outputs
    assert "band=" in outputs


def test_it_updates_its_comment_and_fails_on_a_regression(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, base_scorecard: dict[str, Any]
) -> None:
    page = [{"id": 40, "body": "LGTM"}, {"id": 41, "body": f"{MARKER}\nold scorecard"}]
    with fake_api(github_routes(base_scorecard, comments=page)) as api:
        status, stdout, _ = run_action(tmp_path, monkeypatch, api, plant="skip")
    assert status == EXIT_SCORE_REGRESSED  # data-1 lost its point; no test failed
    assert not api.made("POST", f"/repos/{REPO}/issues/5/comments")
    (updated,) = api.made("PATCH", f"/repos/{REPO}/issues/comments/41")
    assert updated.body["body"].startswith(MARKER)
    assert "old scorecard" not in updated.body["body"]
    (warning,) = [line for line in stdout.splitlines() if line.startswith("::warning")]
    assert "data-1" in warning
    assert "file=tests/test_model.py,line=7" in warning


def test_a_read_only_token_is_a_warning_not_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, base_scorecard: dict[str, Any]
) -> None:
    routes = github_routes(base_scorecard, comments=[], comment_status=403)
    with fake_api(routes) as api:
        status, stdout, _ = run_action(tmp_path, monkeypatch, api, plant="")
    assert status == 0
    assert len(api.made("POST", f"/repos/{REPO}/issues/5/comments")) == 1
    assert "::warning title=mltestscore::no scorecard comment (a pull request from a fork" in (
        stdout
    )
    assert TOKEN not in stdout
