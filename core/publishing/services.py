"""Publishing a product to marketplaces, keeping it in sync, and taking it down.

Sellers ask (`request_publish`, `request_unpublish`); product edits follow by themselves
(`product_changed`); a worker does the talking (`sync_listing`, the "listing.sync" job). The listing row
says where things stand at every moment, so a crash or restart loses nothing.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import containment
from core.auth import policy
from core.db import utcnow
from core.errors import Conflict, Invalid, NotFound
from core.jobs.queue import RetryLater, handler
from core.models import Product, User
from core.publishing import states
from core.publishing.adapters import (
    adapter_for,
    checked_remote,
    display_name,
    plugin_of,
    shown_name,
    snapshot_for,
    validate,
)
from core.publishing.models import Listing
from core.publishing.moves import JOB, announce, move, pause, queue
from core.publishing.problems import explain
from core.services import audit
from core.services.shops import require
from core.snapshots import content_version, product_snapshot
from plugins.sdk import (
    AccessExpired,
    ConnectionLapsed,
    MarketplaceAdapter,
    Problem,
    ProductSnapshot,
    RejectedError,
    TransientError,
)

# --- what sellers ask for ------------------------------------------------------------------------------

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
            problems = validate(adapter, name, snapshot, product.commune_code)
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
            move(listing, states.QUEUED, changes)
        elif listing.state in (states.REJECTED, states.FAILED):
            move(listing, states.QUEUED, changes)
        listing.desired = "live"
        listing.attempts = 0
        listing.requested_at = utcnow()
        listing.problems, listing.last_error, listing.next_retry_at = [], None, None
        queue(db, listing)
        audit.record(db, actor, "listing.publish", "listing", listing.id, shop=product.household,
                     details={"marketplace": name})
    db.commit()
    announce(changes)
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
        move(listing, states.UNPUBLISHED, changes)  # nothing is on the marketplace to take down
    else:
        queue(db, listing)
    db.commit()
    announce(changes)
    return listing


def retry(db: Session, listing: Listing) -> Listing:
    changes: list[tuple[Listing, str, str]] = []
    if listing.state in (states.FAILED, states.REJECTED):
        move(listing, states.QUEUED, changes)
    listing.attempts, listing.next_retry_at = 0, None
    queue(db, listing)
    db.commit()
    announce(changes)
    return listing


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
        announce(changes)


def _sync(db: Session, listing: Listing, changes: list[tuple[Listing, str, str]]) -> None:
    try:
        adapter = adapter_for(db, listing.commune_code, listing.marketplace)
    except (Invalid, NotFound) as exc:
        if listing.state != states.UNPUBLISHED:
            listing.last_error = str(exc.message)
            move(listing, states.PUBLISHING, changes)
            move(listing, states.FAILED, changes)
        return
    except containment.PluginFailed as failure:  # the plugin could not even start: try again later
        _plugin_failed(db, listing, changes, failure)
    if getattr(adapter, "per_seller", False) and not (listing.desired == "unpublished" and not listing.remote_id):
        adapter = _seller_adapter(db, listing, changes)
        if adapter is None:
            return
        if listing.state == states.PAUSED:  # connected again: the listing goes on from where it waited
            move(listing, states.OUT_OF_SYNC if listing.remote_id else states.QUEUED, changes)
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
        move(listing, states.UNPUBLISHED, changes)
        listing.problems, listing.last_error, listing.attempts = [], None, 0
        return
    snapshot = snapshot_for(listing)
    if listing.state == states.LIVE and listing.sent_hash == snapshot.version:
        return
    if listing.state in (states.REJECTED, states.FAILED, states.UNPUBLISHED):
        return  # only the seller's retry or republish moves these on
    move(listing, states.PUBLISHING, changes)
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
            move(listing, states.LIVE, changes)
            return
    problems = _call(db, listing, changes, lambda: validate(adapter, name, snapshot, commune))
    if problems:
        listing.problems = [explain(p) for p in problems]
        move(listing, states.REJECTED, changes)
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
        move(listing, states.REJECTED, changes)
        return
    listing.remote_id, listing.remote_url = remote.remote_id, remote.url
    listing.sent_hash, listing.sent_stock = snapshot.version, snapshot.stock
    listing.attempts, listing.last_error, listing.problems, listing.next_retry_at = 0, None, [], None
    listing.live_at = listing.live_at or utcnow()
    move(listing, states.LIVE, changes)


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
                   name=shown_name(listing.marketplace), detail=str(exc)[:200])
        return _retry_later(db, listing, changes, exc, reason, exc.retry_after)


def _plugin_failed(db: Session, listing: Listing, changes, failure: containment.PluginFailed):
    """The plugin raised, hung or answered nonsense: retried later, except an unusable answer, which the same
    call would give again, so the listing fails and the seller decides. Never returns."""
    if failure.kind == "bad_answer":
        listing.last_error = failure.for_people
        listing.attempts += 1
        move(listing, states.PUBLISHING, changes)
        move(listing, states.FAILED, changes)
        raise RetryStopped() from failure
    _retry_later(db, listing, changes, failure, failure.for_people, None)


def _retry_later(db: Session, listing: Listing, changes, exc: Exception, reason: str, retry_after: float | None):
    """Transient trouble: a scheduled retry or, at the limit, `failed` with the reason in words."""
    listing.attempts += 1
    listing.last_error = reason[:2000]
    limit = int(current_app.config.get("PUBLISH_MAX_ATTEMPTS", 8))
    if listing.attempts >= limit:
        move(listing, states.PUBLISHING, changes)
        move(listing, states.FAILED, changes)
        raise RetryStopped() from exc
    at = utcnow() + timedelta(seconds=_backoff(listing, retry_after))
    listing.next_retry_at = at
    back = states.OUT_OF_SYNC if listing.remote_id else states.QUEUED
    if listing.state == states.PUBLISHING:
        move(listing, back, changes)
    db.commit()
    announce(changes)
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
