"""Publishing a product to marketplaces, keeping it in sync, and taking it down.

Sellers ask (`request_publish`, `request_unpublish`); product edits follow by themselves
(`product_changed`); a worker does the talking (`sync_listing`, the "listing.sync" job). The listing row
says where things stand at every moment, so a crash or restart loses nothing.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import containment, events
from core.auth import policy
from core.db import utcnow
from core.errors import Conflict, Invalid, NotFound
from core.jobs.queue import RetryLater, enqueue, handler
from core.models import Product, User
from core.publishing import states
from core.publishing.models import Listing
from core.publishing.problems import explain
from core.services import audit, integrations
from core.services.shops import require
from core.snapshots import content_version, product_snapshot, public_url
from plugins.sdk import (
    AccessExpired,
    ConnectionLapsed,
    ListingSnapshot,
    MarketplaceAdapter,
    Problem,
    ProductSnapshot,
    RejectedError,
    RemoteListing,
    RemoteOrder,
    RemoteOrderLine,
    TransientError,
)

JOB = "listing.sync"


def listing_snapshot(listing: Listing) -> ListingSnapshot:
    return ListingSnapshot(listing.id, listing.product_id, listing.marketplace, listing.state, listing.remote_id,
                           listing.remote_url, tuple(listing.problems or ()), listing.last_error)


# --- adapters ------------------------------------------------------------------------------------------

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


def _validate(adapter: MarketplaceAdapter, name: str, snapshot: ProductSnapshot, commune_code: str) -> list[Problem]:
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


# --- what sellers ask for ------------------------------------------------------------------------------

def _move(listing: Listing, new: str, changes: list[tuple[Listing, str, str]]) -> None:
    if listing.state == new:
        return
    states.check(listing.state, new)
    changes.append((listing, listing.state, new))
    listing.state = new


def _announce(changes: list[tuple[Listing, str, str]]) -> None:
    for listing, old, new in changes:
        events.fire("listing_state_changed", listing=listing_snapshot(listing), old_state=old, new_state=new)


def _queue(db: Session, listing: Listing) -> None:
    enqueue(db, JOB, {"listing_id": listing.id}, key=f"listing:{listing.id}")


def request_publish(db: Session, actor: User, product: Product, names: list[str]) -> dict[str, list[Problem]]:
    """Queue publication to each marketplace; returns the problems found up front (those are not queued)."""
    try:
        return _request_publish(db, actor, product, names)
    except IntegrityError:
        # A concurrent request for the same product (a seller tapping twice) created one of its listings first;
        # the unique (product, marketplace) row refused ours. Once more, and the listing is found this time.
        db.rollback()
        return _request_publish(db, actor, product, names)


def _request_publish(db: Session, actor: User, product: Product, names: list[str]) -> dict[str, list[Problem]]:
    require(policy.can_edit_shop(actor, product.household))
    if product.status != "active":
        raise Conflict(_("Only products on sale can be published; set the status to “on sale” first."))
    found: dict[str, list[Problem]] = {}
    changes: list[tuple[Listing, str, str]] = []
    for name in names:
        listing = db.scalar(select(Listing).where(Listing.product_id == product.id, Listing.marketplace == name))
        snapshot = product_snapshot(product)
        try:
            adapter = adapter_for(db, product.commune_code, name)
            problems = _validate(adapter, name, snapshot, product.commune_code)
            if getattr(adapter, "per_seller", False) and not _connected(db, product.household_id, name):
                problems = [*problems, Problem("marketplace", _(
                    "Connect your %(name)s shop first (on your shop page): choso sells there through your own shop.",
                    name=display_name(type(adapter))), "not_connected")]
        except containment.PluginFailed as failure:  # only this marketplace's part stops; the others go on
            problems = [Problem("marketplace", failure.for_people, "unavailable")]
        if problems:
            found[name] = problems
            if listing is not None and listing.state in (states.QUEUED, states.REJECTED, states.FAILED):
                listing.problems = [explain(p) for p in problems]
            continue
        if listing is None:
            listing = Listing(product=product, product_id=product.id, commune_code=product.commune_code,
                              marketplace=name, state=states.QUEUED)
            db.add(listing)
            db.flush()
            changes.append((listing, "", states.QUEUED))
        elif listing.state == states.UNPUBLISHED:
            listing.generation += 1
            listing.remote_id = listing.remote_url = listing.sent_hash = None
            _move(listing, states.QUEUED, changes)
        elif listing.state in (states.REJECTED, states.FAILED):
            _move(listing, states.QUEUED, changes)
        listing.desired = "live"
        listing.attempts = 0
        listing.requested_at = utcnow()
        listing.problems, listing.last_error, listing.next_retry_at = [], None, None
        _queue(db, listing)
        audit.record(db, actor, "listing.publish", "listing", listing.id, shop=product.household,
                     details={"marketplace": name})
    db.commit()
    _announce(changes)
    return found


def _connected(db: Session, household_id: int, name: str) -> bool:
    from core.publishing import connections

    row = connections.row_of(db, household_id, name)
    return row is not None and row.state == connections.CONNECTED


def request_unpublish(db: Session, actor: User | None, listing: Listing) -> Listing:
    if actor is not None:
        require(policy.can_edit_shop(actor, listing.product.household))
        audit.record(db, actor, "listing.unpublish", "listing", listing.id, shop=listing.product.household,
                     details={"marketplace": listing.marketplace})
    listing.desired = "unpublished"
    changes: list[tuple[Listing, str, str]] = []
    if listing.remote_id is None and listing.state in (states.QUEUED, states.REJECTED, states.FAILED):
        _move(listing, states.UNPUBLISHED, changes)  # nothing is on the marketplace to take down
    else:
        _queue(db, listing)
    db.commit()
    _announce(changes)
    return listing


def retry(db: Session, listing: Listing) -> Listing:
    changes: list[tuple[Listing, str, str]] = []
    if listing.state in (states.FAILED, states.REJECTED):
        _move(listing, states.QUEUED, changes)
    listing.attempts, listing.next_retry_at = 0, None
    _queue(db, listing)
    db.commit()
    _announce(changes)
    return listing


def product_changed(db: Session, product: Product) -> None:
    """After a product edit: live listings go out of sync and get an update; archiving takes them down."""
    listings = list(db.scalars(select(Listing).where(Listing.product_id == product.id)))
    if not listings:
        return
    changes: list[tuple[Listing, str, str]] = []
    for listing in listings:
        if product.status != "active":
            if listing.desired == "live" and listing.state != states.UNPUBLISHED:
                listing.desired = "unpublished"
                if listing.remote_id is None and listing.state != states.PUBLISHING:
                    _move(listing, states.UNPUBLISHED, changes)
                else:
                    _queue(db, listing)
            continue
        if listing.desired != "live":
            continue
        if listing.state == states.LIVE and listing.sent_hash != snapshot_for(listing).version:
            _move(listing, states.OUT_OF_SYNC, changes)
            _queue(db, listing)
        elif listing.state in (states.PUBLISHING, states.QUEUED, states.OUT_OF_SYNC):
            _queue(db, listing)  # the running job may have sent the old content; check again after it
    db.commit()
    _announce(changes)


# --- what workers do -----------------------------------------------------------------------------------

def _backoff(listing: Listing, retry_after: float | None) -> float:
    base = float(current_app.config.get("PUBLISH_RETRY_BASE_SECONDS", 5))
    cap = float(current_app.config.get("PUBLISH_RETRY_CAP_SECONDS", 900))
    delay = min(cap, base * 2 ** max(0, listing.attempts - 1)) * random.uniform(0.5, 1.5)  # noqa: S311 (jitter)
    return max(delay, retry_after or 0.0)


@handler(JOB)
def sync_listing(db: Session, payload: dict[str, Any]) -> None:
    listing = db.get(Listing, payload["listing_id"])
    if listing is None:
        return
    changes: list[tuple[Listing, str, str]] = []
    try:
        _sync(db, listing, changes)
    except RetryStopped:
        pass  # the listing is marked failed with its reason; the job is over
    finally:
        db.commit()
        _announce(changes)


def _sync(db: Session, listing: Listing, changes: list[tuple[Listing, str, str]]) -> None:
    try:
        adapter = adapter_for(db, listing.commune_code, listing.marketplace)
    except (Invalid, NotFound) as exc:
        if listing.state != states.UNPUBLISHED:
            listing.last_error = str(exc.message)
            _move(listing, states.PUBLISHING, changes)
            _move(listing, states.FAILED, changes)
        return
    except containment.PluginFailed as failure:  # the plugin could not even start: try again later
        _plugin_failed(db, listing, changes, failure)
    if getattr(adapter, "per_seller", False) and not (listing.desired == "unpublished" and not listing.remote_id):
        adapter = _seller_adapter(db, listing, changes)
        if adapter is None:
            return
        if listing.state == states.PAUSED:  # connected again: the listing goes on from where it waited
            _move(listing, states.OUT_OF_SYNC if listing.remote_id else states.QUEUED, changes)
    name, commune = listing.marketplace, listing.commune_code
    plugin, shown = plugin_of(name), display_name(type(adapter))
    deadline = containment.deadline_for(getattr(adapter, "call_timeout", None))

    def contained(what: str, fn, *args, check=None):
        return lambda: containment.call(plugin, f"marketplace {name}: {what}", fn, *args, display=shown,
                                        deadline=deadline, check=check, commune_code=commune,
                                        passthrough=(RejectedError, TransientError, ConnectionLapsed))
    if listing.desired == "unpublished":
        if listing.state == states.UNPUBLISHED:
            return
        if listing.remote_id:
            _call(db, listing, changes, contained("unpublish", adapter.unpublish, listing.remote_id))
        _move(listing, states.UNPUBLISHED, changes)
        listing.problems, listing.last_error, listing.attempts = [], None, 0
        return
    snapshot = snapshot_for(listing)
    if listing.state == states.LIVE and listing.sent_hash == snapshot.version:
        return
    if listing.state in (states.REJECTED, states.FAILED, states.UNPUBLISHED):
        return  # only the seller's retry or republish moves these on
    _move(listing, states.PUBLISHING, changes)
    db.commit()  # sellers see "publishing" while we wait for the marketplace
    if _only_stock_changed(listing, snapshot, adapter):
        # a sale elsewhere: the marketplace gets the new quantity in one call, not a whole update
        try:
            _call(db, listing, changes, contained("set_stock", adapter.set_stock, listing.remote_id, snapshot.stock))
        except RejectedError:
            pass  # refused alone (the item changed there?): the whole update below settles it
        else:
            listing.sent_hash, listing.sent_stock = snapshot.version, snapshot.stock
            listing.attempts, listing.last_error, listing.next_retry_at = 0, None, None
            _move(listing, states.LIVE, changes)
            return
    problems = _call(db, listing, changes, lambda: _validate(adapter, name, snapshot, commune))
    if problems:
        listing.problems = [explain(p) for p in problems]
        _move(listing, states.REJECTED, changes)
        return
    try:
        if listing.remote_id:
            remote = _call(db, listing, changes, contained(
                "update", adapter.update, listing.remote_id, snapshot, f"{listing.publish_key}-{snapshot.version}",
                check=checked_remote))
        else:
            remote = _call(db, listing, changes, contained("publish", adapter.publish, snapshot,
                                                           listing.publish_key, check=checked_remote))
    except RejectedError as refused:
        listing.problems = [explain(p) for p in refused.problems] or [
            explain(Problem("marketplace", str(refused)))]
        listing.last_error = str(refused)
        _move(listing, states.REJECTED, changes)
        return
    listing.remote_id, listing.remote_url = remote.remote_id, remote.url
    listing.sent_hash, listing.sent_stock = snapshot.version, snapshot.stock
    listing.attempts, listing.last_error, listing.problems, listing.next_retry_at = 0, None, [], None
    listing.live_at = listing.live_at or utcnow()
    _move(listing, states.LIVE, changes)


def pause(listing: Listing, reason: str, changes: list[tuple[Listing, str, str]]) -> None:
    """The listing waits for its household to connect (or reconnect) its own shop, saying why."""
    if listing.state == states.LIVE:
        _move(listing, states.OUT_OF_SYNC, changes)
    if listing.state != states.PAUSED:
        _move(listing, states.PAUSED, changes)
    listing.last_error, listing.next_retry_at = reason[:2000], None


def _seller_adapter(db: Session, listing: Listing, changes) -> MarketplaceAdapter | None:
    """The adapter acting for the listing's household, or None with the listing paused until it connects."""
    from core.publishing import connections

    try:
        return connections.seller_adapter(db, listing.product.household, listing.marketplace)
    except ConnectionLapsed:
        pause(listing, connections.lapsed_reason(listing.marketplace), changes)
        return None
    except containment.PluginFailed as failure:
        _plugin_failed(db, listing, changes, failure)


def _only_stock_changed(listing: Listing, snapshot: ProductSnapshot, adapter: MarketplaceAdapter) -> bool:
    """Whether all that changed since the marketplace last accepted the listing is the stock, and the adapter
    can set stock alone (SDK 1.6 `set_stock`)."""
    if not listing.remote_id or listing.sent_hash is None or listing.sent_stock is None:
        return False
    if type(adapter).set_stock is MarketplaceAdapter.set_stock:
        return False
    before = replace(snapshot, stock=listing.sent_stock, version="")
    return content_version(before) == listing.sent_hash and snapshot.stock != listing.sent_stock


def _call(db: Session, listing: Listing, changes, action):
    """Run one marketplace call; transient trouble becomes a scheduled retry or, at the limit, `failed`."""
    try:
        return action()
    except RejectedError:
        raise
    except containment.PluginFailed as failure:
        _plugin_failed(db, listing, changes, failure)
    except ConnectionLapsed as lapsed:  # only the household can renew it: its listings there wait for it
        from core.publishing import connections

        row = connections.row_of(db, listing.product.household_id, listing.marketplace)
        if row is not None and row.state == connections.CONNECTED:
            connections.lapse(db, row, listing.product.household, str(lapsed))
        db.refresh(listing)
        pause(listing, connections.lapsed_reason(listing.marketplace), changes)
        raise RetryStopped() from lapsed
    except TransientError as exc:  # a rate limit, a 5xx, a timeout: said in words, the marketplace's detail kept
        if isinstance(exc, AccessExpired):  # refreshed before the next try
            from core.publishing import connections

            row = connections.row_of(db, listing.product.household_id, listing.marketplace)
            if row is not None:
                row.access_expires_at = utcnow()
        reason = _("%(name)s is busy or did not answer (%(detail)s); choso tries again by itself.",
                   name=_shown(listing.marketplace), detail=str(exc)[:200])
        return _retry_later(db, listing, changes, exc, reason, exc.retry_after)


def _shown(name: str) -> str:
    cls = marketplaces().get(name)
    return display_name(cls) if cls else name


def _plugin_failed(db: Session, listing: Listing, changes, failure: containment.PluginFailed):
    """The plugin raised, hung or answered nonsense: retried later, except an unusable answer, which the same
    call would give again, so the listing fails and the seller decides. Never returns."""
    if failure.kind == "bad_answer":
        listing.last_error = failure.for_people
        listing.attempts += 1
        _move(listing, states.PUBLISHING, changes)
        _move(listing, states.FAILED, changes)
        raise RetryStopped() from failure
    _retry_later(db, listing, changes, failure, failure.for_people, None)


def _retry_later(db: Session, listing: Listing, changes, exc: Exception, reason: str, retry_after: float | None):
    """Transient trouble: a scheduled retry or, at the limit, `failed` with the reason in words."""
    listing.attempts += 1
    listing.last_error = reason[:2000]
    limit = int(current_app.config.get("PUBLISH_MAX_ATTEMPTS", 8))
    if listing.attempts >= limit:
        _move(listing, states.PUBLISHING, changes)
        _move(listing, states.FAILED, changes)
        raise RetryStopped() from exc
    at = utcnow() + timedelta(seconds=_backoff(listing, retry_after))
    listing.next_retry_at = at
    back = states.OUT_OF_SYNC if listing.remote_id else states.QUEUED
    if listing.state == states.PUBLISHING:
        _move(listing, back, changes)
    db.commit()
    _announce(changes)
    changes.clear()
    raise RetryLater(at, listing.last_error) from exc


class RetryStopped(Exception):
    """Raised after a listing was marked failed; the job itself is finished."""


def summary(db: Session, *, commune: str | None = None, household: int | None = None) -> dict[str, dict[str, int]]:
    """Counts of listings by marketplace and state."""
    from sqlalchemy import func

    stmt = select(Listing.marketplace, Listing.state, func.count()).group_by(Listing.marketplace, Listing.state)
    if commune:
        stmt = stmt.where(Listing.commune_code == commune)
    if household:
        stmt = stmt.join(Listing.product).where(Product.household_id == household)
    out: dict[str, dict[str, int]] = {}
    for marketplace, state, n in db.execute(stmt):
        out.setdefault(marketplace, {})[state] = n
    return out
