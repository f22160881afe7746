"""A household's bank accounts: the accounts its VietQR codes, posters and orders pay into.

The rule that guards buyers' money: an account pays only once commune staff verified it, and any change of
bank, number or holder drops that verification unless staff of the commune make the change themselves and
verify it in the same act (`policy.can_verify_bank_account`). The owner is told of every change, by e-mail
and through the `bank_account_changed` hook (SMS or Zalo plugins), and the audit log keeps before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core import events
from core.auth import policy
from core.db import flush_or_conflict
from core.errors import Forbidden
from core.jobs.queue import enqueue, handler
from core.mail import smtp_send
from core.models import BankAccount, HouseholdBusiness, User
from core.services import audit
from core.text import fold

FIELDS = ("bank_bin", "account_number", "account_name")
NOTICE_JOB = "bank_accounts.notify_owner"


@dataclass(frozen=True)
class BankAccountChange:
    """What `bank_account_changed` hands plugins: enough to tell the owner, never enough to pay with."""

    account_id: int
    household_id: int
    shop_name: str
    owner_phone: str | None
    change: str  # "added" | "changed" | "verified" | "unverified" | "removed"
    bank_bin: str
    account_last_digits: str
    verified: bool
    changed_by: str


def _require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden(_("You are not allowed to do this."))


def _view(account: BankAccount) -> dict[str, Any]:
    return {k: getattr(account, k) for k in (*FIELDS, "verified")}


def _normal(key: str, value: str) -> str:
    return fold(value).upper() if key == "account_name" else value


def add(db: Session, actor: User, shop: HouseholdBusiness, data: dict[str, Any]) -> BankAccount:
    _require(policy.can_edit_shop(actor, shop))
    account = BankAccount(household_id=shop.id, **{k: _normal(k, data[k]) for k in FIELDS})
    db.add(account)
    flush_or_conflict(db, "account_number", _("This account is already registered for the shop."))
    audit.record(db, actor, "bank_account.add", "bank_account", account.id, shop=shop,
                 details={"after": _view(account)})
    return _commit_and_tell(db, actor, shop, account, "added")


def update(db: Session, actor: User, account: BankAccount, data: dict[str, Any]) -> BankAccount:
    """Change an account. Only staff of the commune verify; a change by anyone else leaves it unverified."""
    shop = account.household
    staff = policy.can_verify_bank_account(actor, shop)
    changes = {k: _normal(k, data[k]) for k in FIELDS if k in data and _normal(k, data[k]) != getattr(account, k)}
    asked = data.get("verified")
    if asked is not None and asked != account.verified:
        _require(staff)
    if changes:
        _require(policy.can_edit_shop(actor, shop) or staff)
    before = _view(account)
    for key, value in changes.items():
        setattr(account, key, value)
    if changes:
        # A new number is a new account: only staff changing it themselves, and saying so, keep it verified.
        account.verified = bool(staff and asked)
    elif asked is not None:
        account.verified = asked
    after = _view(account)
    if after == before:
        return account
    flush_or_conflict(db, "account_number", _("This account is already registered for the shop."))
    audit.record(db, actor, "bank_account.update", "bank_account", account.id, shop=shop,
                 details={"before": before, "after": after})
    kind = "changed" if changes else ("verified" if account.verified else "unverified")
    return _commit_and_tell(db, actor, shop, account, kind)


def remove(db: Session, actor: User, account: BankAccount) -> None:
    shop = account.household
    _require(policy.can_edit_shop(actor, shop))
    audit.record(db, actor, "bank_account.remove", "bank_account", account.id, shop=shop,
                 details={"before": _view(account)})
    change = _snapshot(actor, shop, account, "removed")
    db.delete(account)
    _queue_notice(db, change)
    db.commit()
    events.fire("bank_account_changed", change=change)


def _snapshot(actor: User, shop: HouseholdBusiness, account: BankAccount, kind: str) -> BankAccountChange:
    return BankAccountChange(account.id, shop.id, shop.name, shop.owner.phone if shop.owner else None, kind,
                             account.bank_bin, account.account_number[-4:], account.verified, actor.label)


def _commit_and_tell(db: Session, actor: User, shop: HouseholdBusiness, account: BankAccount,
                     kind: str) -> BankAccount:
    change = _snapshot(actor, shop, account, kind)
    _queue_notice(db, change)
    db.commit()
    events.fire("bank_account_changed", change=change)
    return account


def _queue_notice(db: Session, change: BankAccountChange) -> None:
    enqueue(db, NOTICE_JOB, {**change.__dict__})


def notice_message(change: BankAccountChange, recipient: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config.get("MAIL_FROM", "choso@localhost")
    message["To"] = recipient
    message["Subject"] = _("A bank account of %(shop)s was changed", shop=change.shop_name)
    what = {
        "added": _("A bank account was added"),
        "changed": _("A bank account was changed"),
        "verified": _("A bank account was verified by the commune"),
        "unverified": _("A bank account is no longer verified"),
        "removed": _("A bank account was removed"),
    }[change.change]
    lines = [f"{what}: {change.bank_bin} · …{change.account_last_digits}",
             _("Changed by: %(who)s", who=change.changed_by),
             _("Buyers' payments go to this account only while the commune has verified it.")
             if change.change != "removed" else "",
             _("If you did not ask for this, call the commune office at once.")]
    message.set_content("\n".join(line for line in lines if line))
    return message


@handler(NOTICE_JOB)
def notify_owner(db: Session, payload: dict[str, Any]) -> None:
    url = current_app.config.get("SMTP_URL")
    shop = db.get(HouseholdBusiness, payload["household_id"])
    recipient = shop.owner.email if shop and shop.owner else None
    if not url or not recipient:
        return
    with force_locale(shop.owner.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "vi")):
        smtp_send(url, notice_message(BankAccountChange(**payload), recipient))
