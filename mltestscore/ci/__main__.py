"""``python -m mltestscore.ci github|gitlab [options] [-- pytest arguments]``: what the
GitHub Action and the GitLab recipe of ``docs/ci.md`` run. Exits with pytest's exit code."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from mltestscore.ci.run import RunSettings, github_run, gitlab_run


def _flag(value: str) -> bool:
    if value.strip().lower() in {"true", "1", "yes", "on"}:
        return True
    if value.strip().lower() in {"false", "0", "no", "off", ""}:
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mltestscore.ci",
        description="Run pytest --mlscore in CI: compare with the base branch's scorecard, "
        "annotate failing items and keep one scorecard comment on the pull or merge request.",
    )
    parser.add_argument("forge", choices=("github", "gitlab"))
    parser.add_argument(
        "--pytest-args",
        default="",
        help="pytest arguments as one shell-quoted string (the action's input); arguments "
        "after -- are added too",
    )
    parser.add_argument("--output-dir", default="reports/mlscore-ci")
    parser.add_argument("--artifact-name", default="mlscore")
    parser.add_argument("--comment", type=_flag, default=True)
    parser.add_argument("--fail-on-regression", type=_flag, default=True)
    parser.add_argument("--annotate", type=_flag, default=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, extra = argv[:at], argv[at + 1 :]
    args = build_parser().parse_args(argv)
    cwd = Path.cwd()
    output_dir = Path(args.output_dir)
    settings = RunSettings(
        pytest_args=shlex.split(args.pytest_args) + extra,
        output_dir=output_dir if output_dir.is_absolute() else cwd / output_dir,
        artifact_name=args.artifact_name,
        comment=args.comment,
        fail_on_regression=args.fail_on_regression,
        annotate=args.annotate,
    )
    make = github_run if args.forge == "github" else gitlab_run
    return make(settings, os.environ, cwd, sys.stdout).execute()


if __name__ == "__main__":
    sys.exit(main())
