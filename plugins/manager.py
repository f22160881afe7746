"""The plugin manager: pluggy with project name "choso", built inside create_app and kept on the app.

Plugins come from the entry-point group "choso" (choso's own built-ins are registered there too, by the same
mechanism a third party uses). A plugin module declares the SDK range it supports in `CHOSO_SDK`; one
outside it is refused with a message, not loaded. `CHOSO_DISABLED_PLUGINS` names plugins to skip;
safe mode (`CHOSO_SAFE_MODE=1`) skips every plugin that does not ship with choso.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from plugins import hookspecs
from plugins.sdk import SDK_VERSION

log = logging.getLogger("choso.plugins")
GROUP = "choso"
BUILTIN_DISTRIBUTION = "choso"


class PluginConflict(RuntimeError):
    """Two plugins claim the same name; choso refuses to start rather than pick one silently."""


@dataclass
class PluginInfo:
    name: str
    distribution: str | None = None
    version: str | None = None
    builtin: bool = False
    status: str = "loaded"  # loaded | disabled | refused
    reason: str = ""
    hooks: list[str] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    last_error: str = ""

    @property
    def enabled(self) -> bool:
        return self.status == "loaded"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "distribution": self.distribution, "version": self.version,
                "builtin": self.builtin, "status": self.status, "enabled": self.enabled, "reason": self.reason,
                "hooks": self.hooks, "errors": dict(self.errors), "last_error": self.last_error}


def sdk_problem(module: ModuleType) -> str | None:
    """Why `module` cannot run on this SDK, or None when it can."""
    declared = getattr(module, "CHOSO_SDK", None)
    if not declared:
        return f"declares no CHOSO_SDK range (this choso provides SDK {SDK_VERSION})"
    try:
        spec = SpecifierSet(declared)
    except InvalidSpecifier:
        return f"CHOSO_SDK = {declared!r} is not a version range like '>=1.0,<2'"
    if Version(SDK_VERSION) not in spec:
        return f"needs SDK {declared} but this choso provides SDK {SDK_VERSION}"
    return None


class Plugins:
    """Loaded plugins, what they registered, and safe event dispatch."""

    def __init__(self, *, disabled: Iterable[str] = (), safe_mode: bool = False, trace: bool = False,
                 extra: Iterable[tuple[str, ModuleType]] = (), use_entry_points: bool = True) -> None:
        self.pm = pluggy.PluginManager("choso")
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.owners: dict[tuple[str, str], str] = {}  # (kind, name) -> plugin that registered it
        disabled = {d.strip() for d in disabled if d.strip()}
        if use_entry_points:
            for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
                dist = ep.dist.name if ep.dist else None
                info = PluginInfo(ep.name, dist, ep.dist.version if ep.dist else None,
                                  builtin=dist == BUILTIN_DISTRIBUTION)
                if ep.name in disabled:
                    info.status, info.reason = "disabled", "CHOSO_DISABLED_PLUGINS"
                elif safe_mode and not info.builtin:
                    info.status, info.reason = "disabled", "safe mode"
                else:
                    self._load(info, lambda ep=ep: ep.load())
                self.infos[ep.name] = info
        for name, module in extra:
            info = PluginInfo(name, status="disabled", reason="CHOSO_DISABLED_PLUGINS") if name in disabled \
                else PluginInfo(name)
            if info.enabled:
                self._load(info, lambda module=module: module)
            self.infos[name] = info
        if trace:
            self.pm.trace.root.setwriter(lambda msg: log.info("hook %s", msg.rstrip()))
            self.pm.enable_tracing()
        self.marketplaces = self._collect("register_marketplaces", "name", "marketplace")
        self.payment_sources = self._collect("register_payment_sources", "name", "payment source")
        self.payment_providers = self._collect("register_payment_providers", "identifier", "payment provider")
        self.fee_types = self._collect("register_fee_types", "code", "fee type")
        self.metrics = self._collect("register_metrics", "id", "metric")
        self.blueprints = [bp for _plugin, bps in self._results("register_blueprints") for bp in bps]

    def _load(self, info: PluginInfo, load: Callable[[], ModuleType]) -> None:
        try:
            module = load()
        except Exception as exc:  # a broken plugin must not take choso down with it
            info.status, info.reason = "refused", f"import failed: {exc}"
            log.error("plugin %s refused: %s", info.name, info.reason)
            return
        problem = sdk_problem(module)
        if problem:
            info.status, info.reason = "refused", problem
            log.error("plugin %s refused: %s", info.name, problem)
            return
        self.pm.register(module, name=info.name)
        info.hooks = sorted(impl.name for impl in self.pm.get_hookcallers(module) or [])

    def _results(self, hook: str, **kwargs: Any) -> list[tuple[str, list[Any]]]:
        out = []
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            result = impl.function(**kwargs)
            if result:
                out.append((impl.plugin_name, list(result)))
        return out

    def _collect(self, hook: str, key: str, what: str) -> dict[str, Any]:
        found: dict[str, tuple[str, Any]] = {}
        for plugin, items in self._results(hook):
            for item in items:
                name = item[key] if isinstance(item, dict) else getattr(item, key)
                if name in found and found[name][0] != plugin:
                    raise PluginConflict(
                        f"{what} {name!r} is registered by two plugins: {found[name][0]!r} and {plugin!r}; "
                        f"disable one with CHOSO_DISABLED_PLUGINS")
                found[name] = (plugin, item)
                self.owners[(what, name)] = plugin
        return {name: item for name, (_plugin, item) in sorted(found.items())}

    def commands(self) -> list[Any]:
        return [cmd for _plugin, cmds in self._results("register_commands") for cmd in cmds]

    def template_vars(self, template: str) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        # pluggy calls the last registered first; reverse so later plugins win on equal keys
        for impl in reversed(self.pm.hook.extra_template_vars.get_hookimpls()):
            merged.update(self._guard(impl, "extra_template_vars", template=template) or {})
        return merged

    def fire(self, hook: str, **kwargs: Any) -> None:
        """Call an event hook on every plugin; one plugin's exception never reaches the caller."""
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            self._guard(impl, hook, **kwargs)

    def _guard(self, impl: pluggy.HookImpl, hook: str, **kwargs: Any) -> Any:
        try:
            return impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})
        except Exception as exc:
            info = self.infos.setdefault(impl.plugin_name, PluginInfo(impl.plugin_name))
            info.errors[hook] = info.errors.get(hook, 0) + 1
            info.last_error = f"{hook}: {type(exc).__name__}: {exc}"
            log.exception("plugin %s failed in %s", impl.plugin_name, hook)
            return None

    def listing(self) -> list[PluginInfo]:
        return [self.infos[name] for name in sorted(self.infos)]
