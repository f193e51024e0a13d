"""MLflow models as the suite's model: ``model = "models:/credit@champion"``,
``"models:/credit/3"`` or ``"runs:/<run id>/model"``.

Many teams keep their models in MLflow, so the suite can take a model URI where it takes a
file. The model's own flavour decides how it loads, because that decides what the checks can
do with it:

- the **sklearn** flavour gives back the real estimator, so the checks that refit it or look
  inside it (tuning, overfitting, step-through) run as they do on a ``.skops`` file. A version
  logged in skops format (MLflow 3) is audited against ``model_trusted`` exactly like a local
  skops file; one logged as a pickle loads only with ``model_trusted = true``;
- any other flavour loads as **pyfunc** and is wrapped as a predict-only model
  (:class:`PyfuncModel`): the checks that need ``fit`` or the estimator's internals say "not
  applicable" with the reason, the others run. MLflow's loaders may unpickle code (a
  ``python_model``, a pickled booster), so this needs ``model_trusted = true`` too.

A ``models:/`` URI also names a registered model, whose versions are the registry of the
rollback, serving-gate and model-age checks (:class:`mltestscore.model_store.MlflowModelStore`).

MLflow is an optional extra (``pip install 'mltestscore[mlflow]'``): nothing here imports it
at module level, and :func:`require_mlflow` turns its absence into a usage error before any
item runs.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mltestscore import artifacts
from mltestscore.errors import ConfigError

MODEL_URI_SCHEMES = ("models:/", "runs:/")
TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"
INSTALL_HINT = "pip install 'mltestscore[mlflow]'"
# models:/<name>/<version>, models:/<name>/latest or models:/<name>@<alias>
_REGISTERED = re.compile(
    r"^models:/(?P<name>[^/@]+)(?:/(?P<version>\d+|latest)|@(?P<alias>[^/@]+))$"
)
_RUN = re.compile(r"^runs:/(?P<run_id>[^/]+)/(?P<path>.+)$")


def is_model_uri(value: object) -> bool:
    """Whether a ``model`` setting is an MLflow model URI rather than a path or a callable."""
    return isinstance(value, str) and value.startswith(MODEL_URI_SCHEMES)


@dataclass(frozen=True)
class ModelUri:
    """A parsed MLflow model URI: a registered model's version or alias, or a run's model."""

    text: str
    name: str | None = None  # the registered model (models:/ only)
    version: int | None = None  # a pinned version (models:/name/3)
    alias: str | None = None  # models:/name@alias
    run_id: str | None = None  # runs:/<run id>/<path>

    @property
    def registered(self) -> bool:
        """A registered model's URI: its versions form a registry the suite can read."""
        return self.name is not None

    @property
    def latest(self) -> bool:
        return self.registered and self.version is None and self.alias is None


def parse_model_uri(text: str) -> ModelUri:
    """``ModelUri`` of ``text``; ValueError naming the accepted forms when it is none of them."""
    found = _REGISTERED.match(text)
    if found:
        version = found.group("version")
        return ModelUri(
            text,
            name=found.group("name"),
            version=int(version) if version and version != "latest" else None,
            alias=found.group("alias"),
        )
    run = _RUN.match(text)
    if run:
        return ModelUri(text, run_id=run.group("run_id"))
    raise ValueError(
        f"{text!r} is not an MLflow model URI this suite reads: use models:/<name>@<alias>, "
        "models:/<name>/<version>, models:/<name>/latest or runs:/<run id>/<path>"
    )


def require_mlflow(where: str) -> None:
    """A usage error naming the extra when mlflow is not installed (found without importing
    it: importing mlflow takes seconds)."""
    if importlib.util.find_spec("mlflow") is None:
        raise ConfigError(
            f"{where}: an MLflow model URI needs mlflow, which is not installed ({INSTALL_HINT})"
        )


def tracking_uri_setting(value: object, root: Path, where: str) -> str | None:
    """The ``mlflow_tracking_uri`` key as a URI MLflow accepts wherever the session runs.

    A plain folder (``"mlruns"``) and a relative SQLite path (``"sqlite:///mlflow.db"``) are
    read relative to the pyproject, as every path of the configuration is; without the key,
    MLflow's own ``MLFLOW_TRACKING_URI`` applies (None here).
    """
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must be a tracking URI or a folder, got {value!r}")
    if value.startswith("sqlite:///"):
        database = Path(value.removeprefix("sqlite:///"))
        return value if database.is_absolute() else f"sqlite:///{(root / database).resolve()}"
    if "://" in value:
        return value
    return (root / value).resolve().as_uri()


def tracking_uri(configured: str | None) -> str | None:
    """The configured tracking URI, else ``MLFLOW_TRACKING_URI``, else None (MLflow's default)."""
    return configured or os.environ.get(TRACKING_URI_ENV) or None


def import_mlflow() -> Any:
    try:
        return importlib.import_module("mlflow")
    except ImportError as exc:
        raise ConfigError(f"this needs mlflow, which is not installed ({INSTALL_HINT})") from exc


class PyfuncModel:
    """A model MLflow loads as pyfunc, seen by the checks as predict-only.

    It has ``predict`` and nothing else: no ``fit``, ``get_params`` or ``predict_proba``,
    so a check that needs them says it is not applicable instead of guessing. ``predict``
    returns a one-dimensional array for a single output column, as scikit-learn does.
    """

    def __init__(self, pyfunc: Any, uri: str) -> None:
        self._pyfunc = pyfunc
        self.uri = uri
        metadata = getattr(pyfunc, "metadata", None)
        self.flavours = tuple(sorted(getattr(metadata, "flavors", {}) or {}))

    def __repr__(self) -> str:
        return f"PyfuncModel({self.uri!r})"

    def predict(self, X: Any) -> Any:
        from mltestscore.checks._canary_worker import pyfunc_predictions

        return pyfunc_predictions(self._pyfunc, X)


@dataclass(frozen=True)
class LoadedMlflowModel:
    model: Any
    flavour: str  # "sklearn" or "pyfunc"
    note: str


def load_model(
    uri: str, *, tracking: str | None = None, trusted: artifacts.Trust = (), where: str = "model"
) -> LoadedMlflowModel:
    """Download ``uri`` and load it through its flavour (see the module's docstring).

    Every problem (mlflow missing, an unknown model, untrusted types, a pickle not trusted) is
    a :class:`ConfigError` naming ``where`` and saying what to do.
    """
    with tempfile.TemporaryDirectory(prefix="mltestscore-mlflow-") as scratch:
        folder = download_model(uri, tracking=tracking, into=Path(scratch), where=where)
        return load_folder(folder, uri, trusted=trusted, where=where)


def download_model(uri: str, *, tracking: str | None, into: Path, where: str = "model") -> Path:
    """Download the model ``uri`` names into the folder ``into`` and return the model's own
    folder there (the one holding ``MLmodel``): what the checks load, and what the canary
    (infra-6) serves from a fresh process. ConfigError naming ``where`` when MLflow cannot
    find it."""
    mlflow = import_mlflow()
    tracking = tracking_uri(tracking)
    with tracked(tracking):
        try:
            folder = Path(
                mlflow.artifacts.download_artifacts(
                    artifact_uri=uri,
                    dst_path=str(into),
                    tracking_uri=tracking,
                    registry_uri=tracking,
                )
            )
            if not (folder / "MLmodel").is_file():
                raise FileNotFoundError(f"no MLmodel file in {folder}")
        except Exception as exc:
            raise ConfigError(
                f"{where}: MLflow could not find {uri!r} in the tracking store "
                f"{tracking or mlflow.get_tracking_uri()!r} ({type(exc).__name__}: {exc})"
            ) from None
    return folder


def model_flavours(folder: Path) -> dict[str, Any]:
    """The flavours an MLflow model folder's ``MLmodel`` file declares, read as YAML (the
    canary checks them without importing mlflow)."""
    import yaml

    data = yaml.safe_load((folder / "MLmodel").read_text(encoding="utf-8")) or {}
    flavours = data.get("flavors") if isinstance(data, dict) else None
    return dict(flavours) if isinstance(flavours, dict) else {}


def skops_file(folder: Path, flavours: dict[str, Any]) -> Path | None:
    """The skops file of a scikit-learn model MLflow logged in skops format, else None."""
    sklearn = flavours.get("sklearn")
    if isinstance(sklearn, dict) and sklearn.get("serialization_format") == "skops":
        return folder / str(sklearn.get("pickled_model", "model.skops"))
    return None


def load_folder(
    folder: Path, uri: str, *, trusted: artifacts.Trust = (), where: str = "model"
) -> LoadedMlflowModel:
    """Load a downloaded MLflow model folder through its flavour (see the module's
    docstring); ConfigError naming ``where`` on every problem."""
    mlflow = import_mlflow()
    try:
        flavours: dict[str, Any] = dict(mlflow.models.Model.load(str(folder)).flavors)
    except Exception as exc:
        raise ConfigError(
            f"{where}: {folder} is not an MLflow model folder ({type(exc).__name__}: {exc})"
        ) from None
    return _load_folder(folder, flavours, uri, trusted, where)


def _load_folder(
    folder: Path, flavours: dict[str, Any], uri: str, trusted: artifacts.Trust, where: str
) -> LoadedMlflowModel:
    sklearn = flavours.get("sklearn")
    if sklearn is not None and sklearn.get("serialization_format") == "skops":
        model_file = folder / str(sklearn.get("pickled_model", "model.skops"))
        try:
            loaded = artifacts.load_model(model_file, trusted=trusted, format="skops")
        except artifacts.UntrustedArtifactError as exc:
            found = list(exc.untrusted_types)
            raise ConfigError(
                f"{where}: {uri}: {exc}; review them and set model_trusted = {found!r}"
            ) from None
        except artifacts.ArtifactError as exc:
            raise ConfigError(f"{where}: {uri}: {exc}") from None
        return LoadedMlflowModel(loaded.model, "sklearn", f"{uri}: sklearn flavour, skops file")
    if trusted is not True:
        what = "a pickled scikit-learn model" if sklearn is not None else "a pyfunc model"
        raise ConfigError(
            f"{where}: {uri} is {what} (flavours: {', '.join(sorted(flavours))}), and MLflow "
            "loads it by unpickling code; set model_trusted = true only if you trust this "
            "model (or log a scikit-learn model in skops format, which is audited instead)"
        )
    mlflow = import_mlflow()
    try:
        if sklearn is not None:
            model = importlib.import_module("mlflow.sklearn").load_model(str(folder))
            return LoadedMlflowModel(model, "sklearn", f"{uri}: sklearn flavour, trusted pickle")
        pyfunc = mlflow.pyfunc.load_model(str(folder))
    except Exception as exc:
        raise ConfigError(
            f"{where}: MLflow could not load {uri} ({type(exc).__name__}: {exc})"
        ) from None
    return LoadedMlflowModel(
        PyfuncModel(pyfunc, uri), "pyfunc", f"{uri}: loaded as pyfunc (predict only)"
    )


@contextlib.contextmanager
def tracked(uri: str | None) -> Iterator[None]:
    """MLflow resolves a ``models:/`` URI partly through the process-wide tracking and registry
    URIs, whatever a call's own arguments say: point both at ``uri`` for the block only."""
    if uri is None:
        yield
        return
    mlflow = import_mlflow()
    before = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(before[0])
        mlflow.set_registry_uri(before[1])


def run_of(uri: str, tracking: str | None = None) -> str | None:
    """The id of the run that logged the model ``uri`` names (None when it has none, or the
    registry cannot say)."""
    parsed = parse_model_uri(uri)
    if parsed.run_id is not None:
        return parsed.run_id
    mlflow = import_mlflow()
    where = tracking_uri(tracking)
    client = mlflow.MlflowClient(tracking_uri=where, registry_uri=where)
    try:
        if parsed.alias is not None:
            found = client.get_model_version_by_alias(parsed.name, parsed.alias)
        elif parsed.version is not None:
            found = client.get_model_version(parsed.name, str(parsed.version))
        else:
            versions = client.search_model_versions(f"name='{parsed.name}'")
            found = max(versions, key=lambda v: int(v.version))
    except Exception:
        return None
    return str(found.run_id) if found.run_id else None


def training_environment(
    uri: str, folder: Path, tracking: str | None = None
) -> dict[str, Any] | None:
    """The environment an MLflow model was trained in, as an environment snapshot
    (:mod:`mltestscore.environment`), for the dependency-change (monitor-1) and canary
    (infra-6) checks:

    - the ``environment.json`` the model's run logged (``MlflowModelStore.register`` logs
      one; so can a training script, with ``mlflow.log_dict(take_snapshot(),
      "environment.json")``): every package installed at training time;
    - else the pins MLflow stores with every model, ``requirements.txt`` and
      ``python_env.yaml``: the packages the model needs, not all that were installed, so
      the snapshot says ``"complete": false`` and packages missing from it are not changes.

    None when neither is there."""
    from mltestscore import environment

    run_id = run_of(uri, tracking)
    if run_id is not None:
        mlflow = import_mlflow()
        where = tracking_uri(tracking)
        with tempfile.TemporaryDirectory(prefix="mltestscore-mlflow-") as scratch:
            try:
                with tracked(where):
                    path = mlflow.artifacts.download_artifacts(
                        artifact_uri=f"runs:/{run_id}/{environment.SNAPSHOT_FILE}",
                        dst_path=scratch,
                        tracking_uri=where,
                    )
                snapshot = environment.read_snapshot(path)
            except Exception:
                snapshot = None
        if snapshot is not None:
            snapshot.setdefault("extra", {})["source"] = f"runs:/{run_id}/environment.json"
            return snapshot
    return requirements_snapshot(folder)


_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s,;]+)$")


def requirements_snapshot(folder: Path) -> dict[str, Any] | None:
    """A partial environment snapshot from the pins MLflow wrote beside the model
    (``requirements.txt``: ``name==version`` lines; ``python_env.yaml``: the Python
    version); None when there are none. Lines without an exact pin are left out."""
    import yaml

    from mltestscore import environment

    packages: dict[str, str] = {}
    requirements = folder / "requirements.txt"
    if requirements.is_file():
        for line in requirements.read_text(encoding="utf-8").splitlines():
            pinned = _PIN.match(line.split("#", 1)[0].split(";", 1)[0].strip())
            if pinned:
                packages[pinned.group(1).lower().replace("_", "-")] = pinned.group(2)
    python = None
    python_env = folder / "python_env.yaml"
    if python_env.is_file():
        data = yaml.safe_load(python_env.read_text(encoding="utf-8"))
        python = str(data["python"]) if isinstance(data, dict) and data.get("python") else None
    if not packages and python is None:
        return None
    created = None
    with contextlib.suppress(Exception):
        model = yaml.safe_load((folder / "MLmodel").read_text(encoding="utf-8"))
        created = datetime.fromisoformat(str(model["utc_time_created"])).replace(tzinfo=UTC)
    return {
        "snapshot_version": environment.SNAPSHOT_VERSION,
        "created_at": (created or datetime.now(UTC)).isoformat(),
        "python": python,
        "packages": packages,
        "data_fingerprints": {},
        "extra": {"source": "the MLflow model's requirements.txt and python_env.yaml"},
        "complete": False,
    }


def run_start_time(run_id: str, tracking: str | None = None) -> datetime:
    """When a run started: the training time of the model it logged."""
    mlflow = import_mlflow()
    uri = tracking_uri(tracking)
    run = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri).get_run(run_id)
    return datetime.fromtimestamp(int(run.info.start_time) / 1000, tz=UTC)
