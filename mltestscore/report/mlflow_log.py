"""The scorecard in MLflow, where ML teams look at their runs: ``mltestscore log``.

One run receives, from a saved JSON scorecard:

- **metrics**: ``mltestscore.score`` (the final score), ``mltestscore.max_score`` and
  ``mltestscore.section.<section id>`` for each section, so runs can be charted and compared;
- **tags**: ``mltestscore.item.<item id>`` = the item's status (automated, manual, failing,
  missing), ``mltestscore.band``, ``mltestscore.rubric`` and ``mltestscore.partial``, so
  runs can be searched (``tags."mltestscore.item.infra-7" = 'failing'``);
- **artifacts**: the JSON and the HTML scorecard under ``mltestscore/``.

The run is the one named (``run_id``, or MLflow's own ``MLFLOW_RUN_ID``, which is how a
training script's active run is handed to a later step), else a new run named
``mltestscore`` in the named experiment (or MLflow's default one).

A partial scorecard (a run that did not run the whole suite) is not the project's score: its
items and artifacts are logged with ``mltestscore.partial = true``, its scores are not, so no
chart mixes them with full runs.

Needs the ``mlflow`` extra; mlflow is imported only when a scorecard is logged.
"""

from __future__ import annotations

import importlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mltestscore.errors import MLScoreError
from mltestscore.scorecard_model import Scorecard, is_partial, partial_reasons

PREFIX = "mltestscore"
ARTIFACT_FOLDER = "mltestscore"
RUN_ID_ENV = "MLFLOW_RUN_ID"
RUN_NAME = "mltestscore"
_TAG_VALUE_LIMIT = 5000  # MLflow's limit on a tag's value


@dataclass(frozen=True)
class LoggedRun:
    """What was logged where, for the command's output and for tests."""

    run_id: str
    experiment_id: str
    metrics: dict[str, float]
    tags: dict[str, str]
    artifacts: tuple[str, ...]
    warnings: tuple[str, ...]


def scorecard_metrics(scorecard: Scorecard) -> dict[str, float]:
    """The final, maximum and section scores as MLflow metric keys (none for a partial run)."""
    if is_partial(scorecard):
        return {}
    metrics = {
        f"{PREFIX}.score": float(scorecard["score"]),
        f"{PREFIX}.max_score": float(scorecard["max_score"]),
    }
    for section in scorecard["sections"]:
        metrics[f"{PREFIX}.section.{section['id']}"] = float(section["score"])
    return metrics


def scorecard_tags(scorecard: Scorecard) -> dict[str, str]:
    """Every item's status, the band, the rubric and whether the run was partial."""
    tags = {
        f"{PREFIX}.band": f"{scorecard['band']['interval']} {scorecard['band']['label']}",
        f"{PREFIX}.rubric": scorecard["rubric"]["id"],
        f"{PREFIX}.partial": "true" if is_partial(scorecard) else "false",
        f"{PREFIX}.version": scorecard["tool"]["version"],
    }
    if scorecard.get("commit"):
        tags[f"{PREFIX}.commit"] = str(scorecard["commit"])
    if is_partial(scorecard):
        tags[f"{PREFIX}.partial_reasons"] = "; ".join(partial_reasons(scorecard))
    for item in scorecard["items"]:
        tags[f"{PREFIX}.item.{item['id']}"] = str(item["status"])
    return {key: value[:_TAG_VALUE_LIMIT] for key, value in tags.items()}


def log_scorecard(
    scorecard: Scorecard,
    json_path: Path,
    *,
    html_path: Path | None = None,
    run_id: str | None = None,
    experiment: str | None = None,
    tracking_uri: str | None = None,
) -> LoggedRun:
    """Log ``scorecard`` (read from ``json_path``) to an MLflow run; see the module docstring.

    ``html_path`` defaults to the HTML next to the JSON; when there is none, the page is
    rendered from the scorecard. Raises :class:`MLScoreError` naming the run or experiment
    when MLflow refuses.
    """
    from mltestscore.errors import ConfigError
    from mltestscore.mlflow_models import import_mlflow
    from mltestscore.mlflow_models import tracking_uri as resolve_tracking_uri

    try:
        mlflow = import_mlflow()
    except ConfigError as exc:
        raise MLScoreError(f"mltestscore log: {exc}") from None
    uri = resolve_tracking_uri(tracking_uri)
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    run_id = run_id or os.environ.get(RUN_ID_ENV) or None
    warnings: list[str] = []
    try:
        if run_id is not None:
            run = client.get_run(run_id)
        else:
            experiment_id = "0"
            if experiment is not None:
                found = client.get_experiment_by_name(experiment)
                experiment_id = (
                    found.experiment_id if found else client.create_experiment(experiment)
                )
            run = client.create_run(experiment_id, run_name=RUN_NAME)
    except Exception as exc:
        what = f"run {run_id!r}" if run_id else f"experiment {experiment or 'Default'!r}"
        raise MLScoreError(
            f"MLflow at {uri or mlflow.get_tracking_uri()!r} refused {what}: "
            f"{type(exc).__name__}: {exc}"
        ) from None
    metrics = scorecard_metrics(scorecard)
    tags = scorecard_tags(scorecard)
    if is_partial(scorecard):
        warnings.append(
            "the scorecard is partial (it did not run the whole suite): its items and reports "
            "are logged, its scores are not"
        )
    identifier = run.info.run_id
    entities: Any = importlib.import_module("mlflow.entities")
    client.log_batch(
        identifier,
        metrics=[entities.Metric(k, v, _now_ms(), 0) for k, v in metrics.items()],
        tags=[entities.RunTag(k, v) for k, v in tags.items()],
    )
    logged = [json_path.name]
    client.log_artifact(identifier, str(json_path), ARTIFACT_FOLDER)
    html = html_path or json_path.with_suffix(".html")
    with tempfile.TemporaryDirectory(prefix="mltestscore-log-") as scratch:
        if not html.is_file():
            from mltestscore.report.html import write_html

            html = write_html(scorecard, Path(scratch) / json_path.with_suffix(".html").name)
        client.log_artifact(identifier, str(html), ARTIFACT_FOLDER)
        logged.append(html.name)
    if run_id is None:
        client.set_terminated(identifier)
    return LoggedRun(
        run_id=identifier,
        experiment_id=str(run.info.experiment_id),
        metrics=metrics,
        tags=tags,
        artifacts=tuple(f"{ARTIFACT_FOLDER}/{name}" for name in logged),
        warnings=tuple(warnings),
    )


def _now_ms() -> int:
    return int(time.time() * 1000)
