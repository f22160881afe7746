"""The records behind each figure, so staff can check a number against the households, products or payments."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from core import labels
from core.metrics.facts import CASHLESS_METHODS, ON_MARKETPLACE, active_sellers, live_listing
from core.models import AuditLog, BankAccount, HouseholdBusiness, Product, User
from core.orders.models import Order
from core.publishing.models import Listing
from payments.bills.models import Bill
from payments.reconcile.models import Payment

LIMIT = 1000
WITH_RECORDS = {"households_total", "ecommerce_household_share", "cashless_ready_household_share",
                "active_sellers_30d", "ocop_products_total", "ocop_online_share", "bills_cashless_share_count",
                "bills_cashless_share_value", "orders_total", "gmv_vnd", "assisted_households"}


def _yes(flag: bool) -> str:
    return _("yes") if flag else _("no")


def _households(db: Session, code: str, end, only_active_sellers: bool = False):
    online = exists().where(Product.household_id == HouseholdBusiness.id, Product.status == "active", live_listing())
    ready = exists().where(BankAccount.household_id == HouseholdBusiness.id, BankAccount.verified.is_(True))
    stmt = (select(HouseholdBusiness.id, HouseholdBusiness.name, online.label("online"), ready.label("ready"))
            .where(HouseholdBusiness.commune_code == code, HouseholdBusiness.status == "active",
                   HouseholdBusiness.created_at < end).order_by(HouseholdBusiness.name_folded).limit(LIMIT))
    if only_active_sellers:
        stmt = stmt.where(HouseholdBusiness.id.in_(select(active_sellers([code], end).c.household_id)))
    rows = db.execute(stmt).all()
    return ([_("Household business"), _("Sells online"), _("Verified bank account")],
            [[r.name, _yes(r.online), _yes(r.ready)] for r in rows])


def _ocop(db: Session, code: str):
    rows = db.execute(select(Product.name, Product.ocop_stars, HouseholdBusiness.name.label("shop"), Product.id)
                      .join(HouseholdBusiness, HouseholdBusiness.id == Product.household_id)
                      .where(Product.commune_code == code, Product.status == "active", Product.ocop_stars.is_not(None))
                      .order_by(Product.ocop_stars.desc(), Product.name).limit(LIMIT)).all()
    live = {}
    for product_id, marketplace in db.execute(select(Listing.product_id, Listing.marketplace).where(
            Listing.product_id.in_([r.id for r in rows]), Listing.state.in_(ON_MARKETPLACE))):
        live.setdefault(product_id, []).append(marketplace)
    return ([_("Product"), _("OCOP stars"), _("Household business"), _("Live on")],
            [[r.name, r.ocop_stars, r.shop, ", ".join(sorted(labels.marketplace(m) for m in live.get(r.id, []))) or "–"]
             for r in rows])


def _bill_payments(db: Session, code: str, start, end):
    rows = db.execute(select(Payment.created_at, Bill.reference, Bill.payer_name, Payment.amount_vnd, Payment.method)
                      .join(Bill, Bill.id == Payment.bill_id)
                      .where(Bill.commune_code == code, Payment.created_at >= start, Payment.created_at < end)
                      .order_by(Payment.created_at).limit(LIMIT)).all()
    return ([_("Date"), _("Reference"), _("Payer"), _("Amount"), _("Without cash")],
            [[r.created_at, r.reference, r.payer_name, r.amount_vnd, _yes(r.method in CASHLESS_METHODS)]
             for r in rows])


def _orders(db: Session, code: str, start, end):
    rows = db.scalars(select(Order).where(Order.commune_code == code, Order.placed_at >= start,
                                          Order.placed_at < end).order_by(Order.placed_at).limit(LIMIT)).all()
    return ([_("Order no."), _("Date"), _("Channel"), _("Status"), _("Amount")],
            [[o.id, o.placed_at, labels.marketplace(o.channel), labels.order_state(o.state), o.total_vnd]
             for o in rows])


def _assisted(db: Session, code: str, start, end):
    """What helpers did for households under their assignments: "helper X for household Y"."""
    rows = db.execute(select(AuditLog.at, User.name, User.phone, HouseholdBusiness.name.label("shop"), AuditLog.action)
                      .join(HouseholdBusiness, HouseholdBusiness.id == AuditLog.on_behalf_of_id)
                      .outerjoin(User, User.id == AuditLog.actor_id)
                      .where(AuditLog.commune_code == code, AuditLog.assignment_id.is_not(None),
                             AuditLog.at >= start, AuditLog.at < end)
                      .order_by(AuditLog.at).limit(LIMIT)).all()
    return ([_("Date"), _("Helper"), _("Household business"), _("Action")],
            [[r.at, r.name or r.phone or "", r.shop, labels.audit_action(r.action)] for r in rows])


def records(db: Session, indicator_id: str, code: str, start, end):
    """(header, rows) behind an indicator, or None when there is no list (a plugin's indicator)."""
    if indicator_id in ("households_total", "ecommerce_household_share", "cashless_ready_household_share"):
        return _households(db, code, end)
    if indicator_id == "active_sellers_30d":
        return _households(db, code, end, only_active_sellers=True)
    if indicator_id in ("ocop_products_total", "ocop_online_share"):
        return _ocop(db, code)
    if indicator_id in ("bills_cashless_share_count", "bills_cashless_share_value"):
        return _bill_payments(db, code, start, end)
    if indicator_id in ("orders_total", "gmv_vnd"):
        return _orders(db, code, start, end)
    if indicator_id == "assisted_households":
        return _assisted(db, code, start, end)
    return None
