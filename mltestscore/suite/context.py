"""What the generated items share: the project's data, model, registry and schema, each
loaded once per session, on first use by an item.

The same DataFrame and model objects are handed to every check, so the prediction caches of
:mod:`mltestscore.checks._models` (keyed by object identity) compute each prediction once.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mltestscore.errors import ConfigError
from mltestscore.suite.config import SuiteConfig, check_frame_columns

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    import pandas as pd

    from mltestscore.checks.canary import CanaryProcess
    from mltestscore.checks.result import Scalar
    from mltestscore.model_store import LocalModelStore, MlflowModelStore, ModelVersion


@dataclass
class Reads:
    """Which data keys one generated item read while it ran: as the engine-drawn sample the
    model checks get (``sampled``), and as the whole source handed to a check that aggregates
    it in its engine (``in_engine``). Only keys with a large source are recorded."""

    sampled: set[str] = field(default_factory=set)
    in_engine: set[str] = field(default_factory=set)

    def sample_keys(self) -> list[str]:
        """The keys whose sample the check itself worked on: read as a sample and not handed
        to it whole (a data check reads the sample's columns before taking the source)."""
        return sorted(self.sampled - self.in_engine)


class SuiteContext:
    """Lazily loaded inputs of the generated checks for one project."""

    def __init__(self, config: SuiteConfig) -> None:
        self.config = config
        self._frames: dict[str, pd.DataFrame] = {}
        # key -> the data as configured, when it is too large to hold: a folder, a glob or a
        # Polars / DuckDB / Spark / pyarrow object (docs/bigdata.md); frame() is a sample then
        self._large: dict[str, Any] = {}
        self.samples: dict[str, dict[str, object]] = {}
        self._features: dict[str, pd.DataFrame] = {}
        self._built: dict[str, pd.DataFrame] = {}  # what the feature function returned
        self._lock = threading.RLock()  # scratch() is reached while the model loads
        self._canary: CanaryProcess | None = None
        self._scratch: Path | None = None  # the session's own files (an MLflow model's copy)
        self._tracking = threading.local()  # .reads: the running item's Reads, or None

    @contextlib.contextmanager
    def reading(self) -> Iterator[Reads]:
        """Record which large sources the code inside reads, and how (:class:`Reads`)."""
        reads = Reads()
        before = getattr(self._tracking, "reads", None)
        self._tracking.reads = reads
        try:
            yield reads
        finally:
            self._tracking.reads = before

    @contextlib.contextmanager
    def _unrecorded(self) -> Iterator[None]:
        """The context's own reads (the schema inferred once for the session) are not the
        running item's."""
        before = getattr(self._tracking, "reads", None)
        self._tracking.reads = None
        try:
            yield
        finally:
            self._tracking.reads = before

    def _note(self, key: str, in_engine: bool) -> None:
        reads: Reads | None = getattr(self._tracking, "reads", None)
        if reads is None or key not in self.samples:
            return
        (reads.in_engine if in_engine else reads.sampled).add(key)

    def sample_origin(self, keys: list[str]) -> tuple[dict[str, Scalar], dict[str, Scalar]]:
        """Where the engine samples of ``keys`` came from, as a check result's measurements
        (``engine``, ``rows_scanned``: the rows of the sources, which the engine scans to
        draw the sample, ``rows_sampled``, ``bytes_read`` by the count and the draw, or None
        with ``bytes_read_note``) and parameters (``sample_seed``, ``sampled_data``: the
        keys), named as the data checks name where they ran."""
        if not keys:
            return {}, {}
        drawn = [self.samples[k] for k in keys]
        engines = sorted({str(d["engine"]) for d in drawn})
        measurements: dict[str, Scalar] = {
            "engine": ", ".join(engines),
            "rows_scanned": sum(int(str(d["rows"])) for d in drawn),
            "rows_sampled": sum(int(str(d["sample_size"])) for d in drawn),
        }
        unknown = [(k, d) for k, d in zip(keys, drawn, strict=True) if d["bytes_read"] is None]
        if unknown:
            key, why = unknown[0][0], unknown[0][1]["bytes_read_note"]
            measurements.update(bytes_read=None, bytes_read_note=f"{key}: {why}")
        else:
            measurements["bytes_read"] = sum(int(str(d["bytes_read"])) for d in drawn)
        seeds = sorted({int(str(d["seed"])) for d in drawn})
        parameters: dict[str, Scalar] = {
            "sample_seed": seeds[0] if len(seeds) == 1 else ", ".join(map(str, seeds)),
            "sampled_data": ", ".join(keys),
        }
        return measurements, parameters

    # -- data ---------------------------------------------------------------------------------
    def frame(self, key: str) -> pd.DataFrame:
        """The ``train`` / ``test`` / ``serving`` frame, read once."""
        with self._lock:
            if key not in self._frames:
                self._frames[key] = self._read(key)
            frame = self._frames[key]
        self._note(key, in_engine=False)
        return frame

    def data(self, key: str) -> Any:
        """The whole ``train`` / ``test`` / ``serving`` data for the checks that aggregate it
        in its engine (drift, PII, freshness): the pandas frame, or the large source itself."""
        frame = self.frame(key)
        with self._lock:
            data = self._large.get(key, frame)
        self._note(key, in_engine=True)
        return data

    def _read(self, key: str) -> pd.DataFrame:
        import pandas as pd

        from mltestscore.checks._frames import is_scannable

        source = self.config.data.get(key)
        if source is None:
            raise ConfigError(f"{self.config.where(key)} is not set")
        try:
            if source.function is not None:
                frame = source.function()
            elif source.path is not None and is_scannable(source.path):
                frame = str(source.path)
            elif source.kind == "parquet":
                frame = pd.read_parquet(source.path)
            else:
                frame = pd.read_csv(source.path)
            if not isinstance(frame, pd.DataFrame) and is_scannable(frame):
                frame = self._sample_large(key, frame)
        except ConfigError:
            raise
        except Exception as exc:
            raise ConfigError(
                f"{self.config.where(key)}: could not load {source.text!r} "
                f"({type(exc).__name__}: {exc})"
            ) from None
        if not isinstance(frame, pd.DataFrame):
            raise ConfigError(
                f"{self.config.where(key)}: {source.text!r} returned "
                f"{type(frame).__name__}, not a pandas DataFrame"
            )
        if frame.shape[0] == 0:
            raise ConfigError(f"{self.config.where(key)}: {source.text!r} has no rows")
        check_frame_columns(self.config, key, [str(c) for c in frame.columns])
        return frame

    def _sample_large(self, key: str, data: Any) -> pd.DataFrame:
        """An engine-drawn sample of a large source for the model checks (they predict in
        pandas), remembered with its size and seed; the source itself is kept for the data
        checks, which aggregate in the engine."""
        from mltestscore.checks._frames import MODEL_SAMPLE_SIZE, open_scan
        from mltestscore.checks.registry import CheckInputError

        try:
            scan = open_scan(data, key)
            sample = scan.sample(MODEL_SAMPLE_SIZE, 0)
        except CheckInputError as exc:
            raise ConfigError(f"{self.config.where(key)}: {exc}") from None
        self._large[key] = data
        read, why = scan.bytes_read()  # the count and the draw, over every column
        self.samples[key] = {
            "engine": scan.engine,
            "rows": scan.rows(),
            "sample_size": len(sample),
            "seed": 0,
            "bytes_read": read,
            "bytes_read_note": why,
        }
        return sample

    def evaluation_key(self) -> str:
        """Where model quality is measured: ``test`` when set, else ``train``."""
        return "test" if "test" in self.config.data else "train"

    def non_feature_columns(self) -> set[str]:
        config = self.config
        named = {c for c in (config.target, config.prediction, config.time_column) if c}
        return named | set(config.id_columns)

    def features(self, key: str) -> pd.DataFrame:
        """The model's input columns of a frame (the input contract, docs/models.md): the
        project's ``features`` when set, else the model's own feature names
        (``feature_names_in_``, a booster's names) when it has them, else every column but
        the target, the logged prediction, the time column and the ``id_columns``.

        A column the model needs and the data lacks is a usage error naming it."""
        with self._lock:
            cached = self._features.get(key)
        if cached is not None:
            return cached
        frame = self.frame(key)
        function = self.config.feature_fn
        built = self._built_features(key, frame) if function is not None else None
        source = built if built is not None else frame
        names = list(self.config.features) or self.model_feature_names()
        if names is not None:
            missing = [n for n in names if n not in source.columns]
            if missing and function is not None:
                raise ConfigError(
                    f"{self.config.where('features')}: the model needs {len(missing)} "
                    f"column(s) that {function.text!r} does not return for the {key} data: "
                    f"{', '.join(map(repr, missing[:10]))}"
                )
            if missing:
                whose = "`features` names" if self.config.features else "the model needs"
                raise ConfigError(
                    f"{self.config.where(key)}: {whose} {len(missing)} column(s) the {key} "
                    f"data lacks: {', '.join(map(repr, missing[:10]))}"
                )
            selected = source[names]
        elif built is not None:
            selected = built  # the function decides what the model takes
        else:
            selected = frame.drop(columns=[c for c in self.non_feature_columns() if c in frame])
        with self._lock:
            return self._features.setdefault(key, selected)

    def _built_features(self, key: str, frame: pd.DataFrame) -> pd.DataFrame:
        """``features = "pkg.module:build_features"`` called on the ``key`` rows, and its
        contract checked: a DataFrame with named columns, one row per input row, none of
        them the label, the logged prediction or an identifier. The function gets a copy,
        since every check shares the frame; its rows are given the frame's index, so labels,
        slices and sensitive columns (read from the frame) stay aligned with them."""
        with self._lock:
            cached = self._built.get(key)
        if cached is None:
            cached = self._build_features(key, frame)
            with self._lock:
                cached = self._built.setdefault(key, cached)
        return cached

    def _build_features(self, key: str, frame: pd.DataFrame) -> pd.DataFrame:
        import pandas as pd

        source = self.config.feature_fn
        assert source is not None
        assert source.function is not None
        where = self.config.where("features")
        build: Callable[[pd.DataFrame], Any] = source.function
        try:
            built = build(frame.copy())
        except Exception as exc:
            raise ConfigError(
                f"{where}: {source.text!r} raised {type(exc).__name__} on the {key} data "
                f"({len(frame)} rows): {str(exc)[:400]}"
            ) from None
        if not isinstance(built, pd.DataFrame):
            raise ConfigError(
                f"{where}: {source.text!r} returned {type(built).__name__} for the {key} data; "
                "it must return the model's input as a pandas DataFrame with named columns"
            )
        if len(built) != len(frame):
            raise ConfigError(
                f"{where}: {source.text!r} returned {len(built)} rows for the {len(frame)} rows "
                f"of the {key} data; it must return one row per input row, in the same order "
                "(leave rows out in the data files, not in the feature function)"
            )
        if built.shape[1] == 0:
            raise ConfigError(f"{where}: {source.text!r} returned no columns for the {key} data")
        columns = [str(c) for c in built.columns]
        if len(set(columns)) != len(columns) or any(not isinstance(c, str) for c in built.columns):
            raise ConfigError(
                f"{where}: {source.text!r} must return columns named by distinct strings, "
                f"got {columns[:10]!r} for the {key} data"
            )
        config = self.config
        forbidden = {config.target: "the target", config.prediction: "the logged prediction"}
        forbidden.update({c: "an identifier (`id_columns`)" for c in config.id_columns})
        for column, what in forbidden.items():
            if column is not None and column in built.columns:
                raise ConfigError(
                    f"{where}: {source.text!r} returns {what} {column!r} as a model input "
                    f"for the {key} data; leave it out of the features"
                )
        if built.index.equals(frame.index):
            return built
        if built.index.is_unique and set(built.index) == set(frame.index):
            return built.loc[frame.index]  # the same rows, reordered: put them back in order
        return built.set_axis(frame.index)  # a new index (reset_index, a numpy round trip)

    def check_model_input(self) -> None:
        """The input contract, checked once before any item runs: the model predicts on the
        first rows of the input the suite builds, its feature names agree with the project's
        ``features``, and its classes include the target's labels. Each problem is a
        ConfigError naming the columns or labels, instead of every item failing with the
        model library's own message."""
        config = self.config
        if config.feature_fn is not None:
            for data_key in config.data:
                try:
                    self.frame(data_key)
                except ConfigError:
                    continue  # a file that does not load: its items report it
                self._built_features(data_key, self.frame(data_key))
        if not config.has("model") or not config.data:
            return
        key = self.evaluation_key()
        try:
            _ = self.model, self.frame(key)
        except ConfigError:
            return  # a model or file that does not load: its items report it, naming the key
        known = self.model_feature_names()
        if known is not None and config.features and list(config.features) != known:
            extra = [c for c in config.features if c not in known]
            lacking = [c for c in known if c not in config.features]
            raise ConfigError(
                f"{config.where('features')}: the model was trained on other columns"
                + (f"; it does not know {', '.join(map(repr, extra[:10]))}" if extra else "")
                + (f"; it also needs {', '.join(map(repr, lacking[:10]))}" if lacking else "")
                + ("" if extra or lacking else "; same columns in another order")
            )
        X = self.features(key)
        try:
            self.model.predict(X.head(5))
        except Exception as exc:
            raise ConfigError(
                f"{config.where('model')}: the model cannot predict on the input the suite "
                f"builds from the {key} data ({self._describe_input(X)}): "
                f"{type(exc).__name__}: {str(exc)[:400]}; {self._input_advice()}"
            ) from None
        self._check_labels(key)

    def _input_advice(self) -> str:
        if self.config.feature_fn is not None:
            return (
                f"make {self.config.feature_fn.text!r} return the columns the model was "
                "trained on, as training built them (docs/models.md)"
            )
        return (
            "name the model's columns with `features = [...]`, build them with "
            '`features = "package.module:function"`, or point `model` at the whole pipeline '
            "that prepares them (docs/models.md)"
        )

    def _describe_input(self, X: pd.DataFrame) -> str:
        shown = ", ".join(map(repr, [str(c) for c in X.columns[:8]]))
        more = f" and {len(X.columns) - 8} more" if len(X.columns) > 8 else ""
        dropped = sorted(c for c in self.non_feature_columns())
        how = (
            f"the columns {self.config.feature_fn.text!r} returns"
            if self.config.feature_fn is not None
            else "the columns `features` names"
            if self.config.features
            else "the model's feature names"
            if self.model_feature_names() is not None
            else "every column but " + (", ".join(map(repr, dropped)) or "none")
        )
        return f"{len(X.columns)} columns, {how}: {shown}{more}"

    def _check_labels(self, key: str) -> None:
        """No target label among the model's classes means the target is encoded
        differently from training (text labels for a model fit on 0/1, say)."""
        classes = getattr(self.model, "classes_", None)
        # a regressor may carry an empty classes_ (CatBoostRegressor does)
        if classes is None or len(classes) == 0 or not self.has_labels(key):
            return
        known = {str(c) for c in list(classes)}
        labels = {str(v) for v in self.labels(key).dropna().unique()[:50]}
        if labels and not labels & known:
            raise ConfigError(
                f"{self.config.where('target')}: none of the labels of {self.config.target!r} "
                f"({', '.join(sorted(labels)[:5])}) is among the model's classes "
                f"({', '.join(sorted(known)[:5])}); encode the target as the model was trained"
            )

    def labels(self, key: str) -> pd.Series:
        target = self.config.target
        if target is None:
            raise ConfigError(f"{self.config.where('target')} is not set")
        frame = self.frame(key)
        if target not in frame.columns:
            raise ConfigError(
                f"{self.config.where('target')}: column {target!r} is not in the {key} data"
            )
        return frame[target]

    def has_labels(self, key: str) -> bool:
        return self.config.target is not None and self.config.target in self.frame(key).columns

    def data_paths(self) -> list[Path]:
        return [s.path for s in self.config.data.values() if s.path is not None]

    # -- model and registry -------------------------------------------------------------------
    @cached_property
    def store(self) -> LocalModelStore | MlflowModelStore:
        """The registry: the ``registry`` folder, or the registered MLflow model that a
        ``models:/`` URI names (its versions, their runs' metrics, the alias as current)."""
        from mltestscore.model_store import LocalModelStore

        if self.config.mlflow_registered_model:
            from mltestscore.mlflow_models import parse_model_uri, tracking_uri
            from mltestscore.model_store import MlflowModelStore

            assert self.config.model is not None
            assert self.config.model.uri is not None
            uri = parse_model_uri(self.config.model.uri)
            assert uri.name is not None
            store = MlflowModelStore(
                uri.name,
                alias=uri.alias or "current",
                tracking_uri=tracking_uri(self.config.mlflow_tracking_uri),
            )
            if uri.alias is None:  # models:/name/3 or models:/name/latest: no alias to move
                versions = store.versions()
                store.pinned = uri.version or (versions[-1].number if versions else None)
            return store
        if self.config.registry is None:
            raise ConfigError(f"{self.config.where('registry')} is not set")
        return LocalModelStore(self.config.registry)

    @cached_property
    def current_version(self) -> ModelVersion | None:
        return self.store.current() if self.config.has("registry") else None

    def model_trained_at(self) -> datetime | None:
        """When an MLflow model was trained (its run's start), for the model-age check; None
        for a model file, whose own metadata says."""
        from mltestscore.mlflow_models import parse_model_uri, run_start_time

        source = self.config.model
        if source is None or source.uri is None:
            return None
        if self.config.mlflow_registered_model:
            from mltestscore.model_store import MlflowModelStore

            store, version = self.store, self.current_version
            if version is None or not isinstance(store, MlflowModelStore):
                return None
            return store.trained_at(version)
        run_id = parse_model_uri(source.uri).run_id
        return run_start_time(run_id, self.config.mlflow_tracking_uri) if run_id else None

    @cached_property
    def model_path(self) -> Path | None:
        """The model file: ``model`` when it is a path, else the local registry's current
        version (None for an MLflow model: it is not one file)."""
        source = self.config.model
        if source is not None:
            return source.path
        from mltestscore.model_store import LocalModelStore

        version = self.current_version
        store = self.store if version is not None else None
        if version is None or not isinstance(store, LocalModelStore):
            return None
        return store.model_path(version)

    @cached_property
    def model(self) -> Any:
        with self._lock:
            return self._load_model()

    def _load_model(self) -> Any:
        from mltestscore import artifacts

        config = self.config
        source = config.model
        if source is not None and source.uri is not None:
            from mltestscore.mlflow_models import load_folder

            folder = self.mlflow_model_folder
            assert folder is not None
            model = load_folder(
                folder, source.uri, trusted=config.model_trusted, where=config.where("model")
            ).model
        elif source is not None and source.function is not None:
            try:
                model = source.function()
            except Exception as exc:
                raise ConfigError(
                    f"{config.where('model')}: {source.text!r} raised {type(exc).__name__}: {exc}"
                ) from None
        else:
            path = self.model_path
            key = "model" if source is not None else "registry"
            if path is None:
                raise ConfigError(
                    f"{config.where('registry')}: the registry has no CURRENT version; set "
                    "`model` or make a version current"
                )
            try:
                model = artifacts.load_model(path, trusted=config.model_trusted).model
            except artifacts.UntrustedArtifactError as exc:
                found = list(exc.untrusted_types)
                advice = (
                    f"review them and set model_trusted = {found!r}"
                    if found
                    else "set model_trusted = true only if you trust this file"
                )
                raise ConfigError(f"{config.where(key)}: {exc}; {advice}") from None
            except artifacts.ArtifactError as exc:
                raise ConfigError(f"{config.where(key)}: {exc}") from None
        if not callable(getattr(model, "predict", None)):
            raise ConfigError(
                f"{config.where('model')}: got a {type(model).__name__}, which has no predict()"
            )
        return model

    def model_feature_names(self) -> list[str] | None:
        from mltestscore.checks._models import known_feature_names

        if not self.config.has("model"):
            return None
        return known_feature_names(self.model)

    @cached_property
    def previous_model(self) -> Any | None:
        """The version before the current one in the registry (None when there is none)."""
        version = self.current_version
        if version is None:
            return None
        previous = self.store.previous(version)
        if previous is None:
            return None
        return self.store.load(previous, trusted=self.config.model_trusted)

    def scratch(self) -> Path:
        """A folder of the session's own, removed by :meth:`close`."""
        import tempfile

        with self._lock:
            if self._scratch is None:
                self._scratch = Path(tempfile.mkdtemp(prefix="mltestscore-session-"))
            return self._scratch

    @cached_property
    def mlflow_model_folder(self) -> Path | None:
        """A copy of an MLflow model (``model = "models:/..."`` or ``"runs:/..."``), downloaded
        once per session: the checks load it, the canary (infra-6) serves it from a fresh
        process, and its pins are the training snapshot when its run logged none. None for
        a model that is not MLflow's; ConfigError naming the key when MLflow cannot find it."""
        source = self.config.model
        if source is None or source.uri is None:
            return None
        import re

        from mltestscore.mlflow_models import download_model

        # named after the URI, which the canary's reason shows: models-credit@champion
        into = self.scratch() / re.sub(r"[^\w.@-]+", "-", source.uri).strip("-")
        into.mkdir(exist_ok=True)
        return download_model(
            source.uri,
            tracking=self.config.mlflow_tracking_uri,
            into=into,
            where=self.config.where("model"),
        )

    def canary_artifact(self) -> Path | None:
        """What the canary serves from a fresh process: the model file, or the MLflow model's
        folder."""
        return self.model_path or self.mlflow_model_folder

    @cached_property
    def _mlflow_snapshot(self) -> Path | None:
        import json

        from mltestscore.mlflow_models import training_environment

        source, folder = self.config.model, self.mlflow_model_folder
        if source is None or source.uri is None or folder is None:
            return None
        snapshot = training_environment(source.uri, folder, self.config.mlflow_tracking_uri)
        if snapshot is None:
            return None
        path = self.scratch() / "environment.json"
        path.write_text(json.dumps(snapshot, indent=2, sort_keys=True), encoding="utf-8")
        return path

    def training_snapshot(self) -> Path | None:
        """The ``environment.json`` written next to the model at training time, if any; for
        an MLflow model the one its run logged, else the pins MLflow kept with the model
        (:func:`mltestscore.mlflow_models.training_environment`)."""
        path = self.model_path
        if path is None:
            return self._mlflow_snapshot if self.config.model is not None else None
        snapshot = path.parent / "environment.json"
        return snapshot if snapshot.is_file() else None

    def preload(self) -> None:
        """Load the model and every configured frame now, before the suite worker is forked,
        so both processes share them instead of each loading its own. A problem is left for
        the items to meet and report, as they do without a worker."""
        from mltestscore.errors import MLScoreError

        if self.config.has("model"):
            with contextlib.suppress(MLScoreError):
                _ = self.model
        for key in self.config.data:
            with contextlib.suppress(MLScoreError):
                self.features(key)

    # -- the canary process -------------------------------------------------------------------
    def start_canary(self, python: str | None, input_format: str) -> None:
        """Start the canary's fresh process for the model file now, so it loads the model on
        the other core while the items before the canary's run. The file's types are not
        audited here: the plugin refuses untrusted skops types itself at configuration time
        (:func:`check_model_trust`), in every process that starts a canary.

        Anything that stops it from starting (no model file, untrusted types, a bad
        interpreter) is left for the canary item to meet and report: it then starts its
        process itself, as it does when nothing was started ahead.
        """
        from mltestscore.checks.canary import start_canary

        try:
            path = self.model_path
            if path is None:
                return
            canary = start_canary(
                path,
                trusted=self.config.model_trusted,
                python=python,
                input_format=input_format,
                trust_checked=True,
            )
        except Exception:
            return
        with self._lock:
            previous, self._canary = self._canary, canary
        if previous is not None:
            previous.close()

    def stop_canary(self) -> None:
        """Stop the process :meth:`start_canary` started, if any (its item is not to run)."""
        with self._lock:
            canary, self._canary = self._canary, None
        if canary is not None:
            canary.close()

    def send_canary_sample(self, rows: int) -> None:
        """Send the started canary process its sample (the first ``rows`` evaluation rows,
        as the canary item will) so it serves while the items run; its item then only
        judges. A problem is left for the item to meet and report."""
        with self._lock:
            canary = self._canary
        if canary is None or canary.sent is not None:
            return
        with contextlib.suppress(Exception):
            canary.send(self.features(self.evaluation_key()).head(rows))

    def canary_started(self) -> bool:
        with self._lock:
            return self._canary is not None

    def take_canary(
        self, path: Path, python: str | None, input_format: str
    ) -> CanaryProcess | None:
        """The process :meth:`start_canary` started, when it is for this artifact, interpreter
        and input format (the caller then owns it), else None. One that has already exited
        is handed over too: a model that failed to load left its result saying why."""
        import sys

        with self._lock:
            canary, self._canary = self._canary, None
        if canary is None:
            return None
        if (
            canary.started
            and canary.path == path
            and canary.artifact_unchanged()  # not rewritten since it started
            and canary.python == (python or sys.executable)
            and canary.input_format == input_format
        ):
            return canary
        canary.close()
        return None

    def close(self) -> None:
        """Stop a canary process that no item took (the item was deselected or never ran),
        and remove the session's own files."""
        import shutil

        self.stop_canary()
        with self._lock:
            scratch, self._scratch = self._scratch, None
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)

    # -- schema -------------------------------------------------------------------------------
    @cached_property
    def schema(self) -> dict[str, Any]:
        """The Great Expectations suite at ``schema``, in its JSON form; inferred from
        ``train`` and written there on the first run (review it and commit it: from then on it
        is the contract).

        Read as JSON rather than built into a Great Expectations ``ExpectationSuite``: every
        check that takes a schema works on the JSON form anyway, and importing Great
        Expectations costs more than a second. The expectations are still judged as Great
        Expectations would: types and arguments the fast path does not know go to Great
        Expectations itself, which rejects an unknown type or a bad argument, and the item
        fails naming it.
        """
        from mltestscore.checks.schema import infer_schema, save_schema, schema_to_dict

        path = self.config.schema
        if path is None:
            raise ConfigError(f"{self.config.where('schema')} is not set")
        with self._lock:
            if path.is_file():
                try:
                    return schema_to_dict(path)
                except (OSError, ValueError) as exc:  # CheckInputError is a ValueError
                    raise ConfigError(
                        f"{self.config.where('schema')}: cannot read {path} as a Great "
                        f"Expectations suite ({type(exc).__name__}: {exc})"
                    ) from None
        with self._unrecorded():
            frame = self.frame("train")
            # the whole training data: a large source is profiled in its engine
            data = self.data("train")
        ignore = sorted(c for c in self.non_feature_columns() if c in frame.columns)
        suite = schema_to_dict(infer_schema(data, name=path.stem, ignore_columns=ignore))
        with self._lock:
            # Written atomically (save_schema): parallel workers infer the same suite, and a
            # reader never sees half a file.
            try:
                save_schema(suite, path)
            except OSError as exc:  # UnsafeTargetError: a link, device or FIFO there
                raise ConfigError(
                    f"{self.config.where('schema')}: cannot write the inferred suite to "
                    f"{path}: {exc.strerror or exc}"
                ) from None
        return suite
