"""The full ML pipeline is integration tested (infra-3): raw data in, a served prediction out.

Unit tests of each stage miss the joins: a feature renamed upstream, an artifact saved without
the preprocessing, a model that loads but predicts the wrong shape. This check runs the user's
end-to-end pipeline on a small sample in a scratch directory, then does what serving does: load
the saved artifact safely (skops), read its environment snapshot and predict on raw rows.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mltestscore import artifacts, environment
from mltestscore.checks import _inputs as inputs
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table

RUBRIC = ("infra-3",)
CHECK = "check_pipeline_integration"
_MODEL_SUFFIXES = (".skops", ".onnx", ".joblib", ".pkl", ".pickle")

PipelineFunction = Callable[[Any, Path], Any]


class _StageFailed(Exception):
    def __init__(self, stage: str, detail: str) -> None:
        super().__init__(detail)
        self.stage = stage
        self.detail = detail


def _find_artifact(returned: Any, workdir: Path) -> Path:
    if isinstance(returned, str | Path):
        path = Path(returned)
        if not path.is_absolute():
            path = workdir / path
        if not path.is_file():
            raise _StageFailed("artifact", f"the pipeline returned {path}, which does not exist")
        return path
    for suffix in _MODEL_SUFFIXES:
        found = sorted(workdir.rglob(f"*{suffix}"))
        if found:
            return found[0]
    raise _StageFailed("artifact", f"the pipeline wrote no model file into {workdir}")


def _prediction_problems(model: Any, X: Any, labels: Any) -> list[str]:
    """What is wrong with the predictions as a serving client would see them."""
    import numpy as np
    import pandas as pd

    problems = []
    predictions = np.asarray(model.predict(X))
    if predictions.shape[0] != len(X):
        return [f"{predictions.shape[0]} predictions for {len(X)} rows"]
    if pd.isna(predictions).any():
        problems.append(f"{int(pd.isna(predictions).sum())} missing predictions")
    classes = getattr(model, "classes_", None)
    if classes is not None:
        unknown = sorted({str(v) for v in predictions} - {str(v) for v in np.unique(labels)})
        if unknown:
            problems.append(f"predicted labels never seen in training: {', '.join(unknown[:5])}")
    elif np.issubdtype(predictions.dtype, np.number) and not np.isfinite(predictions).all():
        problems.append("non-finite predictions")
    if classes is not None and callable(getattr(model, "predict_proba", None)):
        proba = np.asarray(model.predict_proba(X))
        if proba.shape != (len(X), len(classes)):
            problems.append(
                f"probabilities of shape {proba.shape}, expected {(len(X), len(classes))}"
            )
        elif (proba < 0).any() or (proba > 1).any() or not np.allclose(proba.sum(axis=1), 1.0):
            problems.append("probabilities outside [0, 1] or rows not summing to 1")
    return problems


@register_check(*RUBRIC)
def check_pipeline_integration(
    pipeline: PipelineFunction,
    raw_data: Any,
    *,
    target: str,
    sample_size: int | None = 500,
    seed: int = 0,
    trusted: artifacts.Trust = (),
    require_environment: bool = True,
    max_seconds: float | None = None,
    workdir: str | Path | None = None,
    drop_columns: Sequence[str] = (),
    build_features: Callable[[Any], Any] | None = None,
) -> CheckResult:
    """The end-to-end pipeline turns raw data into a loadable artifact that predicts.

    ``pipeline(raw_sample, output_dir)`` runs the user's whole pipeline (features, training,
    saving) on a seeded sample of ``sample_size`` raw rows and writes the model into
    ``output_dir`` (returning its path, or leaving one ``*.skops`` file there). The check then
    loads the artifact safely (``trusted`` as in ``mltestscore.artifacts.load_model``), reads
    the ``environment.json`` beside it (required unless ``require_environment=False``) and
    predicts on the raw rows the way serving would feed it: the columns the model was fitted
    on (its ``feature_names_in_``) when it records them, else every column but ``target`` and
    ``drop_columns`` (the non-feature columns training leaves out: a time column, identifiers).
    It expects one finite prediction per row, labels seen in training and probabilities that
    sum to 1. ``max_seconds`` bounds the whole run. A project whose serving code turns the raw
    rows into the model's input with a function passes it as ``build_features``: the raw rows
    (target included, as read) go through it first, and the model takes what it returns.
    """
    if not callable(pipeline):
        raise CheckInputError("pipeline", f"expected a callable, got {type(pipeline).__name__}")
    raw_data = inputs.require_rows(raw_data, "raw_data")
    inputs.require_columns(raw_data, [target], "target")
    dropped = [str(c) for c in drop_columns if str(c) != target]
    if dropped:
        inputs.require_columns(raw_data, dropped, "drop_columns")
    sample = inputs.take_rows(raw_data, inputs.sample_rows(raw_data, sample_size, seed))
    sample = sample.reset_index(drop=True)
    features = sample.drop(columns=[target, *dropped])

    stages: list[tuple[str, str, float, str]] = []
    failure: _StageFailed | None = None
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mltestscore-pipeline-") as scratch:
        output_dir = Path(workdir) if workdir is not None else Path(scratch)
        output_dir.mkdir(parents=True, exist_ok=True)
        steps: Sequence[tuple[str, Callable[[dict[str, Any]], str]]] = [
            ("train and save", lambda s: _run_pipeline(pipeline, sample, output_dir, s)),
            ("load artifact", lambda s: _load(s, trusted)),
            ("environment snapshot", lambda s: _snapshot(s, require_environment)),
            (
                "predict raw rows",
                lambda s: _predict(s, sample, features, sample[target], build_features),
            ),
        ]
        state: dict[str, Any] = {}
        for stage, step in steps:
            if failure is not None:
                stages.append((stage, "not run", 0.0, ""))
                continue
            begin = time.perf_counter()
            try:
                detail = step(state)
                stages.append((stage, "ok", time.perf_counter() - begin, detail))
            except _StageFailed as exc:
                failure = exc
                stages.append((stage, "failed", time.perf_counter() - begin, exc.detail))
        artifact_bytes = state["artifact"].stat().st_size if "artifact" in state else None
    elapsed = time.perf_counter() - started

    too_slow = max_seconds is not None and elapsed > max_seconds
    if failure is not None:
        reason = f"the pipeline breaks at '{failure.stage}': {failure.detail}"
    elif too_slow:
        reason = f"the pipeline works end to end but took {elapsed:.1f}s (limit {max_seconds}s)"
    else:
        reason = (
            f"raw data → training → {state['artifact'].name} → load → predict works end to end on "
            f"{len(sample)} rows in {elapsed:.1f}s"
        )
    return CheckResult.judge(
        failure is None and not too_slow,
        CHECK,
        RUBRIC,
        reason,
        measurements={
            "seconds": elapsed,
            "artifact_bytes": artifact_bytes,
        },
        thresholds={"max_seconds": max_seconds, "require_environment": require_environment},
        parameters={
            "sample_size": len(sample),
            "seed": seed,
            "target": target,
            "drop_columns": ", ".join(dropped) or None,
            "model_input": state.get("model_input"),
        },
        tables=[Table.build("Pipeline stages", ["stage", "status", "seconds", "detail"], stages)],
    )


def _run_pipeline(
    pipeline: PipelineFunction, sample: Any, output_dir: Path, state: dict[str, Any]
) -> str:
    try:
        returned = pipeline(sample.copy(), output_dir)
    except Exception as exc:
        raise _StageFailed("train and save", f"{type(exc).__name__}: {exc}") from exc
    state["artifact"] = _find_artifact(returned, output_dir)
    return f"wrote {state['artifact'].name}"


def _load(state: dict[str, Any], trusted: artifacts.Trust) -> str:
    try:
        loaded = artifacts.load_model(state["artifact"], trusted=trusted)
    except artifacts.ArtifactError as exc:
        raise _StageFailed("load artifact", str(exc)) from exc
    if not callable(getattr(loaded.model, "predict", None)):
        raise _StageFailed("load artifact", f"{type(loaded.model).__name__} has no predict()")
    state["model"] = loaded.model
    return loaded.note


def _snapshot(state: dict[str, Any], required: bool) -> str:
    folder = state["artifact"].parent
    try:
        snapshot = environment.read_snapshot(folder)
    except FileNotFoundError as exc:
        if required:
            raise _StageFailed(
                "environment snapshot", f"no {environment.SNAPSHOT_FILE} next to the artifact"
            ) from exc
        return "no snapshot (not required)"
    except ValueError as exc:
        raise _StageFailed("environment snapshot", str(exc)) from exc
    return f"{len(snapshot['packages'])} packages, Python {snapshot.get('python')}"


def model_input(model: Any, sample: Any, features: Any) -> tuple[Any, str]:
    """The rows as the model was fitted to take them, and how they were chosen: the model's own
    ``feature_names_in_`` (read from the raw sample, so a feature training dropped is dropped
    here too), else ``features`` (the raw columns but the target and the declared non-feature
    columns). A fitted column the raw rows lack is the pipeline's defect, not the check's."""
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return features, f"{features.shape[1]} raw columns (target and non-features left out)"
    wanted = [str(n) for n in names]
    missing = [n for n in wanted if n not in sample.columns]
    if missing:
        raise _StageFailed(
            "predict raw rows",
            f"the model was fitted on column(s) {', '.join(map(repr, missing[:5]))} that the "
            "raw rows do not have: the saved artifact leaves out a step that builds them",
        )
    return sample[wanted], f"the {len(wanted)} columns the model was fitted on"


def _predict(
    state: dict[str, Any],
    sample: Any,
    features: Any,
    labels: Any,
    build_features: Callable[[Any], Any] | None = None,
) -> str:
    if build_features is not None:
        try:
            built = build_features(sample.copy())
        except Exception as exc:
            raise _StageFailed(
                "predict raw rows", f"build_features raised {type(exc).__name__}: {exc}"
            ) from exc
        X, how = model_input(state["model"], built, built)
        how = f"{how} (built by build_features)"
    else:
        X, how = model_input(state["model"], sample, features)
    state["model_input"] = how
    try:
        problems = _prediction_problems(state["model"], X, labels)
    except Exception as exc:
        raise _StageFailed("predict raw rows", f"{type(exc).__name__}: {exc}") from exc
    if problems:
        raise _StageFailed("predict raw rows", "; ".join(problems))
    return f"{len(X)} predictions from {how}"
