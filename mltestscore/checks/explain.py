"""Debuggability [infra-5]: explain one example with SHAP and step a Pipeline through it.

The rubric asks that a person can observe the step-by-step computation of inference on a
single example. Two checks give that evidence: SHAP attributions for one row, with the
additivity check (base value + attributions = model output) that tells the explanation is
faithful to the model, and a walk through each step of a fitted scikit-learn Pipeline showing
what every step outputs and that the walk reproduces the model's prediction.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mltestscore.checks._boosters import booster_library, contributions, margin_space
from mltestscore.checks._inputs import (
    fmt,
    require_frame,
    require_model,
    resolve_columns,
    sample_frame,
)
from mltestscore.checks._models import (
    NotApplicableError,
    is_classifier,
    is_regressor,
)
from mltestscore.checks._threads import limited_threads
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

RUBRIC = ("infra-5",)


@dataclass(frozen=True)
class Attributions:
    """SHAP attributions grouped back to the model's input columns."""

    values: np.ndarray  # (rows, input features): attributions of the explained output
    base_values: np.ndarray  # (rows,)
    outputs: np.ndarray  # (rows,): the model output the attributions should add up to
    features: list[str]  # input feature names, one per column of ``values``
    explainer: str  # tree / linear / permutation
    output_space: str  # what ``outputs`` is, in words
    class_label: str | None  # the explained class of a classifier

    @property
    def additivity_error(self) -> np.ndarray:
        import numpy as np

        gap: np.ndarray = np.abs(self.base_values + self.values.sum(axis=1) - self.outputs)
        return gap


def split_pipeline(model: Any) -> tuple[Any | None, Any]:
    """(preprocessing, final estimator) of a Pipeline; (None, model) for anything else."""
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline) and len(model.steps) > 1:
        return model[:-1], model[-1]
    return None, model


def _dense(matrix: Any) -> np.ndarray:
    import numpy as np

    if hasattr(matrix, "toarray"):
        matrix = matrix.toarray()
    dense: np.ndarray = np.asarray(matrix, dtype=float)
    return dense


def input_feature_of_each_output(preprocess: Any, columns: Sequence[str], width: int) -> list[str]:
    """For each column the preprocessing outputs, the input column it comes from.

    Reads the ColumnTransformer (alone or as the first step of the preprocessing) so that
    one-hot columns fold back into their source column; when the mapping is unclear the
    output's own name is kept, so nothing is attributed to the wrong input.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    try:
        out_names = [str(n) for n in preprocess.get_feature_names_out()]
    except Exception:
        out_names = [f"x{i}" for i in range(width)]
    if len(out_names) != width:
        out_names = [f"x{i}" for i in range(width)]
    first = preprocess[0] if isinstance(preprocess, Pipeline) else preprocess
    if not isinstance(first, ColumnTransformer):
        return out_names if len(columns) != width else list(columns)
    mapping = list(out_names)
    total = sum(s.stop - s.start for s in first.output_indices_.values())
    if total != width:
        return out_names
    for name, _, cols in first.transformers_:
        span = first.output_indices_.get(name)
        if span is None or span.stop <= span.start:
            continue
        resolved = resolve_columns(cols, list(columns))
        if span.stop - span.start == len(resolved):
            mapping[span] = resolved
            continue
        if len(resolved) == 1:  # one input column (one-hot, text vectoriser): all its outputs
            mapping[span] = resolved * (span.stop - span.start)
            continue
        for index in range(span.start, span.stop):
            stripped = out_names[index].split("__", 1)[-1]
            owners = [c for c in resolved if stripped.startswith(c)]
            if owners:
                mapping[index] = max(owners, key=len)
    return mapping


def _group(values: np.ndarray, owners: list[str]) -> tuple[np.ndarray, list[str]]:
    """Sum attributions of outputs that come from the same input column."""
    import numpy as np

    features = list(dict.fromkeys(owners))
    grouped = np.zeros((values.shape[0], len(features)))
    for j, owner in enumerate(owners):
        grouped[:, features.index(owner)] += values[:, j]
    return grouped, features


def _pick_class(values: np.ndarray, k: int) -> np.ndarray:
    return values[..., k] if values.ndim == 3 else values


def shap_attributions(
    model: Any,
    X: pd.DataFrame,
    *,
    class_index: int | None = None,
    background: pd.DataFrame | None = None,
    background_size: int = 100,
    max_evals: int | None = None,
    seed: int = 0,
    exact_only: bool = False,
    method: str = "auto",
) -> Attributions:
    """SHAP attributions of ``model`` on the rows of ``X``, grouped to input columns.

    Tree ensembles use the exact TreeExplainer (log-odds for boosted classifiers), linear
    models the LinearExplainer, anything else the model-agnostic Permutation explainer on the
    probability of the explained class (or the prediction of a regressor). Classifiers without
    probabilities or a decision function cannot be explained: NotApplicableError, raised too
    when ``exact_only`` and no tree or linear explainer applies. ``method`` forces one
    explainer: "tree", "linear" or "permutation" ("auto" picks the first that applies).
    """
    import numpy as np

    try:
        import shap  # noqa: F401
    except ImportError as exc:  # shap (with numba and llvmlite) is the optional `explain` extra
        raise NotApplicableError(
            "SHAP explanations need shap, which is not installed: install mltestscore[explain]"
        ) from exc

    if method not in {"auto", "tree", "linear", "permutation"}:
        raise CheckInputError("method", f"{method!r} is not auto, tree, linear or permutation")
    preprocess, estimator = split_pipeline(model)
    columns = [str(c) for c in X.columns]
    transform = (lambda frame: frame) if preprocess is None else preprocess.transform
    transformed = transform(X)
    if method in {"auto", "tree"} and booster_library(estimator) is not None:
        return _booster_attributions(preprocess, estimator, transformed, columns, class_index)
    if preprocess is None:
        import pandas as pd

        text = [str(c) for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        if text and method in {"tree", "linear"}:
            raise NotApplicableError(
                f"{type(model).__name__} takes non-numeric columns ({', '.join(text[:5])}); "
                f"no {method} SHAP explainer applies, use method='permutation'"
            )
        if text:  # a model known only by its outputs (ONNX, a predict-only wrapper)
            return _coded_attributions(
                model, X, background, background_size, class_index, max_evals, seed
            )
    try:
        X_matrix = _dense(transformed)
    except (TypeError, ValueError) as exc:
        # the preprocessing hands its last step non-numbers (pandas categoricals for a
        # booster's native categorical handling): explain the whole pipeline on its input
        if method in {"tree", "linear"}:
            raise NotApplicableError(
                f"the last step of {type(model).__name__} takes non-numeric values ({exc}); "
                f"no {method} SHAP explainer applies, use method='permutation'"
            ) from exc
        return _coded_attributions(
            model, X, background, background_size, class_index, max_evals, seed
        )
    owners = (
        input_feature_of_each_output(preprocess, columns, X_matrix.shape[1])
        if preprocess is not None
        else columns
    )
    bg_sample, _ = sample_frame(
        X if background is None else background, None, background_size, seed
    )
    bg_matrix = _dense(transform(bg_sample))

    classes = _classes(estimator, X_matrix[:1])
    k = _class_position(classes, class_index)
    explained = None
    if method != "permutation":
        explained = _model_specific(estimator, X_matrix, bg_matrix, classes, k, method)
    if explained is None and method in {"tree", "linear"}:
        raise NotApplicableError(f"no {method} SHAP explainer for {type(estimator).__name__}")
    if explained is None and exact_only:
        raise NotApplicableError(
            f"no exact SHAP explainer (tree or linear) for {type(estimator).__name__}"
        )
    if explained is None:
        explained = _model_agnostic(estimator, X_matrix, bg_matrix, classes, k, max_evals, seed)
    raw, base, outputs, kind, space = explained
    n = X_matrix.shape[0]
    grouped, features = _group(np.asarray(raw, dtype=float).reshape(n, -1), owners)
    return Attributions(
        grouped,
        np.array(np.broadcast_to(np.asarray(base, dtype=float).reshape(-1), (n,))),
        np.asarray(outputs, dtype=float),
        features,
        kind,
        space,
        str(classes[k]) if classes else None,
    )


_Explained = tuple[Any, Any, Any, str, str]  # values, base values, outputs, explainer, space


def _classes(estimator: Any, first_row: Any) -> list[Any]:
    """The classes of a classifier (by position when scikit-learn does not know it as
    one), none for a regressor."""
    classes = list(getattr(estimator, "classes_", [])) if is_classifier(estimator) else []
    if not classes and not is_regressor(estimator):
        classes = _probability_columns(estimator, first_row)
    return classes


def _class_position(classes: list[Any], class_index: int | None) -> int:
    """The explained class: ``class_index``, else the positive class of a binary task."""
    if not classes:
        return 0
    k = class_index if class_index is not None else (1 if len(classes) == 2 else 0)
    if not 0 <= k < len(classes):
        raise CheckInputError("class_index", f"{k} is not in 0..{len(classes) - 1}")
    return k


def _booster_attributions(
    preprocess: Any,
    estimator: Any,
    transformed: Any,
    columns: list[str],
    class_index: int | None,
) -> Attributions:
    """LightGBM, XGBoost and CatBoost explain themselves: exact TreeSHAP computed by the
    library on what the last step sees (pandas categoricals included), in its raw score."""
    import numpy as np

    try:
        explained = contributions(estimator, transformed)
    except Exception as exc:  # the library refused the input: say so, in its own words
        raise CheckInputError(
            "X", f"{type(estimator).__name__} could not explain it ({type(exc).__name__}: {exc})"
        ) from exc
    assert explained is not None  # booster_library said it is a booster
    first = transformed.iloc[:1] if hasattr(transformed, "iloc") else transformed[:1]
    classes = _classes(estimator, first)
    k = _class_position(classes, class_index)
    raw, base, outputs = explained.values, explained.base, explained.outputs
    if raw.ndim == 3:
        raw, base, outputs = raw[..., k], base[:, k], outputs[:, k]
    elif len(classes) == 2 and k == 0:  # one margin for two classes: class 0 is its negative
        raw, base, outputs = -raw, -base, -outputs
    width = raw.shape[1]
    if preprocess is not None:
        owners = input_feature_of_each_output(preprocess, columns, width)
    elif width == len(columns):
        owners = columns
    else:
        owners = [f"x{i}" for i in range(width)]
    grouped, features = _group(np.asarray(raw, dtype=float), owners)
    return Attributions(
        grouped,
        np.asarray(base, dtype=float).reshape(-1),
        np.asarray(outputs, dtype=float).reshape(-1),
        features,
        "tree",
        margin_space(explained.library, bool(classes)),
        str(classes[k]) if classes else None,
    )


class _Codebook:
    """Non-numeric input columns as numeric codes and back, so a model-agnostic explainer
    can perturb a pipeline's raw input (strings, categoricals) and the pipeline still
    receives the values and dtypes it was trained on."""

    def __init__(self, frame: pd.DataFrame) -> None:
        import pandas as pd

        self.columns = list(frame.columns)
        self.dtypes = {c: frame[c].dtype for c in self.columns}
        self.values: dict[Any, list[Any]] = {
            c: list(pd.unique(frame[c].dropna()))
            for c in self.columns
            if not pd.api.types.is_numeric_dtype(frame[c])
            or isinstance(frame[c].dtype, pd.CategoricalDtype)
        }

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        import numpy as np

        matrix = np.empty((len(frame), len(self.columns)))
        for j, column in enumerate(self.columns):
            known = self.values.get(column)
            if known is None:
                matrix[:, j] = np.asarray(frame[column], dtype=float)
                continue
            lookup = {value: float(code) for code, value in enumerate(known)}
            matrix[:, j] = [lookup.get(v, np.nan) for v in frame[column].tolist()]
        return matrix

    def decode(self, matrix: np.ndarray) -> pd.DataFrame:
        import numpy as np
        import pandas as pd

        data: dict[Any, Any] = {}
        for j, column in enumerate(self.columns):
            dtype = self.dtypes[column]
            known = self.values.get(column)
            if known is None:
                values = matrix[:, j]
                integral = np.issubdtype(dtype, np.integer) and np.isfinite(values).all()
                data[column] = values.astype(dtype) if integral else values
                continue
            codes = matrix[:, j]
            decoded = [known[int(c)] if np.isfinite(c) else None for c in np.rint(codes)]
            data[column] = pd.Series(decoded, dtype=dtype)
        return pd.DataFrame(data)


class _DecodingModel:
    """The model, called on coded matrices: decodes them into the frame it takes."""

    def __init__(self, model: Any, codebook: _Codebook) -> None:
        self.model, self.codebook = model, codebook
        for method in ("predict_proba", "decision_function"):
            if callable(getattr(model, method, None)):
                setattr(self, method, self._calling(method))

    def _calling(self, method: str) -> Any:
        def call(matrix: np.ndarray) -> Any:
            return getattr(self.model, method)(self.codebook.decode(matrix))

        return call

    def predict(self, matrix: np.ndarray) -> Any:
        return self.model.predict(self.codebook.decode(matrix))


def _coded_attributions(
    model: Any,
    X: pd.DataFrame,
    background: pd.DataFrame | None,
    background_size: int,
    class_index: int | None,
    max_evals: int | None,
    seed: int,
) -> Attributions:
    """The Permutation explainer on the whole model over its raw input, non-numeric
    columns perturbed as codes of the values seen in the rows and the background."""
    import numpy as np
    import pandas as pd

    bg_sample, _ = sample_frame(
        X if background is None else background, None, background_size, seed
    )
    codebook = _Codebook(pd.concat([X, bg_sample[X.columns]], ignore_index=True))
    X_matrix, bg_matrix = codebook.encode(X), codebook.encode(bg_sample[X.columns])
    wrapped = _DecodingModel(model, codebook)
    classes = _classes(model, X.iloc[:1])
    k = _class_position(classes, class_index)
    raw, base, outputs, kind, space = _model_agnostic(
        wrapped, X_matrix, bg_matrix, classes, k, max_evals, seed
    )
    n = X_matrix.shape[0]
    return Attributions(
        np.asarray(raw, dtype=float).reshape(n, -1),
        np.array(np.broadcast_to(np.asarray(base, dtype=float).reshape(-1), (n,))),
        np.asarray(outputs, dtype=float),
        [str(c) for c in X.columns],
        kind,
        f"{space} of the whole {type(model).__name__} on its raw input",
        str(classes[k]) if classes else None,
    )


def _probability_columns(model: Any, row: Any) -> list[Any]:
    """A classifier scikit-learn does not recognise (an ONNX graph, a wrapper) still has
    ``predict_proba``: its columns stand for the classes, named by position, so the
    explanation attributes a probability rather than a hard label. No columns when it has
    none or they cannot be had."""
    import numpy as np

    if not callable(getattr(model, "predict_proba", None)):
        return []
    try:
        probabilities = np.asarray(model.predict_proba(row))
    except Exception:
        return []
    return list(range(probabilities.shape[1])) if probabilities.ndim == 2 else []


def _model_specific(
    estimator: Any,
    X_matrix: np.ndarray,
    bg_matrix: np.ndarray,
    classes: list[Any],
    k: int,
    method: str = "auto",
) -> _Explained | None:
    """Exact explainers in the model's margin space: TreeExplainer, else LinearExplainer."""
    import numpy as np
    import shap

    explanation = None
    kind = ""
    if method in {"auto", "tree"}:
        try:
            explanation = shap.TreeExplainer(estimator)(X_matrix, check_additivity=False)
            kind = "tree"
        except Exception:
            explanation = None
    if explanation is None and method in {"auto", "linear"} and hasattr(estimator, "coef_"):
        explanation = shap.LinearExplainer(estimator, bg_matrix)(X_matrix)
        kind = "linear"
    if explanation is None:
        return None
    raw, base = np.asarray(explanation.values), np.asarray(explanation.base_values)
    if classes and callable(getattr(estimator, "decision_function", None)):
        outputs = np.asarray(estimator.decision_function(X_matrix), dtype=float)
        space = "decision function (log-odds for probabilistic classifiers)"
    elif classes:
        outputs = np.asarray(estimator.predict_proba(X_matrix), dtype=float)
        space = "predicted probability"
    else:
        outputs = np.asarray(estimator.predict(X_matrix), dtype=float)
        space = "prediction"
    if raw.ndim == 3:
        raw = raw[..., k]
    if base.ndim == 2:
        base = base[:, k]
    if outputs.ndim == 2:
        outputs = outputs[:, k]
    elif len(classes) == 2 and k == 0:  # one margin for two classes: class 0 is its negative
        outputs, raw, base = -outputs, -raw, -base
    return raw, base, outputs, kind, space


def _model_agnostic(
    estimator: Any,
    X_matrix: np.ndarray,
    bg_matrix: np.ndarray,
    classes: list[Any],
    k: int,
    max_evals: int | None,
    seed: int,
) -> _Explained:
    """The Permutation explainer on a continuous output of any model."""
    import numpy as np
    import shap

    def probability(matrix: np.ndarray) -> np.ndarray:
        return np.asarray(estimator.predict_proba(matrix), dtype=float)[:, k]

    def decision(matrix: np.ndarray) -> np.ndarray:
        scores = np.asarray(estimator.decision_function(matrix), dtype=float)
        if scores.ndim == 2:
            return scores[:, k]
        return scores if k == len(classes) - 1 else -scores

    def prediction(matrix: np.ndarray) -> np.ndarray:
        return np.asarray(estimator.predict(matrix), dtype=float)

    if classes and callable(getattr(estimator, "predict_proba", None)):
        explained, space = probability, "predicted probability"
    elif classes and callable(getattr(estimator, "decision_function", None)):
        explained, space = decision, "decision function"
    elif classes:
        raise NotApplicableError(
            f"{type(estimator).__name__} has neither a tree structure, coefficients, "
            "predict_proba nor decision_function, so there is no continuous output to attribute"
        )
    else:
        explained, space = prediction, "prediction"
    masker = shap.maskers.Independent(bg_matrix, max_samples=len(bg_matrix))
    explainer = shap.explainers.Permutation(explained, masker, seed=seed)
    least = 2 * X_matrix.shape[1] + 1
    explanation = explainer(X_matrix, max_evals=max(max_evals or least, least), silent=True)
    raw, base = np.asarray(explanation.values), np.asarray(explanation.base_values)
    return raw, base, explained(X_matrix), "permutation", space


def _locate(X: pd.DataFrame, index: object) -> int:
    """Position of the example: a label of ``X.index`` first, else a position."""
    if index in X.index:
        located = X.index.get_loc(index)
        if isinstance(located, int):
            return located
    if isinstance(index, int) and -len(X) <= index < len(X):
        return index % len(X)
    raise CheckInputError("index", f"{index!r} is neither a label nor a position in X")


@register_check(*RUBRIC)
def check_single_example_explanation(
    model: Any,
    X: pd.DataFrame,
    index: object = 0,
    *,
    additivity_tolerance: float = 1e-3,
    sample_size: int = 200,
    background_size: int = 100,
    class_index: int | None = None,
    seed: int = 0,
    top: int = 15,
    agnostic_sample_size: int = 30,
    time_budget_s: float | None = None,
    method: str = "auto",
    n_threads: int | None = 1,
) -> CheckResult:
    """Explain one example with SHAP and verify base value + attributions = model output.

    A model is debuggable when a person can see why it gave one answer. SHAP gives per-feature
    attributions; they are only trustworthy when they add up to the model's output, so the
    check fails when the additivity gap exceeds ``additivity_tolerance`` for the example or
    for any of ``sample_size`` rows used for the global importance chart in the report.
    A model-agnostic (permutation) explainer costs many model calls per row, so it explains
    at most ``agnostic_sample_size`` of them: fixed work, so identical runs give the same
    figures on a busy machine. With ``time_budget_s`` instead, the global sample (up to
    ``sample_size``) shrinks to what a second, timed explanation of the example says fits
    the budget: faster or larger, but then the figures depend on the load. The size used is
    recorded. ``method`` forces an explainer ("tree", "linear", "permutation"); "auto"
    takes the first exact one that applies.
    """
    name = "check_single_example_explanation"
    require_model(model)
    X = require_frame(X)
    position = _locate(X, index)
    if additivity_tolerance < 0:
        raise CheckInputError("additivity_tolerance", "must be non-negative")
    if agnostic_sample_size < 1:
        raise CheckInputError("agnostic_sample_size", "must be at least 1")
    parameters: dict[str, object] = {
        "index": str(index),
        "sample_size": sample_size,
        "agnostic_sample_size": agnostic_sample_size,
        "time_budget_s": time_budget_s,
        "background_size": background_size,
        "seed": seed,
        "method": method,
    }
    rows = X.iloc[[position]]
    start = time.perf_counter()
    with limited_threads(n_threads):
        return _explain_example(
            name,
            model,
            X,
            rows,
            index,
            additivity_tolerance=additivity_tolerance,
            sample_size=sample_size,
            background_size=background_size,
            class_index=class_index,
            seed=seed,
            top=top,
            agnostic_sample_size=agnostic_sample_size,
            time_budget_s=time_budget_s,
            method=method,
            parameters=parameters,
            start=start,
        )


def _explain_example(
    name: str,
    model: Any,
    X: pd.DataFrame,
    rows: pd.DataFrame,
    index: object,
    *,
    additivity_tolerance: float,
    sample_size: int,
    background_size: int,
    class_index: int | None,
    seed: int,
    top: int,
    agnostic_sample_size: int,
    time_budget_s: float | None,
    method: str,
    parameters: dict[str, object],
    start: float,
) -> CheckResult:
    try:
        local = shap_attributions(
            model,
            rows,
            class_index=class_index,
            background=X,
            background_size=background_size,
            seed=seed,
            method=method,
        )
        # model-agnostic explainers cost a lot per row: a fixed, smaller global sample, or
        # (opt-in) what fits the budget; exact explainers cost next to nothing per row
        affordable = sample_size
        if local.explainer == "permutation" and time_budget_s is None:
            affordable = agnostic_sample_size
        elif local.explainer == "permutation":
            assert time_budget_s is not None
            again = time.perf_counter()  # timed again: the first call pays shap's JIT compile
            shap_attributions(
                model,
                rows,
                class_index=class_index,
                background=X,
                background_size=background_size,
                seed=seed,
                method="permutation",
            )
            per_row = time.perf_counter() - again
            affordable = max(1, int(time_budget_s / max(per_row, 1e-6)))
        used = min(sample_size, affordable, len(X))
        parameters["sample_size_used"] = used
        sample, _ = sample_frame(X, None, used, seed)
        overall = shap_attributions(
            model,
            sample,
            class_index=class_index,
            background=X,
            background_size=background_size,
            seed=seed,
            method=method,
        )
    except NotApplicableError as exc:
        return CheckResult.not_applicable(name, RUBRIC, str(exc), parameters=parameters)
    elapsed = time.perf_counter() - start

    import numpy as np

    order = np.argsort(-np.abs(local.values[0]))[:top]
    example = rows.iloc[0]
    local_table = Table.build(
        f"Attributions for example {index!r} ({local.output_space}"
        + (f", class {local.class_label}" if local.class_label is not None else "")
        + ")",
        ["feature", "value", "attribution"],
        [
            [local.features[j], example.get(local.features[j], ""), local.values[0, j]]
            for j in order
        ],
        chart="attribution",
    )
    mean_abs = np.abs(overall.values).mean(axis=0)
    global_order = np.argsort(-mean_abs)
    global_table = Table.build(
        f"Global importance: mean |SHAP| over {len(sample)} rows",
        ["feature", "mean_abs_shap"],
        [[overall.features[j], mean_abs[j]] for j in global_order],
        chart="mean_abs_shap",
    )
    local_gap = float(local.additivity_error[0])
    worst_gap = float(max(local_gap, overall.additivity_error.max()))
    top_feature = local.features[order[0]] if len(order) else "none"
    measurements = {
        "explainer": local.explainer,
        "output": float(local.outputs[0]),
        "base_value": float(local.base_values[0]),
        "attribution_sum": float(local.values[0].sum()),
        "additivity_gap": local_gap,
        "worst_additivity_gap_in_sample": worst_gap,
        "top_feature": top_feature,
        "seconds": elapsed,
    }
    ok = worst_gap <= additivity_tolerance
    reason = (
        f"example {index!r}: base {fmt(local.base_values[0])} + attributions "
        f"{fmt(local.values[0].sum())} = {fmt(local.outputs[0])} ({local.explainer} explainer, "
        f"top feature {top_feature}); additivity gap {worst_gap:.2g}"
        + (" within" if ok else " exceeds")
        + f" tolerance {additivity_tolerance:g}"
        + (
            ""
            if ok
            else ": the attributions do not explain this model's output (try method="
            "'permutation', which needs only the model's outputs)"
        )
    )
    return CheckResult.judge(
        ok,
        name,
        RUBRIC,
        reason,
        measurements=measurements,
        thresholds={"additivity_tolerance": additivity_tolerance},
        parameters=parameters,
        tables=[local_table, global_table],
    )


def _preview(output: Any, names: Sequence[str] | None, limit: int = 8) -> str:
    import numpy as np

    if hasattr(output, "iloc"):
        values = output.iloc[0].tolist()
        names = [str(c) for c in getattr(output, "columns", [])] or names
    else:
        values = list(np.asarray(_dense(output) if hasattr(output, "toarray") else output)[0])
    labels = list(names) if names is not None and len(names) == len(values) else None
    parts = []
    for i, value in enumerate(values[:limit]):
        shown = f"{value:.4g}" if isinstance(value, float | np.floating) else str(value)
        parts.append(f"{labels[i]}={shown}" if labels else shown)
    more = f" … (+{len(values) - limit})" if len(values) > limit else ""
    return ", ".join(parts) + more


@register_check(*RUBRIC)
def check_pipeline_step_through(
    pipeline: Any,
    X: pd.DataFrame,
    index: object = 0,
    *,
    tolerance: float = 1e-9,
    n_threads: int | None = 1,
) -> CheckResult:
    """Step a fitted Pipeline through one example, showing each step's output.

    Observing the intermediate values of one example is how a person debugs a wrong answer.
    The check transforms the example step by step, reports each step's output (shape and the
    first values, with feature names) and fails when the manual walk does not reproduce the
    pipeline's own prediction, which means the pipeline cannot be debugged step by step.
    """
    from sklearn.pipeline import Pipeline

    name = "check_pipeline_step_through"
    require_model(pipeline, "pipeline")
    X = require_frame(X)
    if not isinstance(pipeline, Pipeline):
        return CheckResult.not_applicable(
            name,
            RUBRIC,
            f"{type(pipeline).__name__} is not a scikit-learn Pipeline; there are no steps to "
            "walk through (use check_single_example_explanation)",
        )
    position = _locate(X, index)
    with limited_threads(n_threads):  # one-row predictions drown in OpenMP start-up otherwise
        return _step_through(name, pipeline, X.iloc[[position]], index, tolerance)


def _step_through(
    name: str, pipeline: Any, example: pd.DataFrame, index: object, tolerance: float
) -> CheckResult:
    import numpy as np

    current: Any = example
    rows: list[list[object]] = []
    for step_name, step in pipeline.steps[:-1]:
        if step is None or step == "passthrough":
            rows.append([step_name, "passthrough", str(np.shape(current)), _preview(current, None)])
            continue
        try:
            current = step.transform(current)
        except Exception as exc:
            raise CheckInputError(
                f"pipeline step {step_name!r}", f"transform failed: {type(exc).__name__}: {exc}"
            ) from exc
        try:
            names: list[str] | None = [str(n) for n in step.get_feature_names_out()]
        except Exception:
            names = None
        rows.append(
            [step_name, type(step).__name__, str(np.shape(current)), _preview(current, names)]
        )
    final_name, final = pipeline.steps[-1]
    stepped = np.asarray(final.predict(current))
    direct = np.asarray(pipeline.predict(example))
    rows.append([final_name, type(final).__name__, str(stepped.shape), f"predict → {stepped[0]}"])
    if np.issubdtype(stepped.dtype, np.number) and np.issubdtype(direct.dtype, np.number):
        gap = float(np.max(np.abs(stepped.astype(float) - direct.astype(float))))
        same = gap <= tolerance
    else:
        gap = 0.0 if (stepped == direct).all() else 1.0
        same = gap == 0.0
    table = Table.build(
        f"Pipeline steps on example {index!r}",
        ["step", "estimator", "output_shape", "output"],
        rows,
    )
    reason = (
        f"walked {len(pipeline.steps)} steps on example {index!r}; stepped prediction "
        f"{stepped[0]} "
        + ("matches" if same else "differs from")
        + f" the pipeline's prediction {direct[0]}"
    )
    return CheckResult.judge(
        same,
        name,
        RUBRIC,
        reason,
        measurements={"steps": len(pipeline.steps), "prediction_gap": gap},
        thresholds={"tolerance": tolerance},
        parameters={"index": str(index)},
        tables=[table],
    )
