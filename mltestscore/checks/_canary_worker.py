"""The serving side of the canary check: runs as a script in a fresh Python process.

``python -I _canary_worker.py request.json`` loads a model artifact the way a serving process
would (no access to the caller's modules or sys.path), predicts on the sample inputs and writes
``result.json`` (plus ``predictions.npy`` / ``proba.npy``) next to the request. It imports
nothing from mltestscore on purpose: a serving image need not have it installed.
"""

from __future__ import annotations

import importlib
import json
import pickle
import platform
import sys
import time
import traceback
from importlib import metadata
from pathlib import Path
from typing import Any


def _packages() -> dict[str, str]:
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[name.lower().replace("_", "-")] = dist.version
    return found


def _load(request: dict[str, Any]) -> Any:
    path = Path(request["artifact"])
    kind = request["format"]
    trusted = request["trusted"]
    if kind == "skops":
        import skops.io as sio

        types = sio.get_untrusted_types(file=path) if trusted is True else list(trusted)
        return sio.load(path, trusted=types)
    if kind == "joblib":
        return importlib.import_module("joblib").load(path)
    if kind == "pickle":
        with open(path, "rb") as handle:
            return pickle.load(handle)
    raise ValueError(f"the canary cannot load {kind!r} artifacts")


def _save(array: Any, path: Path) -> None:
    import numpy as np

    values = np.asarray(array)
    if values.dtype == object:
        values = values.astype(str)
    np.save(path, values, allow_pickle=False)


def main(request_file: str) -> int:
    request_path = Path(request_file)
    request = json.loads(request_path.read_text(encoding="utf-8"))
    folder = request_path.parent
    result: dict[str, Any] = {"ok": False, "stage": "load"}
    try:
        begin = time.perf_counter()
        model = _load(request)
        result["load_seconds"] = time.perf_counter() - begin
        result["stage"] = "read inputs"
        if request["inputs"].endswith(".parquet"):
            import pandas as pd

            X: Any = pd.read_parquet(request["inputs"])
        elif request["inputs"].endswith(".json"):
            rows = json.loads(Path(request["inputs"]).read_text(encoding="utf-8"))
            if rows and isinstance(rows[0], dict):
                import pandas as pd

                X = pd.DataFrame.from_records(rows)
            else:
                import numpy as np

                X = np.asarray(rows)
        else:
            import numpy as np

            X = np.load(request["inputs"], allow_pickle=False)
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
    result["python"] = platform.python_version()
    result["executable"] = sys.executable
    result["packages"] = _packages()
    (folder / "result.json").write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
