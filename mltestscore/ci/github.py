"""GitHub: the event (is this a pull request, against which base), the base branch's
scorecard from its workflow artifact, and the pull request's scorecard comment.

Why an artifact and not the cache: the base branch's job uploads the scorecard as an
artifact anyway (people download the HTML from it), artifacts are kept 90 days by default
while a cache entry unused for 7 days is evicted, and an artifact names the commit and
repository it was built from, so the base can be the pull request's exact base commit (or
else the newest scorecard of the base branch, said so in the comment) and can never come
from a fork's branch that happens to be called ``main``. The price: the job needs
``actions: read``, which the default token has.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from mltestscore.ci.api import ApiClient
from mltestscore.ci.comment import CommentThread

PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})
SCORECARD_NAME = "mlscore.json"


@dataclass(frozen=True)
class PullRequest:
    number: int
    base_ref: str
    base_sha: str


@dataclass(frozen=True)
class GitHubContext:
    """What the runner's environment says about this run."""

    api_url: str
    repository: str
    token: str | None
    event_name: str
    pull_request: PullRequest | None
    run_url: str | None

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> GitHubContext:
        event_name = env.get("GITHUB_EVENT_NAME", "")
        pull_request = None
        event_path = env.get("GITHUB_EVENT_PATH")
        if event_name in PULL_REQUEST_EVENTS and event_path:
            with open(event_path, encoding="utf-8") as handle:
                event = json.load(handle)
            pr = event.get("pull_request") or {}
            base = pr.get("base") or {}
            if "number" in pr and base.get("ref"):
                pull_request = PullRequest(int(pr["number"]), base["ref"], base.get("sha", ""))
        server, repository, run_id = (
            env.get("GITHUB_SERVER_URL", "https://github.com"),
            env.get("GITHUB_REPOSITORY", ""),
            env.get("GITHUB_RUN_ID"),
        )
        return cls(
            api_url=env.get("GITHUB_API_URL", "https://api.github.com"),
            repository=repository,
            token=env.get("GITHUB_TOKEN") or None,
            event_name=event_name,
            pull_request=pull_request,
            run_url=f"{server}/{repository}/actions/runs/{run_id}" if run_id else None,
        )

    def client(self) -> ApiClient:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "mltestscore-ci",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return ApiClient(self.api_url, headers)


@dataclass(frozen=True)
class BaseScorecard:
    data: dict[str, Any]
    sha: str
    exact: bool  # built from the pull request's base commit itself


def _usable(artifact: Mapping[str, Any], base_ref: str) -> bool:
    run = artifact.get("workflow_run") or {}
    same_repository = run.get("head_repository_id") == run.get("repository_id")
    return (
        not artifact.get("expired", False)
        and run.get("head_branch") == base_ref
        and same_repository
        and run.get("repository_id") is not None
    )


def fetch_base_scorecard(
    context: GitHubContext, artifact_name: str
) -> tuple[BaseScorecard | None, str]:
    """The base branch's scorecard from the newest matching artifact, and a line saying
    which (or why there is none). Network problems come back as that line, not raised."""
    from mltestscore.ci.api import ApiError

    pr = context.pull_request
    if pr is None:
        return None, "not a pull request: nothing to compare with"
    client = context.client()
    repo = context.repository
    try:
        listing = client.request(
            "GET",
            f"/repos/{repo}/actions/artifacts?name={quote(artifact_name)}&per_page=100",
        )
        found = listing.get("artifacts", []) if isinstance(listing, dict) else []
        candidates = [a for a in found if isinstance(a, dict) and _usable(a, pr.base_ref)]
        if not candidates:
            return None, (
                f"no artifact {artifact_name!r} from a run on {pr.base_ref!r} of this "
                "repository yet (the workflow must run on pushes to the base branch)"
            )
        exact = [a for a in candidates if a["workflow_run"].get("head_sha") == pr.base_sha]
        chosen = max(exact or candidates, key=lambda a: str(a.get("created_at", "")))
        archive = client.download(f"/repos/{repo}/actions/artifacts/{chosen['id']}/zip")
    except (ApiError, ValueError) as exc:  # ValueError: an answer that is not JSON
        return None, f"could not fetch the base scorecard: {exc}"
    sha = str(chosen["workflow_run"].get("head_sha", ""))
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
            names = [n for n in bundle.namelist() if n.rsplit("/", 1)[-1] == SCORECARD_NAME]
            if not names:
                return None, f"artifact {artifact_name!r} has no {SCORECARD_NAME}"
            data = json.loads(bundle.read(min(names, key=len)))
    except (zipfile.BadZipFile, ValueError, KeyError) as exc:
        return None, f"artifact {artifact_name!r} is not a readable scorecard: {exc}"
    where = "the base commit" if exact else f"the newest scorecard of {pr.base_ref!r}"
    return BaseScorecard(data, sha, bool(exact)), (
        f"compared with `{pr.base_ref}` at `{sha[:12]}` ({where})"
    )


def comment_thread(context: GitHubContext) -> CommentThread:
    assert context.pull_request is not None
    client = context.client()
    issue = f"/repos/{context.repository}/issues/{context.pull_request.number}"
    comments = f"/repos/{context.repository}/issues/comments"
    return CommentThread(
        list_page=lambda page: client.request("GET", f"{issue}/comments?per_page=100&page={page}"),
        create=lambda body: client.request("POST", f"{issue}/comments", {"body": body}),
        update=lambda id_, body: client.request("PATCH", f"{comments}/{id_}", {"body": body}),
    )
