"""The plugin manager: pluggy with project name "choso", built inside create_app and kept on the app.

Plugins come from the entry-point group "choso" (choso's own built-ins are registered there too, by the same
mechanism a third party uses). A plugin module declares the SDK range it supports in `CHOSO_SDK`; one
outside it is refused with a message, not loaded. `CHOSO_DISABLED_PLUGINS` names plugins to skip;
safe mode (`CHOSO_SAFE_MODE=1`) skips every plugin that does not ship with choso.

Whatever a plugin registers is checked before choso uses it: names lower-case and URL-safe, the right kind
of class, and no name taken twice. A plugin that fails any check — or whose registration hook raises — is
refused with the reason and everything else starts; choso's built-ins keep their names.
"""

from __future__ import annotations

import logging
import re
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
    """Kept for plugins written against SDK 1.3 and earlier; a conflict now refuses the later plugin."""


# Names that appear in URLs (webhooks, settings pages) and in settings rows: lower-case and URL-safe.
NAME = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")


def _builtin_facts() -> set[str]:
    from plugins.metric import FACTS

    return {part.strip().split(".")[0] for key in FACTS for part in key.split("/")}


class _Refuse(Exception):
    def __init__(self, plugin: str, reason: str) -> None:
        super().__init__(reason)
        self.plugin, self.reason = plugin, reason


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
    problems: list[str] = field(default_factory=list)  # what was left out, the plugin still running

    @property
    def enabled(self) -> bool:
        return self.status == "loaded"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "distribution": self.distribution, "version": self.version,
                "builtin": self.builtin, "status": self.status, "enabled": self.enabled, "reason": self.reason,
                "hooks": self.hooks, "errors": dict(self.errors), "last_error": self.last_error,
                "problems": list(self.problems)}


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
        self._collect_all()

    def _collect_all(self) -> None:
        """What every plugin registers, checked; a plugin failing a check is refused and the rest collected
        again without it, until what is left is consistent."""
        from plugins.metric import Fact, Metric
        from plugins.payment import PaymentProvider
        from plugins.sdk import MarketplaceAdapter, PaymentSource

        while True:
            self.owners = {}
            try:
                self.marketplaces = self._collect("register_marketplaces", "name", "marketplace", MarketplaceAdapter)
                self.payment_sources = self._collect("register_payment_sources", "name", "payment source",
                                                     PaymentSource)
                self.payment_providers = self._collect("register_payment_providers", "identifier",
                                                       "payment provider", PaymentProvider)
                self.fee_types = self._collect("register_fee_types", "code", "fee type", None)
                self.metrics = self._collect("register_metrics", "id", "metric", Metric)
                self.facts = self._collect("register_facts", "name", "fact", Fact)
                self.blueprints = [bp for _plugin, bps in self._results("register_blueprints") for bp in bps]
                return
            except _Refuse as refused:
                self.refuse(refused.plugin, refused.reason)

    def refuse(self, plugin: str, reason: str) -> None:
        """Take a loaded plugin out, keeping the reason for the admin page and `choso plugins`."""
        info = self.infos.setdefault(plugin, PluginInfo(plugin))
        info.status, info.reason = "refused", reason
        module = self.pm.get_plugin(plugin)
        if module is not None:
            self.pm.unregister(module)
        log.error("plugin %s refused: %s", plugin, reason)

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
            try:
                result = impl.function(**kwargs)
                items = list(result) if result else []
            except Exception as exc:
                raise _Refuse(impl.plugin_name, f"{hook} failed: {type(exc).__name__}: {exc}") from exc
            if items:
                out.append((impl.plugin_name, items))
        return out

    def _collect(self, hook: str, key: str, what: str, base: type | None) -> dict[str, Any]:
        found: dict[str, tuple[str, Any]] = {}
        for plugin, items in self._results(hook):
            for item in items:
                if base is not None and not (isinstance(item, type) and issubclass(item, base)):
                    raise _Refuse(plugin, f"{hook} returned {item!r}, not a subclass of {base.__name__}")
                name = item.get(key) if isinstance(item, dict) else getattr(item, key, None)
                if not isinstance(name, str) or not NAME.match(name):
                    raise _Refuse(plugin, f"{what} name {name!r} is not lower-case letters, digits, '-' or '_' "
                                          f"(2 to 40, starting with a letter)")
                if what == "fact" and name in _builtin_facts():
                    raise _Refuse(plugin, f"fact {name!r} is one of choso's own facts")
                if name in found and found[name][0] != plugin:
                    holder = found[name][0]
                    # choso's built-ins keep their names; between two others, the one loaded first keeps it
                    later = holder if self._builtin(plugin) and not self._builtin(holder) else plugin
                    keeper = plugin if later == holder else holder
                    raise _Refuse(later, f"{what} {name!r} is already registered by plugin {keeper!r}")
                found[name] = (plugin, item)
                self.owners[(what, name)] = plugin
        return {name: item for name, (_plugin, item) in sorted(found.items())}

    def _builtin(self, plugin: str) -> bool:
        info = self.infos.get(plugin)
        return bool(info and info.builtin)

    def commands(self) -> list[tuple[str, Any]]:
        """(plugin, click command) pairs; a plugin whose hook fails adds none."""
        found = []
        for impl in self.pm.hook.register_commands.get_hookimpls():
            try:
                found += [(impl.plugin_name, cmd) for cmd in impl.function() or []]
            except Exception as exc:
                self.problem(impl.plugin_name, f"register_commands failed: {type(exc).__name__}: {exc}")
        return found

    def problem(self, plugin: str, text: str) -> None:
        """Something of a running plugin that choso left out (a command whose name is taken, ...)."""
        self.infos.setdefault(plugin, PluginInfo(plugin)).problems.append(text)
        log.error("plugin %s: %s", plugin, text)

    def template_vars(self, template: str) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        # pluggy calls the last registered first; reverse so later plugins win on equal keys
        for impl in reversed(self.pm.hook.extra_template_vars.get_hookimpls()):
            merged.update(self._guard(impl, "extra_template_vars", template=template) or {})
        return merged

    def fire(self, hook: str, **kwargs: Any) -> None:
        """Call an event hook on every plugin now, each contained. choso's services do not call this: they
        queue events (core.events.fire) so that no plugin runs inside a person's request."""
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            self._guard(impl, hook, **kwargs)

    def deliver(self, plugin: str, hook: str, kwargs: dict[str, Any]) -> None:
        """One queued event to one plugin, with its deadline; a failure is counted as a hook error."""
        from core import containment

        impl = next((i for i in getattr(self.pm.hook, hook).get_hookimpls() if i.plugin_name == plugin), None)
        if impl is None:  # disabled or uninstalled since the event was queued
            return
        args = {k: v for k, v in kwargs.items() if k in impl.argnames}
        try:
            containment.call(plugin, f"event {hook}", impl.function, deadline=containment.default_deadline(),
                             recorded_as="hook_error", **args)
        except containment.PluginFailed as failure:
            info = self.infos.setdefault(plugin, PluginInfo(plugin))
            info.errors[hook] = info.errors.get(hook, 0) + 1
            info.last_error = f"{hook}: {failure.detail}"

    def _guard(self, impl: pluggy.HookImpl, hook: str, **kwargs: Any) -> Any:
        try:
            return impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})
        except Exception as exc:
            info = self.infos.setdefault(impl.plugin_name, PluginInfo(impl.plugin_name))
            info.errors[hook] = info.errors.get(hook, 0) + 1
            info.last_error = f"{hook}: {type(exc).__name__}: {exc}"
            log.exception("plugin %s failed in %s", impl.plugin_name, hook)
            from core import containment

            containment.record(impl.plugin_name, "hook_error", f"hook {hook}", f"{type(exc).__name__}: {exc}")
            return None

    def listing(self) -> list[PluginInfo]:
        return [self.infos[name] for name in sorted(self.infos)]
