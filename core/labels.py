"""The words people read for choso's internal codes: states, actions and actors of orders, bills and payments.

Codes stay English and stable in the database and the API; every page shows them through these tables, so a
household never reads `partially_paid` or `vietqr`. A paid bill is "đã nộp" (a fee is paid in), a paid order
is "đã thanh toán": the same English word, two contexts.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext, ngettext

from payments.bills.references import grouped
from payments.receipts import method_label

ORDER_STATES = {
    "pending_payment": _l("waiting for payment"),
    "paid": lazy_pgettext("order", "paid"),
    "confirmed": _l("confirmed"),
    "shipped": _l("shipped"),
    "delivered": _l("delivered"),
    "cancelled": lazy_pgettext("order", "cancelled"),
    "refunded": _l("refunded"),
}
BILL_STATES = {
    "open": _l("to pay"),
    "partially_paid": _l("partly paid"),
    "paid": lazy_pgettext("bill", "paid"),
    "overpaid": _l("paid (more than due)"),
    "cancelled": lazy_pgettext("bill", "cancelled"),
}
PAYMENT_STATES = {
    "created": _l("started"),
    "pending": _l("waiting for the bank"),
    "requires_action": _l("waiting for the buyer"),
    "succeeded": _l("received"),
    "failed": _l("failed"),
    "cancelled": lazy_pgettext("payment", "cancelled"),
    "partially_refunded": _l("partly refunded"),
    "refunded": _l("refunded"),
}
ORDER_ACTIONS = {
    "placed": _l("order placed"),
    "payment": _l("payment"),
    "late_payment": _l("payment after cancellation"),
    "state": _l("status changed"),
    "refund": _l("refund"),
}
ACTORS = {
    "buyer": _l("buyer"),
    "timer": _l("automatically, time ran out"),
    "staff": _l("commune staff"),
    "": _l("choso"),
}
# What people did, as the audit log records it (the log keeps the codes; pages show these words).
AUDIT_ACTIONS = {
    "shop.open": _l("opened the shop"), "shop.update": _l("changed the shop's details"),
    "product.create": _l("added a product"), "product.update": _l("changed a product"),
    "products.import": _l("imported products"), "image.add": _l("added a photo"),
    "image.remove": _l("removed a photo"), "listing.publish": _l("published on a marketplace"),
    "listing.unpublish": _l("took a product off a marketplace"), "bank_account.add": _l("added a bank account"),
    "bank_account.update": _l("changed a bank account"), "bank_account.remove": _l("removed a bank account"),
    "bill.issue": _l("issued a bill"), "bills.print": _l("printed bills"), "bill.cancel": _l("cancelled a bill"),
    "bill_batch.start": _l("billed many households"), "collection_account.set": _l("set the collection account"),
    "fee_type.create": _l("added a fee"), "helper.assign": _l("assigned a helper"),
    "integration.configure": _l("changed an integration"), "metrics.target": _l("set a target"),
    "statement.import": _l("imported a bank statement"), "statement.confirm": _l("confirmed a bank statement"),
    "statement.apply": _l("applied a bank statement"), "transaction.ignore": _l("set a transfer aside"),
    "transaction.match": _l("matched a transfer by hand"),
    "transaction.rematch": _l("ran matching again for a transfer"),
    "source.poll": _l("fetched transfers from a bank service"),
    "close.sign": _l("signed a day off"), "token.create": _l("created an API token"),
    "token.revoke": _l("revoked an API token"), "session.end_others": _l("signed out other devices"),
    "user.password_change": _l("changed the password"),
    "shop_connection.connect": _l("connected a marketplace shop"),
    "listing.category": _l("chose a marketplace category"),
    "shop_connection.disconnect": _l("disconnected a marketplace shop"),
}
CHANNEL_DIRECT = _l("commune catalog")
# Why a transfer waited for a person (payments.reconcile.services reasons), on the staff queue and in figures.
WAITED_REASONS = {
    "no_reference": _l("no bill or order reference in the transfer text"),
    "unknown_reference": _l("the reference names no open bill or order of this amount"),
    "wrong_account": _l("the money went to another account, not the one the bill or order named"),
    "other": _l("other reasons"),
}

# How a bank notification reached choso, and what became of it (the delivery log).
DELIVERY_CHANNELS = {"webhook": _l("message from the service"), "poll": _l("found by asking the service"),
                     "statement": _l("bank statement"), "staff": _l("matched again by staff")}
DELIVERY_OUTCOMES = {"matched": _l("paid a bill or order"), "unmatched": _l("waits for staff"),
                     "ignored": _l("money going out: not counted"), "duplicate": _l("already received"),
                     "refused": _l("refused: not genuine"), "rematched": _l("paid when matched again")}
DELIVERY_REFUSALS = {"signature": _l("the signature or key did not match"),
                     "unreadable": _l("the message could not be read")}

# The daily close's lines (payments.reconcile.closing.table), for the page, the PDF and the spreadsheet.
CLOSE_WORDS = {
    "what": _l("What"), "account": _l("Account"), "count": _l("Transfers"), "amount": _l("Amount (đồng)"),
    "in": _l("money in, as the bank reported it"), "bills": _l("paid bills"), "orders": _l("paid orders"),
    "unmatched": _l("waits for staff"), "ignored": _l("set aside by staff"), "out": _l("money going out"),
    "cash_bills": _l("cash for bills, taken at the office"), "cash_orders": _l("cash for orders, taken at the office"),
    "receipts": _l("receipts issued"), "difference_unmatched": _l("difference: a transfer waits for staff"),
    "difference_ignored": _l("difference: a transfer set aside"),
    "difference_overpaid": _l("difference: paid more than the bill"),
    "difference_unexplained": _l("difference: money in that no line explains"),
}


def _shown(table: dict, code: str | None) -> str:
    return str(table.get(code or "", code or ""))


def order_state(code: str | None) -> str:
    return _shown(ORDER_STATES, code)


def bill_state(code: str | None) -> str:
    return _shown(BILL_STATES, code)


def payment_state(code: str | None) -> str:
    return _shown(PAYMENT_STATES, code)


def order_action(code: str | None) -> str:
    return _shown(ORDER_ACTIONS, code)


def audit_action(code: str | None) -> str:
    return _shown(AUDIT_ACTIONS, code)


def marketplace(code: str | None) -> str:
    """A marketplace (or sales channel) by the name its plugin gives it; "direct" is the commune's catalog."""
    if code == "direct":
        return str(CHANNEL_DIRECT)
    from core.services.integrations import display_of

    return display_of("marketplace", code or "")


def figure_part(key: str) -> str:
    """A figure's breakdown key in words: "channel.shopee" -> the marketplace, "group.food" -> the OCOP group,
    "4" (OCOP stars) -> "4 stars"; a key choso does not know (a plugin's) is shown as it is."""
    from core.models.products import OCOP_GROUPS

    kind, _dot, code = key.partition(".")
    if kind == "channel":
        return marketplace(code)
    if kind == "group" and code in OCOP_GROUPS:
        return str(OCOP_GROUPS[code])
    if key.isdigit():
        return ngettext("%(num)s star", "%(num)s stars", int(key))
    if key in WAITED_REASONS:
        return str(WAITED_REASONS[key])
    return key


def payment_source(code: str | None) -> str:
    """A bank-notification source by the name its plugin gives it."""
    from core.services.integrations import display_of

    return display_of("payment_source", code or "")


def actor(label: str | None) -> str:
    """Who made an order event: a role word, a payment method by its name, or the person's own label."""
    if (label or "") in ACTORS:
        return str(ACTORS[label or ""])
    return method_label(label or "")


def init_app(app: Flask) -> None:
    for fn in (order_state, bill_state, payment_state, order_action, actor, audit_action, marketplace, grouped,
               payment_source):
        app.jinja_env.filters[fn.__name__] = fn
