"""The suite keys of ``[tool.mltestscore]``, validated into a :class:`SuiteConfig`.

Validation is cheap (no data or model is loaded): paths exist relative to the pyproject, files
have a supported type, callables import, columns exist in the header of Parquet/CSV files, a
pickle is refused unless ``model_trusted = true``, and threshold keys name a real check
parameter. Every problem raises :class:`ConfigError` naming the key, so ``pytest --mlscore``
stops with a usage error instead of failing twenty items for one typo.
"""

from __future__ import annotations

import csv
import difflib
import importlib
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mltestscore.config import SECTION, ProjectConfig
from mltestscore.errors import ConfigError

DATA_SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}
MODEL_SUFFIXES = (".skops", ".pkl", ".pickle", ".joblib", ".onnx", ".ubj", ".json", ".txt", ".cbm")
CODE_EXECUTING_SUFFIXES = (".pkl", ".pickle", ".joblib")
_CALLABLE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
DATA_KEYS = ("train", "test", "serving")


@dataclass(frozen=True)
class Source:
    """Where a model or a frame comes from: a file, or a ``module:callable`` returning it."""

    key: str
    text: str
    path: Path | None = None
    function: Callable[..., Any] | None = None  # a feature function takes the rows
    uri: str | None = None  # an MLflow model URI (mltestscore.mlflow_models)

    @property
    def kind(self) -> str:
        if self.uri is not None:
            return "mlflow"
        if self.path is None:
            return "callable"
        return DATA_SUFFIXES.get(self.path.suffix.lower(), self.path.suffix.lstrip(".").lower())

    def describe(self) -> str:
        return f"{self.key} = {self.text!r}"


@dataclass(frozen=True)
class SuiteConfig:
    """The validated suite keys of one project."""

    source: str  # the pyproject path, for messages
    root: Path
    model: Source | None = None
    model_trusted: bool | tuple[str, ...] = ()
    data: Mapping[str, Source] = field(default_factory=dict)  # train / test / serving
    target: str | None = None
    prediction: str | None = None
    sensitive: tuple[str, ...] = ()
    slices: tuple[str, ...] = ()
    time_column: str | None = None
    features: tuple[str, ...] = ()  # the model's input columns, when the project names them
    # features = "pkg.module:build_features": a function turning the data's rows into the
    # model's input (docs/models.md#a-feature-function)
    feature_fn: Source | None = None
    id_columns: tuple[str, ...] = ()  # identifiers: never model input
    schema: Path | None = None
    feature_spec: Path | None = None
    registry: Path | None = None
    mlflow_tracking_uri: str | None = None
    train_fn: Source | None = None
    thresholds: Mapping[str, Any] = field(default_factory=dict)  # "scope.parameter" -> value

    def has(self, key: str) -> bool:
        """Whether the input named by a suite key is configured (``model`` also through
        ``registry``, whose current version is the model when ``model`` is not set)."""
        if key in DATA_KEYS:
            return key in self.data
        if key == "model":
            return self.model is not None or self.registry is not None
        if key == "registry":  # a models:/ URI's registered model is a registry too
            return self.registry is not None or self.mlflow_registered_model
        value = getattr(self, key)
        return bool(value) if isinstance(value, tuple) else value is not None

    def where(self, key: str) -> str:
        return f"{self.source}: [{SECTION}] {key}"

    @property
    def mlflow_registered_model(self) -> bool:
        """``model`` names a registered MLflow model (``models:/...``), whose versions are
        the registry of the rollback, serving-gate and model-age checks."""
        return self.model is not None and (self.model.uri or "").startswith("models:/")


def parse_suite_config(project: ProjectConfig, *, complete: bool = True) -> SuiteConfig:
    """Validate the suite keys of ``project``; raise :class:`ConfigError` naming the key.

    With ``complete=False`` the two slow parts wait for :func:`complete_suite_config`: the
    ``module:callable`` keys are checked for their form only (their ``function`` is left
    None; importing a project's training code imports scikit-learn and the like), and the
    columns are not looked up in the data files (that imports pyarrow). The plugin checks
    the thresholds against the catalog and the model file's types in between, so those
    problems are reported before anything of the project is imported.
    """
    settings = project.settings
    root = project.root
    source = project.source
    where = _Where(source)
    importer = _import_callable if complete else _leave_for_later
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))  # "module:callable" keys import from the project root

    storage = _storage_options(settings, where)
    data = {
        key: _data_source(settings[key], key, root, where, importer, storage)
        for key in DATA_KEYS
        if key in settings
    }
    model = _model_source(settings["model"], root, where, importer) if "model" in settings else None
    trusted = _trusted(settings.get("model_trusted", ()), where)
    _refuse_untrusted_pickle(model, trusted, where)
    registry = (
        _path(settings["registry"], "registry", root, where) if "registry" in settings else None
    )
    if registry is not None and model is not None and model.uri is not None:
        raise ConfigError(
            f"{where('registry')}: `model` is an MLflow URI, whose registered model is the "
            "registry; remove `registry` (or give `model` as a file)"
        )
    if registry is not None:
        _check_registry(registry, where)
    feature_spec = None
    if "feature_spec" in settings:
        feature_spec = _path(settings["feature_spec"], "feature_spec", root, where)
        if not feature_spec.is_file():
            raise ConfigError(f"{where('feature_spec')}: file not found: {feature_spec}")
    schema = None
    if "schema" in settings:
        schema = _path(settings["schema"], "schema", root, where, must_exist=False)
        if schema.suffix.lower() != ".json":
            raise ConfigError(f"{where('schema')}: a Great Expectations suite is a .json file")
        if not schema.exists() and "train" not in data:
            raise ConfigError(
                f"{where('schema')}: {schema} does not exist; set `train` so it can be inferred "
                "from the training data on the first run"
            )
        if not schema.exists():
            _make_folder(schema.parent, "schema", where)  # the inferred suite goes there
    mlflow_tracking_uri = None
    if "mlflow_tracking_uri" in settings:
        from mltestscore.mlflow_models import tracking_uri_setting

        mlflow_tracking_uri = tracking_uri_setting(
            settings["mlflow_tracking_uri"], root, where("mlflow_tracking_uri")
        )
    train_fn = None
    if "train_fn" in settings:
        text = settings["train_fn"]
        if not isinstance(text, str) or not _CALLABLE.match(text):
            raise ConfigError(
                f"{where('train_fn')} must be 'package.module:function', got {text!r}"
            )
        train_fn = Source("train_fn", text, function=importer(text, "train_fn", where))
    feature_fn = None
    if isinstance(settings.get("features"), str) and _CALLABLE.match(settings["features"]):
        text = settings["features"]
        feature_fn = Source("features", text, function=importer(text, "features", where))

    config = SuiteConfig(
        source=source,
        root=root,
        model=model,
        model_trusted=trusted,
        data=data,
        target=_column_name(settings, "target", where),
        prediction=_column_name(settings, "prediction", where),
        sensitive=_column_names(settings, "sensitive", where),
        slices=_column_names(settings, "slices", where),
        time_column=_column_name(settings, "time_column", where),
        features=() if feature_fn is not None else _column_names(settings, "features", where),
        feature_fn=feature_fn,
        id_columns=_column_names(settings, "id_columns", where),
        schema=schema,
        feature_spec=feature_spec,
        registry=registry,
        mlflow_tracking_uri=mlflow_tracking_uri,
        train_fn=train_fn,
        thresholds=_thresholds(settings.get("thresholds", {}), where),
    )
    return complete_suite_config(config) if complete else config


def _refuse_untrusted_pickle(
    model: Source | None, trusted: bool | tuple[str, ...], where: _Where
) -> None:
    path = model.path if model is not None else None
    if path is None or path.suffix.lower() not in CODE_EXECUTING_SUFFIXES or trusted is True:
        return
    raise ConfigError(
        f"{where('model')}: {path.name} is a pickle, and loading a pickle runs the code inside "
        "it; save the model with skops, or set model_trusted = true if you trust this file"
    )


def _check_registry(registry: Path, where: _Where) -> None:
    """A usage error unless ``registry`` is a model registry: version folders ``v0001``...
    holding ``model.skops`` and a ``CURRENT`` file naming one of them. A plain folder of
    models would otherwise fail every registry item with "no CURRENT version"."""
    if not registry.is_dir():
        raise ConfigError(f"{where('registry')}: {registry} is not a directory")
    layout = (
        "a registry holds version folders v0001/, v0002/... each with model.skops, and a "
        "CURRENT file naming the current one (mltestscore.model_store.LocalModelStore writes "
        "it); for a single model file set `model = ...` instead"
    )
    pointer = registry / "CURRENT"
    if not pointer.is_file():
        raise ConfigError(f"{where('registry')}: {registry} has no CURRENT file: {layout}")
    current = pointer.read_text(encoding="utf-8").strip()
    if not re.fullmatch(r"v\d{4,}", current) or not (registry / current / "model.skops").is_file():
        raise ConfigError(
            f"{where('registry')}: CURRENT names {current!r}, which is not a version folder "
            f"with model.skops in {registry}: {layout}"
        )


def _make_folder(folder: Path, key: str, where: _Where) -> None:
    """Create a folder the run writes into (``schemas/`` for ``schemas/train.json``): a
    missing folder is not the user's mistake, an unwritable one is reported naming the key."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{where(key)}: cannot create the folder {folder} ({exc})") from None


class _Where:
    def __init__(self, source: str) -> None:
        self.source = source

    def __call__(self, key: str) -> str:
        return f"{self.source}: [{SECTION}] {key}"


# Turns a "module:callable" key into the function (or None: imported later).
_Importer = Callable[[str, str, _Where], Callable[[], Any] | None]


def _path(value: object, key: str, root: Path, where: _Where, must_exist: bool = True) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where(key)} must be a path relative to pyproject.toml, got {value!r}")
    try:
        path = (root / value).resolve()
    except (RuntimeError, OSError) as exc:  # a symbolic link loop (RuntimeError before 3.13)
        raise ConfigError(f"{where(key)}: {value!r} cannot be resolved: {exc}") from None
    if must_exist and not path.exists():
        raise ConfigError(f"{where(key)}: {value!r} does not exist (looked for {path})")
    return path


def complete_suite_config(config: SuiteConfig) -> SuiteConfig:
    """What ``parse_suite_config(complete=False)`` left: ``config`` with its
    ``module:callable`` keys imported (ConfigError when one does not import or is not
    callable), after its columns are found in the data files (ConfigError naming a missing
    one)."""
    where = _Where(config.source)

    def imported(source: Source | None) -> Source | None:
        if source is None or source.path is not None or source.function is not None:
            return source
        if source.uri is not None:
            return source
        return replace(source, function=_import_callable(source.text, source.key, where))

    data = {key: imported(source) for key, source in config.data.items()}
    completed = replace(
        config,
        model=imported(config.model),
        data={key: source for key, source in data.items() if source is not None},
        train_fn=imported(config.train_fn),
        feature_fn=imported(config.feature_fn),
    )
    _check_columns(completed)
    return completed


def _leave_for_later(text: str, key: str, where: _Where) -> None:
    return None


def _import_callable(text: str, key: str, where: _Where) -> Callable[[], Any]:
    module_name, _, attribute = text.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise ConfigError(
            f"{where(key)}: cannot import module {module_name!r} ({type(exc).__name__}: {exc})"
        ) from None
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise ConfigError(f"{where(key)}: module {module_name!r} has no {attribute!r}")
        target = getattr(target, part)
    if not callable(target):
        raise ConfigError(f"{where(key)}: {text!r} is not callable")
    function: Callable[[], Any] = target
    return function


def _uri_reader(uri: str, storage: tuple[tuple[str, str], ...] = ()) -> Callable[[], Any]:
    """A data URI's loader: the URI itself, which the lazy path reads with Polars (checked
    when it is read: listing a bucket at configuration time would cost a request per key),
    with the ``storage_options`` when they are set."""
    from mltestscore.checks._frames import DataURI

    def read() -> str | DataURI:
        return DataURI(uri, storage) if storage else uri

    return read


def _storage_options(settings: Mapping[str, Any], where: _Where) -> tuple[tuple[str, str], ...]:
    """``[tool.mltestscore.storage_options]``: the options Polars' object-store reader opens
    the data URIs with (``polars.scan_parquet(storage_options=...)``), beside the standard
    environment variables. A table of names Polars takes for the URIs' schemes, each a
    string, a boolean or a number (given to Polars as text: ``true``, ``30``)."""
    from mltestscore.checks._frames import is_uri
    from mltestscore.checks._storage_options import unknown_storage_option

    if "storage_options" not in settings:
        return ()
    table = settings["storage_options"]
    key = where("storage_options")
    if not isinstance(table, Mapping):
        raise ConfigError(
            f"{key} must be a table of option = value "
            f'(endpoint_url = "http://localhost:9000", region = "eu-west-1"), got {table!r}'
        )
    uris = {k: v for k in DATA_KEYS if isinstance(v := settings.get(k), str) and is_uri(v)}
    if table and not uris:
        raise ConfigError(
            f"{key}: no data key ({', '.join(DATA_KEYS)}) is a URI; the options are for data "
            "read from an object store (s3://, gs://, az://, https://): a `module:callable` "
            "configures its own engine"
        )
    schemes = sorted({str(v).split("://", 1)[0].lower() for v in uris.values()})
    options: list[tuple[str, str]] = []
    for name, value in table.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, str | int | float):
            text = str(value)
        else:
            raise ConfigError(
                f"{key}.{name} must be a string, a boolean or a number, "
                f"got {type(value).__name__} {value!r}"
            )
        problem = unknown_storage_option(str(name), schemes)
        if problem is not None:
            raise ConfigError(
                f"{key}.{name}: {problem}; the names are object_store's configuration keys "
                "(docs/bigdata.md#uris-s3-gcs-azure-http-file)"
            )
        options.append((str(name), text))
    return tuple(options)


def _data_source(
    value: object,
    key: str,
    root: Path,
    where: _Where,
    importer: _Importer,
    storage: tuple[tuple[str, str], ...] = (),
) -> Source:
    from mltestscore.checks._frames import is_uri

    if isinstance(value, str) and is_uri(value):  # s3://bucket/train/, file:///abs/train/
        return Source(key, value, function=_uri_reader(value, storage))
    if isinstance(value, str) and _CALLABLE.match(value) and not (root / value).exists():
        return Source(key, value, function=importer(value, key, where))
    if isinstance(value, str) and any(char in value for char in "*?["):  # a glob of Parquet
        if not any(root.glob(value)):
            raise ConfigError(f"{where(key)}: no file matches {value!r} (under {root})")
        return Source(key, value, path=root / value)
    path = _path(value, key, root, where)
    if path.is_dir():  # a folder of Parquet files, hive partitions included
        return Source(key, str(value), path=path)
    if path.suffix.lower() not in DATA_SUFFIXES:
        raise ConfigError(
            f"{where(key)}: {path.name} is not a Parquet or CSV file (use .parquet, .pq or "
            ".csv, or 'module:function' returning a DataFrame)"
        )
    if not path.is_file():
        raise ConfigError(f"{where(key)}: {path} is not a file")
    return Source(key, str(value), path=path)


def _model_source(value: object, root: Path, where: _Where, importer: _Importer) -> Source:
    from mltestscore import mlflow_models

    if isinstance(value, str) and mlflow_models.is_model_uri(value):
        try:
            mlflow_models.parse_model_uri(value)
        except ValueError as exc:
            raise ConfigError(f"{where('model')}: {exc}") from None
        mlflow_models.require_mlflow(where("model"))
        return Source("model", value, uri=value)
    if isinstance(value, str) and _CALLABLE.match(value) and not (root / value).exists():
        return Source("model", value, function=importer(value, "model", where))
    path = _path(value, "model", root, where)
    if path.suffix.lower() not in MODEL_SUFFIXES:
        raise ConfigError(
            f"{where('model')}: {path.name} is not a model file ({', '.join(MODEL_SUFFIXES)}) "
            "or 'module:function' returning a fitted model"
        )
    return Source("model", str(value), path=path)


def _trusted(value: object, where: _Where) -> bool | tuple[str, ...]:
    if isinstance(value, bool):
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(
        f"{where('model_trusted')} must be true/false or a list of type names skops reported, "
        f"got {value!r}"
    )


def _column_name(settings: Mapping[str, Any], key: str, where: _Where) -> str | None:
    value = settings.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where(key)} must be a column name, got {value!r}")
    return value


def _column_names(settings: Mapping[str, Any], key: str, where: _Where) -> tuple[str, ...]:
    value = settings.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where(key)} must be a list of column names, got {value!r}")
    return tuple(dict.fromkeys(value))


def _thresholds(value: object, where: _Where) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(
            f'{where("thresholds")} must be a table of "item-or-check.parameter" = value'
        )
    for key, setting in value.items():
        threshold_parameter(key, setting, where(f"thresholds.{key!r}"))
    return dict(value)


def threshold_parameter(key: str, value: object, where: str) -> tuple[str, str]:
    """``(scope, parameter)`` of a ``"scope.parameter" = value`` threshold; ConfigError when
    it has not that form or its value is not a TOML scalar, list or table. Whether a
    generated check has that scope and parameter is the catalog's to say
    (:func:`mltestscore.suite.catalog.check_thresholds`), once the keys are read."""
    scope, dot, parameter = str(key).partition(".")
    if not dot or not scope or not parameter:
        raise ConfigError(
            f'{where} must look like "model-7.min_selection_rate_ratio" '
            "(rubric id, item name or check name, a dot, then the parameter)"
        )
    if not isinstance(value, bool | int | float | str | list | dict):
        raise ConfigError(f"{where} must be a number, boolean, string, list or table")
    return scope, parameter


def check_model_trust(config: SuiteConfig) -> None:
    """Refuse a skops model holding types nobody vouched for, naming them and the key.

    Reads only the file's schema (no object is built); the model itself loads later.
    """
    from mltestscore import artifacts
    from mltestscore.model_store import LocalModelStore

    key = "model"
    path = config.model.path if config.model is not None else None
    if config.model is None and config.registry is not None:
        store = LocalModelStore(config.registry)
        current = store.current()
        key, path = "registry", store.model_path(current) if current is not None else None
    if path is None or path.suffix.lower() != ".skops" or config.model_trusted is True:
        return
    if not path.is_file():
        raise ConfigError(f"{config.where(key)}: model file not found: {path}")
    try:
        found = artifacts.untrusted_types(path)
    except Exception as exc:
        raise ConfigError(
            f"{config.where(key)}: {path} is not a readable skops file ({exc})"
        ) from None
    refused = [name for name in found if name not in set(config.model_trusted or ())]
    if refused:
        raise ConfigError(
            f"{config.where(key)}: skops does not trust {len(refused)} type(s) in {path.name}: "
            f"{', '.join(refused)}; review them and list them in model_trusted = {found!r}"
        )


# -- columns: read only the header of each file ------------------------------------------------


def read_columns(path: Path) -> list[str]:
    """The column names of a Parquet or CSV file, without reading its rows."""
    if DATA_SUFFIXES.get(path.suffix.lower()) == "parquet":
        import pyarrow.parquet as pq

        return [str(name) for name in pq.read_schema(path).names]
    with open(path, newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle), [])


def check_frame_columns(config: SuiteConfig, key: str, columns: Iterable[str]) -> None:
    """Raise a ConfigError when a configured column is missing from the ``key`` data."""
    present = set(columns)
    for column_key, names, required_in in _column_requirements(config):
        if key not in required_in(config):
            continue
        for name in names:
            if name not in present:
                close = difflib.get_close_matches(name, sorted(present), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ConfigError(
                    f"{config.where(column_key)}: column {name!r} is not in the {key} data "
                    f"({config.data[key].text}){hint}"
                )


def _column_requirements(
    config: SuiteConfig,
) -> list[tuple[str, Sequence[str], Callable[[SuiteConfig], set[str]]]]:
    def labelled(c: SuiteConfig) -> set[str]:
        return {"train", "test"}

    def evaluated(c: SuiteConfig) -> set[str]:
        return {"test"} if "test" in c.data else {"train"}

    def timed(c: SuiteConfig) -> set[str]:
        return {"serving"} if "serving" in c.data else {"train"}

    def served(c: SuiteConfig) -> set[str]:
        return {"serving"}

    def everywhere(c: SuiteConfig) -> set[str]:
        return set(DATA_KEYS)

    return [
        ("target", [config.target] if config.target else [], labelled),
        ("sensitive", config.sensitive, evaluated),
        ("slices", config.slices, evaluated),
        ("time_column", [config.time_column] if config.time_column else [], timed),
        ("prediction", [config.prediction] if config.prediction else [], served),
        ("features", config.features, everywhere),
    ]


def _check_columns(config: SuiteConfig) -> None:
    for key, source in config.data.items():
        if source.path is None:
            continue  # a callable: checked when it is called
        try:
            columns = read_columns(source.path)
        except Exception as exc:
            raise ConfigError(
                f"{config.where(key)}: cannot read the columns of {source.path} "
                f"({type(exc).__name__}: {exc})"
            ) from None
        if not columns:
            raise ConfigError(f"{config.where(key)}: {source.path} has no columns")
        check_frame_columns(config, key, columns)
