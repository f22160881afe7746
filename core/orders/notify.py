"""Telling a household about a new order: its dashboard always shows it; an e-mail goes out when SMTP is set.

The e-mail is a job, so a mail server that is down delays the notice (retried with backoff) and never the
order. CHOSO_SMTP_URL: smtp://host:25, smtp+starttls://user:password@host:587 or smtps://user:password@host:465.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core.i18n import money
from core.jobs.queue import handler
from core.mail import smtp_send
from core.models import HouseholdBusiness
from core.snapshots import public_url

NEW_ORDER_JOB = "orders.notify_household"


def household_order_url(part: Any) -> str:
    """Where the household opens this part of an order (`orders.household_order`), as a link for a message."""
    return public_url(f"/dashboard/orders/{part.id}")


def new_order_message(part: Any, household: HouseholdBusiness, recipient: str) -> EmailMessage:
    order = part.order
    message = EmailMessage()
    message["From"] = current_app.config.get("MAIL_FROM", "choso@localhost")
    message["To"] = recipient
    message["Subject"] = _("New order %(number)s for %(shop)s", number=order.id, shop=household.name)
    lines = [_("%(shop)s has a new order.", shop=household.name), ""]
    lines += [f"- {item.name} × {item.quantity}: {money(item.quantity * item.unit_price_vnd)}" for item in part.items]
    lines += ["", _("Total: %(amount)s", amount=money(part.subtotal_vnd)),
              _("Buyer: %(name)s, %(phone)s", name=order.buyer_name, phone=order.buyer_phone),
              _("Deliver to: %(address)s", address=order.address), "",
              _("Open the order: %(url)s", url=household_order_url(part))]
    message.set_content("\n".join(lines))
    return message


@handler(NEW_ORDER_JOB)
def notify_household(db: Session, payload: dict[str, Any]) -> None:
    from core.orders.models import OrderPart

    url = current_app.config.get("SMTP_URL")
    part = db.get(OrderPart, payload["part_id"])
    if not url or part is None:
        return
    household = db.get(HouseholdBusiness, part.household_id)
    recipient = household.owner.email if household and household.owner else None
    if not recipient:
        return
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "vi")):
        smtp_send(url, new_order_message(part, household, recipient))
