"""The GitLab recipe's script against a fake GitLab API, and the comment thread's paging."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from mltestscore.ci.comment import MARKER, MAX_BODY, CommentThread, comment_body
from mltestscore.ci.run import RunSettings, gitlab_run
from tests.ci.conftest import clean_environment, make_project
from tests.ci.fake_api import Answer, fake_api

NOTES = "/api/v4/projects/42/merge_requests/8/notes"
RAW = "/api/v4/projects/42/jobs/artifacts/main/raw/reports/mlscore-ci/mlscore.json"


def fake_pytest(scorecard: dict[str, Any]) -> Any:
    """Stands in for the pytest subprocess: writes a real scorecard where pytest would."""

    def run(command: list[str], cwd: Path, env: dict[str, str]) -> int:
        json_path = next(a.split("=", 1)[1] for a in command if a.startswith("--mlscore-json="))
        Path(json_path).write_text(json.dumps(scorecard))
        Path(json_path).with_suffix(".md").write_text("## ML Test Score: 0\n")
        run.command = command  # type: ignore[attr-defined]
        return 0

    return run


def test_it_reads_the_target_branchs_scorecard_and_updates_its_note(
    tmp_path: Path, base_scorecard: dict[str, Any]
) -> None:
    project = make_project(tmp_path)
    routes = {
        ("GET", RAW): lambda _: Answer.json(base_scorecard),
        ("GET", NOTES): lambda _: Answer.json([{"id": 7, "body": f"{MARKER}\nold"}]),
        ("PUT", f"{NOTES}/7"): lambda r: Answer.json({"id": 7}),
    }
    with fake_api(routes) as api:
        env = clean_environment() | {
            "CI_API_V4_URL": f"{api.url}/api/v4",
            "CI_PROJECT_ID": "42",
            "CI_PROJECT_DIR": str(project),
            "CI_MERGE_REQUEST_IID": "8",
            "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
            "CI_JOB_NAME": "mlscore",
            "CI_JOB_TOKEN": "job-token",
            "CI_JOB_URL": "https://gitlab.example/acme/churn/-/jobs/9",
            "MLSCORE_GITLAB_TOKEN": "note-token",
        }
        settings = RunSettings(pytest_args=["-q"], output_dir=project / "reports/mlscore-ci")
        run = fake_pytest(base_scorecard)
        status = gitlab_run(settings, env, project, io.StringIO()).execute(run)
    assert status == 0
    (raw,) = api.made("GET", RAW)
    assert "job=mlscore" in raw.path
    assert raw.headers["job-token"] == "job-token"
    (put,) = api.made("PUT", f"{NOTES}/7")
    assert put.headers["private-token"] == "note-token"
    assert put.body["body"].startswith(MARKER)
    assert "jobs/9" in put.body["body"]
    assert not api.made("POST", NOTES)
    assert f"--mlscore-compare={settings.base_path}" in run.command
    assert "--mlscore-fail-on-regression" in run.command


def test_without_a_note_token_it_warns_and_posts_nothing(
    tmp_path: Path, base_scorecard: dict[str, Any]
) -> None:
    project = make_project(tmp_path)
    with fake_api({("GET", RAW): lambda _: Answer.json(base_scorecard)}) as api:
        env = clean_environment() | {
            "CI_API_V4_URL": f"{api.url}/api/v4",
            "CI_PROJECT_ID": "42",
            "CI_PROJECT_DIR": str(project),
            "CI_MERGE_REQUEST_IID": "8",
            "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        }
        settings = RunSettings(pytest_args=[], output_dir=project / "reports/mlscore-ci")
        out = io.StringIO()
        status = gitlab_run(settings, env, project, out).execute(fake_pytest(base_scorecard))
    assert status == 0
    assert [r.method for r in api.requests] == ["GET"]
    assert "no token that may write comments" in out.getvalue()


def test_a_partial_base_is_not_compared_with(
    tmp_path: Path, base_scorecard: dict[str, Any]
) -> None:
    partial = dict(base_scorecard, partial=True)
    project = make_project(tmp_path)
    with fake_api({("GET", RAW): lambda _: Answer.json(partial)}) as api:
        env = clean_environment() | {
            "CI_API_V4_URL": f"{api.url}/api/v4",
            "CI_PROJECT_ID": "42",
            "CI_PROJECT_DIR": str(project),
            "CI_MERGE_REQUEST_IID": "8",
            "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        }
        settings = RunSettings(pytest_args=[], output_dir=project / "reports/mlscore-ci")
        out = io.StringIO()
        run = fake_pytest(base_scorecard)
        gitlab_run(settings, env, project, out).execute(run)
    assert not any(a.startswith("--mlscore-compare") for a in run.command)
    assert "partial" in out.getvalue()
    assert "the regression gate is off" in out.getvalue()


def test_it_finds_its_comment_on_a_later_page() -> None:
    pages = {1: [{"id": n, "body": "other"} for n in range(100)], 2: [{"id": 500, "body": MARKER}]}
    calls: list[tuple[str, Any]] = []
    thread = CommentThread(
        list_page=lambda page: pages.get(page, []),
        create=lambda body: calls.append(("create", body)),
        update=lambda id_, body: calls.append(("update", id_)),
    )
    assert thread.upsert("new") == "updated"
    assert calls == [("update", 500)]


def test_a_huge_scorecard_is_cut_to_fit_a_comment() -> None:
    body = comment_body("| row |\n" * 20_000, ["footer"])
    assert len(body) <= MAX_BODY
    assert body.startswith(MARKER)
    assert body.rstrip().endswith("footer")
    assert "cut to fit a comment" in body


@pytest.mark.parametrize("event", ["push", "workflow_dispatch"])
def test_outside_a_pull_request_it_neither_compares_nor_comments(
    tmp_path: Path, event: str, base_scorecard: dict[str, Any]
) -> None:
    from mltestscore.ci.run import github_run

    project = make_project(tmp_path)
    with fake_api({}) as api:
        env = clean_environment() | {
            "GITHUB_EVENT_NAME": event,
            "GITHUB_API_URL": api.url,
            "GITHUB_TOKEN": "t",
        }
        settings = RunSettings(pytest_args=[], output_dir=project / "out")
        run = fake_pytest(base_scorecard)
        assert github_run(settings, env, project, io.StringIO()).execute(run) == 0
    assert api.requests == []
    assert not any(a.startswith("--mlscore-compare") for a in run.command)


def test_an_api_that_fails_leaves_the_run_uncompared_and_green(
    tmp_path: Path, base_scorecard: dict[str, Any]
) -> None:
    from mltestscore.ci.run import github_run

    project = make_project(tmp_path)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 5, "base": {"ref": "main"}}}))
    routes = {
        ("GET", "/repos/acme/churn/actions/artifacts"): lambda _: Answer(500, b"<html>oops"),
        ("GET", "/repos/acme/churn/issues/5/comments"): lambda _: Answer(200, b"not json"),
    }
    with fake_api(routes) as api:
        env = clean_environment() | {
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_API_URL": api.url,
            "GITHUB_REPOSITORY": "acme/churn",
            "GITHUB_TOKEN": "secret-token",
        }
        settings = RunSettings(pytest_args=[], output_dir=project / "out")
        out = io.StringIO()
        run = fake_pytest(base_scorecard)
        assert github_run(settings, env, project, out).execute(run) == 0
    said = out.getvalue()
    assert "could not fetch the base scorecard" in said
    assert "HTTP 500" in said
    assert "the regression gate is off" in said
    assert "no scorecard comment" in said
    assert "secret-token" not in said
    assert not any(a.startswith("--mlscore-compare") for a in run.command)
