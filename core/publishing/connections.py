"""Each household connects its own shop on a per-seller marketplace (Shopee, TikTok Shop; SDK 1.6).

The commune switches the marketplace on with the app's credentials; a household (or its helper) then taps
"connect my shop", authorises choso on the marketplace's own page, and comes back connected (`start`, then
`finish` on the way back). The tokens are sealed per household (core.secret_box). The worker refreshes them
before they expire, tells the household (and its helpers) seven days before the authorisation lapses, by
e-mail and the `shop_connection_changed` hook (SMS or Zalo plugins); once it has lapsed, the household's
listings on that marketplace are paused with that reason, and resume when the household connects again.

Who may connect a shop is `policy.can_connect_marketplace_shop`: connecting decides whose marketplace shop
sells the household's products, so the owner is told of every connection someone else made, and one
marketplace shop can belong to one household only.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlencode

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import containment, events
from core.auth import policy
from core.db import utcnow
from core.errors import Forbidden, Invalid, NotFound
from core.jobs.queue import enqueue, handler
from core.mail import smtp_send
from core.models import HouseholdBusiness, User
from core.models.households import HelperAssignment
from core.publishing import adapters, moves, states
from core.publishing.models import Listing, ShopConnection
from core.secret_box import seal, unseal
from core.services import audit
from core.snapshots import product_snapshot, public_url
from plugins.sdk import (
    ConnectionLapsed,
    MarketplaceAdapter,
    OrderNotice,
    RejectedError,
    SellerConnection,
    TransientError,
)

log = logging.getLogger("choso.connections")

CONNECTED, LAPSED, DISCONNECTED = "connected", "lapsed", "disconnected"
SWEEP_JOB, NOTICE_JOB = "shop-connections-sweep", "shop-connections.notify"
REFRESH_AHEAD = timedelta(minutes=30)  # refresh an access token this long before it expires
WARN_AHEAD = timedelta(days=7)  # tell the household this long before its authorisation lapses
STATE_MAX_AGE = 15 * 60  # seconds a "connect my shop" round trip may take


@dataclass(frozen=True)
class ShopConnectionChange:
    """What `shop_connection_changed` hands plugins: who to tell, about which shop, and what to do."""

    household_id: int
    shop_name: str
    owner_phone: str | None
    marketplace: str
    marketplace_shop: str
    change: str  # "connected" | "expiring" | "lapsed" | "disconnected"
    lapses_at: datetime | None
    renew_url: str
    changed_by: str


def per_seller_names(db: Session, commune_code: str) -> list[str]:
    """The per-seller marketplaces the commune has switched on, whose shops households connect themselves."""
    return [name for name in adapters.marketplace_names(db, commune_code)
            if getattr(adapters.marketplaces().get(name), "per_seller", False)]


def row_of(db: Session, household_id: int, name: str) -> ShopConnection | None:
    return db.scalar(select(ShopConnection).where(ShopConnection.household_id == household_id,
                                                  ShopConnection.marketplace == name))


def _require_connect(actor: User | None, shop: HouseholdBusiness) -> None:
    if not policy.can_connect_marketplace_shop(actor, shop):
        raise Forbidden(_("You are not allowed to do this."))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="choso.shop-connection")


def _redirect_url(name: str, state: str) -> str:
    return public_url(f"/dashboard/connections/{name}/back?{urlencode({'state': state})}")


# --- connecting ------------------------------------------------------------------------------------------

def start(db: Session, actor: User, shop: HouseholdBusiness, name: str) -> str:
    """The marketplace's authorisation page for `shop`; the way back carries a signed, short-lived state
    that names the household and the person who started, so nobody else can finish it."""
    _require_connect(actor, shop)
    if name not in per_seller_names(db, shop.commune_code):
        raise Invalid(_("%(name)s is not switched on for this commune; ask the commune staff.", name=name))
    state = _serializer().dumps({"h": shop.id, "m": name, "u": actor.id, "n": secrets.token_urlsafe(8)})
    adapter = adapters.adapter_for(db, shop.commune_code, name)
    return _contained(adapter, name, shop.commune_code, "authorization_url", adapter.authorization_url,
                      _redirect_url(name, state), check=_checked_url)


def finish(db: Session, actor: User, name: str, args: dict[str, str]) -> ShopConnection:
    """Back from the marketplace: check the state, exchange the code for tokens, keep them sealed."""
    try:
        state = _serializer().loads(args.get("state", ""), max_age=STATE_MAX_AGE)
    except SignatureExpired as exc:
        raise Invalid(_("The connection took too long; start again from your shop page.")) from exc
    except BadSignature as exc:
        raise Invalid(_("This connection link is not valid; start again from your shop page.")) from exc
    shop = db.get(HouseholdBusiness, state["h"])
    if shop is None or state["m"] != name:
        raise NotFound(_("This page does not exist."))
    if state["u"] != actor.id:
        raise Forbidden(_("Only the person who started connecting this shop can finish it."))
    _require_connect(actor, shop)
    adapter = adapters.adapter_for(db, shop.commune_code, name)
    back = {k: v for k, v in args.items() if k != "state"}
    connection = _contained(adapter, name, shop.commune_code, "complete_authorization",
                            adapter.complete_authorization, back, _redirect_url(name, args["state"]),
                            check=_checked_connection)
    taken = db.scalar(select(ShopConnection).where(ShopConnection.marketplace == name,
                                                   ShopConnection.remote_shop_id == connection.shop_id,
                                                   ShopConnection.household_id != shop.id))
    if taken is not None and taken.state != DISCONNECTED:
        raise Invalid(_("This %(name)s shop is already connected to another household. Each household "
                        "connects its own shop.", name=adapters.shown_name(name)))
    if taken is not None:  # given up by a household before: the shop moves, its old row goes
        db.delete(taken)
        db.flush()
    row = row_of(db, shop.id, name) or ShopConnection(household_id=shop.id, marketplace=name,
                                                       commune_code=shop.commune_code)
    db.add(row)
    _store(row, connection)
    row.state, row.last_error, row.warned_at = CONNECTED, None, None
    row.connected_by_id, row.connected_at = actor.id, utcnow()
    audit.record(db, actor, "shop_connection.connect", "shop_connection", None, shop=shop,
                 details={"marketplace": name, "marketplace_shop": connection.shop_id,
                          "shop_name": connection.shop_name})
    resumed = resume(db, shop.id, name)
    try:
        db.commit()
    except IntegrityError as exc:  # the same marketplace shop connected for another household at this moment
        db.rollback()
        raise Invalid(_("This %(name)s shop is already connected to another household. Each household "
                        "connects its own shop.", name=adapters.shown_name(name))) from exc
    moves.announce(resumed)
    _tell(db, row, shop, "connected", actor)
    return row


def disconnect(db: Session, actor: User, shop: HouseholdBusiness, name: str) -> None:
    _require_connect(actor, shop)
    row = row_of(db, shop.id, name)
    if row is None or row.state == DISCONNECTED:
        return
    row.state, row.sealed = DISCONNECTED, seal({})
    audit.record(db, actor, "shop_connection.disconnect", "shop_connection", row.id, shop=shop,
                 details={"marketplace": name, "marketplace_shop": row.remote_shop_id})
    paused = pause(db, shop.id, name,
                   _("The household disconnected its %(name)s shop.", name=adapters.shown_name(name)))
    db.commit()
    moves.announce(paused)
    _tell(db, row, shop, "disconnected", actor)


def _store(row: ShopConnection, connection: SellerConnection) -> None:
    row.remote_shop_id, row.shop_name = connection.shop_id, connection.shop_name[:200]
    row.sealed = seal({"access_token": connection.access_token, "refresh_token": connection.refresh_token,
                       "extra": dict(connection.extra)})
    row.access_expires_at = connection.access_expires_at
    row.refresh_expires_at = connection.refresh_expires_at
    row.authorization_expires_at = connection.authorization_expires_at
    row.refreshed_at = utcnow()


def _connection(row: ShopConnection) -> SellerConnection:
    tokens = unseal(row.sealed)
    return SellerConnection(shop_id=row.remote_shop_id, access_token=tokens["access_token"],
                            refresh_token=tokens["refresh_token"], access_expires_at=row.access_expires_at,
                            refresh_expires_at=row.refresh_expires_at,
                            authorization_expires_at=row.authorization_expires_at, shop_name=row.shop_name,
                            extra=dict(tokens.get("extra") or {}))


# --- acting for a household --------------------------------------------------------------------------------

def seller_adapter(db: Session, shop: HouseholdBusiness, name: str) -> MarketplaceAdapter:
    """A fresh adapter acting for `shop` (never shared between households), its connection refreshed first
    when the access token is about to expire. Raises ConnectionLapsed when the household must connect."""
    row = row_of(db, shop.id, name)
    if row is None or row.state != CONNECTED:
        raise ConnectionLapsed("not connected")
    cls = adapters.marketplaces()[name]
    adapter = adapters.fresh_adapter(db, shop.commune_code, name, cls)
    adapter.seller = _connection(row)
    if row.access_expires_at <= utcnow() + timedelta(minutes=2):
        refresh(db, row, adapter)
        adapter.seller = _connection(row)
    return adapter


def refresh(db: Session, row: ShopConnection, adapter: MarketplaceAdapter | None = None) -> None:
    """New tokens for `row` through the marketplace; a refusal that only the seller can fix lapses it."""
    shop = db.get(HouseholdBusiness, row.household_id)
    name = row.marketplace
    if adapter is None:
        adapter = adapters.fresh_adapter(db, row.commune_code, name, adapters.marketplaces()[name])
    try:
        fresh = _contained(adapter, name, row.commune_code, "refresh_connection", adapter.refresh_connection,
                           _connection(row), check=_checked_connection, passthrough=(ConnectionLapsed,))
    except ConnectionLapsed as lapsed:
        lapse(db, row, shop, str(lapsed))
        raise
    _store(row, fresh)
    row.last_error = None
    db.commit()


def lapse(db: Session, row: ShopConnection, shop: HouseholdBusiness, detail: str) -> None:
    row.state, row.last_error = LAPSED, detail[:2000]
    paused = pause(db, shop.id, row.marketplace, lapsed_reason(row.marketplace))
    db.commit()
    moves.announce(paused)
    _tell(db, row, shop, "lapsed", None)


def lapsed_reason(name: str) -> str:
    return _("Your %(name)s shop is not connected (or its authorisation has ended); connect it on your shop page "
             "to go on selling there.", name=adapters.shown_name(name))


# --- listings waiting for a connection ---------------------------------------------------------------------

def pause(db: Session, household_id: int, name: str, reason: str) -> list:
    """Listings of the household on `name` that would need the marketplace wait, saying why. Returns the state
    changes, to announce once committed."""
    changes: list = []
    for listing in _listings(db, household_id, name):
        if listing.state in (states.QUEUED, states.OUT_OF_SYNC, states.PUBLISHING) or (
                listing.state == states.LIVE and listing.desired != "live"):
            moves.pause(listing, reason, changes)
    db.flush()
    return changes


def resume(db: Session, household_id: int, name: str) -> list:
    changes: list = []
    for listing in _listings(db, household_id, name):
        if listing.state == states.PAUSED:
            moves.move(listing, states.OUT_OF_SYNC if listing.remote_id else states.QUEUED, changes)
            listing.last_error, listing.attempts = None, 0
            moves.queue(db, listing)
    return changes


def _listings(db: Session, household_id: int, name: str) -> list[Listing]:
    from core.models import Product

    return list(db.scalars(select(Listing).join(Listing.product).where(
        Product.household_id == household_id, Listing.marketplace == name)))


# --- orders from the household's own shop ------------------------------------------------------------------

ORDER_OVERLAP = timedelta(hours=1)  # each poll looks back this far past the last one: late orders are not lost
_MARKETPLACE_ANSWERS = (TransientError, RejectedError, ConnectionLapsed)


def order_notice(adapter: MarketplaceAdapter, name: str, commune_code: str, headers, body: bytes,
                 url: str) -> OrderNotice:
    """The marketplace's order notification, verified and read by its adapter (contained, checked). A bad
    signature (PermissionError) and an unreadable body reach the caller as they are."""
    return _contained(adapter, name, commune_code, "parse_order_notice", adapter.parse_order_notice, headers,
                      body, url, check=_checked_notice,
                      passthrough=(PermissionError, ValueError, KeyError, TypeError, NotImplementedError))


def bring_orders_home(db: Session, name: str, commune_code: str, notice: OrderNotice) -> int:
    """Read each order the notice names through the shop's own connection and record it once. Returns how
    many were recorded (or found already recorded). A shop no household has connected is ignored."""
    row = db.scalar(select(ShopConnection).where(ShopConnection.marketplace == name,
                                                 ShopConnection.remote_shop_id == notice.shop_id,
                                                 ShopConnection.commune_code == commune_code))
    if row is None or row.state != CONNECTED or not notice.order_ids:
        return 0
    shop = db.get(HouseholdBusiness, row.household_id)
    adapter = seller_adapter(db, shop, name)
    recorded = 0
    for order_id in notice.order_ids:
        remote = _contained(adapter, name, commune_code, "fetch_order", adapter.fetch_order, order_id,
                            check=_checked_optional_order, passthrough=_MARKETPLACE_ANSWERS)
        if remote is not None and _record(db, adapter, commune_code, name, remote, row.household_id):
            recorded += 1
    return recorded


def poll_orders(db: Session, row: ShopConnection, now: datetime) -> int:
    """Orders of the shop since the last poll (with an overlap), for any notification that never came."""
    shop = db.get(HouseholdBusiness, row.household_id)
    since = (row.orders_seen_at or row.connected_at) - ORDER_OVERLAP
    adapter = seller_adapter(db, shop, row.marketplace)
    found = _contained(adapter, row.marketplace, row.commune_code, "fetch_orders", adapter.fetch_orders, since,
                       check=_checked_orders, passthrough=_MARKETPLACE_ANSWERS)
    recorded = sum(1 for remote in found if _record(db, adapter, row.commune_code, row.marketplace, remote,
                                                    row.household_id))
    row.orders_seen_at = now
    db.commit()
    return recorded


COMMUNE_ORDERS_LOOKBACK = timedelta(hours=6)  # per-commune marketplaces: each round looks this far back


def poll_commune_orders(db: Session) -> int:
    """Marketplaces configured per commune (Postmart, Voso) that can list orders are asked for the last hours'
    orders each round: an order whose webhook was lost comes home anyway, once."""
    from core.models.integrations import IntegrationSetting

    since = utcnow() - COMMUNE_ORDERS_LOOKBACK
    recorded = 0
    enabled = db.execute(select(IntegrationSetting.commune_code, IntegrationSetting.name).where(
        IntegrationSetting.kind == "marketplace", IntegrationSetting.enabled.is_(True))).all()
    for commune_code, name in enabled:
        cls = adapters.marketplaces().get(name)
        if cls is None or cls.per_seller or cls.fetch_orders is MarketplaceAdapter.fetch_orders:
            continue
        try:
            adapter = adapters.adapter_for(db, commune_code, name)
            found = _contained(adapter, name, commune_code, "fetch_orders", adapter.fetch_orders, since,
                               check=_checked_orders, passthrough=_MARKETPLACE_ANSWERS)
        except (Invalid, NotFound, containment.PluginFailed, *_MARKETPLACE_ANSWERS) as failure:
            log.warning("orders of %s in %s not polled: %s", name, commune_code, failure)
            continue
        recorded += sum(1 for remote in found if _record(db, adapter, commune_code, name, remote, None))
    return recorded


def cancel_for(adapter: MarketplaceAdapter, name: str, commune_code: str):
    """What `record_marketplace_order` calls to undo an oversold order on its marketplace, or None when the
    adapter cannot cancel (SDK 1.6 `cancel_order`)."""
    if type(adapter).cancel_order is MarketplaceAdapter.cancel_order:
        return None

    def cancel(order) -> bool:  # two channels sold the last units at once: this one is undone there
        try:
            _contained(adapter, name, commune_code, "cancel_order", adapter.cancel_order, order, "out_of_stock",
                       passthrough=_MARKETPLACE_ANSWERS)
        except (containment.PluginFailed, *_MARKETPLACE_ANSWERS):
            return False
        return True

    return cancel


def _record(db: Session, adapter: MarketplaceAdapter, commune_code: str, name: str, remote,
            household_id: int | None) -> bool:
    from core.orders.services import record_marketplace_order

    return record_marketplace_order(db, commune_code, name, remote, household_id=household_id,
                                    cancel=cancel_for(adapter, name, commune_code)) is not None


# --- the category a listing goes in -------------------------------------------------------------------------

CATEGORY_CACHE_SECONDS = 3600


@dataclass(frozen=True)
class CategoryChoice:
    suggested: str | None
    chosen: str | None
    options: tuple[tuple[str, str], ...]  # (id, name in words), leaves of the marketplace's tree

    def name_of(self, category_id: str | None) -> str:
        return next((name for cid, name in self.options if cid == category_id), category_id or "")


def category_choice(db: Session, listing: Listing) -> CategoryChoice | None:
    """The categories the household may choose from for `listing`, and the one the adapter suggests; None
    when the marketplace offers no choice or cannot be asked now (its failure is recorded against it)."""
    import time

    cls = adapters.marketplaces().get(listing.marketplace)
    if cls is None or cls.categories is MarketplaceAdapter.categories:
        return None
    if cls.per_seller:  # asked through the household's own shop: none to offer while it is not connected
        row = row_of(db, listing.product.household_id, listing.marketplace)
        if row is None or row.state != CONNECTED:
            return None
    key = (listing.commune_code, listing.marketplace)
    snapshot = product_snapshot(listing.product)
    cache = current_app.extensions.setdefault("choso.categories", {})
    held = cache.get(key)
    if held is None or held[0] < time.monotonic() - CATEGORY_CACHE_SECONDS:
        held = None
    if held is None or snapshot.version not in held[2]:
        # the marketplace is asked only for what this process has not kept: the page renders without a call
        try:
            adapter = seller_adapter(db, listing.product.household, listing.marketplace) if cls.per_seller else \
                adapters.adapter_for(db, listing.commune_code, listing.marketplace)
            if held is None:
                options = _contained(adapter, listing.marketplace, listing.commune_code, "categories",
                                     adapter.categories, check=_checked_options, passthrough=_MARKETPLACE_ANSWERS)
                held = cache[key] = (time.monotonic(), tuple(options), {})
            held[2][snapshot.version] = _contained(
                adapter, listing.marketplace, listing.commune_code, "suggest_category", adapter.suggest_category,
                snapshot, check=_checked_optional_id, passthrough=_MARKETPLACE_ANSWERS)
        except (ConnectionLapsed, containment.PluginFailed, *_MARKETPLACE_ANSWERS):
            return None
    suggested = held[2][snapshot.version]
    return CategoryChoice(suggested, listing.category_override, held[1])


def choose_category(db: Session, actor: User, listing: Listing, category_id: str | None) -> None:
    """The household's choice of category for one listing (None: back to the suggestion); the listing is
    updated on the marketplace."""
    if not policy.can_edit_shop(actor, listing.product.household):
        raise Forbidden(_("You are not allowed to do this."))
    choice = category_choice(db, listing)
    if category_id is not None and (choice is None or category_id not in {cid for cid, _ in choice.options}):
        raise Invalid(_("Choose one of the marketplace's categories."), {"category": [
            _("Choose one of the marketplace's categories.")]})
    listing.category_override = category_id
    audit.record(db, actor, "listing.category", "listing", listing.id, shop=listing.product.household,
                 details={"marketplace": listing.marketplace, "category": category_id})
    db.commit()
    moves.product_changed(db, listing.product)


# --- the worker's rounds -------------------------------------------------------------------------------------

def schedule_next(db: Session, *, now: bool = False) -> None:
    minutes = current_app.config.get("SHOP_CONNECTION_SWEEP_MINUTES", 10)
    enqueue(db, SWEEP_JOB, {}, key=SWEEP_JOB, run_at=utcnow() + (timedelta() if now else timedelta(minutes=minutes)))
    db.commit()


def schedule_at_start(db: Session) -> None:
    schedule_next(db, now=True)


@handler(SWEEP_JOB)
def _sweep(db: Session, payload: dict[str, Any]) -> None:
    sweep(db)
    poll_commune_orders(db)
    schedule_next(db)


def sweep(db: Session, now: datetime | None = None) -> dict[str, int]:
    """Refresh what expires soon, warn what lapses within a week, lapse what has. Returns the counts."""
    now = now or utcnow()
    done = {"refreshed": 0, "warned": 0, "lapsed": 0, "failed": 0, "orders": 0}
    rows = list(db.scalars(select(ShopConnection).where(ShopConnection.state == CONNECTED)))
    for row in rows:
        shop = db.get(HouseholdBusiness, row.household_id)
        ends = row.lapses_at()
        if ends is not None and ends <= now:
            lapse(db, row, shop, "the authorisation ended")
            done["lapsed"] += 1
            continue
        if row.access_expires_at <= now + REFRESH_AHEAD:
            try:
                refresh(db, row)
                done["refreshed"] += 1
            except ConnectionLapsed:
                done["lapsed"] += 1
                continue
            except containment.PluginFailed as failure:  # tried again at the next round
                row.last_error = failure.for_people[:2000]
                db.commit()
                done["failed"] += 1
                continue
        ends = row.lapses_at()
        if ends is not None and ends <= now + WARN_AHEAD and row.warned_at is None:
            row.warned_at = now
            db.commit()
            _tell(db, row, shop, "expiring", None)
            done["warned"] += 1
        try:
            done["orders"] += poll_orders(db, row, now)
        except (ConnectionLapsed, containment.PluginFailed, *_MARKETPLACE_ANSWERS) as failure:  # next round
            db.rollback()
            log.warning("orders of %s on %s not polled: %s", row.household_id, row.marketplace, failure)
    return done


# --- telling the household ---------------------------------------------------------------------------------

def _tell(db: Session, row: ShopConnection, shop: HouseholdBusiness, change: str, actor: User | None) -> None:
    """E-mail the owner and the helpers assigned (except whoever acted), and fire the hook for SMS or Zalo."""
    snapshot = ShopConnectionChange(
        household_id=shop.id, shop_name=shop.name, owner_phone=shop.owner.phone if shop.owner else None,
        marketplace=row.marketplace, marketplace_shop=row.shop_name or row.remote_shop_id, change=change,
        lapses_at=row.lapses_at(), renew_url=public_url(f"/dashboard/shops/{shop.id}#connections"),
        changed_by=(actor.name or actor.phone or "") if actor else "choso")
    if change == "connected" and actor is not None and actor.id == shop.owner_id:
        recipients: list[int] = []  # the owner did it: nothing to warn anyone about
    else:
        helpers = db.scalars(select(HelperAssignment.helper_id).where(
            HelperAssignment.household_id == shop.id, HelperAssignment.ended_at.is_(None)))
        recipients = [uid for uid in [shop.owner_id, *helpers] if uid and (actor is None or uid != actor.id)]
    for user_id in recipients:
        enqueue(db, NOTICE_JOB, {"user_id": user_id, "change": events.encode(snapshot)})
    db.commit()
    events.fire("shop_connection_changed", change=snapshot)


def notice_message(change: ShopConnectionChange, recipient: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config.get("MAIL_FROM", "choso@localhost")
    message["To"] = recipient
    shown = adapters.shown_name(change.marketplace)
    subjects = {
        "connected": _("A %(name)s shop was connected to %(shop)s", name=shown, shop=change.shop_name),
        "expiring": _("%(shop)s: the %(name)s connection ends soon", name=shown, shop=change.shop_name),
        "lapsed": _("%(shop)s: the %(name)s connection has ended", name=shown, shop=change.shop_name),
        "disconnected": _("%(shop)s: the %(name)s shop was disconnected", name=shown, shop=change.shop_name),
    }
    message["Subject"] = subjects[change.change]
    lines = [
        _("%(name)s shop: %(remote)s", name=shown, remote=change.marketplace_shop),
        _("By: %(who)s", who=change.changed_by),
        _("Products of %(shop)s listed on %(name)s are sold through this shop; if it is not yours, disconnect "
          "it on your shop page and call the commune office.", shop=change.shop_name, name=shown)
        if change.change == "connected" else "",
        _("It ends on %(day)s. To keep selling there, open your shop page and tap “Connect again”: %(url)s",
          day=change.lapses_at.strftime("%d/%m/%Y") if change.lapses_at else "?", url=change.renew_url)
        if change.change == "expiring" else "",
        _("Your listings there wait until you connect again: %(url)s", url=change.renew_url)
        if change.change in ("lapsed", "disconnected") else "",
    ]
    message.set_content("\n".join(line for line in lines if line))
    return message


@handler(NOTICE_JOB)
def _notify(db: Session, payload: dict[str, Any]) -> None:
    url = current_app.config.get("SMTP_URL")
    user = db.get(User, payload["user_id"])
    if not url or user is None or not user.email:
        return
    with force_locale(user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "vi")):
        smtp_send(url, notice_message(events.decode(payload["change"]), user.email))


# --- plugin calls, contained and checked -------------------------------------------------------------------

def _contained(adapter: MarketplaceAdapter, name: str, commune_code: str, what: str, fn, *args, check=None,
               passthrough: tuple = ()):
    return containment.call(adapters.plugin_of(name), f"marketplace {name}: {what}", fn, *args,
                            display=adapters.display_name(type(adapter)), commune_code=commune_code,
                            deadline=containment.deadline_for(getattr(adapter, "call_timeout", None)),
                            check=check, passthrough=passthrough)


def _checked_url(answer: Any) -> str:
    if not isinstance(answer, str) or not answer.startswith(("https://", "http://")) or len(answer) > 4000:
        raise containment.BadAnswer(f"authorization_url returned {answer!r:.80}, not an http(s) address")
    return answer


def _checked_options(answer: Any) -> list[tuple[str, str]]:
    if not isinstance(answer, list | tuple) or not all(
            isinstance(o, tuple) and len(o) == 2 and all(isinstance(v, str) and v for v in o) for o in answer):
        raise containment.BadAnswer("categories returned something other than (id, name) pairs of strings")
    return [(cid[:64], name[:300]) for cid, name in answer[:5000]]


def _checked_optional_id(answer: Any) -> str | None:
    if answer is not None and (not isinstance(answer, str) or not answer or len(answer) > 64):
        raise containment.BadAnswer(f"suggest_category returned {answer!r:.80}, not a category id")
    return answer


def _checked_notice(answer: Any) -> OrderNotice:
    if not isinstance(answer, OrderNotice) or not isinstance(answer.shop_id, str) or not answer.shop_id \
            or not all(isinstance(i, str) and i for i in answer.order_ids):
        raise containment.BadAnswer(f"parse_order_notice returned {type(answer).__name__}, not an OrderNotice")
    return answer


def _checked_optional_order(answer: Any):
    return None if answer is None else adapters.checked_order(answer)


def _checked_orders(answer: Any) -> list:
    if not isinstance(answer, list | tuple):
        raise containment.BadAnswer(f"fetch_orders returned {type(answer).__name__}, not a list of RemoteOrder")
    return [adapters.checked_order(order) for order in answer]


def _checked_connection(answer: Any) -> SellerConnection:
    if not isinstance(answer, SellerConnection):
        raise containment.BadAnswer(f"returned {type(answer).__name__}, not a SellerConnection")
    for label in ("shop_id", "access_token", "refresh_token"):
        value = getattr(answer, label)
        if not isinstance(value, str) or not value.strip() or len(value) > 2000:
            raise containment.BadAnswer(f"returned a SellerConnection whose {label} is unusable")
    for label in ("access_expires_at", "refresh_expires_at", "authorization_expires_at"):
        value = getattr(answer, label)
        if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
            raise containment.BadAnswer(f"returned a SellerConnection whose {label} is not an aware datetime")
    if answer.access_expires_at is None:
        raise containment.BadAnswer("returned a SellerConnection without access_expires_at")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in dict(answer.extra).items()):
        raise containment.BadAnswer("returned a SellerConnection whose extra is not strings")
    return replace(answer, shop_name=str(answer.shop_name or "")[:200])
