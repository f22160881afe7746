"""The facts of many communes for one month, each counted with one SQL aggregate grouped by commune.

A province of 100 communes costs the same dozen statements as one commune; nothing loops over rows in Python.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import and_, distinct, exists, func, select, text
from sqlalchemy.orm import Session

from core.models import AuditLog, BankAccount, HouseholdBusiness, Product, ProductImage
from core.orders.models import Order, OrderItem, OrderPart
from core.publishing.models import Listing
from core.publishing.states import LIVE, OUT_OF_SYNC
from payments.reconcile.models import IGNORED, MATCHED, BankTransaction, Payment
from plugins.metric import ProductRow

ON_MARKETPLACE = (LIVE, OUT_OF_SYNC)
CASHLESS_METHODS = ("vietqr", "card", "stripe")
# Parts whose money is in (marketplace parts are paid on the marketplace and arrive confirmed).
SOLD = ("paid", "confirmed", "shipped", "delivered", "refunded")

Facts = dict[str, int]


def _active_households(codes: list[str], end: datetime):
    return and_(HouseholdBusiness.commune_code.in_(codes), HouseholdBusiness.status == "active",
                HouseholdBusiness.created_at < end)


def live_listing():
    """The product (Product) is on a marketplace; the figures and the records behind them share it."""
    return exists().where(Listing.product_id == Product.id, Listing.state.in_(ON_MARKETPLACE))


def count_facts(db: Session, codes: list[str], start: datetime, end: datetime) -> dict[str, Facts]:
    facts: dict[str, Facts] = defaultdict(dict)
    if db.get_bind().dialect.name == "postgresql":
        # Counting distinct households over a province's listings sorts a million rows: give it memory
        # for this transaction only, instead of spilling to disk.
        db.execute(text("SET LOCAL work_mem = '64MB'"))

    def put(name: str, rows) -> None:
        for code, value in rows:
            facts[code][name] = int(value or 0)

    households = _active_households(codes, end)
    put("households_active", db.execute(select(HouseholdBusiness.commune_code, func.count())
                                        .where(households).group_by(HouseholdBusiness.commune_code)))
    active_products = and_(Product.commune_code.in_(codes), Product.status == "active")
    put("households_online", db.execute(
        select(Product.commune_code, func.count(distinct(Product.household_id)))
        .join(HouseholdBusiness, HouseholdBusiness.id == Product.household_id)
        .where(active_products, HouseholdBusiness.status == "active", HouseholdBusiness.created_at < end,
               Product.id.in_(select(Listing.product_id).where(Listing.commune_code.in_(codes),
                                                               Listing.state.in_(ON_MARKETPLACE))))
        .group_by(Product.commune_code)))
    put("households_cashless_ready", db.execute(
        select(HouseholdBusiness.commune_code, func.count())
        .where(households, exists().where(BankAccount.household_id == HouseholdBusiness.id,
                                          BankAccount.verified.is_(True)))
        .group_by(HouseholdBusiness.commune_code)))
    # One pass over the commune's products gives every product count, OCOP stars included.
    for code, stars, n in db.execute(select(Product.commune_code, Product.ocop_stars, func.count())
                                     .where(active_products).group_by(Product.commune_code, Product.ocop_stars)):
        row = facts[code]
        row["products_active"] = row.get("products_active", 0) + n
        if stars is not None:
            row[f"ocop_products_active.{stars}"] = n
            row["ocop_products_active"] = row.get("ocop_products_active", 0) + n
    put("products_active_with_photo", db.execute(
        select(Product.commune_code, func.count()).where(
            active_products, exists().where(ProductImage.product_id == Product.id))
        .group_by(Product.commune_code)))
    ocop = and_(active_products, Product.ocop_stars.is_not(None))
    put("ocop_products_online", db.execute(select(Product.commune_code, func.count())
                                           .where(ocop, live_listing()).group_by(Product.commune_code)))
    # Listings of products taken off sale are unpublished everywhere (docs/publishing.md): no need to join.
    for code, marketplace, n in db.execute(
            select(Listing.commune_code, Listing.marketplace, func.count())
            .where(Listing.commune_code.in_(codes), Listing.state.in_(ON_MARKETPLACE))
            .group_by(Listing.commune_code, Listing.marketplace)):
        facts[code][f"products_live.{marketplace}"] = n
    _bill_payments(db, codes, start, end, facts)
    _orders(db, codes, start, end, facts)
    _activity(db, codes, start, end, facts)
    _transfers(db, codes, start, end, facts)
    _plugin_facts(db, codes, facts)
    return {code: dict(facts.get(code, {})) for code in codes}


def _plugin_facts(db: Session, codes: list[str], facts) -> None:
    """Facts plugins add (`register_facts`): each counts a commune's active products, handed over read-only.
    The products are gathered only when a plugin asks, one query for all the communes."""
    from flask import has_app_context

    from core import containment
    from core.events import plugins

    registered = plugins().facts if has_app_context() else {}
    if not registered:
        return
    photos = (select(ProductImage.product_id, func.count().label("n")).group_by(ProductImage.product_id)
              .subquery())
    live = {}
    for product_id, marketplace in db.execute(select(Listing.product_id, Listing.marketplace).where(
            Listing.commune_code.in_(codes), Listing.state.in_(ON_MARKETPLACE))):
        live.setdefault(product_id, []).append(marketplace)
    rows: dict[str, list[ProductRow]] = defaultdict(list)
    for p in db.execute(select(Product.id, Product.commune_code, Product.household_id, Product.product_group,
                               Product.ocop_stars, Product.price_vnd, Product.stock, photos.c.n)
                        .outerjoin(photos, photos.c.product_id == Product.id)
                        .where(Product.commune_code.in_(codes), Product.status == "active")):
        rows[p.commune_code].append(ProductRow(p.id, p.household_id, p.product_group, p.ocop_stars, p.price_vnd,
                                               p.stock, int(p.n or 0), tuple(sorted(live.get(p.id, ())))))
    manager = plugins()
    for name, cls in registered.items():
        owner = manager.owners.get(("fact", name), name)
        try:
            fact = containment.call(owner, f"fact {name}: start up", cls)
        except containment.PluginFailed:
            continue
        for code in codes:
            try:
                facts[code][name] = containment.call(owner, f"fact {name}: count", fact.count,
                                                     tuple(rows.get(code, ())), deadline=5.0, check=_whole,
                                                     commune_code=code)
            except containment.PluginFailed:
                continue


def _whole(answer) -> int:
    from core.containment import BadAnswer

    if isinstance(answer, bool) or not isinstance(answer, int) or answer < 0:
        raise BadAnswer(f"count returned {answer!r}, not a whole number >= 0")
    return answer


def _bill_payments(db: Session, codes: list[str], start: datetime, end: datetime, facts) -> None:
    cashless = Payment.method.in_(CASHLESS_METHODS)
    for code, n, n_cashless, total, total_cashless in db.execute(
            select(Payment.commune_code, func.count(), func.count().filter(cashless),
                   func.coalesce(func.sum(Payment.amount_vnd), 0),
                   func.coalesce(func.sum(Payment.amount_vnd).filter(cashless), 0))
            .where(Payment.commune_code.in_(codes), Payment.created_at >= start, Payment.created_at < end)
            .group_by(Payment.commune_code)):
        facts[code].update({"bill_payments": n, "bill_payments_cashless": n_cashless,
                            "bill_payments_vnd": int(total), "bill_payments_cashless_vnd": int(total_cashless or 0)})


def _orders(db: Session, codes: list[str], start: datetime, end: datetime, facts) -> None:
    in_month = and_(Order.commune_code.in_(codes), Order.placed_at >= start, Order.placed_at < end)
    put_rows = db.execute(select(Order.commune_code, Order.channel, func.count())
                          .where(in_month, Order.state != "cancelled").group_by(Order.commune_code, Order.channel))
    for code, channel, n in put_rows:
        facts[code]["orders"] = facts[code].get("orders", 0) + n
        facts[code][f"orders.channel.{channel}"] = n
    value = func.sum((OrderItem.quantity - OrderItem.refunded_quantity) * OrderItem.unit_price_vnd)
    sold = (select(Order.commune_code, Order.channel, Product.product_group, value)
            .join(OrderItem, OrderItem.order_id == Order.id).join(OrderPart, OrderPart.id == OrderItem.part_id)
            .join(Product, Product.id == OrderItem.product_id)
            .where(in_month, OrderPart.state.in_(SOLD))
            .group_by(Order.commune_code, Order.channel, Product.product_group))
    for code, channel, group, amount in db.execute(sold):
        amount = int(amount or 0)
        row = facts[code]
        row["gmv_vnd"] = row.get("gmv_vnd", 0) + amount
        row[f"gmv_vnd.channel.{channel}"] = row.get(f"gmv_vnd.channel.{channel}", 0) + amount
        row[f"gmv_vnd.group.{group}"] = row.get(f"gmv_vnd.group.{group}", 0) + amount


def active_sellers(codes: list[str], end: datetime):
    """(household_id, code, channel) of households with a listing change or an order in the 30 days before
    `end`; a household appears once per change, so count or compare it DISTINCT."""
    since = end - timedelta(days=30)
    listed = (select(Product.household_id.label("household_id"), Listing.commune_code.label("code"),
                     Listing.marketplace.label("channel"))
              .join(Product, Product.id == Listing.product_id)
              .where(Listing.commune_code.in_(codes), Listing.updated_at >= since, Listing.updated_at < end))
    ordered = (select(OrderItem.household_id.label("household_id"), Order.commune_code.label("code"),
                      Order.channel.label("channel"))
               .join(Order, Order.id == OrderItem.order_id)
               .where(Order.commune_code.in_(codes), Order.placed_at >= since, Order.placed_at < end))
    return listed.union_all(ordered).subquery()


def _activity(db: Session, codes: list[str], start: datetime, end: datetime, facts) -> None:
    either = active_sellers(codes, end)
    for code, n in db.execute(select(either.c.code, func.count(distinct(either.c.household_id)))
                              .group_by(either.c.code)):
        facts[code]["active_sellers_30d"] = n
    for code, channel, n in db.execute(select(either.c.code, either.c.channel, func.count(distinct(
            either.c.household_id))).group_by(either.c.code, either.c.channel)):
        facts[code][f"active_sellers_30d.channel.{channel}"] = n
    for code, n in db.execute(select(AuditLog.commune_code, func.count(distinct(AuditLog.on_behalf_of_id)))
                              .where(AuditLog.commune_code.in_(codes), AuditLog.assignment_id.is_not(None),
                                     AuditLog.at >= start, AuditLog.at < end)
                              .group_by(AuditLog.commune_code)):
        facts[code]["assisted_households"] = n


def _transfers(db: Session, codes: list[str], start: datetime, end: datetime, facts) -> None:
    """Incoming transfers of the month as the banks reported them, how many matched by themselves, and why the
    others waited for a person (the reason a transfer waited is kept when staff resolve it)."""
    incoming = and_(BankTransaction.commune_code.in_(codes), BankTransaction.occurred_at >= start,
                    BankTransaction.occurred_at < end,
                    # outgoing notifications are set aside when stored, by nobody; staff set aside incoming ones
                    ~((BankTransaction.state == IGNORED) & BankTransaction.resolved_by_id.is_(None)))
    auto = (BankTransaction.state == MATCHED) & BankTransaction.resolved_by_id.is_(None)
    rows = db.execute(select(BankTransaction.commune_code, auto.label("auto"), BankTransaction.reason,
                             func.count(), func.sum(BankTransaction.amount_vnd))
                      .where(incoming).group_by(BankTransaction.commune_code, auto, BankTransaction.reason))
    for code, matched_alone, reason, n, amount in rows:
        row = facts[code]
        row["transfers_in"] = row.get("transfers_in", 0) + n
        row["transfers_in_vnd"] = row.get("transfers_in_vnd", 0) + int(amount or 0)
        if matched_alone:
            row["transfers_auto"] = row.get("transfers_auto", 0) + n
            row["transfers_auto_vnd"] = row.get("transfers_auto_vnd", 0) + int(amount or 0)
        else:
            key = f"transfers_waited.{reason or 'other'}"
            row[key] = row.get(key, 0) + n
