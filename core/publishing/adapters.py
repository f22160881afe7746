"""Finding a marketplace's adapter for a commune, and checking what plugin code answers before choso acts on it.

Every call into an adapter goes through `core.containment` (bounded in time, its failure counted against the
plugin); the `checked_*` functions turn an unusable answer into `BadAnswer`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core import containment, events
from core.errors import Invalid, NotFound
from core.publishing.models import Listing
from core.services import integrations
from core.snapshots import content_version, product_snapshot, public_url
from plugins.sdk import MarketplaceAdapter, Problem, ProductSnapshot, RemoteListing, RemoteOrder, RemoteOrderLine


def marketplaces() -> dict[str, type[MarketplaceAdapter]]:
    return events.plugins().marketplaces


def adapter_for(db: Session, commune_code: str, name: str) -> MarketplaceAdapter:
    cls = marketplaces().get(name)
    if cls is None:
        raise NotFound(_("No marketplace called %(name)s is installed.", name=name))
    settings = integrations.settings_for(db, commune_code, "marketplace", name)
    if settings is None:
        raise Invalid(_("%(name)s is not switched on for this commune; ask the commune staff.",
                        name=cls.display_name))
    cache = current_app.extensions.setdefault("choso.adapters", {})
    key = (commune_code, name, tuple(sorted((k, str(v)) for k, v in settings.items())))
    if key not in cache:
        cache[key] = _started(cls, name, settings, commune_code)
    return cache[key]


def fresh_adapter(db: Session, commune_code: str, name: str, cls: type[MarketplaceAdapter]) -> MarketplaceAdapter:
    """A new adapter, never shared: per-seller adapters carry one household's connection (SDK 1.6)."""
    settings = integrations.settings_for(db, commune_code, "marketplace", name)
    if settings is None:
        raise Invalid(_("%(name)s is not switched on for this commune; ask the commune staff.",
                        name=cls.display_name))
    return _started(cls, name, settings, commune_code)


def _started(cls: type[MarketplaceAdapter], name: str, settings: dict, commune_code: str) -> MarketplaceAdapter:
    adapter = containment.call(plugin_of(name), f"marketplace {name}: start", cls, settings,
                               display=display_name(cls), commune_code=commune_code)
    if isinstance(adapter, MarketplaceAdapter):
        adapter.image_reader = read_image
    return adapter


def read_image(image) -> bytes:
    """A product photo's bytes from choso's own storage (SDK 1.6 `image_bytes`): marketplaces that take
    uploads get the file without choso fetching itself over the network."""
    from core.storage import storage

    prefix = public_url("/uploads/")
    if not image.url.startswith(prefix):
        raise ValueError("not one of choso's photos")
    return storage().local_path(image.url[len(prefix):]).read_bytes()


def plugin_of(name: str) -> str:
    """The plugin that registered marketplace `name` (failures are counted against it)."""
    return events.plugins().owners.get(("marketplace", name), name)


def display_name(cls: type[MarketplaceAdapter]) -> str:
    return containment.display_name(cls, str(getattr(cls, "name", "?")))


# --- what plugins answer, checked before choso acts on it ----------------------------------------------

def checked_problems(answer: Any) -> list[Problem]:
    if not isinstance(answer, list | tuple) or not all(
            isinstance(p, Problem) and isinstance(p.field, str) and isinstance(p.message, str) and p.message
            for p in answer):
        raise containment.BadAnswer(f"validate returned {_shape(answer)}, not a list of Problem")
    return list(answer)


def checked_remote(answer: Any) -> RemoteListing:
    if not isinstance(answer, RemoteListing):
        raise containment.BadAnswer(f"returned {_shape(answer)}, not a RemoteListing")
    if not isinstance(answer.remote_id, str) or not answer.remote_id.strip() or len(answer.remote_id) > 200:
        raise containment.BadAnswer(f"returned a RemoteListing whose remote_id is {answer.remote_id!r}")
    url = answer.url
    if not isinstance(url, str) or len(url) > 2000 or url and not url.startswith(("https://", "http://")):
        raise containment.BadAnswer(f"returned a RemoteListing whose url is {url!r}, not an http(s) address")
    return answer


def checked_order(answer: Any) -> RemoteOrder:
    if not isinstance(answer, RemoteOrder):
        raise containment.BadAnswer(f"returned {_shape(answer)} for an order, not a RemoteOrder")
    if not isinstance(answer.remote_id, str) or not answer.remote_id.strip():
        raise containment.BadAnswer(f"returned a RemoteOrder whose remote_id is {answer.remote_id!r}")
    if not isinstance(answer.placed_at, datetime) or answer.placed_at.tzinfo is None:
        raise containment.BadAnswer(f"returned placed_at {answer.placed_at!r}, not an aware datetime")
    for line in answer.lines:
        if not isinstance(line, RemoteOrderLine) or isinstance(line.quantity, bool) \
                or not isinstance(line.quantity, int) or line.quantity < 1 \
                or not isinstance(line.unit_price_vnd, int) or line.unit_price_vnd < 0:
            raise containment.BadAnswer(f"returned an order line {line!r} that is not a positive quantity at "
                                        f"a whole price in đồng")
    return answer


def parse_order(adapter: MarketplaceAdapter, name: str, commune_code: str, headers, body: bytes) -> RemoteOrder:
    """A marketplace's order notification, read by its adapter: contained, bounded, its answer checked. A bad
    signature (PermissionError), an unreadable body (ValueError, KeyError, TypeError) and a marketplace that
    sends none (NotImplementedError) are the adapter's own answers and reach the caller as they are."""
    return containment.call(plugin_of(name), f"marketplace {name}: parse_order_webhook", adapter.parse_order_webhook,
                            headers, body, display=display_name(type(adapter)), commune_code=commune_code,
                            deadline=containment.deadline_for(getattr(adapter, "call_timeout", None)),
                            check=checked_order,
                            passthrough=(PermissionError, ValueError, KeyError, TypeError, NotImplementedError))


def _shape(answer: Any) -> str:
    text = repr(answer)
    return f"{type(answer).__name__} {text[:80]}{'…' if len(text) > 80 else ''}"


def validate(adapter: MarketplaceAdapter, name: str, snapshot: ProductSnapshot, commune_code: str) -> list[Problem]:
    """The adapter's own check of a product before anything is sent: contained, bounded, its answer checked."""
    # validate is meant to be a local check: a short deadline, so a seller never waits on it for long
    deadline = min(5.0, containment.deadline_for(getattr(adapter, "call_timeout", None)))
    return containment.call(plugin_of(name), f"marketplace {name}: validate", adapter.validate, snapshot,
                            display=display_name(type(adapter)), deadline=deadline, check=checked_problems,
                            commune_code=commune_code)


def marketplace_names(db: Session, commune_code: str, asked: list[str] | None = None) -> list[str]:
    """The marketplaces asked for, or every marketplace the commune has switched on."""
    return list(asked) if asked else sorted(integrations.enabled_names(db, commune_code, "marketplace"))


def snapshot_for(listing: Listing) -> ProductSnapshot:
    snap = product_snapshot(listing.product)
    if listing.price_override_vnd is None and not listing.title_override and not listing.category_override:
        return snap
    snap = replace(snap, price_vnd=listing.price_override_vnd or snap.price_vnd,
                   name=listing.title_override or snap.name, category=listing.category_override, version="")
    return replace(snap, version=content_version(snap))


def shown_name(name: str) -> str:
    """A marketplace's name as people read it (its plugin's display name), or its code when not installed."""
    cls = marketplaces().get(name)
    return display_name(cls) if cls else name
