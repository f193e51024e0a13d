"""What ``mltestscore init`` learns by looking inside the project, not only at file names.

The model is loaded (skops, trusting only the library types skops reports) to learn the
columns it takes (``feature_names_in_``) and its task; the label is the column the model does
not take that fits that task and is present in every labelled file; time columns are found by
dtype and by parsing; identifiers and direct personal data (names, dates of birth, e-mail
addresses) are kept out of the features and flagged for data-5; sensitive attributes come
with the reason they are protected; a training function is proposed only after it was called
on a small sample and returned a model that predicts. What cannot be decided becomes a
commented line saying what to do.

pandas and scikit-learn load inside the functions (init is a command, not the plugin).
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

SKIP_DIRS = frozenset(
    ["venv", "env", "node_modules", "__pycache__", "site-packages", "build", "dist", "reports"]
)  # hidden folders (.git, .venv, .tox...) are skipped too
DATA_SUFFIXES = (".parquet", ".pq", ".csv")
MODEL_SUFFIXES = (".skops", ".onnx", ".joblib", ".pkl", ".pickle")
ROLE_WORDS = {
    "serving": ("serving", "serve", "prod", "live", "inference", "request", "online", "log"),
    "test": ("test", "holdout", "valid", "eval"),
    "train": ("train", "fit", "dev"),
}
LABEL_NAMES = (
    "target",
    "label",
    "labels",
    "y",
    "class",
    "outcome",
    "income",
    "churn",
    "churned",
    "default",
    "is_fraud",
    "fraud",
    "survived",
    "response",
    "converted",
)
# Libraries whose own types skops reports as untrusted (a tree's node arrays, a dtype): the
# project already runs their code, so init trusts them and says so. Anything else is left to
# a person.
LIBRARY_PREFIXES = ("sklearn.", "numpy.", "scipy.")
# Why each kind of attribute is sensitive: the column name's words -> the reason.
PROTECTED = (
    (("sex", "gender"), "sex is a protected characteristic (US Civil Rights Act Title VII, "
     "UK Equality Act 2010, EU Charter of Fundamental Rights art. 21)"),
    (("race", "racial", "ethnicity", "ethnic"), "race and ethnic origin are protected (US Civil "
     "Rights Act Title VII, EU Charter art. 21; special-category data under GDPR art. 9)"),
    (("age",), "age is protected (US Age Discrimination in Employment Act for people over 40, "
     "UK Equality Act 2010, EU Charter art. 21)"),
    (("religion", "religious", "faith"), "religion is protected (US Civil Rights Act Title VII, "
     "EU Charter art. 21; special-category data under GDPR art. 9)"),
    (("nationality", "citizenship", "native"), "national origin is protected (US Civil Rights "
     "Act Title VII, EU Charter art. 21)"),
    (("disability", "disabled"), "disability is protected (Americans with Disabilities Act, UK "
     "Equality Act 2010, EU Charter art. 21)"),
)  # fmt: skip
NAME_WORDS = ("name", "firstname", "lastname", "surname", "fullname")
BIRTH_WORDS = ("dob", "birth", "birthdate", "birthday", "born")
CONTACT_WORDS = ("email", "mail", "phone", "ssn", "address", "street", "passport")
ID_WORDS = ("id", "uuid", "guid", "identifier")
TIME_WORDS = ("time", "date", "timestamp", "ts", "datetime", "at", "day", "screening")
MAX_FILES = 5000
SAMPLE_ROWS = 5000
TRAIN_FN_ROWS = 200
TRAIN_FN_TIMEOUT = 120.0


@dataclass(frozen=True)
class Finding:
    """One suite key init proposes: its TOML value, why, and per-element comments."""

    key: str
    value: Any  # a str, a list of str, a bool
    reason: str
    active: bool = True  # False: written commented out, for a person to decide
    item_reasons: tuple[str, ...] = ()  # one comment per list element (sensitive)


@dataclass
class Inspection:
    """Everything init found: keys (active or commented) and notes for the reader."""

    findings: dict[str, Finding] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # written as comments, printed
    private: dict[str, str] = field(default_factory=dict)  # column -> why it is personal data

    def add(self, finding: Finding) -> None:
        self.findings[finding.key] = finding

    def active(self) -> dict[str, Finding]:
        return {k: f for k, f in self.findings.items() if f.active}

    def commented(self) -> dict[str, Finding]:
        return {k: f for k, f in self.findings.items() if not f.active}


@dataclass
class ModelFacts:
    """What loading the model taught: its input columns and its task."""

    features: list[str] | None = None
    task: str | None = None  # "binary", "multiclass", "regression"
    classes: list[str] = field(default_factory=list)
    loaded: bool = False


# -- files --------------------------------------------------------------------------------------


def project_files(root: Path) -> Iterator[Path]:
    count = 0
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            children = sorted(folder.iterdir())
        except OSError:
            continue
        for child in children:
            if child.is_dir():
                if child.name not in SKIP_DIRS and not child.name.startswith("."):
                    stack.append(child)
            elif child.is_file():
                count += 1
                if count > MAX_FILES:
                    return
                yield child


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _words(name: str) -> list[str]:
    """``dateOfBirth`` -> date, of, birth; ``native-country`` -> native, country."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def _role(path: Path) -> str | None:
    words = _words(path.stem)
    for role, names in ROLE_WORDS.items():
        if any(w.startswith(n) for w in words for n in names):
            return role
    return None


def read_sample(path: Path, rows: int = SAMPLE_ROWS) -> pd.DataFrame | None:
    """The first ``rows`` rows of a Parquet or CSV file (None when it does not read)."""
    import pandas as pd

    try:
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path, nrows=rows, low_memory=False)
        import pyarrow.parquet as pq

        batches = pq.ParquetFile(path).iter_batches(batch_size=rows)
        frame: pd.DataFrame = next(batches).to_pandas()
        return frame
    except Exception:
        return None


# -- the whole inspection -------------------------------------------------------------------


def inspect_project(root: Path, *, run_code: bool = True) -> Inspection:
    """Inspect the project at ``root``. ``run_code=False`` skips calling training functions."""
    found = Inspection()
    files = list(project_files(root))
    roles = _data_roles(root, files, found)
    frames = {role: read_sample(path) for role, path in roles.items()}
    facts = _model(root, files, found)
    train = frames.get("train")
    if train is None:
        if "train" in roles:
            found.notes.append(f"could not read {roles['train'].name}: columns not inspected")
    else:
        labelled = [f for role, f in frames.items() if role != "serving" and f is not None]
        target = _label(train, labelled, frames.get("serving"), facts, found)
        _personal_data(train, facts, target, found)
        _time_column(train, frames.get("serving"), facts, target, found)
        _sensitive(train, target, found)
        if run_code:
            _train_function(root, files, roles["train"], target, facts, found)
    _schema_and_spec(root, files, found)
    return found


def _data_roles(root: Path, files: Sequence[Path], found: Inspection) -> dict[str, Path]:
    data = [p for p in files if p.suffix.lower() in DATA_SUFFIXES]
    roles: dict[str, Path] = {}
    for path in data:
        role = _role(path)
        if role and role not in roles:
            roles[role] = path
    if "train" not in roles and data:
        largest = max(data, key=lambda p: p.stat().st_size)
        if largest not in roles.values():
            roles["train"] = largest
            found.notes.append(
                f"no file is named like training data; took the largest data file "
                f"{_rel(largest, root)} as `train`"
            )
    for role in ("train", "test", "serving"):
        if role in roles:
            path = roles[role]
            found.add(
                Finding(
                    role, _rel(path, root), f"a {path.suffix.lstrip('.')} file named like {role}"
                )
            )
    return {r: roles[r] for r in ("train", "test", "serving") if r in roles}


# -- the model ----------------------------------------------------------------------------------


def _is_registry(folder: Path) -> bool:
    return (folder / "CURRENT").is_file() and any(
        re.fullmatch(r"v\d{4,}", c.name) for c in folder.iterdir() if c.is_dir()
    )


def _model(root: Path, files: Sequence[Path], found: Inspection) -> ModelFacts:
    registries = [r for r in {p.parent for p in files if p.name == "CURRENT"} if _is_registry(r)]
    if registries:
        folder = sorted(registries, key=str)[0]
        current = (folder / "CURRENT").read_text(encoding="utf-8").strip()
        found.add(
            Finding(
                "registry",
                _rel(folder, root) or ".",
                "a model registry (versions v0001... and a CURRENT pointer): its current "
                "version is the model, and rollback and the pre-serving gate can run",
            )
        )
        path = folder / current / "model.skops"
        return _load_skops(path, found) if path.is_file() else ModelFacts()
    models = [p for p in files if p.suffix.lower() in MODEL_SUFFIXES]
    if not models:
        found.notes.append("no model artifact found (.skops, .onnx, .joblib, .pkl)")
        return ModelFacts()
    order = {suffix: n for n, suffix in enumerate(MODEL_SUFFIXES)}
    best = min(models, key=lambda p: (order[p.suffix.lower()], -p.stat().st_mtime))
    found.add(Finding("model", _rel(best, root), f"the {best.suffix} model artifact found"))
    suffix = best.suffix.lower()
    if suffix == ".skops":
        return _load_skops(best, found)
    if suffix in (".pkl", ".pickle", ".joblib"):
        found.add(
            Finding(
                "model_trusted",
                True,
                f"{best.name} is a pickle, which runs code when loaded: set this only if you "
                "trust the file (better: save the model with skops.io.dump); until then the "
                "model's columns and task are not known to init",
                active=False,
            )
        )
    return ModelFacts()


def _load_skops(path: Path, found: Inspection) -> ModelFacts:
    """Load a skops file trusting only library types; learn its columns and task."""
    try:
        from mltestscore.artifacts import load_model, untrusted_types

        reported = untrusted_types(path)
    except Exception as exc:
        found.notes.append(f"{path.name} is not a readable skops file ({exc})")
        return ModelFacts()
    library = [t for t in reported if t.startswith(LIBRARY_PREFIXES)]
    other = [t for t in reported if t not in library]
    meaning = (
        "Trusting a type lets skops rebuild objects of that type from the file (their "
        "constructors and state setters run); skops refuses any type not listed."
    )
    if other:
        found.add(
            Finding(
                "model_trusted",
                reported,
                f"{meaning} skops reports types outside scikit-learn/numpy/scipy in "
                f"{path.name} ({', '.join(other)}): review where they come from, then "
                "uncomment; until then the model is refused",
                active=False,
            )
        )
        return ModelFacts()
    if library:
        found.add(
            Finding(
                "model_trusted",
                reported,
                f"{meaning} These are scikit-learn/numpy/scipy internals skops reports in "
                f"{path.name} (a tree model's node arrays need sklearn.tree._tree.Tree), "
                "from libraries this project already runs",
            )
        )
    try:
        model = load_model(path, trusted=reported).model
    except Exception as exc:
        found.notes.append(f"could not load {path.name} ({exc}): its columns are not known")
        return ModelFacts()
    return model_facts(model)


def model_facts(model: Any) -> ModelFacts:
    """The input columns and the task of a fitted model."""
    names = getattr(model, "feature_names_in_", None)
    features = [str(n) for n in names] if names is not None else None
    classes = getattr(model, "classes_", None)
    try:
        from sklearn.base import is_classifier, is_regressor

        classifier, regressor = is_classifier(model), is_regressor(model)
    except Exception:
        classifier, regressor = classes is not None, False
    if classifier and classes is not None:
        labels = [_spell(c) for c in classes]
        task = "binary" if len(labels) == 2 else "multiclass"
        return ModelFacts(features, task, labels, True)
    return ModelFacts(features, "regression" if regressor else None, [], True)


# -- columns ------------------------------------------------------------------------------------


def _is_numeric(series: pd.Series) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(series)) and not pd.api.types.is_bool_dtype(series)


def _spell(value: object) -> str:
    """One spelling per class: ``1.0`` read from a CSV is the class ``1``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _fits_task(series: pd.Series, facts: ModelFacts) -> bool:
    values = series.dropna()
    if values.empty:
        return False
    if facts.task in ("binary", "multiclass"):
        seen = {_spell(v) for v in values.unique()}
        return len(seen) >= 2 and seen <= set(facts.classes)
    if facts.task == "regression":
        return _is_numeric(series) and values.nunique() > 2
    return False


def _label(
    train: pd.DataFrame,
    labelled: Sequence[pd.DataFrame],
    serving: pd.DataFrame | None,
    facts: ModelFacts,
    found: Inspection,
) -> str | None:
    columns = [str(c) for c in train.columns]
    everywhere = [c for c in columns if all(c in f.columns for f in labelled)]
    if facts.features is not None and facts.task is not None:
        outside = [c for c in everywhere if c not in set(facts.features)]
        fitting = [c for c in outside if _fits_task(train[c], facts) and not _looks_like_id(c)]
        fitting = [c for c in fitting if all(_fits_task(f[c], facts) for f in labelled)]
        if len(fitting) > 1:
            by_name = [c for c in fitting if c.lower() in LABEL_NAMES]
            fitting = by_name if len(by_name) == 1 else fitting
        what = {
            "binary": f"two classes ({', '.join(facts.classes)})",
            "multiclass": f"{len(facts.classes)} classes",
            "regression": "a numeric target",
        }[facts.task]
        if len(fitting) == 1:
            found.add(
                Finding(
                    "target",
                    fitting[0],
                    f"the one column the model does not take whose values fit its task "
                    f"({facts.task}: {what}), present in every labelled file",
                )
            )
            return fitting[0]
        found.add(
            Finding(
                "target",
                fitting[0] if fitting else (outside[-1] if outside else columns[-1]),
                f"the model ({facts.task}) takes {len(facts.features)} columns; "
                + (
                    f"{len(fitting)} others fit its task ({', '.join(fitting)}): "
                    if fitting
                    else "no other column fits its task: "
                )
                + "set the label column, then model quality, fairness and slices are checked",
                active=False,
            )
        )
        return None
    lowered = {c.lower(): c for c in everywhere}
    named = next((lowered[n] for n in LABEL_NAMES if n in lowered), None)
    if named is not None:
        found.add(
            Finding("target", named, f"a column named like a label ({named!r}); the model's "
                    "columns are not known to confirm it")
        )  # fmt: skip
        return named
    if serving is not None:
        only_train = [c for c in everywhere if c not in set(map(str, serving.columns))]
        if len(only_train) == 1:
            found.add(
                Finding("target", only_train[0], "the one training column the serving data lacks")
            )
            return only_train[0]
    found.add(
        Finding(
            "target",
            columns[-1],
            "no label column could be told apart (the model's columns are not known): set it",
            active=False,
        )
    )
    return None


def _looks_like_id(column: str) -> bool:
    words = _words(column)
    return bool(words) and words[-1] in ID_WORDS


def _personal_data(
    train: pd.DataFrame, facts: ModelFacts, target: str | None, found: Inspection
) -> None:
    """Identifiers and direct personal data: kept out of the features, flagged for data-5."""
    rows = len(train)
    for column in map(str, train.columns):
        if column == target:
            continue
        words = set(_words(column))
        series = train[column]
        if words & set(BIRTH_WORDS):
            found.private[column] = "a date of birth (direct personal data)"
        elif words & set(NAME_WORDS) and not _is_numeric(series):
            found.private[column] = "a person's name (direct personal data)"
        elif words & set(CONTACT_WORDS) and not _is_numeric(series):
            found.private[column] = "contact or official identity data (direct personal data)"
        elif _looks_like_id(column) or (
            rows >= 50 and not _is_numeric(series) and series.nunique() == rows
        ):
            found.private[column] = "an identifier (unique per row)"
    if not found.private:
        return
    features = set(facts.features or ())
    taken = [c for c in found.private if c in features]
    listed = ", ".join(f"{c} ({why})" for c, why in found.private.items())
    if facts.features is None:
        found.notes.append(
            f"identifiers and personal data: {listed}. The model's columns are not known: "
            "make sure it does not take them (fit it on a DataFrame without them). data-5: "
            "keep them out of stored training data or attest the privacy controls"
        )
    elif taken:
        found.notes.append(
            f"identifiers and personal data: {listed}. The model TAKES {', '.join(taken)}: "
            "drop them from its inputs and retrain. data-5: keep them out of stored training "
            "data or attest the privacy controls"
        )
    else:
        found.notes.append(
            f"identifiers and personal data, which the model does not take: {listed}. data-5: "
            "the data-5 scan looks for e-mail, phone and card numbers; names and dates of birth "
            "need your privacy controls (drop them before the data is stored, or attest the "
            'controls under [[tool.mltestscore.manual]] item = "data-5")'
        )


def _parses_as_time(series: pd.Series) -> bool:
    import warnings

    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(series):
        return True
    if _is_numeric(series) or pd.api.types.is_bool_dtype(series):
        return False
    values = series.dropna().astype(str).head(500)
    if values.empty or not values.str.contains(r"\d{1,4}[-/.:]\d{1,2}", regex=True).all():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(values, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.95)


def _time_column(
    train: pd.DataFrame,
    serving: pd.DataFrame | None,
    facts: ModelFacts,
    target: str | None,
    found: Inspection,
) -> None:
    features = set(facts.features or ())
    candidates = [
        c
        for c in map(str, train.columns)
        if c != target and c not in features and c not in found.private
        and _parses_as_time(train[c])
    ]  # fmt: skip
    if serving is not None:  # the freshness check reads serving when it is set
        candidates = [c for c in candidates if c in serving.columns]
    if not candidates:
        return
    candidates.sort(key=lambda c: not set(_words(c)) & set(TIME_WORDS))
    column = candidates[0]
    others = f" (also time-like: {', '.join(candidates[1:])})" if len(candidates) > 1 else ""
    reason = f"a column of timestamps the model does not take{others}"
    age = _age_days((serving if serving is not None else train)[column])
    if age is not None and age > 1:
        reason += (
            f"; its newest event is {age:.0f} days old, so monitor-4's data freshness check "
            "(at most 1 day by default) fails until the data is current, or set "
            '"monitor-4.max_age_days" under [tool.mltestscore.thresholds]'
        )
    found.add(Finding("time_column", column, reason))


def _age_days(series: pd.Series) -> float | None:
    import warnings

    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(series, errors="coerce", utc=True, format="mixed")
    if parsed.notna().sum() == 0:
        return None
    return float((pd.Timestamp.now(tz="UTC") - parsed.max()).total_seconds() / 86400)


def _sensitive(train: pd.DataFrame, target: str | None, found: Inspection) -> None:
    chosen: list[str] = []
    reasons: list[str] = []
    for column in map(str, train.columns):
        if column == target or column in found.private:
            continue
        words = set(_words(column))
        for names, reason in PROTECTED:
            if words & set(names):
                chosen.append(column)
                reasons.append(reason)
                break
    if chosen:
        found.add(
            Finding(
                "sensitive",
                chosen,
                "protected attributes: the model's outcomes (selection and error rates) are "
                "compared across their groups (model-7); remove one that is not protected in "
                "your jurisdiction",
                item_reasons=tuple(reasons),
            )
        )


# -- the training function ----------------------------------------------------------------------

_VERIFY = """
import json, sys, importlib
import pandas as pd
root, module, name, sample, target, drop = sys.argv[1:7]
sys.path.insert(0, root)
frame = pd.read_parquet(sample)
function = getattr(importlib.import_module(module), name)
model = function(frame, 0)
if not hasattr(model, "predict"):
    raise SystemExit(f"returned {type(model).__name__}, which has no predict()")
names = getattr(model, "feature_names_in_", None)
skipped = {target, *json.loads(drop)}
columns = list(names) if names is not None else [c for c in frame.columns if c not in skipped]
model.predict(frame[columns].head(5))
print("ok", type(model).__name__)
"""


def _train_candidates(root: Path, files: Sequence[Path]) -> Iterator[tuple[str, str]]:
    """``(module, function)`` of top-level functions named train*/fit* taking two or more
    arguments, outside tests, importable from the project root (as the suite imports them)."""
    for path in files:
        if path.suffix != ".py" or "tests" in path.parts or path.name.startswith("test_"):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            continue
        parts = path.relative_to(root).with_suffix("").parts
        if not all(p.isidentifier() for p in parts):
            continue
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        for node in tree.body:
            if (
                isinstance(node, ast.FunctionDef)
                and re.match(r"(train|fit)", node.name)
                and len(node.args.args) >= 2
            ):
                yield module, node.name


def _train_function(
    root: Path,
    files: Sequence[Path],
    train_path: Path,
    target: str | None,
    facts: ModelFacts,
    found: Inspection,
) -> None:
    candidates = list(_train_candidates(root, files))[:3]
    if not candidates or target is None:
        if candidates:
            found.notes.append("a training function was not tried: the label is not known")
        return
    sample = read_sample(train_path, TRAIN_FN_ROWS)
    if sample is None:
        return
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        sample_path = Path(folder) / "sample.parquet"
        sample.to_parquet(sample_path, index=False)
        for module, name in candidates:
            problem = _call_train_function(
                root, module, name, sample_path, target, list(found.private)
            )
            if problem is None:
                found.add(
                    Finding(
                        "train_fn",
                        f"{module}:{name}",
                        f"called as {name}(frame, seed) on {len(sample)} training rows, it "
                        "returned a model that predicts: training reproducibility (infra-1) "
                        "and the pipeline integration test (infra-3) run it",
                    )
                )
                return
            failures.append(f"{module}:{name} ({problem})")
    found.add(
        Finding(
            "train_fn",
            failures[0].split(" ", 1)[0],
            "a training function must take (frame, seed) and return a fitted model; "
            f"tried {'; '.join(failures)}: fix one, or write one, then uncomment",
            active=False,
        )
    )


def _call_train_function(
    root: Path, module: str, name: str, sample: Path, target: str, private: Sequence[str]
) -> str | None:
    """None when ``module:name(frame, 0)`` returned a model predicting on the sample, else
    what went wrong. Runs in a child process: the project's code must not change init's."""
    environment = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    command = [
        sys.executable,
        "-c",
        _VERIFY,
        str(root),
        module,
        name,
        str(sample),
        target,
        json.dumps(sorted(private)),
    ]
    try:
        done = subprocess.run(
            command,
            cwd=root,
            capture_output=True,
            text=True,
            timeout=TRAIN_FN_TIMEOUT,
            env=environment,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"did not finish in {TRAIN_FN_TIMEOUT:.0f} s on {TRAIN_FN_ROWS} rows"
    if done.returncode == 0:
        return None
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"^[\w.]*(Error|Exception|Exit)\b", line)]
    last = errors[-1] if errors else (lines[-1] if lines else f"exit code {done.returncode}")
    return last[:200]


# -- schema and feature spec --------------------------------------------------------------------


def _is_ge_suite(path: Path) -> bool:
    if path.suffix != ".json" or path.stat().st_size > 5_000_000:
        return False
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("expectations"), list)


def _schema_and_spec(root: Path, files: Sequence[Path], found: Inspection) -> None:
    suites = [p for p in files if p.suffix == ".json" and _is_ge_suite(p)]
    if suites:
        found.add(
            Finding(
                "schema",
                _rel(suites[0], root),
                "an existing Great Expectations suite (a JSON file with `expectations`)",
            )
        )
    elif "train" in found.findings:
        found.add(
            Finding(
                "schema",
                "schemas/train.json",
                "no Great Expectations suite yet: the first `pytest --mlscore` infers it from "
                "`train` and writes it there; review it and commit it (it is the contract)",
            )
        )
    specs = [p for p in files if p.name in {"features.yaml", "features.yml", "feature_spec.yaml"}]
    if specs:
        found.add(Finding("feature_spec", _rel(specs[0], root), "a feature spec YAML"))
