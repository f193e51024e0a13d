"""The ``mltestscore`` command: work from a saved JSON scorecard without rerunning tests.

    mltestscore render reports/mlscore.json --html out.html --md out.md --badge badge.svg
    mltestscore diff main.json branch.json --fail-on-regression
    mltestscore rubric --rubric ml-test-score-2016
    mltestscore plugins                         (installed plugins, their checks, load errors)
    mltestscore log reports/mlscore.json --experiment credit   (to MLflow; the mlflow extra)
    mltestscore card reports/mlscore.json -o MODEL_CARD.md      (a model card)
    mltestscore init --dry-run                  (mltestscore.init)

Errors print one line and exit with code 2, never a traceback; ``diff
--fail-on-regression`` exits with 7 (as ``pytest --mlscore-fail-on-regression`` does) when
the final or a section score went down, with 8 when the base file does not exist yet, and
with 2 when either scorecard is partial (a partial run's score is not the project's) or
broken (not UTF-8 JSON, NaN or infinite scores, another schema). ``render`` writes
through the same dispatch as ``pytest --mlscore``. Imports stay inside the commands so
``--help`` is instant.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_ERROR = 2


def _render(args: argparse.Namespace) -> int:
    """The same dispatch as ``pytest --mlscore`` (:func:`write_reports`), from a saved JSON:
    nothing is appended to the history, which is only charted."""
    from mltestscore.report.json_report import read_json
    from mltestscore.report.outputs import ReportOptions, read_base, write_reports

    scorecard = read_json(args.report)
    html = args.html
    if not (args.html or args.md or args.badge):
        html = str(Path(args.report).with_suffix(".html"))
    options = ReportOptions(
        html=_path(html),
        markdown=_path(args.md),
        badge=_path(args.badge),
        badge_label=args.badge_label,
        history=_path(args.history),
        record_history=False,
        compare=_path(args.compare),
    )
    base = read_base(options.compare)
    if base is not None and base.problem is not None:
        print(f"mltestscore: {base.problem}", file=sys.stderr)
        return EXIT_ERROR
    outcome = write_reports(scorecard, options, base)
    for warning in outcome.warnings:
        print(f"mltestscore: warning: {warning}", file=sys.stderr)
    for label, path in outcome.written:
        print(f"{label}: {path}")
    for problem in outcome.problems:
        print(f"mltestscore: {problem}", file=sys.stderr)
    return EXIT_ERROR if outcome.write_failed or outcome.problems else EXIT_OK


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _diff(args: argparse.Namespace) -> int:
    from mltestscore.exit_codes import EXIT_NO_BASE, EXIT_SCORE_REGRESSED
    from mltestscore.report.compare import (
        compare_scorecards,
        comparison_lines,
        partial_base_problem,
        partial_run_problem,
        regression_message,
    )
    from mltestscore.report.json_report import read_json
    from mltestscore.report.markdown import comparison_markdown
    from mltestscore.report.outputs import no_base_problem

    base_path = Path(args.base)
    if args.fail_on_regression and not base_path.exists() and not base_path.is_symlink():
        print(f"mltestscore: {no_base_problem(base_path)}", file=sys.stderr)
        return EXIT_NO_BASE
    base, current = read_json(args.base), read_json(args.current)
    # A partial scorecard's score is not the project's: no gate may rest on it.
    partial = partial_base_problem(base, Path(args.base).name) or partial_run_problem(current)
    if partial and args.fail_on_regression:
        print(f"mltestscore: no regression gate: {partial}", file=sys.stderr)
        return EXIT_ERROR
    comparison = compare_scorecards(base, current, Path(args.base))
    if args.format == "md":
        print("\n".join(comparison_markdown(comparison)))
    else:
        print("\n".join(comparison_lines(comparison)))
    if partial:
        print(f"mltestscore: warning: {partial}", file=sys.stderr)
    if not args.fail_on_regression:
        return EXIT_OK
    if not comparison["comparable"]:
        print(f"mltestscore: {comparison['reason']}", file=sys.stderr)
        return EXIT_ERROR
    message = regression_message(comparison)
    if message:
        print(f"mltestscore: {message}", file=sys.stderr)
        return EXIT_SCORE_REGRESSED
    return EXIT_OK


def _rubric(args: argparse.Namespace) -> int:
    from mltestscore.rubric import DEFAULT_RUBRIC, load_rubric

    rubric = load_rubric(args.rubric or DEFAULT_RUBRIC)
    points = rubric.points
    print(f"{rubric.title} ({rubric.id})")
    print(
        f"points: {points.automated:g} automated, {points.manual:g} manual, "
        f"{points.missing:g} missing; section = sum of its items; final = minimum of sections"
    )
    for section in rubric.sections:
        print(f"\n{section.id}: {section.title}")
        for item in section.items:
            print(f"  {item.id:<10} {item.title}")
            if args.verbose:
                print(f"             why: {item.guidance}")
                print(f"             how: {item.remediation}")
    return EXIT_OK


def _plugins(args: argparse.Namespace) -> int:
    from mltestscore.entry_points import ENTRY_POINT_GROUP
    from mltestscore.extensions import discover_plugins

    plugins = discover_plugins()
    if not plugins:
        print(f"no plugins installed (entry-point group {ENTRY_POINT_GROUP!r})")
        return EXIT_OK
    for plugin in plugins:
        where = f"{plugin.distribution} {plugin.version}" if plugin.distribution else "?"
        status = "loaded" if plugin.ok else "FAILED TO LOAD"
        print(f"{plugin.name} ({where}): {status}  [{plugin.entry_point}]")
        if plugin.description:
            print(f"  {plugin.description}")
        for check in plugin.checks:
            print(f"  check   {check.name} ({', '.join(check.rubric_ids)}): {check.description}")
        for adapter in plugin.adapters:
            print(f"  adapter {adapter}")
        for problem in plugin.problems:
            print(f"  problem {problem}")
    failed = [p.name for p in plugins if not p.ok]
    if failed and args.strict:
        print(f"mltestscore: plugins that failed to load: {', '.join(failed)}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _log(args: argparse.Namespace) -> int:
    """``mltestscore log``: the scorecard's scores, item statuses and reports to MLflow."""
    from mltestscore.report.json_report import read_json
    from mltestscore.report.mlflow_log import log_scorecard

    report = Path(args.report)
    logged = log_scorecard(
        read_json(report),
        report,
        html_path=_path(args.html),
        run_id=args.run_id,
        experiment=args.experiment,
        tracking_uri=args.tracking_uri,
    )
    for warning in logged.warnings:
        print(f"mltestscore: warning: {warning}", file=sys.stderr)
    print(
        f"MLflow run {logged.run_id} (experiment {logged.experiment_id}): "
        f"{len(logged.metrics)} metrics, {len(logged.tags)} tags, "
        f"artifacts {', '.join(logged.artifacts)}"
    )
    return EXIT_OK


def _add_mlflow_commands(commands: Any) -> None:
    """``mltestscore log`` (needs the mlflow extra)."""
    log = commands.add_parser(
        "log",
        help="log a JSON scorecard to an MLflow run (needs the mlflow extra)",
        description="Log the final and section scores as metrics (mltestscore.score, "
        "mltestscore.section.<id>), every item's status as a tag (mltestscore.item.<id>) and "
        "the JSON and HTML scorecards as artifacts (mltestscore/) to an MLflow run: --run-id, "
        "else MLFLOW_RUN_ID (the active run a training step hands on), else a new run named "
        "'mltestscore' in --experiment (or the default experiment). A partial scorecard's "
        "scores are not logged. The tracking store is --tracking-uri, else "
        "MLFLOW_TRACKING_URI.",
    )
    log.add_argument("report", metavar="REPORT.json", help="a JSON scorecard")
    log.add_argument("--html", metavar="PATH", help="the HTML scorecard (default: next to it)")
    target = log.add_mutually_exclusive_group()
    target.add_argument("--run-id", metavar="RUN_ID", help="log to this existing run")
    target.add_argument("--experiment", metavar="NAME", help="start a new run in this experiment")
    log.add_argument("--tracking-uri", metavar="URI", help="the MLflow tracking store")
    log.set_defaults(handler=_log)


def _card(args: argparse.Namespace) -> int:
    """``mltestscore card``: a model card (Mitchell et al.'s layout) from a JSON scorecard."""
    from mltestscore.report.card import write_card
    from mltestscore.report.json_report import read_json

    report = Path(args.report)
    output = Path(args.output) if args.output else report.with_name("model-card.md")
    written = write_card(read_json(report), output, model_name=args.model_name)
    print(f"model card: {written}")
    return EXIT_OK


def _add_card_command(commands: Any) -> None:
    card = commands.add_parser(
        "card",
        help="write a Markdown model card from a JSON scorecard",
        description="Write a model card in the layout of Mitchell et al. (2019) from a saved "
        "scorecard: the ML Test Score, metrics, quality by slice, outcomes by sensitive "
        "group, explanations, and limitations from failing items. Intended use, training "
        "and evaluation data and ethical considerations are left as explicit placeholders "
        "for the team.",
    )
    card.add_argument("report", metavar="REPORT.json", help="a JSON scorecard")
    card.add_argument(
        "-o", "--output", metavar="PATH", help="where to write it (default: model-card.md beside)"
    )
    card.add_argument("--model-name", metavar="NAME", help="the model's name in the title")
    card.set_defaults(handler=_card)


def build_parser() -> argparse.ArgumentParser:
    from mltestscore import __version__

    parser = argparse.ArgumentParser(
        prog="mltestscore",
        description="Set up a project for `pytest --mlscore` (start with `mltestscore init`), "
        "then render and compare the ML Test Score scorecards it saves.",
        epilog="New here? Run `mltestscore init` in your project: it writes a "
        "[tool.mltestscore] section from your data and model; then run `pytest --mlscore`.",
    )
    parser.add_argument("--version", action="version", version=f"mltestscore {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    render = commands.add_parser(
        "render",
        help="write HTML, Markdown or a badge from a saved JSON scorecard",
        description="Write reports from a saved JSON scorecard. Without --html/--md/--badge, "
        "writes the HTML next to the JSON.",
    )
    render.add_argument("report", metavar="REPORT.json", help="a JSON scorecard")
    render.add_argument("--html", metavar="PATH", help="write the HTML scorecard here")
    render.add_argument("--md", metavar="PATH", help="write the Markdown summary here")
    render.add_argument("--badge", metavar="PATH", help="write the SVG badge here")
    render.add_argument("--badge-label", default="ML Test Score", help="the badge's label")
    render.add_argument("--history", metavar="PATH", help="a score history (.jsonl) to chart")
    render.add_argument("--compare", metavar="BASE.json", help="show changes against a base")
    render.set_defaults(handler=_render)

    diff = commands.add_parser(
        "diff",
        help="show section and item changes between two JSON scorecards",
        description="Compare two saved scorecards: final, section and item changes.",
    )
    diff.add_argument("base", metavar="BASE.json", help="the scorecard to compare against")
    diff.add_argument("current", metavar="NEW.json", help="the newer scorecard")
    diff.add_argument("--format", choices=("text", "md"), default="text")
    diff.add_argument(
        "--fail-on-regression",
        action="store_true",
        help="exit with code 7 when the final or any section score is lower than in BASE",
    )
    diff.set_defaults(handler=_diff)

    # Listed for --help; main() hands `init` and its arguments to mltestscore.init.
    commands.add_parser(
        "init",
        help="start here: write [tool.mltestscore] from your data and model "
        "(mltestscore init --help)",
    )

    rubric = commands.add_parser("rubric", help="print the rubric's items")
    rubric.add_argument("--rubric", metavar="ID_OR_PATH", help="rubric id or YAML path")
    rubric.add_argument("-v", "--verbose", action="store_true", help="add guidance and remediation")
    rubric.set_defaults(handler=_rubric)

    plugins = commands.add_parser(
        "plugins",
        help="list installed plugins, their checks and adapters, and load errors",
        description="List the plugins installed in the mltestscore.plugins entry-point group.",
    )
    plugins.add_argument(
        "--strict", action="store_true", help="exit with code 2 when a plugin fails to load"
    )
    plugins.set_defaults(handler=_plugins)
    _add_mlflow_commands(commands)
    _add_card_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from mltestscore.errors import MLScoreError

    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["init"]:
        from mltestscore.init import main as init_main

        return init_main(arguments[1:])
    args = build_parser().parse_args(arguments)
    try:
        code: int = args.handler(args)
    except MLScoreError as exc:
        print(f"mltestscore: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # pragma: no cover - output piped into `head`
        return EXIT_OK
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"mltestscore: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    return code


if __name__ == "__main__":
    sys.exit(main())
