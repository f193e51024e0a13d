"""A small model registry: versioned models and a "current" pointer you can roll back.

Rollback (infra-7) is only real when the previous model still exists, still loads and can be
made current again in one atomic step. The local backend keeps each version in its own folder::

    root/
      v0001/ model.skops  environment.json  metrics.json
      v0002/ ...
      CURRENT            "v0002", replaced with os.replace so readers never see a torn pointer

The MLflow backend maps the same operations onto registered-model versions and an alias; it is
used only when mlflow is importable.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from mltestscore import artifacts, environment
from mltestscore.report.atomic import UnsafeTargetError, current_umask, write_atomic

MODEL_FILE = "model.skops"
METRICS_FILE = "metrics.json"
CURRENT_FILE = "CURRENT"
_VERSION = re.compile(r"^v(\d{4,})$")


class ModelStoreError(Exception):
    """The registry is missing something a caller asked for (a version, a pointer...)."""


@dataclass(frozen=True)
class ModelVersion:
    name: str  # "v0003" locally, the version number as text in MLflow
    number: int
    location: str  # folder or URI, for messages

    def __str__(self) -> str:
        return self.name


class ModelStore(Protocol):
    """What the rollback, gate and canary checks need from a registry."""

    def register(
        self,
        model: Any,
        metrics: Mapping[str, float] | None = None,
        data_files: Iterable[str | os.PathLike[str]] = (),
        make_current: bool = False,
    ) -> ModelVersion: ...

    def versions(self) -> list[ModelVersion]: ...

    def current(self) -> ModelVersion | None: ...

    def set_current(self, version: ModelVersion) -> None: ...

    def previous(self, version: ModelVersion) -> ModelVersion | None: ...

    def load(self, version: ModelVersion, trusted: artifacts.Trust = ()) -> Any: ...

    def metrics(self, version: ModelVersion) -> dict[str, float]: ...


class LocalModelStore:
    """Versioned folders on a local (or mounted) file system."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalModelStore({str(self.root)!r})"

    def _version(self, number: int) -> ModelVersion:
        name = f"v{number:04d}"
        return ModelVersion(name, number, str(self.root / name))

    def versions(self) -> list[ModelVersion]:
        """Every complete version (one with a model file), oldest first."""
        if not self.root.is_dir():
            return []
        numbers = []
        for child in self.root.iterdir():
            match = _VERSION.match(child.name)
            if match and (child / MODEL_FILE).is_file():
                numbers.append(int(match.group(1)))
        return [self._version(n) for n in sorted(numbers)]

    def register(
        self,
        model: Any,
        metrics: Mapping[str, float] | None = None,
        data_files: Iterable[str | os.PathLike[str]] = (),
        make_current: bool = False,
    ) -> ModelVersion:
        """Save ``model`` as the next version with its environment snapshot and metrics.

        The folder is assembled under a temporary name and renamed into place, so a crash never
        leaves a half-written version that ``versions()`` would list.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        existing = self.versions()
        version = self._version(existing[-1].number + 1 if existing else 1)
        staging = Path(tempfile.mkdtemp(dir=self.root, prefix=f".{version.name}."))
        try:
            artifacts.save_model(model, staging / MODEL_FILE)
            environment.write_snapshot(staging, data_files)
            write_atomic(
                staging / METRICS_FILE,
                json.dumps(
                    {k: float(v) for k, v in (metrics or {}).items()}, indent=2, sort_keys=True
                ),
            )
            # mkdtemp makes the folder 0700; a version gets the umask's mode like any folder.
            os.chmod(staging, 0o777 & ~current_umask())
            try:
                os.rename(staging, version.location)  # fails if another writer took the number
            except OSError as exc:
                raise ModelStoreError(
                    f"{version.location} is already there and is not an empty folder "
                    f"({exc.strerror}): version {version} not registered"
                ) from None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if make_current:
            self.set_current(version)
        return version

    def current(self) -> ModelVersion | None:
        pointer = self.root / CURRENT_FILE
        if not pointer.is_file():
            return None
        name = pointer.read_text(encoding="utf-8").strip()
        match = _VERSION.match(name)
        if not match:
            raise ModelStoreError(f"{pointer} does not name a version: {name!r}")
        return self._version(int(match.group(1)))

    def set_current(self, version: ModelVersion) -> None:
        """Point CURRENT at ``version`` in one atomic file replacement (a link or device at
        CURRENT is refused, never replaced nor followed)."""
        if not (Path(version.location) / MODEL_FILE).is_file():
            raise ModelStoreError(f"version {version} has no {MODEL_FILE} in {self.root}")
        try:
            write_atomic(self.root / CURRENT_FILE, version.name + "\n")
        except UnsafeTargetError as exc:
            raise ModelStoreError(f"CURRENT not moved to {version}: {exc.strerror}") from None

    def previous(self, version: ModelVersion) -> ModelVersion | None:
        """The newest version older than ``version``, or None when there is none."""
        older = [v for v in self.versions() if v.number < version.number]
        return older[-1] if older else None

    def model_path(self, version: ModelVersion) -> Path:
        return Path(version.location) / MODEL_FILE

    def load(self, version: ModelVersion, trusted: artifacts.Trust = ()) -> Any:
        return artifacts.load_model(self.model_path(version), trusted=trusted).model

    @contextlib.contextmanager
    def rehearsal(self) -> Iterator[LocalModelStore]:
        """A stand-in registry for a rollback drill that leaves this one untouched: a
        temporary folder linking to each version folder, with its own ``CURRENT`` naming
        this registry's current version. Moving that pointer loads the same version files
        and exercises the same atomic switch, while readers of this registry's ``CURRENT``
        never see the drill (nothing is written here: a read-only registry drills too). The
        folder is removed when the block ends."""
        current = self.current()
        with tempfile.TemporaryDirectory(prefix="mltestscore-rollback-drill-") as scratch:
            staged = LocalModelStore(scratch)
            for version in self.versions():
                os.symlink(
                    Path(version.location).resolve(),
                    Path(scratch) / version.name,
                    target_is_directory=True,
                )
            if current is not None:
                staged.set_current(staged._version(current.number))
            yield staged

    def metrics(self, version: ModelVersion) -> dict[str, float]:
        path = Path(version.location) / METRICS_FILE
        if not path.is_file():
            return {}
        return {str(k): float(v) for k, v in json.loads(path.read_text("utf-8")).items()}


def metric_history(store: ModelStore, metric: str, last: int | None = None) -> list[float]:
    """The recorded ``metric`` of the last ``last`` versions that have it, oldest first."""
    values = [m[metric] for v in store.versions() if metric in (m := store.metrics(v))]
    return values[-last:] if last else values


class MlflowModelStore:
    """The same operations on an MLflow registered model; "current" is a model alias.

    Needs mlflow (not a dependency of mltestscore): constructing one without it raises
    ``ModelStoreError`` saying so. Versions are logged in skops format where MLflow's sklearn
    flavour offers it (MLflow 3), and :meth:`load` audits a skops version against the
    caller's ``trusted`` types exactly as the local store does, not against the list the
    writer stored next to the model. A version logged as a pickle (older MLflow) still needs
    ``trusted=True``.
    """

    def __init__(
        self,
        model_name: str,
        alias: str = "current",
        tracking_uri: str | None = None,
        pinned: int | None = None,
    ) -> None:
        try:
            self._mlflow: Any = importlib.import_module("mlflow")
            self._mlflow_sklearn: Any = importlib.import_module("mlflow.sklearn")
        except ImportError as exc:
            raise ModelStoreError(
                "the MLflow model store needs mlflow, which is not installed"
            ) from exc
        self.tracking_uri = tracking_uri or None
        self._client: Any = self._mlflow.MlflowClient(
            tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri
        )
        self.model_name = model_name
        self.alias = alias
        # A URI naming a version (models:/name/3) pins "current" to it: there is no alias to
        # move, so set_current refuses (a rollback needs models:/name@alias).
        self.pinned = pinned

    def __repr__(self) -> str:
        where = f"/{self.pinned}" if self.pinned is not None else f"@{self.alias}"
        return f"MlflowModelStore('models:/{self.model_name}{where}')"

    @contextlib.contextmanager
    def _tracked_here(self) -> Iterator[None]:
        """MLflow's fluent calls (a run, logging, registering, loading a ``models:/`` URI) use
        the process-wide tracking and registry URIs: point both at this store's for the call
        only, so that stores on different servers can be used side by side."""
        if self.tracking_uri is None:
            yield
            return
        before = self._mlflow.get_tracking_uri(), self._mlflow.get_registry_uri()
        self._mlflow.set_tracking_uri(self.tracking_uri)
        self._mlflow.set_registry_uri(self.tracking_uri)
        try:
            yield
        finally:
            self._mlflow.set_tracking_uri(before[0])
            self._mlflow.set_registry_uri(before[1])

    def _version(self, number: int) -> ModelVersion:
        return ModelVersion(str(number), number, f"models:/{self.model_name}/{number}")

    def versions(self) -> list[ModelVersion]:
        found = self._client.search_model_versions(f"name='{self.model_name}'")
        return [self._version(n) for n in sorted(int(v.version) for v in found)]

    def register(
        self,
        model: Any,
        metrics: Mapping[str, float] | None = None,
        data_files: Iterable[str | os.PathLike[str]] = (),
        make_current: bool = False,
    ) -> ModelVersion:
        with self._tracked_here(), self._mlflow.start_run():
            self._mlflow.log_metrics({k: float(v) for k, v in (metrics or {}).items()})
            self._mlflow.log_dict(environment.take_snapshot(data_files), "environment.json")
            info = self._mlflow_sklearn.log_model(
                model, registered_model_name=self.model_name, **self._log_arguments(model)
            )
        version = self._version(int(info.registered_model_version))
        if make_current:
            self.set_current(version)
        return version

    def _log_arguments(self, model: Any) -> dict[str, Any]:
        """``name`` (MLflow 3 warns that ``artifact_path`` is deprecated) and, where the
        flavour offers it, skops. MLflow loads the file back before it logs it, trusting
        only the types listed here: the writer's own model's, whatever they are (trust is
        the reader's decision, in :meth:`load`)."""
        import inspect

        parameters = inspect.signature(self._mlflow_sklearn.log_model).parameters
        arguments: dict[str, Any] = {"name" if "name" in parameters else "artifact_path": "model"}
        skops_format = getattr(self._mlflow_sklearn, "SERIALIZATION_FORMAT_SKOPS", None)
        if skops_format is not None and "skops_trusted_types" in parameters:
            sio = artifacts.skops_io()
            arguments["serialization_format"] = skops_format
            arguments["skops_trusted_types"] = sio.get_untrusted_types(data=sio.dumps(model))
        return arguments

    def current(self) -> ModelVersion | None:
        if self.pinned is not None:
            return self._version(self.pinned)
        try:
            found = self._client.get_model_version_by_alias(self.model_name, self.alias)
        except Exception:
            return None
        return self._version(int(found.version))

    def set_current(self, version: ModelVersion) -> None:
        if self.pinned is not None:
            raise ModelStoreError(
                f"{self!r} pins version {self.pinned}: there is no alias to move (name the "
                "model as models:/<name>@<alias>)"
            )
        self._client.set_registered_model_alias(self.model_name, self.alias, version.name)

    def previous(self, version: ModelVersion) -> ModelVersion | None:
        older = [v for v in self.versions() if v.number < version.number]
        return older[-1] if older else None

    @contextlib.contextmanager
    def rehearsal(self) -> Iterator[MlflowModelStore]:
        """A stand-in for a rollback drill that never moves this store's alias: a drill
        alias of its own (``<alias>-rollback-drill-<random>``) on the same registered model,
        set to the current version. Moving it goes through the same registry call, with the
        same permissions, and loads the same versions as a real rollback, while every
        client of ``models:/<name>@<alias>`` keeps being served the current version. The
        drill alias is deleted when the block ends (a process killed inside the block
        leaves it behind, harmless and named as a drill)."""
        current = self.current()
        drill_alias = f"{self.alias}-rollback-drill-{uuid.uuid4().hex[:8]}"
        staged = MlflowModelStore(
            self.model_name, alias=drill_alias, tracking_uri=self.tracking_uri
        )
        try:
            if current is not None:
                staged.set_current(current)
            yield staged
        finally:
            with contextlib.suppress(Exception):  # never set when nothing was current
                self._client.delete_registered_model_alias(self.model_name, drill_alias)

    def load(self, version: ModelVersion, trusted: artifacts.Trust = ()) -> Any:
        """A skops version is loaded with :func:`mltestscore.artifacts.load_model` from a
        downloaded copy, so its types are checked against ``trusted``; a pickle, or a model of
        another flavour (loaded as pyfunc, predict-only), only with ``trusted=True``, since
        MLflow's loaders unpickle code."""
        from mltestscore.mlflow_models import PyfuncModel

        with tempfile.TemporaryDirectory(prefix="mltestscore-mlflow-") as scratch:
            with self._tracked_here():  # a models:/ URI resolves through the global registry
                folder = Path(
                    self._mlflow.artifacts.download_artifacts(
                        artifact_uri=version.location, dst_path=scratch
                    )
                )
            flavours = self._mlflow.models.Model.load(str(folder)).flavors
            flavour = flavours.get("sklearn", {})
            if flavour.get("serialization_format") == "skops":
                model_file = folder / str(flavour.get("pickled_model", "model.skops"))
                return artifacts.load_model(model_file, trusted=trusted, format="skops").model
            if trusted is not True:
                kind = "a pickle" if "sklearn" in flavours else "a pyfunc model"
                raise artifacts.UntrustedArtifactError(
                    version.location,
                    f"this MLflow version is {kind}, which MLflow loads by unpickling code; "
                    "pass trusted=True to load it",
                )
            if "sklearn" not in flavours:
                return PyfuncModel(self._mlflow.pyfunc.load_model(str(folder)), version.location)
        with self._tracked_here():
            return self._mlflow_sklearn.load_model(version.location)

    def metrics(self, version: ModelVersion) -> dict[str, float]:
        found = self._client.get_model_version(self.model_name, version.name)
        run = self._client.get_run(found.run_id)
        return {str(k): float(v) for k, v in run.data.metrics.items()}

    def trained_at(self, version: ModelVersion) -> datetime:
        """When the run that logged ``version`` started (the version's registration time when
        it has no run): the model's training time for the model-age check (monitor-4)."""
        found = self._client.get_model_version(self.model_name, version.name)
        moment = found.creation_timestamp
        if found.run_id:
            moment = self._client.get_run(found.run_id).info.start_time
        return datetime.fromtimestamp(int(moment) / 1000, tz=UTC)


def describe(versions: Sequence[ModelVersion]) -> str:
    return ", ".join(v.name for v in versions) or "none"
