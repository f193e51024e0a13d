"""Plugins: installed distributions that contribute checks and evidence adapters.

A distribution declares an entry point in the ``mltestscore.plugins`` group::

    [project.entry-points."mltestscore.plugins"]
    deepchecks = "mltestscore_deepchecks.plugin:PLUGIN"

The entry point names a :class:`Plugin` (or a function returning one, or a module whose
``@register_check`` functions are its checks). Loading a plugin imports its check modules so
their checks register; :func:`plugin_checks` lists them, next to
:func:`mltestscore.checks.registry.all_checks`, which lists built-in checks only.

Why lazily and defensively: third-party tools bring dependency problems (deepchecks does not
import with numpy 2), and the core must not inherit them. Nothing here runs when the pytest
plugin starts; ``pytest --mlscore`` loads plugins at the end of the run, and the ``mltestscore
plugins`` command on demand. A plugin that fails to load becomes a one-line problem (a
scorecard warning, a line of the command's output), never an exception.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import TYPE_CHECKING, Any

from mltestscore.entry_points import installed_entry_points

if TYPE_CHECKING:
    from mltestscore.checks.registry import CheckInfo


@dataclass(frozen=True)
class Plugin:
    """What a plugin distribution contributes, named by dotted paths so loading stays cheap.

    ``check_modules``: modules to import so their ``@register_check`` functions register.
    ``adapters``: name → ``"module:function"`` of an evidence adapter (a function that turns
    a third-party result into :class:`~mltestscore.checks.result.CheckResult` objects).
    ``requirements_check``: optional ``"module:function"`` returning a list of problems with
    the environment (say, an unsupported numpy); each problem is reported like a load error,
    so a plugin that cannot work says so before a test needs it.
    """

    name: str
    description: str = ""
    check_modules: tuple[str, ...] = ()
    adapters: Mapping[str, str] = field(default_factory=dict)
    requirements_check: str | None = None


@dataclass(frozen=True)
class LoadedPlugin:
    """One discovered entry point: what it contributed, or why it could not load."""

    entry_point: str  # "name = module:attr" as declared
    name: str
    distribution: str | None
    version: str | None
    description: str = ""
    checks: tuple[CheckInfo, ...] = ()
    adapters: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


_loaded: dict[str, list[LoadedPlugin]] = {}  # "plugins" -> the loaded plugins, once
_adapters: dict[str, tuple[str, str]] = {}  # adapter name -> (plugin name, "module:function")


def discover_plugins(*, refresh: bool = False) -> list[LoadedPlugin]:
    """Load every plugin installed in the ``mltestscore.plugins`` entry-point group, once.

    Sorted by name. A plugin that fails to load is returned with its problems instead of
    raising, so one broken plugin never stops a run or hides the others.
    """
    if "plugins" in _loaded and not refresh:
        return list(_loaded["plugins"])
    _adapters.clear()
    entry_points = sorted(installed_entry_points(), key=lambda e: e.name)
    _loaded["plugins"] = [_load(entry_point) for entry_point in entry_points]
    return list(_loaded["plugins"])


def plugin_checks() -> list[CheckInfo]:
    """Every check contributed by a loaded plugin, sorted like ``all_checks()``."""
    from mltestscore.checks.registry import _rubric_order

    checks = {c.name: c for p in discover_plugins() for c in p.checks}
    return sorted(checks.values(), key=lambda c: (_rubric_order(c.rubric_ids[0]), c.name))


def plugin_warnings() -> list[str]:
    """One line per plugin problem, for the scorecard's warnings."""
    return [
        f"plugin {p.name!r} ({p.entry_point}): {problem}"
        for p in discover_plugins()
        for problem in p.problems
    ]


def get_adapter(name: str) -> Callable[..., Any]:
    """The evidence adapter a plugin registered under ``name``.

    Raises ``LookupError`` naming the adapters that exist when there is no such adapter.
    """
    discover_plugins()
    if name not in _adapters:
        known = ", ".join(sorted(_adapters)) or "none (no plugin installed declares adapters)"
        raise LookupError(f"no plugin adapter named {name!r}; installed adapters: {known}")
    plugin_name, target = _adapters[name]
    return _resolve(target, f"adapter {name!r} of plugin {plugin_name!r}")


# -- loading ------------------------------------------------------------------------------


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _load(entry_point: importlib.metadata.EntryPoint) -> LoadedPlugin:
    from mltestscore.checks.registry import get_check, registered_names

    declared = f"{entry_point.name} = {entry_point.value}"
    distribution = entry_point.dist.name if entry_point.dist is not None else None
    version = entry_point.dist.version if entry_point.dist is not None else None
    base = LoadedPlugin(declared, entry_point.name, distribution, version)
    try:
        spec = _as_plugin(entry_point.name, entry_point.load())
    except (Exception, SystemExit) as exc:  # a broken plugin never crashes the session
        return replace(base, problems=(f"could not load: {_describe(exc)}",))
    problems: list[str] = []
    for module in spec.check_modules:
        try:
            importlib.import_module(module)
        except (Exception, SystemExit) as exc:
            problems.append(f"could not import check module {module}: {_describe(exc)}")
    if spec.requirements_check:
        try:
            found = _resolve(spec.requirements_check, "requirements check")()
            problems.extend(str(p) for p in found)
        except (Exception, SystemExit) as exc:
            problems.append(f"requirements check {spec.requirements_check} raised {_describe(exc)}")
    for adapter, target in spec.adapters.items():
        if adapter in _adapters and _adapters[adapter][0] != spec.name:
            problems.append(
                f"adapter {adapter!r} is also declared by plugin {_adapters[adapter][0]}"
            )
            continue
        _adapters[adapter] = (spec.name, target)
    packages = {entry_point.module.partition(".")[0], *spec.check_modules}
    checks = tuple(
        info
        for info in (get_check(name) for name in registered_names())
        if any(info.module == p or info.module.startswith(p + ".") for p in packages)
    )
    return replace(
        base,
        name=spec.name,
        description=spec.description,
        checks=checks,
        adapters=tuple(sorted(spec.adapters)),
        problems=tuple(problems),
    )


def _as_plugin(name: str, target: object) -> Plugin:
    """Accept a Plugin, a function returning one, or a module of checks."""
    if isinstance(target, ModuleType):
        doc = (target.__doc__ or "").strip()
        return Plugin(name, doc.splitlines()[0] if doc else "", (target.__name__,))
    if not isinstance(target, Plugin) and callable(target):
        target = target()
    if not isinstance(target, Plugin):
        raise TypeError(
            f"the entry point gives a {type(target).__name__}, not a mltestscore Plugin "
            "(see mltestscore.extensions.Plugin)"
        )
    return target


def _resolve(target: str, what: str) -> Callable[..., Any]:
    module_name, _, attribute = target.partition(":")
    if not attribute:
        raise ValueError(f"{what} {target!r} must read 'module:function'")
    value: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        value = getattr(value, part)
    if not callable(value):
        raise TypeError(f"{what} {target!r} is not callable")
    return value  # type: ignore[no-any-return]
