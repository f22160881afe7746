"""Every call from choso into plugin code goes through here: contained, bounded in time, its answer checked,
and its failure recorded against the plugin in words staff can read.

A plugin is third-party code. Whatever it does — raise, hang, sleep, answer a dict where a `RemoteListing`
belongs — only its own part stops: the caller gets `PluginFailed`, whose `for_people` sentence is what a
seller or buyer sees ("the LotusFarm connection is temporarily unavailable; staff have been told"), and a
`plugin_failures` row tells staff and admins which plugin, what kind of failure, and the detail.

Deadlines: a call with a deadline runs in a daemon thread and is abandoned when the deadline passes (Python
cannot stop a thread; a call that never returns keeps its thread, and at most `MAX_IN_FLIGHT` such abandoned
threads exist per plugin — after that its calls fail at once rather than pile up; healthy calls are not
limited). After `BREAKER_FAILURES` timeouts in a row a plugin's calls fail at once for `BREAKER_SECONDS`, so
one hung marketplace never holds a worker that has other marketplaces' work to do.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, has_app_context
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

log = logging.getLogger("choso.plugins")
T = TypeVar("T")

KINDS = ("exception", "timeout", "bad_answer", "hook_error")
MAX_IN_FLIGHT = 4
BREAKER_FAILURES = 3
BREAKER_SECONDS = 60.0


class BadAnswer(Exception):
    """Raised by an answer check: what the plugin returned cannot be used (says why, for staff)."""


class PluginFailed(Exception):
    """A call into a plugin failed; nothing it was asked to do can be assumed done."""

    def __init__(self, plugin: str, display: str, kind: str, detail: str) -> None:
        super().__init__(f"{plugin}: {kind}: {detail}")
        self.plugin, self.display, self.kind, self.detail = plugin, display, kind, detail

    @property
    def for_people(self) -> str:
        """The sentence a seller, buyer or helper sees, in their language."""
        if self.kind == "bad_answer":
            return _("The %(name)s connection answered something choso cannot use; staff have been told.",
                     name=self.display)
        return _("The %(name)s connection is temporarily unavailable; staff have been told.", name=self.display)


@dataclass
class _Breaker:
    in_flight: int = 0  # calls abandoned at their deadline whose threads still run
    timeouts_in_a_row: int = 0
    open_until: float = 0.0


_breakers: dict[str, _Breaker] = {}
_lock = threading.Lock()


def _breaker(plugin: str) -> _Breaker:
    with _lock:
        return _breakers.setdefault(plugin, _Breaker())


def display_name(cls: Any, fallback: str) -> str:
    """How sellers and staff know a plugin's class: its `display_name` (a payment provider's `verbose_name`),
    else `fallback`. Lazy translations are read in the current language."""
    for attribute in ("display_name", "verbose_name"):
        shown = getattr(cls, attribute, None)
        if shown:
            return str(shown)
    return fallback


def reset() -> None:
    """Forget every plugin's in-flight count and breaker (tests; a process that starts afresh)."""
    with _lock:
        _breakers.clear()


def default_deadline() -> float:
    return float(current_app.config.get("PLUGIN_TIMEOUT", 20)) if has_app_context() else 20.0


def deadline_for(declared: float | None) -> float:
    """The deadline of a plugin's calls: what the plugin declares (`call_timeout`), within the operator's
    maximum (CHOSO_PLUGIN_TIMEOUT_MAX), else the operator's default (CHOSO_PLUGIN_TIMEOUT)."""
    if not declared:
        return default_deadline()
    ceiling = float(current_app.config.get("PLUGIN_TIMEOUT_MAX", 120)) if has_app_context() else 120.0
    return max(0.1, min(float(declared), ceiling))


def call(plugin: str, what: str, fn: Callable[..., T], *args: Any, display: str | None = None,
         deadline: float | None = None, check: Callable[[Any], Any] | None = None,
         passthrough: tuple[type[BaseException], ...] = (), commune_code: str | None = None,
         recorded_as: str | None = None, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)``, on behalf of ``plugin``. Exceptions in ``passthrough`` are the plugin's
    documented answers (a refusal, a transient error, a bad signature) and reach the caller as they are;
    anything else, a deadline passed, or an answer ``check`` refuses becomes `PluginFailed`, recorded (as
    ``recorded_as`` when given: an event hook's failure of any sort is a "hook_error")."""
    display = display or plugin
    try:
        result = fn(*args, **kwargs) if deadline is None else _with_deadline(plugin, what, deadline, fn, args,
                                                                              kwargs)
        return check(result) if check is not None else result
    except passthrough:
        raise
    except _Timeout as exc:
        failure = PluginFailed(plugin, display, "timeout", str(exc))
    except BadAnswer as exc:
        failure = PluginFailed(plugin, display, "bad_answer", str(exc))
    except Exception as exc:
        failure = PluginFailed(plugin, display, "exception", f"{type(exc).__name__}: {exc}")
        log.warning("plugin %s failed in %s", plugin, what, exc_info=True)
    record(plugin, recorded_as or failure.kind, what, failure.detail, commune_code)
    raise failure


class _Timeout(Exception):
    pass


def _with_deadline(plugin: str, what: str, deadline: float, fn: Callable[..., T], args, kwargs) -> T:
    # Threads are counted per plugin; timeouts in a row per plugin and call (a quick `validate` answering says
    # nothing about a `publish` whose marketplace hangs).
    threads, breaker = _breaker(plugin), _breaker(f"{plugin}\x00{what}")
    now = time.monotonic()
    with _lock:
        if breaker.open_until > now:
            raise _Timeout(f"did not answer in time {BREAKER_FAILURES} times in a row; calls paused for "
                           f"{breaker.open_until - now:.0f} s")
        # Only calls abandoned at their deadline count: any number of healthy calls may run at once (ten bank
        # notifications arriving together are all answered).
        if threads.in_flight >= MAX_IN_FLIGHT:
            raise _Timeout(f"{threads.in_flight} earlier calls passed their deadline and have not returned yet")
    box: dict[str, Any] = {}
    done = threading.Event()
    app = current_app._get_current_object() if has_app_context() else None
    locale = str(get_locale() or "") if app is not None else ""

    def run() -> None:
        try:
            if app is None:
                box["result"] = fn(*args, **kwargs)
            else:  # the plugin's own messages (Problems, errors) in the caller's language
                with app.app_context(), force_locale(locale or app.config.get("BABEL_DEFAULT_LOCALE", "vi")):
                    box["result"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            box["error"] = exc
        finally:
            with _lock:
                box["done"] = True
                if box.get("abandoned"):
                    threads.in_flight -= 1
            done.set()

    threading.Thread(target=run, name=f"plugin-{plugin}", daemon=True).start()
    if not done.wait(deadline):
        with _lock:
            if not box.get("done"):  # its thread goes on; it counts until it returns
                box["abandoned"] = True
                threads.in_flight += 1
            breaker.timeouts_in_a_row += 1
            if breaker.timeouts_in_a_row >= BREAKER_FAILURES:
                breaker.open_until = time.monotonic() + BREAKER_SECONDS
        raise _Timeout(f"did not answer within {deadline:g} s")
    with _lock:
        breaker.timeouts_in_a_row = 0
    if "error" in box:
        raise box["error"]
    return box["result"]


_pending = threading.local()


def record(plugin: str, kind: str, what: str, message: str, commune_code: str | None = None) -> None:
    """Keep one failure for the admin page and `choso plugins --check`. Held until the caller's work is over
    (`flush`): written then in a session of its own, the caller's transaction neither loses it when rolled back
    nor waits for it (on SQLite, writing now could wait on the caller's own lock)."""
    from core.db import utcnow

    log.warning("plugin %s: %s in %s: %s", plugin, kind, what, message)
    items = getattr(_pending, "items", None)
    if items is None:
        items = _pending.items = []
    items.append({"plugin": plugin[:80], "kind": kind, "what": what[:120], "message": message[:500],
                  "commune_code": commune_code, "at": utcnow()})


def flush(app: Any = None) -> int:
    """Write the failures this thread recorded; called when a request's app context ends and after each job."""
    items = getattr(_pending, "items", None)
    if not items:
        return 0
    _pending.items = []
    from core.db import database
    from core.models import PluginFailure

    try:
        with database(app).sessions() as db:
            db.add_all(PluginFailure(**item) for item in items)
            db.commit()
    except Exception:  # the record is for people; failing to write it must not fail anything else
        log.exception("could not record %d plugin failure(s)", len(items))
    return len(items)


def init_app(app: Any) -> None:
    """Registered before the database, so its teardown runs after the request's session is closed."""

    @app.teardown_appcontext
    def _flush(_exc: BaseException | None) -> None:
        flush(app)


@dataclass(frozen=True)
class FailureSummary:
    plugin: str
    kind: str
    count: int
    last_at: Any
    last_what: str
    last_message: str


def recent_failures(db: Any, *, hours: int = 24, commune_code: str | None = None) -> list[FailureSummary]:
    """Failures per plugin and kind over the last `hours`: how many, and the latest with its detail."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from core.db import utcnow
    from core.models import PluginFailure

    since = utcnow() - timedelta(hours=hours)
    where = [PluginFailure.at >= since]
    if commune_code:
        where.append(PluginFailure.commune_code == commune_code)
    groups = db.execute(select(PluginFailure.plugin, PluginFailure.kind, func.count(), func.max(PluginFailure.id))
                        .where(*where).group_by(PluginFailure.plugin, PluginFailure.kind)).all()
    latest = {row.id: row for row in db.scalars(select(PluginFailure).where(
        PluginFailure.id.in_([g[3] for g in groups])))} if groups else {}
    return sorted((FailureSummary(plugin, kind, n, latest[last].at, latest[last].what, latest[last].message)
                   for plugin, kind, n, last in groups), key=lambda s: (s.plugin, s.kind))
