"""The serving side of the canary check: runs as a script in a fresh Python process.

``python -I _canary_worker.py request.json`` loads a model artifact the way a serving process
would (no access to the caller's modules or sys.path), predicts on the sample inputs and writes
``result.json`` (plus ``predictions.npy`` / ``proba.npy``) next to the request. It imports
nothing from mltestscore on purpose: a serving image need not have it installed.

When the request names no ``inputs``, the worker loads the model first and then reads the
inputs' path from its standard input, so a caller can start it before the sample exists and
let the loading overlap its own work. End of input instead of a path ends it unserved.
"""

from __future__ import annotations

import gc
import hashlib
import importlib
import json
import os
import pickle
import platform
import sys
import time
import traceback
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

# numpy types for onnxruntime's tensor element types (what skl2onnx and tf2onnx emit).
_ONNX_TYPES = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(int64)": "int64",
    "tensor(int32)": "int32",
    "tensor(bool)": "bool",
    "tensor(string)": "str",
}


class OnnxSession:
    """``predict`` / ``predict_proba`` over an onnxruntime session, as a serving process runs
    an ONNX model. :mod:`mltestscore.artifacts` loads ONNX files with it too: defined here
    because this file imports nothing from mltestscore (ImportError without onnxruntime).

    A graph with one input gets every column, as one float32 matrix. A graph with one
    input per column (skl2onnx's conversion of a DataFrame pipeline) gets each column by
    name, typed as that input says; those names are ``feature_names_in_``, as on a fitted
    scikit-learn model, so callers pass the model only its columns.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        ort = importlib.import_module("onnxruntime")
        self.path = Path(path)
        self._session: Any = ort.InferenceSession(str(path))
        inputs = self._session.get_inputs()
        self._inputs = [(i.name, i.type) for i in inputs]
        shape = inputs[0].shape if len(inputs) == 1 else None
        self._width = shape[1] if shape and len(shape) == 2 and isinstance(shape[1], int) else None
        if len(self._inputs) > 1:
            import numpy as np

            self.feature_names_in_ = np.asarray([name for name, _ in self._inputs], dtype=object)

    def _feed(self, X: Any) -> dict[str, Any]:
        import numpy as np

        if len(self._inputs) == 1:
            name, kind = self._inputs[0]
            values = np.asarray(X, dtype=_ONNX_TYPES.get(kind, "float32"))
            if self._width is not None and values.ndim == 2 and values.shape[1] != self._width:
                raise ValueError(
                    f"{self.path.name} takes {self._width} columns as one matrix, got "
                    f"{values.shape[1]}: pass only the model's columns, in training order "
                    "(or convert it from a DataFrame, one input per column)"
                )
            return {name: values}
        missing = [name for name, _ in self._inputs if name not in getattr(X, "columns", ())]
        if missing:
            raise ValueError(f"{self.path.name} takes the column(s) {missing}, not in the data")
        return {
            name: np.asarray(X[name]).astype(_ONNX_TYPES.get(kind, "float32")).reshape(-1, 1)
            for name, kind in self._inputs
        }

    def _run(self, X: Any) -> list[Any]:
        return list(self._session.run(None, self._feed(X)))

    def predict(self, X: Any) -> Any:
        import numpy as np

        return np.asarray(self._run(X)[0]).ravel()

    def predict_proba(self, X: Any) -> Any:
        import numpy as np

        outputs = self._run(X)
        if len(outputs) < 2:
            raise AttributeError(f"{self.path.name} has no probability output")
        probabilities = outputs[1]
        if isinstance(probabilities, list):  # ZipMap output: one dict per row
            keys = sorted(probabilities[0])
            return np.asarray([[row[k] for k in keys] for row in probabilities])
        return np.asarray(probabilities)


class _Pyfunc:
    """An MLflow pyfunc model as serving calls it: ``predict`` only, a single output
    column as a vector (as in this process, ``mltestscore.mlflow_models.PyfuncModel``)."""

    def __init__(self, pyfunc: Any) -> None:
        self._pyfunc = pyfunc

    def predict(self, X: Any) -> Any:
        return pyfunc_predictions(self._pyfunc, X)


def pyfunc_predictions(pyfunc: Any, X: Any) -> Any:
    """An MLflow pyfunc model's predictions as a vector when it returns one column (a
    DataFrame, a Series or an array): the same in the canary's process and in the session's
    (``mltestscore.mlflow_models.PyfuncModel``)."""
    import numpy as np

    output = pyfunc.predict(X)
    values = np.asarray(getattr(output, "to_numpy", lambda: output)())
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    return values


def _packages() -> dict[str, str]:
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[name.lower().replace("_", "-")] = dist.version
    return found


# skops computes its default trust lists when ``skops.io`` is first imported: every
# scikit-learn estimator's name (it imports every scikit-learn module to find them) and every
# SciPy and NumPy ufunc's (each searched for in every loaded module). That is 0.4-0.7 s of
# CPU in each process that loads a skops file, for lists that only change with the installed
# skops, scikit-learn, SciPy and NumPy. A process given the lists an earlier import computed
# under the same identity (:func:`skops_trust_identity`) installs them as that module.
SKOPS_TRUST_MODULE = "skops.io._trusted_types"


def skops_trust_identity() -> list[str] | None:
    """What skops' default trust lists are computed from in this interpreter: its version,
    skops' version and the source of its trust-list module, and the versions and locations
    of NumPy, SciPy and scikit-learn (imported here: loading a skops file needs them
    anyway). None when one of them is missing."""
    try:
        import numpy
        import scipy
        import sklearn
        import skops

        source = Path(str(skops.__file__)).parent / "io" / "_trusted_types.py"
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
    except (ImportError, OSError):
        return None
    return [
        sys.version,
        f"skops {skops.__version__} {digest}",
        *(f"{m.__name__} {m.__version__} {m.__file__}" for m in (numpy, scipy, sklearn)),
    ]


def skops_trust_lists() -> dict[str, list[str]] | None:
    """The default trust lists of the ``skops.io`` imported in this process (its
    module-level lists of type names), or None before that import."""
    module = sys.modules.get(SKOPS_TRUST_MODULE)
    if module is None:
        return None
    return {
        name: list(value)
        for name, value in vars(module).items()
        if name.isupper()
        and isinstance(value, list)
        and all(isinstance(item, str) for item in value)
    }


def import_skops_io(lists: dict[str, list[str]] | None = None) -> ModuleType:
    """``skops.io``; when ``lists`` (what :func:`skops_trust_lists` gave in a process of the
    same :func:`skops_trust_identity`) is given and skops is not imported yet, its trust-list
    module is those lists instead of their computation. If skops then asks for a name the
    lists lack, it is imported as usual."""
    if lists and SKOPS_TRUST_MODULE not in sys.modules:
        module = ModuleType(SKOPS_TRUST_MODULE)
        module.__dict__.update({name: list(values) for name, values in lists.items()})
        sys.modules[SKOPS_TRUST_MODULE] = module
        try:
            return importlib.import_module("skops.io")
        except ImportError:
            for name in [n for n in sys.modules if n == "skops.io" or n.startswith("skops.io.")]:
                del sys.modules[name]
    return importlib.import_module("skops.io")


def _load(request: dict[str, Any]) -> Any:
    path = Path(request["artifact"])
    kind = request["format"]
    trusted = request["trusted"]
    if kind == "skops":
        given = request.get("skops_trust") or {}
        same = given.get("identity") is not None and given["identity"] == skops_trust_identity()
        sio = import_skops_io(given.get("lists") if same else None)
        types = sio.get_untrusted_types(file=path) if trusted is True else list(trusted)
        return sio.load(path, trusted=types)
    if kind == "joblib":
        return importlib.import_module("joblib").load(path)
    if kind == "pickle":
        with open(path, "rb") as handle:
            return pickle.load(handle)
    if kind == "onnx":
        return OnnxSession(path)
    if kind == "mlflow":  # as `mlflow models serve` does: the pyfunc flavour
        return _Pyfunc(importlib.import_module("mlflow.pyfunc").load_model(str(path)))
    if kind in {"xgboost", "lightgbm", "catboost"}:  # trees and numbers: no code runs
        from mltestscore.checks._boosters import load_native

        return load_native(path, kind)
    raise ValueError(f"the canary cannot load {kind!r} artifacts")


def _save(array: Any, path: Path) -> None:
    import numpy as np

    values = np.asarray(array)
    if values.dtype == object:
        values = values.astype(str)
    np.save(path, values, allow_pickle=False)


def _read_inputs(inputs: str) -> Any:
    if inputs.endswith(".parquet"):
        import pandas as pd

        return pd.read_parquet(inputs)
    if inputs.endswith(".json"):
        rows = json.loads(Path(inputs).read_text(encoding="utf-8"))
        if rows and isinstance(rows[0], dict):
            import pandas as pd

            return pd.DataFrame.from_records(rows)
        import numpy as np

        return np.asarray(rows)
    import numpy as np

    return np.load(inputs, allow_pickle=False)


def _await_inputs(request: dict[str, Any]) -> str:
    """The inputs' path, read from stdin when the request did not name it. While it waits,
    the worker gets ready to read them, as a serving process is before its first request."""
    if request.get("inputs"):
        return str(request["inputs"])
    if request.get("input_format") in {"parquet", "json"}:
        import pandas  # noqa: F401

        if request["input_format"] == "parquet":
            import pyarrow.parquet  # noqa: F401
    inputs = sys.stdin.readline().strip()
    if not inputs:
        raise EOFError("no inputs were sent")
    return inputs


def main(request_file: str) -> int:
    # A short-lived process that ends with os._exit: the collector's passes while scikit-learn,
    # scipy and pandas import (0.12 s of 1.3 s) would find almost nothing to free.
    gc.disable()
    request_path = Path(request_file)
    request = json.loads(request_path.read_text(encoding="utf-8"))
    if request.get("nice") and hasattr(os, "nice"):
        os.nice(int(request["nice"]))  # started ahead: yield the CPU to the caller's work
    folder = request_path.parent
    result: dict[str, Any] = {
        "ok": False,
        "stage": "load",
        "python": platform.python_version(),
        "executable": sys.executable,
        "packages": _packages(),
    }
    try:
        begin = time.perf_counter()
        model = _load(request)
        result["load_seconds"] = time.perf_counter() - begin
        result["stage"] = "read inputs"
        X = _read_inputs(_await_inputs(request))
        result["stage"] = "predict"
        begin = time.perf_counter()
        _save(model.predict(X), folder / "predictions.npy")
        result["predict_seconds"] = time.perf_counter() - begin
        if callable(getattr(model, "predict_proba", None)):
            _save(model.predict_proba(X), folder / "proba.npy")
        result["ok"] = True
        result["stage"] = "done"
    except BaseException as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
        result["traceback"] = traceback.format_exc(limit=5)
    (folder / "result.json").write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1])
    # Everything is written; skip tearing down scikit-learn, scipy and pandas (about 0.3 s the
    # caller would wait for).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
