"""Safe model persistence: save with skops, load without running code from the file.

A pickle (and a joblib file, which is a pickle) is a program: loading one executes whatever it
says. So the default here is skops, which rebuilds objects from a description and refuses
types nobody vouched for. Pickle and joblib load only when the caller says the file is
trusted, and the result says that it was loaded that way. ONNX models load through
onnxruntime when it is installed. The gradient-boosting libraries' own files (an XGBoost
``.ubj`` / ``.json`` model, a LightGBM text model ``.txt``, a CatBoost ``.cbm``) hold trees
and numbers, never code, so they load without a trust list, wrapped so the checks see
``predict`` / ``predict_proba`` as from a scikit-learn model (see docs/models.md for what
each file keeps and loses).

Standard library at import time; skops, joblib and onnxruntime load inside the functions.
"""

from __future__ import annotations

import importlib
import json
import os
import pickle
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from mltestscore.checks._canary_worker import (
    OnnxSession,
    import_skops_io,
    skops_trust_identity,
    skops_trust_lists,
)

SKOPS = "skops"
PICKLE = "pickle"
JOBLIB = "joblib"
ONNX = "onnx"
XGBOOST = "xgboost"
LIGHTGBM = "lightgbm"
CATBOOST = "catboost"

_SUFFIXES = {
    ".skops": SKOPS,
    ".pkl": PICKLE,
    ".pickle": PICKLE,
    ".joblib": JOBLIB,
    ".onnx": ONNX,
    ".ubj": XGBOOST,
    ".json": XGBOOST,
    ".txt": LIGHTGBM,
    ".cbm": CATBOOST,
}
NATIVE_BOOSTER_FORMATS = frozenset({XGBOOST, LIGHTGBM, CATBOOST})
CODE_EXECUTING_FORMATS = frozenset({PICKLE, JOBLIB})

Trust = bool | Sequence[str]

SKOPS_TRUST_CACHE = "skops-trust-lists"


class ArtifactError(Exception):
    """A model artifact could not be saved or loaded; the message names the file."""

    def __init__(self, path: str | os.PathLike[str], message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = Path(path)


class UntrustedArtifactError(ArtifactError):
    """Loading would run or trust code nobody vouched for.

    ``untrusted_types`` lists what skops found (empty for pickle/joblib, where any type can
    hide in the file).
    """

    def __init__(
        self, path: str | os.PathLike[str], message: str, untrusted_types: Sequence[str] = ()
    ) -> None:
        super().__init__(path, message)
        self.untrusted_types = tuple(untrusted_types)


@dataclass(frozen=True)
class LoadedModel:
    """A model loaded from disk and how it was loaded, so results can say so."""

    model: Any
    path: Path
    format: str
    untrusted_types: tuple[str, ...]
    trusted_by_caller: bool

    @property
    def note(self) -> str:
        """One line on how the file was loaded (shown in check results)."""
        if self.format in CODE_EXECUTING_FORMATS:
            return f"loaded {self.path.name} with {self.format} because the caller trusts it"
        if self.untrusted_types:
            return (
                f"loaded {self.path.name} with skops, trusting {len(self.untrusted_types)} "
                f"type(s) the caller vouched for: {', '.join(self.untrusted_types)}"
            )
        return f"loaded {self.path.name} with {self.format}"


def artifact_format(path: str | os.PathLike[str]) -> str:
    """The persistence format implied by the file name (``.skops``, ``.pkl``, ``.joblib``...)."""
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIXES:
        raise ArtifactError(
            path, f"unknown model file type {suffix!r}; expected one of {sorted(_SUFFIXES)}"
        )
    return _SUFFIXES[suffix]


def save_model(model: Any, path: str | os.PathLike[str], *, format: str | None = None) -> Path:
    """Save ``model`` (skops unless the file name or ``format`` says otherwise), atomically.

    The file is written next to its destination and moved into place with ``os.replace``, so a
    reader never sees half a model; the library writes to a handle, never opening a path
    itself, and a link, device or FIFO at ``path`` is refused
    (:class:`mltestscore.report.atomic.UnsafeTargetError`).
    """
    from mltestscore.report.atomic import atomic_file

    target = Path(path)
    kind = format or artifact_format(target)
    if kind not in (SKOPS, JOBLIB, PICKLE):
        raise ArtifactError(target, f"saving as {kind!r} is not supported; use skops")
    with atomic_file(target) as handle:
        if kind == SKOPS:
            sio = skops_io()
            sio.dump(model, handle)
        elif kind == JOBLIB:
            importlib.import_module("joblib").dump(model, handle)
        else:
            pickle.dump(model, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return target


def skops_io() -> ModuleType:
    """``skops.io``, with its default trust lists from the per-user cache
    (:mod:`mltestscore.cache`) when an earlier process computed them under the same
    :func:`skops_trust_identity` (skops, NumPy, SciPy, scikit-learn and Python unchanged).
    Computing them imports every scikit-learn module and searches every loaded module for
    each ufunc: 0.4-0.7 s of CPU on every start otherwise. The lists are the ones skops
    computed; nothing is added to them."""
    if "skops.io" in sys.modules:
        return sys.modules["skops.io"]
    from mltestscore.cache import load_cached, store_cached

    identity = skops_trust_identity()
    key = json.dumps(identity).encode("utf-8") if identity is not None else None
    cached = load_cached(SKOPS_TRUST_CACHE, key) if key is not None else None
    lists = _trust_lists(cached)
    module = import_skops_io(lists)
    if lists is None and key is not None:
        found = skops_trust_lists()
        if found:
            store_cached(SKOPS_TRUST_CACHE, key, found)
    return module


def _trust_lists(value: Any) -> dict[str, list[str]] | None:
    """``value`` when it is trust lists as :func:`skops_trust_lists` gives them, else None."""
    if not isinstance(value, dict) or not value:
        return None
    for name, items in value.items():
        if not (isinstance(name, str) and name.isupper() and isinstance(items, list)):
            return None
        if not all(isinstance(item, str) for item in items):
            return None
    return value


def skops_trust_for_worker() -> dict[str, Any] | None:
    """What a fresh process of this interpreter needs to skip computing skops' trust lists
    (the canary's worker checks the identity against its own): None before this process
    imported ``skops.io``."""
    lists = skops_trust_lists()
    if lists is None:
        return None
    return {"identity": skops_trust_identity(), "lists": lists}


# (device, inode, size, modification time) of a skops file -> its untrusted types
_untrusted_by_file: dict[tuple[int, int, int, int], tuple[str, ...]] = {}


def file_identity(path: str | os.PathLike[str]) -> tuple[int, int, int, int]:
    """(device, inode, size, modification time) of a file: equal while nobody wrote or
    replaced it. OSError when it cannot be read."""
    status = os.stat(path)
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)


def untrusted_types(path: str | os.PathLike[str]) -> list[str]:
    """The types in a skops file that skops does not trust by default.

    Remembered for the process while the file stays the same: reading them parses the whole
    file, and a session loads the same model several times (the trust check, the model,
    the rollback's versions).
    """
    sio = skops_io()
    identity = file_identity(path)
    if identity not in _untrusted_by_file:
        _untrusted_by_file[identity] = tuple(sio.get_untrusted_types(file=Path(path)))
    return list(_untrusted_by_file[identity])


def load_model(
    path: str | os.PathLike[str], *, trusted: Trust = (), format: str | None = None
) -> LoadedModel:
    """Load a model without running code from the file unless the caller trusts it.

    ``trusted`` is a list of type names for skops files (what ``untrusted_types`` reports and
    you have reviewed), or ``True`` to trust the whole file: required for pickle and joblib,
    and it accepts every type in a skops file.
    """
    source = Path(path)
    if not source.is_file():
        raise ArtifactError(source, "model file not found")
    kind = format or artifact_format(source)
    if kind == SKOPS:
        return _load_skops(source, trusted)
    if kind in CODE_EXECUTING_FORMATS:
        if trusted is not True:
            raise UntrustedArtifactError(
                source,
                f"a {kind} file runs code when loaded; refusing it unless trusted=True "
                "(or save the model with skops)",
            )
        return LoadedModel(_load_code_executing(source, kind), source, kind, (), True)
    if kind == ONNX:
        return LoadedModel(OnnxModel(source), source, kind, (), trusted is True)
    if kind in NATIVE_BOOSTER_FORMATS:
        return LoadedModel(_load_native(source, kind), source, kind, (), trusted is True)
    raise ArtifactError(source, f"loading {kind!r} files is not supported")


def _load_native(source: Path, kind: str) -> Any:
    """A booster file, loaded by its own library (no code runs from it)."""
    from mltestscore.checks._boosters import load_native

    try:
        importlib.import_module(kind)
    except ImportError as exc:
        raise ArtifactError(
            source, f"a {source.suffix} model file needs {kind}, which is not installed"
        ) from exc
    try:
        return load_native(source, kind)  # type: ignore[arg-type]
    except Exception as exc:
        raise ArtifactError(
            source, f"{kind} could not load it as a model: {type(exc).__name__}: {exc}"
        ) from exc


def _load_skops(source: Path, trusted: Trust) -> LoadedModel:
    sio = skops_io()
    try:
        found = untrusted_types(source)
    except Exception as exc:
        raise ArtifactError(source, f"not a readable skops file ({exc})") from exc
    allowed = set(found) if trusted is True else set(trusted or ())
    refused = [name for name in found if name not in allowed]
    if refused:
        raise UntrustedArtifactError(
            source,
            f"skops found {len(refused)} untrusted type(s): {', '.join(refused)}; review them "
            "and pass them as trusted=[...] to load",
            refused,
        )
    try:
        model = sio.load(source, trusted=found)
    except Exception as exc:
        raise ArtifactError(
            source, f"skops could not load it: {type(exc).__name__}: {exc}"
        ) from exc
    return LoadedModel(model, source, SKOPS, tuple(found), trusted is True)


def _load_code_executing(source: Path, kind: str) -> Any:
    try:
        if kind == JOBLIB:
            return importlib.import_module("joblib").load(source)
        with open(source, "rb") as handle:
            return pickle.load(handle)  # the caller marked the file trusted
    except Exception as exc:
        raise ArtifactError(
            source, f"{kind} could not load it: {type(exc).__name__}: {exc}"
        ) from exc


class OnnxModel(OnnxSession):
    """A scikit-learn-like ``predict`` / ``predict_proba`` over an onnxruntime session (the
    canary's own, so both processes run an ONNX model the same way)."""

    def __init__(self, path: Path) -> None:
        try:
            super().__init__(path)
        except ImportError as exc:
            raise ArtifactError(
                path, "loading ONNX models needs onnxruntime, which is not installed"
            ) from exc
