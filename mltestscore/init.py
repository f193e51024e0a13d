"""``mltestscore init``: write a first ``[tool.mltestscore]`` section for the project here.

It looks around the project (data files, model artifacts, a model registry, a likely target
column, an existing Great Expectations suite, a feature spec, a training function), writes a
commented section into ``pyproject.toml`` (creating the file when there is none) with an
attestation template for the process items, and prints each guess with its reason. Existing
configuration is never overwritten without ``--force``; ``--dry-run`` only prints.

    python -m mltestscore.init [--root DIR] [--force] [--dry-run]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mltestscore.report.atomic import write_atomic

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
TARGET_NAMES = tuple(
    [
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
    ]
)
SENSITIVE_WORDS = tuple(
    [
        "sex",
        "gender",
        "race",
        "ethnic",
        "religion",
        "nationality",
        "native-country",
        "native_country",
        "disability",
        "age",
    ]
)
TIME_WORDS = ("event_time", "timestamp", "event_ts", "created_at", "time", "date", "datetime")
PROCESS_ITEMS = {
    "data-6": "how long adding a feature takes (a recent example with dates)",
    "model-1": "model spec reviews (pull requests with a review checklist)",
    "model-2": "the offline/online metric comparison (A/B test or shadow results)",
    "data-5": "privacy review of the data pipeline (access controls, retention)",
    "infra-6": "the canary procedure of your serving stack",
    "infra-7": "the rollback runbook and its last drill",
}
MAX_FILES = 5000


@dataclass
class Guesses:
    """What init found: suite keys (value, reason) and notes for the reader."""

    keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    commented: dict[str, tuple[str, str]] = field(default_factory=dict)  # left for the user
    notes: list[str] = field(default_factory=list)


def _files(root: Path) -> Iterator[Path]:
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


def _role(path: Path) -> str | None:
    name = path.stem.lower()
    for role, words in ROLE_WORDS.items():
        if any(re.search(rf"(^|[^a-z]){w}", name) for w in words):
            return role
    return None


def _columns(path: Path) -> list[str]:
    try:
        from mltestscore.suite.config import read_columns

        return read_columns(path)
    except Exception:
        return []


def _is_registry(folder: Path) -> bool:
    return (folder / "CURRENT").is_file() and any(
        re.fullmatch(r"v\d{4,}", c.name) for c in folder.iterdir() if c.is_dir()
    )


def _is_ge_suite(path: Path) -> bool:
    if path.suffix != ".json" or path.stat().st_size > 5_000_000:
        return False
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("expectations"), list)


def inspect_project(root: Path) -> Guesses:
    """Guess the suite keys for the project at ``root``."""
    guesses = Guesses()
    files = list(_files(root))
    data = [p for p in files if p.suffix.lower() in DATA_SUFFIXES]
    by_role: dict[str, Path] = {}
    for path in data:
        role = _role(path)
        if role and role not in by_role:
            by_role[role] = path
    if "train" not in by_role and data:
        largest = max(data, key=lambda p: p.stat().st_size)
        if largest not in by_role.values():
            by_role["train"] = largest
            guesses.notes.append(
                f"no file is named like training data; took the largest data file "
                f"{_rel(largest, root)} as `train`"
            )
    for role in ("train", "test", "serving"):
        if role in by_role:
            guesses.keys[role] = (
                _rel(by_role[role], root),
                f"a {by_role[role].suffix.lstrip('.')} file whose name says {role}",
            )
    _guess_model(root, files, guesses)
    train_columns = _columns(by_role["train"]) if "train" in by_role else []
    serving_columns = _columns(by_role["serving"]) if "serving" in by_role else []
    _guess_columns(train_columns, serving_columns, guesses)
    _guess_files(root, files, guesses)
    return guesses


def _guess_model(root: Path, files: Sequence[Path], guesses: Guesses) -> None:
    registries = [r for r in {p.parent for p in files if p.name == "CURRENT"} if _is_registry(r)]
    if registries:
        folder = sorted(registries, key=str)[0]
        current = (folder / "CURRENT").read_text(encoding="utf-8").strip()
        if (folder / current / "model.skops").is_file():
            _guess_trusted_types(folder / current / "model.skops", guesses)
        guesses.keys["registry"] = (
            _rel(folder, root) or ".",
            "a model registry (versions v0001... and a CURRENT pointer): its current version "
            "is the model, and rollback and the pre-serving gate can run",
        )
        return
    models = [p for p in files if p.suffix.lower() in MODEL_SUFFIXES]
    if not models:
        guesses.notes.append("no model artifact found (.skops, .onnx, .joblib, .pkl)")
        return
    order = {suffix: n for n, suffix in enumerate(MODEL_SUFFIXES)}
    best = min(models, key=lambda p: (order[p.suffix.lower()], -p.stat().st_mtime))
    guesses.keys["model"] = (_rel(best, root), f"the {best.suffix} model artifact found")
    if best.suffix.lower() == ".skops":
        _guess_trusted_types(best, guesses)
    if best.suffix.lower() in (".pkl", ".pickle", ".joblib"):
        guesses.commented["model_trusted"] = (
            "true",
            "a pickle runs code when loaded: set this only if you trust the file (better: "
            "save the model with skops)",
        )


def _guess_trusted_types(path: Path, guesses: Guesses) -> None:
    try:
        from mltestscore.artifacts import untrusted_types

        found = untrusted_types(path)
    except Exception:
        return
    if found:
        guesses.commented["model_trusted"] = (
            json.dumps(found),
            f"skops will not load {path.name} until you review these types and trust them",
        )


def _guess_columns(train: list[str], serving: list[str], guesses: Guesses) -> None:
    if not train:
        return
    lowered = {c.lower(): c for c in train}
    target = next((lowered[n] for n in TARGET_NAMES if n in lowered), None)
    if target is not None:
        guesses.keys["target"] = (target, f"a column named like a label ({target!r})")
    elif serving:
        only_train = [c for c in train if c not in set(serving)]
        if len(only_train) == 1:
            target = only_train[0]
            guesses.keys["target"] = (target, "the one training column the serving data lacks")
    if target is None:
        guesses.commented["target"] = (train[-1], "no likely label column: set the right one")
    sensitive = [c for c in train if any(w in c.lower() for w in SENSITIVE_WORDS)]
    sensitive = [c for c in sensitive if c != target and not c.lower().startswith("page")]
    if sensitive:
        guesses.keys["sensitive"] = (
            json.dumps(sensitive[:4]),
            "columns named like protected attributes: fairness is checked across their groups",
        )
    times = [c for c in train if c.lower() in TIME_WORDS or c.lower().endswith(("_time", "_at"))]
    if times:
        guesses.keys["time_column"] = (times[0], "a column named like an event time")


def _guess_files(root: Path, files: Sequence[Path], guesses: Guesses) -> None:
    suites = [p for p in files if p.suffix == ".json" and _is_ge_suite(p)]
    if suites:
        guesses.keys["schema"] = (
            _rel(suites[0], root),
            "an existing Great Expectations suite (a JSON file with `expectations`)",
        )
    elif "train" in guesses.keys:
        guesses.keys["schema"] = (
            "schemas/train.json",
            "no Great Expectations suite yet: it is inferred from `train` on the first run; "
            "review and commit it",
        )
    specs = [p for p in files if p.name in {"features.yaml", "features.yml", "feature_spec.yaml"}]
    if specs:
        guesses.keys["feature_spec"] = (_rel(specs[0], root), "a feature spec YAML")
    for path in files:
        if path.suffix != ".py" or path.name not in {"train.py", "training.py"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        match = re.search(r"^def (train\w*)\(", text, re.MULTILINE)
        if match:
            module = ".".join(path.relative_to(root).with_suffix("").parts)
            guesses.commented["train_fn"] = (
                f"{module}:{match.group(1)}",
                "a training function; it must take (frame, seed) and return a fitted model",
            )
            break


# -- writing the section --------------------------------------------------------------------


def _toml_value(key: str, value: str) -> str:
    if key in {"sensitive", "model_trusted"}:
        return value
    return json.dumps(value)


def render_section(guesses: Guesses) -> str:
    lines = [
        "[tool.mltestscore]",
        "# Written by `mltestscore init`: each key turns on the built-in checks that need it",
        "# (see docs/zero-config.md). Review every guess; `pytest --mlscore` runs them.",
    ]
    for key, (value, reason) in guesses.keys.items():
        lines.append(f"# {reason}")
        lines.append(f"{key} = {_toml_value(key, value)}")
    for key, (value, reason) in guesses.commented.items():
        lines.append(f"# {reason}")
        lines.append(f"# {key} = {_toml_value(key, value)}")
    lines.append("# Other keys: slices = [...], prediction, feature_spec, train_fn, registry,")
    lines.append("# and [tool.mltestscore.thresholds] for check parameters.")
    lines.append("")
    lines.append(
        "# Process items earn 0.5 point with an attestation: uncomment one when it is true,"
    )
    lines.append("# with a link or repository path to the evidence and the date it was done.")
    for item, what in PROCESS_ITEMS.items():
        lines.append(f"# [[tool.mltestscore.manual]]  # {item}: {what}")
        lines.append(f'# item = "{item}"')
        lines.append('# evidence = "https://..."')
        lines.append("# date = 2026-01-31")
        lines.append('# owner = "team"')
    return "\n".join(lines) + "\n"


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def _remove_main_table(text: str) -> str:
    """The document without the ``[tool.mltestscore]`` table's own lines (its sub-tables, such
    as attestations and thresholds, are kept)."""
    out: list[str] = []
    inside = False
    for line in text.splitlines(keepends=True):
        match = _HEADER.match(line)
        if match:
            inside = match.group(1) == "tool.mltestscore" and not line.lstrip().startswith("[[")
            if inside:
                continue
        if not inside:
            out.append(line)
    return "".join(out)


def write_section(pyproject: Path, section: str, force: bool) -> str:
    """Write ``section`` into ``pyproject``; return what was done. Raises ``FileExistsError``
    when the file already configures mltestscore and ``force`` is false."""
    text = pyproject.read_text(encoding="utf-8") if pyproject.is_file() else ""
    try:
        existing = tomllib.loads(text).get("tool", {}).get("mltestscore")
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{pyproject} is not valid TOML ({exc}); fix it first") from None
    action = "created" if not text else "updated"
    if existing is not None:
        main_keys = [k for k, v in existing.items() if not isinstance(v, dict | list)]
        if main_keys and not force:
            raise FileExistsError(
                f"{pyproject} already has [tool.mltestscore] ({', '.join(main_keys)}); "
                "re-run with --force to replace its keys (sub-tables such as attestations are "
                "kept)"
            )
        text = _remove_main_table(text)
        action = "replaced [tool.mltestscore] in" if main_keys else "updated"
    new_text = text.rstrip("\n") + ("\n\n" if text.strip() else "") + section
    tomllib.loads(new_text)  # never write a file that no longer parses
    write_atomic(pyproject, new_text)  # whole or not at all, never through a link
    return action


def _register_marker(root: Path, dry_run: bool) -> None:
    """Projects running ``--strict-markers`` with the plugin disabled need the marker in
    their own pytest configuration (:mod:`mltestscore.marker_registration`)."""
    from mltestscore.marker_registration import register_marker

    try:
        print(register_marker(root, dry_run))
    except ValueError as exc:
        print(f"mltestscore init: {exc}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mltestscore init",
        description="Write a first [tool.mltestscore] section for the project here.",
    )
    parser.add_argument("--root", default=".", help="the project folder (default: here)")
    parser.add_argument("--force", action="store_true", help="replace existing keys")
    parser.add_argument("--dry-run", action="store_true", help="print, write nothing")
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    if not root.is_dir():
        print(f"mltestscore init: {root} is not a directory", file=sys.stderr)
        return 2
    guesses = inspect_project(root)
    print(f"mltestscore init: looked at {root}")
    for key, (value, reason) in guesses.keys.items():
        print(f"  {key} = {value}  ({reason})")
    for key, (value, reason) in guesses.commented.items():
        print(f"  # {key} = {value}  (left commented: {reason})")
    for note in guesses.notes:
        print(f"  note: {note}")
    if not guesses.keys:
        print("  found no data or model: the section only holds comments to fill in")
    section = render_section(guesses)
    pyproject = root / "pyproject.toml"
    if args.dry_run:
        print(f"\n--dry-run: would write into {pyproject}:\n\n{section}")
        _register_marker(root, dry_run=True)
        return 0
    try:
        action = write_section(pyproject, section, args.force)
    except (FileExistsError, ValueError) as exc:
        print(f"mltestscore init: {exc}", file=sys.stderr)
        return 1
    if "schema" in guesses.keys:  # the inferred schema is written there on the first run
        (root / guesses.keys["schema"][0]).parent.mkdir(parents=True, exist_ok=True)
    print(f"{action} {pyproject}")
    _register_marker(root, dry_run=False)
    print("next: review the section, then run `pytest --mlscore`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
