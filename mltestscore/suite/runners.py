"""How each generated item calls its built-in check with the project's inputs.

One small function per check: it picks the frames, model and files from the
:class:`SuiteContext` and passes ``options`` (the zero-config defaults merged with
``[tool.mltestscore.thresholds]``) as keyword arguments. Heavy imports stay inside.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mltestscore.checks.result import CheckResult, Outcome
from mltestscore.suite.context import SuiteContext

if TYPE_CHECKING:
    import pandas as pd

Options = Mapping[str, Any]
Runner = Callable[[SuiteContext, str | None, Options], CheckResult]


def _evaluation(ctx: SuiteContext) -> tuple[pd.DataFrame, pd.Series]:
    key = ctx.evaluation_key()
    return ctx.features(key), ctx.labels(key)


def schema_frame(ctx: SuiteContext, key: str) -> Any:
    """The columns a schema judges: the features plus any non-feature column (target, time)
    the schema itself mentions. An inferred schema leaves the target out, so a serving sample
    without labels is judged like the training data. A large source (docs/bigdata.md) stays
    in its engine, narrowed to those columns, and is validated there."""
    import pandas as pd

    from mltestscore.checks.schema import schema_to_dict

    frame = ctx.frame(key)
    mentioned: set[str] = set()
    for expectation in schema_to_dict(ctx.schema).get("expectations", []):
        kwargs = expectation.get("kwargs", {})
        mentioned.add(str(kwargs.get("column", "")))
        for list_key in ("column_list", "column_set"):
            mentioned.update(str(c) for c in kwargs.get(list_key) or [])
    drop = [c for c in ctx.non_feature_columns() if c in frame.columns and c not in mentioned]
    data = ctx.data(key)
    if isinstance(data, pd.DataFrame):
        return frame.drop(columns=drop)
    return narrowed(data, key, drop)


def narrowed(data: Any, key: str, drop: list[str]) -> Any:
    """A large source without the ``drop`` columns, still scanned in its engine."""
    from mltestscore.checks._frames import Projection, open_scan

    if not drop:
        return data
    columns = tuple(c for c in open_scan(data, key).columns if c not in drop)
    return Projection(data, columns)


def run_schema(ctx: SuiteContext, key: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.schema import check_schema

    assert key is not None
    return check_schema(schema_frame(ctx, key), ctx.schema, **options)


def run_importance(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.importance import check_features_are_beneficial

    X, y = _evaluation(ctx)
    return check_features_are_beneficial(ctx.model, X, y, **options)


def run_feature_cost(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.feature_cost import check_feature_costs

    X, y = _evaluation(ctx)
    return check_feature_costs(ctx.model, X, y, **options)


def run_feature_policy(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.policy import check_feature_policy

    assert ctx.config.feature_spec is not None
    if ctx.config.has("model"):
        return check_feature_policy(ctx.config.feature_spec, ctx.model, **options)
    columns = list(ctx.features(next(iter(ctx.config.data))).columns)
    return check_feature_policy(ctx.config.feature_spec, columns=columns, **options)


def run_pii(ctx: SuiteContext, key: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.privacy import check_pii

    assert key is not None
    return check_pii(ctx.data(key), **options)


def run_file_permissions(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.privacy import check_data_file_permissions

    settings = dict(options)
    settings.setdefault("project_root", ctx.config.root)
    return check_data_file_permissions(ctx.data_paths(), **settings)


def cannot_refit(ctx: SuiteContext, check: str) -> CheckResult | None:
    """Not applicable, saying why, for a check that refits the model (``Spec.refits``) when
    the model cannot be refit (an ONNX graph, or another exported model): it needs the
    scikit-learn estimator the model came from. None when the model can be refit."""
    from mltestscore.checks.registry import get_check

    model = ctx.model
    if callable(getattr(model, "get_params", None)) and callable(getattr(model, "fit", None)):
        return None
    return CheckResult.not_applicable(
        check,
        get_check(check).rubric_ids,
        f"the model ({type(model).__name__}) cannot be refit; this check refits the "
        "scikit-learn estimator the model was exported from (point `model` at that estimator's "
        "skops file to run it)",
    )


def run_tuning(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.tuning import check_no_better_params_nearby

    return check_no_better_params_nearby(
        ctx.model, ctx.features("train"), ctx.labels("train"), **options
    )


def run_baselines(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.baselines import check_simpler_model_is_not_better

    X, y = _evaluation(ctx)
    extra: dict[str, Any] = {}
    if ctx.evaluation_key() == "test" and "train" in ctx.config.data:
        extra = {"X_train": ctx.features("train"), "y_train": ctx.labels("train")}
    return check_simpler_model_is_not_better(ctx.model, X, y, **extra, **options)


def run_slices(ctx: SuiteContext, column: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.slices import check_slice_quality

    assert column is not None
    X, y = _evaluation(ctx)
    slice_data = ctx.frame(ctx.evaluation_key())[[column]]
    return check_slice_quality(ctx.model, X, y, columns=[column], slice_data=slice_data, **options)


def run_weak_segments(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.slices import check_weak_segments

    X, y = _evaluation(ctx)
    return check_weak_segments(ctx.model, X, y, **options)


def run_fairness(ctx: SuiteContext, column: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.fairness import check_group_fairness

    assert column is not None
    X, y = _evaluation(ctx)
    groups = ctx.frame(ctx.evaluation_key())[[column]]
    return check_group_fairness(
        ctx.model, X, y, sensitive_features=[column], sensitive_data=groups, **options
    )


def run_proxies(ctx: SuiteContext, column: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.fairness import check_sensitive_proxies

    assert column is not None
    key = "train" if "train" in ctx.config.data else ctx.evaluation_key()
    features = ctx.features(key)
    X = features.drop(columns=[c for c in ctx.config.sensitive if c in features.columns])
    return check_sensitive_proxies(X, ctx.frame(key)[column], **options)


def _train_function(ctx: SuiteContext) -> Callable[..., Any]:
    assert ctx.config.train_fn is not None
    assert ctx.config.train_fn.function is not None
    return ctx.config.train_fn.function


def _train_sample(ctx: SuiteContext, rows: int, seed: int) -> pd.DataFrame:
    frame = ctx.frame("train")
    return frame.sample(n=min(rows, len(frame)), random_state=seed).reset_index(drop=True)


def run_reproducibility(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    """``train_fn(frame, seed)`` twice on a seeded sample of ``train`` (``train_rows``)."""
    from mltestscore.checks.reproducibility import check_reproducible_training

    settings = dict(options)
    rows = int(settings.pop("train_rows", 1000))
    sample = _train_sample(ctx, rows, int(settings.get("seed", 0)))
    train_fn = _train_function(ctx)
    X, y = _evaluation(ctx)
    return check_reproducible_training(lambda seed: train_fn(sample, seed), X, y, **settings)


def run_overfit(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.model_code import check_model_can_overfit

    return check_model_can_overfit(ctx.model, ctx.features("train"), ctx.labels("train"), **options)


def run_training_step(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.model_code import check_training_step_lowers_loss

    return check_training_step_lowers_loss(
        ctx.model, ctx.features("train"), ctx.labels("train"), **options
    )


def run_pipeline(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    """The raw rows go through ``train_fn``; the model is saved with skops and an environment
    snapshot, the way the project's own training script is expected to."""
    from mltestscore import artifacts, environment
    from mltestscore.checks.pipeline import check_pipeline_integration

    train_fn = _train_function(ctx)
    assert ctx.config.target is not None

    def pipeline(raw: Any, output_dir: Path) -> Path:
        model = train_fn(raw, 0)
        path = artifacts.save_model(model, output_dir / "model.skops")
        environment.write_snapshot(output_dir)
        return path

    feature_fn = ctx.config.feature_fn
    return check_pipeline_integration(
        pipeline,
        ctx.frame("train"),
        target=ctx.config.target,
        build_features=feature_fn.function if feature_fn is not None else None,
        trusted=ctx.config.model_trusted,
        drop_columns=sorted(
            c
            for c in ctx.non_feature_columns() - {ctx.config.target}
            if c in ctx.frame("train").columns
        ),
        **options,
    )


def run_serving_gate(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    """The current registry version (the candidate) against the one before it, with the
    metrics recorded for the versions before the candidate as the production history."""
    from mltestscore.checks import _models
    from mltestscore.checks.serving_gate import check_serving_gate

    production = ctx.previous_model
    current = ctx.current_version
    if production is None or current is None:
        return CheckResult.not_applicable(
            "check_serving_gate",
            ("infra-4",),
            f"the registry {ctx.store!r} has no version before the current one to "
            "compare the candidate with",
        )
    X, y = _evaluation(ctx)
    settings = dict(options)
    metric = settings.pop("metric", None) or _models.default_metric(
        _models.infer_task(y, ctx.model)
    )
    older = [v for v in ctx.store.versions() if v.number < current.number]
    history = [m[metric] for v in older if metric in (m := ctx.store.metrics(v))]
    settings.setdefault("recorded_metrics", history)
    settings.setdefault("slice_columns", [c for c in ctx.config.slices if c in X.columns])
    return check_serving_gate(ctx.model, production, X, y, metric=metric, **settings)


def run_step_through(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.explain import check_pipeline_step_through

    return check_pipeline_step_through(ctx.model, ctx.features(ctx.evaluation_key()), **options)


def run_explanation(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.explain import check_single_example_explanation

    return check_single_example_explanation(
        ctx.model, ctx.features(ctx.evaluation_key()), **options
    )


def run_canary(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    """The canary on the first ``sample_rows`` evaluation rows. When the plugin started the
    canary's process as the session began (it has loaded the model on the other core since),
    that process serves the sample; otherwise ``check_canary`` starts one now."""
    from mltestscore.checks.canary import check_canary, check_started_canary
    from mltestscore.checks.registry import run_as_check

    settings = dict(options)
    rows = int(settings.pop("sample_rows", 200))
    path = ctx.canary_artifact()  # a model file, or an MLflow model's folder
    assert path is not None
    X = ctx.features(ctx.evaluation_key()).head(rows)
    started = ctx.take_canary(
        path, settings.get("python"), str(settings.get("input_format", "parquet"))
    )
    if started is None:
        return check_canary(
            path,
            X,
            reference_model=ctx.model,
            trusted=ctx.config.model_trusted,
            environment_file=ctx.training_snapshot(),
            **settings,
        )
    settings.pop("python", None)
    settings.pop("input_format", None)
    return run_as_check(
        "check_canary",
        check_started_canary,
        started,
        X,
        reference_model=ctx.model,
        environment_file=ctx.training_snapshot(),
        **settings,
    )


def run_rollback(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.rollback import check_rollback

    settings = dict(options)
    rows = int(settings.pop("sample_rows", 200))
    X = ctx.features(ctx.evaluation_key()).head(rows)
    return check_rollback(ctx.store, X, trusted=ctx.config.model_trusted, **settings)


def run_dependency_changes(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.dependencies import check_dependency_changes

    snapshot = ctx.training_snapshot()
    if snapshot is None and ctx.mlflow_model_folder is not None:
        return CheckResult.not_applicable(
            "check_dependency_changes",
            ("monitor-1",),
            f"the MLflow model {ctx.config.model.text if ctx.config.model else ''} has no "
            "requirements.txt or python_env.yaml, and its run logged no environment.json; log "
            'one at training time: mlflow.log_dict(take_snapshot(), "environment.json") '
            "(mltestscore.environment)",
        )
    if snapshot is None:
        return CheckResult.not_applicable(
            "check_dependency_changes",
            ("monitor-1",),
            f"no environment.json next to the model {ctx.model_path}; write one at training "
            "time with mltestscore.environment.write_snapshot",
        )
    settings = dict(options)
    settings.setdefault("data_root", str(ctx.config.root))
    return check_dependency_changes(snapshot, **settings)


def run_dependency_automation(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.dependencies import check_dependency_automation

    return check_dependency_automation(ctx.config.root, **options)


def run_drift(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.drift import check_feature_drift

    reference = ctx.features("train")
    current = ctx.features("serving")
    columns = [c for c in reference.columns if c in current.columns]
    settings = dict(options)
    settings.setdefault("columns", columns)
    if ctx.config.feature_fn is not None:  # the columns it built are not in the data
        return check_feature_drift(reference, current, **settings)
    return check_feature_drift(ctx.data("train"), ctx.data("serving"), **settings)


def run_model_age(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.staleness import check_model_age

    trained_at = ctx.model_trained_at()  # an MLflow model: its run's start
    if trained_at is not None and "trained_at" not in options:
        return check_model_age(trained_at=trained_at, **options)
    return check_model_age(ctx.model_path, **options)


def run_data_freshness(ctx: SuiteContext, key: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.staleness import check_data_freshness

    assert key is not None
    assert ctx.config.time_column is not None
    return check_data_freshness(ctx.data(key), ctx.config.time_column, **options)


def run_stability(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    from mltestscore.checks.stability import check_numerical_stability

    settings = dict(options)
    if ctx.config.schema is not None and ctx.config.feature_fn is None:
        # the schema describes the data files; a feature function's columns are others
        settings.setdefault("schema", ctx.schema)
    reference = ctx.features("train") if "train" in ctx.config.data else None
    return check_numerical_stability(
        ctx.model, ctx.features(ctx.evaluation_key()), reference=reference, **settings
    )


def run_performance(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    """Measured on the evaluation data; the history lives in the registry (or next to the
    pyproject in ``.mltestscore/``) with a copy of the baseline's artifact, so each run's
    timings are judged against the baseline's model timed beside it (baseline_model.py)."""
    import dataclasses

    from mltestscore.checks.performance import check_computing_performance
    from mltestscore.suite import baseline_model

    settings = dict(options)
    if "history" not in settings:
        folder = ctx.config.registry or ctx.config.root / ".mltestscore"
        folder.mkdir(parents=True, exist_ok=True)
        settings["history"] = str(folder / "performance-history.jsonl")
    history = Path(settings["history"])
    artifact = ctx.model_path
    recorded_before = history.is_file() and history.stat().st_size > 0  # the check reads it
    baseline = baseline_model.find(history, artifact, ctx.config.model_trusted)
    result = check_computing_performance(
        ctx.model,
        ctx.features(ctx.evaluation_key()),
        artifact=artifact,
        baseline_model=baseline.model,
        model_unchanged=baseline.unchanged,
        **settings,
    )
    if result.outcome is not Outcome.FAILED and settings.get("record", True):
        baseline_model.keep(history, artifact, replace=not recorded_before)
    parameters = {**result.parameters, "baseline_artifact": str(baseline.kept or "")}
    reason = result.reason
    if baseline.why_none and recorded_before:
        reason += f"; timings against the stored runs: {baseline.why_none}"
    return dataclasses.replace(result, parameters=parameters, reason=reason)


def run_served_quality(ctx: SuiteContext, _: str | None, options: Options) -> CheckResult:
    """Serving labels against the metric measured on the evaluation data (``test``)."""
    from mltestscore.checks import _models
    from mltestscore.checks.served_quality import check_served_quality

    if not ctx.has_labels("serving"):
        return CheckResult.not_applicable(
            "check_served_quality",
            ("monitor-7",),
            f"the serving data has no {ctx.config.target!r} column (labels arrive later?)",
        )
    X, y = _evaluation(ctx)
    settings = dict(options)
    metric = settings.pop("metric", None) or _models.default_metric(
        _models.infer_task(y, ctx.model)
    )
    reference = _models.score(
        metric, y, _models.predict(ctx.model, X), _models.predict_proba(ctx.model, X)
    )
    settings.setdefault(
        "slice_columns", [c for c in ctx.config.slices if c in ctx.features("serving").columns]
    )
    return check_served_quality(
        ctx.model,
        ctx.features("serving"),
        ctx.labels("serving"),
        training_metric=reference,
        metric=metric,
        **settings,
    )
