"""Dependency changes (monitor-1).

A model is trained in one environment and served in another: a library upgrade, a new Python,
or a silently regenerated data file changes behaviour without any code change. At training
time ``mltestscore.environment.write_snapshot`` records the environment next to the artifact;
``check_dependency_changes`` reports every difference from the environment the check runs in
(or from a second snapshot), and ``check_dependency_automation`` reports whether the
repository is set up to hear about dependency updates at all (Dependabot / Renovate) and
pins what it installs (a lock file or ``==`` pins).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mltestscore import environment
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table

RUBRIC_IDS = ("monitor-1",)

DEPENDABOT_FILES = (".github/dependabot.yml", ".github/dependabot.yaml")
RENOVATE_FILES = (
    "renovate.json",
    "renovate.json5",
    ".github/renovate.json",
    ".github/renovate.json5",
    ".gitlab/renovate.json",
    ".gitlab/renovate.json5",
    ".renovaterc",
    ".renovaterc.json",
    ".renovaterc.json5",
)
LOCK_FILES = (
    "uv.lock",
    "poetry.lock",
    "Pipfile.lock",
    "pdm.lock",
    "pixi.lock",
    "conda-lock.yml",
    "requirements.lock",
)


@dataclass(frozen=True)
class Change:
    kind: str  # package, python, platform, implementation, data
    name: str
    before: str | None
    after: str | None
    change: str  # added, removed, major, minor, patch, downgraded, changed


def _load_snapshot(source: Any, argument: str) -> dict[str, Any]:
    if isinstance(source, Mapping):
        snapshot = dict(source)
        if "packages" not in snapshot or "created_at" not in snapshot:
            raise CheckInputError(argument, "is not an environment snapshot (no packages)")
        return snapshot
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        target = path / environment.SNAPSHOT_FILE if path.is_dir() else path
        if not target.is_file():
            raise CheckInputError(argument, f"snapshot file {str(target)!r} does not exist")
        try:
            return environment.read_snapshot(target)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError too
            raise CheckInputError(argument, f"{str(target)!r} is not a snapshot: {exc}") from exc
    raise CheckInputError(
        argument, f"expected a snapshot path, directory or dict, got {type(source).__name__}"
    )


def _version_change(before: str, after: str) -> str:
    """major / minor / patch / downgraded / changed, by PEP 440 when the versions parse."""
    from packaging.version import InvalidVersion, Version

    try:
        old, new = Version(before), Version(after)
    except InvalidVersion:
        return "changed"
    if new == old:  # "2.0" and "2.0.0" are one version
        return "same"
    if new < old:
        return "downgraded"
    old_release = (*old.release, 0, 0)
    new_release = (*new.release, 0, 0)
    if old_release[0] != new_release[0]:
        return "major"
    if old_release[1] != new_release[1]:
        return "minor"
    return "patch"


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _package_changes(
    before: Mapping[str, str], after: Mapping[str, str], ignore: set[str]
) -> list[Change]:
    old = {_normalise(k): str(v) for k, v in before.items() if _normalise(k) not in ignore}
    new = {_normalise(k): str(v) for k, v in after.items() if _normalise(k) not in ignore}
    changes = []
    for name in sorted(old.keys() | new.keys()):
        if name not in new:
            changes.append(Change("package", name, old[name], None, "removed"))
        elif name not in old:
            changes.append(Change("package", name, None, new[name], "added"))
        elif old[name] != new[name]:
            kind = _version_change(old[name], new[name])
            if kind != "same":
                changes.append(Change("package", name, old[name], new[name], kind))
    return changes


def _resolve_data_file(recorded: str, roots: Sequence[Path]) -> Path | None:
    path = Path(recorded)
    if path.is_absolute():
        return path if path.is_file() else None
    for root in roots:
        if (root / path).is_file():
            return root / path
    return None


def _data_changes(recorded: Mapping[str, str], roots: Sequence[Path]) -> list[Change]:
    changes = []
    for name, fingerprint in sorted(recorded.items()):
        path = _resolve_data_file(name, roots)
        if path is None:
            changes.append(Change("data", name, _short(fingerprint), None, "removed"))
            continue
        now = environment.file_fingerprint(path)
        if now != fingerprint:
            changes.append(Change("data", name, _short(fingerprint), _short(now), "changed"))
    return changes


def _short(fingerprint: str) -> str:
    algorithm, _, digest = fingerprint.partition(":")
    return f"{algorithm}:{digest[:12]}" if digest else fingerprint[:19]


@register_check(*RUBRIC_IDS)
def check_dependency_changes(
    snapshot: Any,
    *,
    current: Any = None,
    data_root: str | os.PathLike[str] | None = None,
    ignore_packages: Sequence[str] = (),
    ignore_platform: bool = False,
    allowed_changes: Sequence[str] = (),
    max_table_rows: int = 50,
) -> CheckResult:
    """Packages, Python, platform and data files that changed since the model was trained.

    The snapshot (``environment.json``, its directory, or the dict) is compared with the
    environment running the check, or with ``current`` (another snapshot, for example the
    serving image's). Recorded data files are fingerprinted again, relative paths resolved
    against ``data_root``, then the snapshot's directory, then the working directory. Any
    difference fails the check so that CI notifies someone; ``allowed_changes`` (e.g.
    ``["patch"]``) and ``ignore_packages`` accept known-harmless churn, and
    ``ignore_platform`` ignores the kernel/OS string, which differs between machines.
    """
    name = "check_dependency_changes"
    before = _load_snapshot(snapshot, "snapshot")
    if current is None:
        after = environment.take_snapshot()
        compared_with = "the running environment"
    else:
        after = _load_snapshot(current, "current")
        compared_with = "the current snapshot"
    ignore = {_normalise(p) for p in ignore_packages}
    changes = _package_changes(before.get("packages", {}), after.get("packages", {}), ignore)
    partial = before.get("complete") is False
    if partial:
        # a snapshot of the model's own pins (an MLflow model's requirements.txt) does not
        # say what else was installed: a package outside it is not an addition
        changes = [c for c in changes if c.change != "added"]
    for key in ("python", "implementation", "platform"):
        if key == "platform" and ignore_platform:
            continue
        old, new = before.get(key), after.get(key)
        if old is not None and new is not None and str(old) != str(new):
            kind = _version_change(str(old), str(new)) if key == "python" else "changed"
            if kind != "same":
                changes.append(Change(key, key, str(old), str(new), kind))

    roots = [Path(data_root)] if data_root is not None else []
    if isinstance(snapshot, str | os.PathLike):
        path = Path(snapshot)
        roots.append(path if path.is_dir() else path.parent)
    roots.append(Path.cwd())
    recorded = before.get("data_fingerprints", {}) or {}
    if current is None:
        changes += _data_changes(recorded, roots)
    else:
        changes += _fingerprint_changes(recorded, after.get("data_fingerprints", {}) or {})

    allowed = set(allowed_changes)
    counted = [c for c in changes if c.change not in allowed]
    by_kind = {
        kind: sum(c.kind == kind for c in counted)
        for kind in ("package", "python", "implementation", "platform", "data")
    }
    measurements = {
        "changes": len(counted),
        "allowed_changes": len(changes) - len(counted),
        "package_changes": by_kind["package"],
        "python_changed": by_kind["python"] + by_kind["implementation"] > 0,
        "platform_changed": by_kind["platform"] > 0,
        "data_file_changes": by_kind["data"],
        "packages_in_snapshot": len(before.get("packages", {})),
        "snapshot_complete": not partial,
        "data_files_in_snapshot": len(recorded),
        "snapshot_created_at": str(before.get("created_at")),
    }
    order = {"python": 0, "implementation": 1, "platform": 2, "data": 3, "package": 4}
    severity = {"major": 0, "downgraded": 1, "removed": 2, "added": 3, "minor": 4}
    ranked = sorted(
        changes, key=lambda c: (order.get(c.kind, 9), severity.get(c.change, 5), c.name)
    )
    tables = []
    if changes:
        tables.append(
            Table.build(
                f"Changes since the snapshot ({len(changes)})",
                ["kind", "name", "at training", "now", "change", "allowed"],
                [
                    [c.kind, c.name, c.before, c.after, c.change, c.change in allowed]
                    for c in ranked
                ],
                max_rows=max_table_rows,
            )
        )
    if counted:
        listed = ", ".join(_describe(c) for c in sorted(counted, key=ranked.index)[:5])
        more = f" and {len(counted) - 5} more" if len(counted) > 5 else ""
        reason = (
            f"{len(counted)} dependency changes since the model was trained "
            f"({before.get('created_at')}) compared with {compared_with}: {listed}{more}"
        )
    else:
        reason = (
            f"no dependency changes since the model was trained ({before.get('created_at')}): "
            f"{len(before.get('packages', {}))} packages and {len(recorded)} data files "
            f"match {compared_with}" + (f" ({len(changes)} allowed changes)" if changes else "")
        )
    if partial:
        reason += (
            "; the snapshot holds only the model's own pinned packages, so packages outside it "
            "are not compared"
        )
    return CheckResult.judge(
        not counted,
        name,
        RUBRIC_IDS,
        reason,
        measurements=measurements,
        thresholds={"allowed_changes": ",".join(sorted(allowed)) or None},
        parameters={
            "ignore_packages": ",".join(sorted(ignore)) or None,
            "ignore_platform": ignore_platform,
            "compared_with": compared_with,
        },
        tables=tables,
    )


def _fingerprint_changes(before: Mapping[str, str], after: Mapping[str, str]) -> list[Change]:
    changes = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        kind = "removed" if new is None else "added" if old is None else "changed"
        changes.append(
            Change("data", name, _short(old) if old else None, _short(new) if new else None, kind)
        )
    return changes


def _describe(change: Change) -> str:
    if change.change == "added":
        return f"{change.name} added ({change.after})"
    if change.change == "removed":
        return f"{change.name} removed (was {change.before})"
    if change.kind == "data":
        return f"data file {change.name} changed"
    return f"{change.name} {change.before} → {change.after} ({change.change})"


# --------------------------------------------------------------------------------------------
# Is the repository set up to hear about dependency updates, and does it pin its versions?


def _dependabot_ecosystems(path: Path) -> list[str]:
    import yaml

    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CheckInputError(str(path), f"is not valid YAML: {exc}") from exc
    updates = config.get("updates") if isinstance(config, dict) else None
    if not isinstance(updates, list):
        return []
    return [str(u.get("package-ecosystem")) for u in updates if isinstance(u, dict)]


def _requirement_pins(path: Path) -> tuple[int, int]:
    """(pinned, total) requirement lines: ``==`` / ``===`` pins or direct URLs with a hash."""
    pinned = total = 0
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-", "--")):
            continue
        total += 1
        if "==" in line or ("@" in line and "#sha256=" in raw):
            pinned += 1
    return pinned, total


def _pyproject_dependencies(path: Path) -> list[str]:
    """``[project].dependencies`` of a pyproject.toml (empty when absent or unreadable)."""
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return []
    project = data.get("project")
    dependencies = project.get("dependencies") if isinstance(project, dict) else None
    return [str(d) for d in dependencies] if isinstance(dependencies, list) else []


def _pyproject_pins(path: Path) -> tuple[int, int]:
    dependencies = _pyproject_dependencies(path)
    return sum("==" in d for d in dependencies), len(dependencies)


@register_check(*RUBRIC_IDS)
def check_dependency_automation(
    root: str | os.PathLike[str] = ".",
    *,
    require_update_bot: bool = True,
    require_pins: bool = True,
    min_pinned_share: float = 1.0,
) -> CheckResult:
    """The repository has automated dependency updates (Dependabot/Renovate) and pinned versions.

    Dependency changes only result in notification when something watches for them: a
    Dependabot or Renovate configuration opens a pull request (and so a CI run of these
    checks) for each update, and pinned versions (a lock file, or requirements files where
    at least ``min_pinned_share`` of the lines are ``==`` pins: ``requirements*.txt``,
    ``requirements/*.txt``, ``constraints*.txt``, or the ``[project]`` dependencies of
    ``pyproject.toml``) make sure nothing changes without such a pull request.
    """
    name = "check_dependency_automation"
    base = Path(root)
    if not base.is_dir():
        raise CheckInputError("root", f"{str(base)!r} is not a directory")
    found: list[list[object]] = []
    bots: list[str] = []
    for relative in DEPENDABOT_FILES:
        path = base / relative
        if path.is_file():
            ecosystems = _dependabot_ecosystems(path)
            found.append(
                ["update bot", relative, f"Dependabot: {', '.join(ecosystems) or 'no updates'}"]
            )
            if ecosystems:
                bots.append("Dependabot")
    for relative in RENOVATE_FILES:
        if (base / relative).is_file():
            found.append(["update bot", relative, "Renovate configuration"])
            bots.append("Renovate")
    package_json = base / "package.json"
    if package_json.is_file() and '"renovate"' in package_json.read_text(errors="replace"):
        found.append(["update bot", "package.json", "Renovate configuration (renovate key)"])
        bots.append("Renovate")

    pins: list[str] = []
    for relative in LOCK_FILES:
        if (base / relative).is_file():
            found.append(["pins", relative, "lock file"])
            pins.append(relative)
    requirement_files = sorted(
        {
            *base.glob("requirements*.txt"),
            *base.glob("requirements/*.txt"),
            *base.glob("constraints*.txt"),
        }
    )
    pyproject = base / "pyproject.toml"
    if pyproject.is_file() and _pyproject_dependencies(pyproject):
        requirement_files.append(pyproject)
    partial: list[str] = []
    for path in requirement_files:
        pinned, total = _requirement_pins(path) if path.suffix == ".txt" else _pyproject_pins(path)
        share = pinned / total if total else 0.0
        relative = path.relative_to(base).as_posix()
        found.append(["pins", relative, f"{pinned} of {total} requirements pinned with =="])
        if total and share >= min_pinned_share:
            pins.append(relative)
        else:
            partial.append(f"{relative} pins {pinned} of {total}")

    missing = []
    if require_update_bot and not bots:
        missing.append("no Dependabot or Renovate configuration with updates")
    if require_pins and not pins:
        missing.append(
            "no lock file and no requirements file"
            if not requirement_files
            else f"no lock file, and requirements are not pinned with == to at least "
            f"{min_pinned_share:.0%} ({', '.join(partial)})"
        )
    measurements = {
        "update_bots": ",".join(sorted(set(bots))) or None,
        "pinned_files": len(pins),
        "requirement_files": len(requirement_files),
    }
    tables = [Table.build("Dependency automation found", ["kind", "file", "detail"], found)]
    if missing:
        reason = f"dependency updates are not automated and pinned in {str(base)!r}: " + "; ".join(
            missing
        )
    else:
        reason = (
            f"{' and '.join(sorted(set(bots))) or 'no bot (not required)'} watches for updates; "
            f"pinned by {', '.join(pins) or 'nothing (not required)'}"
        )
    return CheckResult.judge(
        not missing,
        name,
        RUBRIC_IDS,
        reason,
        measurements=measurements,
        thresholds={
            "require_update_bot": require_update_bot,
            "require_pins": require_pins,
            "min_pinned_share": min_pinned_share,
        },
        parameters={"root": str(base)},
        tables=tables if found else [],
    )
