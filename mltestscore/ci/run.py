"""One CI run, the same on GitHub and GitLab: fetch the base scorecard, run
``pytest --mlscore`` (with ``--mlscore-compare`` and, when asked, the regression gate on a
pull or merge request), then annotate, summarise and comment. The exit code is pytest's, so
a failing test, ``--mlscore-fail-under`` or a regression fails the job; a problem with the
API (a fork's read-only token, a missing base) is a warning and never fails it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from mltestscore.ci.annotations import item_annotations
from mltestscore.ci.api import ApiError
from mltestscore.ci.comment import CommentThread, comment_body
from mltestscore.ci.workflow_commands import Annotation
from mltestscore.config_files import pytest_config_problem
from mltestscore.report.atomic import append_text, write_atomic

RunPytest = Callable[[Sequence[str], Path, Mapping[str, str]], int]


@dataclass(frozen=True)
class RunSettings:
    pytest_args: list[str]
    output_dir: Path  # JSON, HTML and Markdown go here: the folder the artifact uploads
    artifact_name: str = "mlscore"
    comment: bool = True
    fail_on_regression: bool = True
    annotate: bool = True

    @property
    def json_path(self) -> Path:
        return self.output_dir / "mlscore.json"

    @property
    def markdown_path(self) -> Path:
        return self.output_dir / "mlscore.md"

    @property
    def base_path(self) -> Path:
        return self.output_dir / "base" / "mlscore.json"


# pytest's own exit code for a usage error: what pytest would mean here, said clearly.
PYTEST_USAGE_ERROR = 4


def run_pytest(command: Sequence[str], cwd: Path, env: Mapping[str, str]) -> int:
    return subprocess.call(list(command), cwd=cwd, env=dict(env))


def pytest_command(settings: RunSettings, compare: bool) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--mlscore",
        f"--mlscore-json={settings.json_path}",
        f"--mlscore-html={settings.output_dir / 'mlscore.html'}",
        f"--mlscore-md={settings.markdown_path}",
    ]
    if compare:
        command.append(f"--mlscore-compare={settings.base_path}")
        if settings.fail_on_regression:
            command.append("--mlscore-fail-on-regression")
    return command + list(settings.pytest_args)


def usable_base(data: Any, line: str) -> tuple[dict[str, Any] | None, str]:
    """A partial base is not the base branch's score: never compared with (the plugin would
    refuse it), said so instead."""
    if data is not None and not isinstance(data, dict):
        return None, "the base scorecard is not a JSON object: not compared"
    if data is not None and data.get("partial"):
        return None, "the base branch's scorecard is partial (not its whole suite): not compared"
    return data, line


@dataclass
class Run:
    """The parts of a run that differ by forge, as plain values and callables."""

    settings: RunSettings
    cwd: Path
    workspace: Path
    env: Mapping[str, str]
    out: TextIO
    is_review: bool  # a pull or merge request: compare and comment
    fetch_base: Callable[[], tuple[dict[str, Any] | None, str]]
    thread: Callable[[], CommentThread | None]
    footer: list[str]
    step_summary: Path | None = None
    outputs: Path | None = None
    annotate: bool = False

    def warn(self, message: str) -> None:
        if self.annotate:
            print(Annotation("warning", message, title="mltestscore").command(), file=self.out)
        else:
            print(f"mltestscore: warning: {message}", file=self.out)

    def execute(self, run: RunPytest = run_pytest) -> int:
        settings = self.settings
        problem = pytest_config_problem(self.cwd)
        if problem is not None:
            # pytest reads its configuration before any plugin loads and would end in a
            # traceback of its own: say which file and which byte instead.
            print(f"mltestscore: {problem}", file=self.out)
            self._summarise([f"pytest was not run: {problem}"], None)
            return PYTEST_USAGE_ERROR
        notes: list[str] = []
        base: dict[str, Any] | None = None
        if self.is_review:
            base, line = usable_base(*self.fetch_base())
            notes.append(line)
            if base is not None:
                write_atomic(settings.base_path, json.dumps(base))
            elif settings.fail_on_regression:
                notes.append("the regression gate is off for this run: there is no base")
        settings.output_dir.mkdir(parents=True, exist_ok=True)
        for stale in (settings.json_path, settings.markdown_path):
            stale.unlink(missing_ok=True)
        status = run(pytest_command(settings, base is not None), self.cwd, self.env)
        scorecard = _read(settings.json_path)
        if scorecard is None:
            notes.append(f"no scorecard was written (pytest exit status {status})")
        elif self.annotate:
            for annotation in item_annotations(scorecard, self.cwd, self.workspace, base):  # type: ignore[arg-type]
                print(annotation.command(), file=self.out)
        self._summarise(notes, scorecard)
        if self.is_review and settings.comment:
            self._comment(notes, scorecard)
        return status

    def _summarise(self, notes: list[str], scorecard: dict[str, Any] | None) -> None:
        for note in notes:
            print(f"mltestscore: {note}", file=self.out)
        # Appended like the history: regular files only, never through a link.
        try:
            if self.step_summary is not None and notes:
                # The plugin already appended the scorecard itself; these say how it was made.
                append_text(self.step_summary, "".join(f"\n> {note}\n" for note in notes))
            if self.outputs is not None and scorecard is not None:
                append_text(
                    self.outputs,
                    f"score={scorecard['score']}\nband={scorecard['band']['label']}\n"
                    f"scorecard={self.settings.json_path}\n",
                )
        except OSError as exc:
            print(f"mltestscore: not appended: {exc.strerror or exc}", file=self.out)

    def _comment(self, notes: list[str], scorecard: dict[str, Any] | None) -> None:
        try:
            thread = self.thread()
        except ApiError as exc:  # pragma: no cover - building a thread makes no call
            self.warn(f"no scorecard comment: {exc}")
            return
        if thread is None:
            self.warn("no scorecard comment: no token that may write comments")
            return
        if scorecard is not None and self.settings.markdown_path.is_file():
            markdown = self.settings.markdown_path.read_text(encoding="utf-8")
        else:
            markdown = "## ML Test Score\n\nNo scorecard was written by this run."
        body = comment_body(markdown, [f"<sub>{n}</sub><br>" for n in notes] + self.footer)
        try:
            what = thread.upsert(body)
        except ValueError as exc:  # an answer that is not JSON
            self.warn(f"no scorecard comment: the API answered something else than JSON: {exc}")
            return
        except ApiError as exc:
            read_only = " (a pull request from a fork gets a read-only token)"
            hint = read_only if exc.status == 403 else ""
            self.warn(f"no scorecard comment{hint}: {exc}")
            return
        print(f"mltestscore: scorecard comment {what}", file=self.out)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "items" in data else None


def github_run(
    settings: RunSettings, env: Mapping[str, str], cwd: Path, out: TextIO = sys.stdout
) -> Run:
    from mltestscore.ci import github

    context = github.GitHubContext.from_environment(env)

    def fetch() -> tuple[dict[str, Any] | None, str]:
        base, line = github.fetch_base_scorecard(context, settings.artifact_name)
        return (base.data if base else None), line

    footer = []
    if context.run_url:
        footer.append(
            f"<sub>HTML scorecard: artifact `{settings.artifact_name}` of "
            f"[this run]({context.run_url}).</sub>"
        )
    summary, outputs = env.get("GITHUB_STEP_SUMMARY"), env.get("GITHUB_OUTPUT")
    return Run(
        settings=settings,
        cwd=cwd,
        workspace=Path(env.get("GITHUB_WORKSPACE") or cwd),
        env=env,
        out=out,
        is_review=context.pull_request is not None,
        fetch_base=fetch,
        thread=lambda: github.comment_thread(context) if context.token else None,
        footer=footer,
        step_summary=Path(summary) if summary else None,
        outputs=Path(outputs) if outputs else None,
        annotate=settings.annotate,
    )


def gitlab_run(
    settings: RunSettings, env: Mapping[str, str], cwd: Path, out: TextIO = sys.stdout
) -> Run:
    from mltestscore.ci import gitlab

    context = gitlab.GitLabContext.from_environment(env)
    project_dir = Path(env.get("CI_PROJECT_DIR") or cwd)
    try:
        artifact = (settings.output_dir.resolve()).relative_to(project_dir.resolve())
    except ValueError:
        artifact = settings.output_dir
    artifact_path = (artifact / "mlscore.json").as_posix()
    footer = [f"<sub>HTML scorecard: artifacts of [this job]({context.job_url}).</sub>"]
    return Run(
        settings=settings,
        cwd=cwd,
        workspace=project_dir,
        env=env,
        out=out,
        is_review=context.is_merge_request,
        fetch_base=lambda: gitlab.fetch_base_scorecard(context, artifact_path),
        thread=lambda: gitlab.note_thread(context),
        footer=footer if context.job_url else [],
    )
