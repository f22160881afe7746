"""The daily close (đối soát cuối ngày): for each day, every đồng that reached the commune's watched accounts,
what it paid, what waits and why; cash taken at the office; receipts issued. A staff member signs the day off;
the figures signed are kept, so anything that changes the day later shows against them as a correction.

Days are Vietnam days. Money is counted by when the bank says it moved (`BankTransaction.occurred_at`), cash
and receipts by when choso recorded them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import VIETNAM, utcnow, vietnam_day, vietnam_today
from core.errors import Conflict, Invalid
from core.models import User
from core.orders.models import OrderPayment
from core.orders.states import SUCCEEDED
from core.services import audit
from payments.bills.models import Bill
from payments.bills.services import require_staff
from payments.bills.states import OVERPAID
from payments.receipts.models import Receipt
from payments.reconcile.models import (
    IGNORED,
    MATCHED,
    OUTGOING_NOTE,
    UNMATCHED,
    BankTransaction,
    DailyClose,
    Payment,
)

# Each account's money, in the order the close shows it.
PARTS = ("in", "bills", "orders", "unmatched", "ignored", "out")


@dataclass(frozen=True)
class Correction:
    """A figure of a signed day that is not what was signed: (what, as signed, now)."""

    key: str
    signed: Any
    now: Any


def _outgoing(txn: BankTransaction) -> bool:
    """Money going out of a watched account: set aside on arrival, by nobody (staff set-asides name a person)."""
    return txn.state == IGNORED and txn.resolved_by_id is None and (txn.note or "") == OUTGOING_NOTE


def figures(db: Session, commune_code: str, day: date) -> dict[str, Any]:
    """The day's close as plain data (JSON: it is what a sign-off keeps)."""
    start, end = vietnam_day(day)
    txns = db.scalars(select(BankTransaction).where(
        BankTransaction.commune_code == commune_code, BankTransaction.occurred_at >= start,
        BankTransaction.occurred_at < end).order_by(BankTransaction.occurred_at, BankTransaction.id)).all()
    to_bills = dict(db.execute(select(Payment.transaction_id, Bill.state).join(Bill, Bill.id == Payment.bill_id)
                               .where(Payment.transaction_id.in_([t.id for t in txns]))).all()) if txns else {}
    accounts: dict[str, dict[str, list[int]]] = {}
    differences: list[dict[str, Any]] = []
    for txn in txns:
        parts = accounts.setdefault(txn.account_number or "?", {p: [0, 0] for p in PARTS})
        if _outgoing(txn):
            kind = "out"
        else:
            _add(parts["in"], txn.amount_vnd)
            kind = ("bills" if txn.id in to_bills else "orders" if txn.state == MATCHED
                    else "unmatched" if txn.state == UNMATCHED else "ignored")
        _add(parts[kind], txn.amount_vnd)
        if kind in ("unmatched", "ignored") or to_bills.get(txn.id) == OVERPAID:
            differences.append(_difference("overpaid" if kind == "bills" else kind, txn))
    for account, parts in accounts.items():
        explained = sum(parts[p][1] for p in ("bills", "orders", "unmatched", "ignored"))
        if explained != parts["in"][1]:
            differences.append({"kind": "unexplained", "account": account, "amount_vnd": parts["in"][1] - explained,
                                "transaction": None, "reason": None, "text": ""})
    bill_cash = db.execute(select(func.count(), func.coalesce(func.sum(Payment.amount_vnd), 0)).where(
        Payment.commune_code == commune_code, Payment.method == "cash", Payment.created_at >= start,
        Payment.created_at < end)).one()
    order_cash = db.execute(select(func.count(), func.coalesce(func.sum(OrderPayment.amount_vnd), 0)).where(
        OrderPayment.commune_code == commune_code, OrderPayment.provider == "cash", OrderPayment.state == SUCCEEDED,
        OrderPayment.paid_at >= start, OrderPayment.paid_at < end)).one()
    receipts = db.scalars(select(Receipt).where(Receipt.commune_code == commune_code, Receipt.issued_at >= start,
                                                Receipt.issued_at < end).order_by(Receipt.year, Receipt.number)).all()
    issued = [r for r in receipts if r.cancels_id is None]
    return {
        "day": day.isoformat(), "commune_code": commune_code, "accounts": accounts,
        "cash": {"bills": [int(bill_cash[0]), int(bill_cash[1])], "orders": [int(order_cash[0]), int(order_cash[1])]},
        "receipts": {"count": len(issued), "amount_vnd": sum(r.amount_vnd for r in issued),
                     "first": issued[0].code if issued else None, "last": issued[-1].code if issued else None,
                     "cancelled": len(receipts) - len(issued)},
        "differences": differences,
    }


def _add(pair: list[int], amount: int) -> None:
    pair[0] += 1
    pair[1] += amount


def _difference(kind: str, txn: BankTransaction) -> dict[str, Any]:
    """One line staff explain: a transfer that waits (and why), one set aside (with its note), one that paid
    more than its bill asked."""
    text = txn.note if kind == "ignored" else txn.content
    return {"kind": kind, "account": txn.account_number or "?", "amount_vnd": txn.amount_vnd, "transaction": txn.id,
            "reason": txn.reason if kind == "unmatched" else None, "text": (text or "")[:200]}


def get(db: Session, commune_code: str, day: date) -> DailyClose | None:
    return db.scalar(select(DailyClose).where(DailyClose.commune_code == commune_code, DailyClose.day == day))


@dataclass(frozen=True)
class Day:
    """A day's close as staff see it: the figures now and, once signed off, the signature and what moved."""

    figures: dict[str, Any]
    signed: DailyClose | None
    corrections: list[Correction]


def day_as_it_stands(db: Session, commune_code: str, day: date) -> Day:
    data, signed = figures(db, commune_code, day), get(db, commune_code, day)
    return Day(data, signed, corrections(signed.figures, data) if signed else [])


def corrections(signed: dict[str, Any], now: dict[str, Any]) -> list[Correction]:
    """Every figure that moved since the sign-off, as "accounts.<n>.bills" (count, amount) pairs and the like."""
    found: list[Correction] = []
    for account in sorted(set(signed["accounts"]) | set(now["accounts"])):
        before = signed["accounts"].get(account, {})
        after = now["accounts"].get(account, {})
        for part in PARTS:
            was, now_ = before.get(part, [0, 0]), after.get(part, [0, 0])
            if was != now_:
                found.append(Correction(f"accounts.{account}.{part}", was, now_))
    for part in ("bills", "orders"):
        if signed["cash"][part] != now["cash"][part]:
            found.append(Correction(f"cash.{part}", signed["cash"][part], now["cash"][part]))
    for key in ("count", "amount_vnd", "first", "last", "cancelled"):
        if signed["receipts"][key] != now["receipts"][key]:
            found.append(Correction(f"receipts.{key}", signed["receipts"][key], now["receipts"][key]))
    return found


def sign(db: Session, actor: User, commune_code: str, day: date, note: str = "") -> DailyClose:
    """Sign a day off with the figures as they stand: once per day; audited."""
    require_staff(actor, commune_code)
    if day > vietnam_today():
        msg = _("A day can be signed off only once it has begun.")
        raise Invalid(msg, {"day": [msg]})
    row = DailyClose(commune_code=commune_code, day=day, figures=figures(db, commune_code, day),
                     signed_by_id=actor.id, signed_at=utcnow(), note=note[:300])
    db.add(row)
    try:
        db.flush()
    except IntegrityError as exc:  # signed already, perhaps a moment ago by a colleague
        db.rollback()
        raise Conflict(_("This day is already signed off.")) from exc
    audit.record(db, actor, "close.sign", "daily_close", row.id, commune_code=commune_code,
                 details={"day": day.isoformat(), "note": note[:300]})
    db.commit()
    return row


def parse_day(text: str | None) -> date:
    if not text:
        return vietnam_today()
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        msg = _("Enter the day as YYYY-MM-DD.")
        raise Invalid(msg, {"day": [msg]}) from exc


# --- the close as a table, for PDF and XLSX ----------------------------------------------------------------

def table(data: dict[str, Any], words: dict[str, str]) -> tuple[list[str], list[list[object]]]:
    """(header, rows): one row per account and part, then cash, receipts and each difference."""
    header = [words["what"], words["account"], words["count"], words["amount"]]
    rows: list[list[object]] = []
    for account, parts in sorted(data["accounts"].items()):
        for part in PARTS:
            count, amount = parts[part]
            rows.append([words[part], account, count, amount])
    for part in ("bills", "orders"):
        count, amount = data["cash"][part]
        rows.append([words[f"cash_{part}"], "", count, amount])
    receipts = data["receipts"]
    span = f"{receipts['first']} – {receipts['last']}" if receipts["first"] else "–"
    rows.append([words["receipts"], span, receipts["count"], receipts["amount_vnd"]])
    for difference in data["differences"]:
        rows.append([words[f"difference_{difference['kind']}"], difference["account"], 1, difference["amount_vnd"]])
    return header, rows


def report(found: Day, commune_code: str, commune_name: str, day: date, fmt: str) -> bytes:
    """The day's close as a file: "pdf" (A4, with who signed it off) or "xlsx"."""
    from core import labels
    from core.metrics import exports

    rows = table(found.figures, {k: str(v) for k, v in labels.CLOSE_WORDS.items()})
    if fmt == "xlsx":
        return exports.to_xlsx(rows, day.isoformat())
    signed = found.signed
    note = (_("Signed off by %(name)s at %(when)s.", name=signed.signed_by.label if signed.signed_by else "?",
              when=signed.signed_at.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")) if signed
            else _("Not signed off."))
    return exports.to_pdf(_("Daily close of %(day)s", day=day.strftime("%d/%m/%Y")),
                          f"{commune_name} ({commune_code})", rows, note)
