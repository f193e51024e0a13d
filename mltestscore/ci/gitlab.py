"""GitLab: the merge request (if this pipeline runs for one), the target branch's scorecard
from the newest successful job of the same name there, and the merge request's scorecard
note.

The base comes from GitLab's "latest artifacts of a branch" endpoint, which serves the file
from the last successful pipeline on that branch: read with ``CI_JOB_TOKEN``. Notes need a
token with the ``api`` scope (a project access token, stored as the masked CI/CD variable
``MLSCORE_GITLAB_TOKEN``): the job token cannot write notes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from mltestscore.ci.api import ApiClient, ApiError
from mltestscore.ci.comment import CommentThread

NOTE_TOKEN_VARIABLE = "MLSCORE_GITLAB_TOKEN"


@dataclass(frozen=True)
class GitLabContext:
    api_url: str
    project_id: str
    job_token: str | None
    note_token: str | None
    merge_request_iid: int | None
    target_branch: str | None
    job_name: str
    job_url: str | None

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> GitLabContext:
        iid = env.get("CI_MERGE_REQUEST_IID")
        return cls(
            api_url=env.get("CI_API_V4_URL", "https://gitlab.com/api/v4"),
            project_id=env.get("CI_PROJECT_ID", ""),
            job_token=env.get("CI_JOB_TOKEN") or None,
            note_token=env.get(NOTE_TOKEN_VARIABLE) or None,
            merge_request_iid=int(iid) if iid else None,
            target_branch=env.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME") or None,
            job_name=env.get("CI_JOB_NAME", "mlscore"),
            job_url=env.get("CI_JOB_URL") or None,
        )

    @property
    def is_merge_request(self) -> bool:
        return self.merge_request_iid is not None and self.target_branch is not None


def fetch_base_scorecard(
    context: GitLabContext, artifact_path: str
) -> tuple[dict[str, Any] | None, str]:
    if not context.is_merge_request:
        return None, "not a merge request: nothing to compare with"
    assert context.target_branch is not None
    headers = {"JOB-TOKEN": context.job_token} if context.job_token else {}
    client = ApiClient(context.api_url, headers)
    path = (
        f"/projects/{quote(context.project_id, safe='')}/jobs/artifacts/"
        f"{quote(context.target_branch, safe='')}/raw/{quote(artifact_path)}"
        f"?job={quote(context.job_name)}"
    )
    try:
        data = json.loads(client.download(path))
    except ApiError as exc:
        return None, f"no scorecard of {context.target_branch!r} to compare with: {exc}"
    except ValueError as exc:
        return None, f"the scorecard of {context.target_branch!r} is not JSON: {exc}"
    return data, f"compared with the newest scorecard of `{context.target_branch}`"


def note_thread(context: GitLabContext) -> CommentThread | None:
    if not context.is_merge_request or not context.note_token:
        return None
    client = ApiClient(context.api_url, {"PRIVATE-TOKEN": context.note_token})
    notes = (
        f"/projects/{quote(context.project_id, safe='')}/merge_requests/"
        f"{context.merge_request_iid}/notes"
    )
    return CommentThread(
        list_page=lambda page: client.request("GET", f"{notes}?per_page=100&page={page}"),
        create=lambda body: client.request("POST", notes, {"body": body}),
        update=lambda id_, body: client.request("PUT", f"{notes}/{id_}", {"body": body}),
    )
