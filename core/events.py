"""Plugin event hooks: fired by services after their change is committed, delivered by the job queue.

`fire` never calls plugin code itself. It queues one job per plugin that listens to the hook (a plugin that
does not implement it costs nothing), with the event's frozen snapshots encoded as JSON, and returns: a slow
or broken `product_saved` never slows the seller who saved. A worker delivers each job through
`core.containment` with the plugin's deadline; a failure is recorded against that plugin as a hook error and
not retried (a hook may have half-acted; it must not act twice).
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
from datetime import date, datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from core.jobs.queue import enqueue, handler

log = logging.getLogger("choso.plugins")
JOB = "plugins.event"
# Snapshots are rebuilt only from choso's own modules: a job payload never names arbitrary code to import.
_SNAPSHOT_MODULES = ("core.", "payments.", "plugins.", "marketplace_adapters.")


def plugins():
    return current_app.extensions["choso.plugins"]


def fire(hook: str, **kwargs: Any) -> None:
    """Queue `hook` for every plugin that implements it. Call after the change is committed."""
    # Services also run in scripts without an app (the benchmark's bulk loader); there is nobody to tell.
    if not has_app_context():
        return
    listeners = [impl.plugin_name for impl in getattr(plugins().pm.hook, hook).get_hookimpls()]
    if not listeners:
        return
    from core.db import database

    payload = encode(kwargs)
    with database().sessions() as db:
        for plugin in listeners:
            enqueue(db, JOB, {"plugin": plugin, "hook": hook, "kwargs": payload})
        db.commit()


@handler(JOB)
def deliver(db: Session, payload: dict[str, Any]) -> None:
    plugins().deliver(payload["plugin"], payload["hook"], decode(payload["kwargs"]))


def encode(value: Any) -> Any:
    """JSON for the snapshots plugins receive: frozen dataclasses, tuples, datetimes and dates kept as such."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        return {"__dc__": f"{cls.__module__}:{cls.__qualname__}",
                "f": {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, datetime):
        return {"__dt__": value.isoformat()}
    if isinstance(value, date):
        return {"__d__": value.isoformat()}
    if isinstance(value, tuple):
        return {"__t__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"__m__": {str(k): encode(v) for k, v in value.items()}}
    return value


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__dc__" in value:
        module_name, _, qualname = value["__dc__"].partition(":")
        if not module_name.startswith(_SNAPSHOT_MODULES):
            raise ValueError(f"refusing to rebuild {value['__dc__']} from a job payload")
        cls: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            cls = getattr(cls, part)
        if not dataclasses.is_dataclass(cls):
            raise ValueError(f"{value['__dc__']} is not a dataclass")
        return cls(**{k: decode(v) for k, v in value["f"].items()})
    if "__dt__" in value:
        return datetime.fromisoformat(value["__dt__"])
    if "__d__" in value:
        return date.fromisoformat(value["__d__"])
    if "__t__" in value:
        return tuple(decode(v) for v in value["__t__"])
    if "__m__" in value:
        return {k: decode(v) for k, v in value["__m__"].items()}
    return {k: decode(v) for k, v in value.items()}
