"""Bank statements imported by staff: the manual way money gets into choso, so every import leaves a trail.

Each import names its importer, the account the statement is of and the file's SHA-256, and lists what it paid;
the payments and receipts it makes carry the importer's name. An import that would pay more than
CHOSO_STATEMENT_CONFIRM_BILLS bills waits until a second staff member of the commune confirms it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import lock, utcnow
from core.errors import Conflict, Forbidden, Invalid
from core.models import User
from core.services import audit
from core.text import account_digits
from payments.bills import references, states
from payments.bills.models import Bill, CollectionAccount
from payments.bills.services import require_staff
from payments.reconcile import services as reconcile
from payments.reconcile.models import StatementImport
from plugins.sdk import BankNotification

SOURCE = "statement"


def _account(db: Session, commune_code: str, account_number: str | None) -> str:
    number = account_digits(account_number)
    if not number:
        collection = db.get(CollectionAccount, commune_code)
        number = collection.account_number if collection else ""
    if not number.isdigit() or not 6 <= len(number) <= 19:
        msg = _("Say which account this is the statement of (its number, 6 to 19 digits).")
        raise Invalid(msg, {"account_number": [msg]})
    return number


def _bills_named(db: Session, commune_code: str, notes: list[BankNotification]) -> int:
    """How many open bills the statement's rows name: what it would pay at most."""
    named = {ref for n in notes if n.incoming for ref in references.find(n.content, commune_code)[0]}
    if not named:
        return 0
    return len(db.scalars(select(Bill.id).where(Bill.commune_code == commune_code, Bill.reference.in_(named),
                                                Bill.state.in_(states.PAYABLE))).all())


def start(db: Session, actor: User, commune_code: str, data: bytes, account_number: str | None) -> StatementImport:
    """Read a statement and apply it, or keep it for a second staff member when it would pay many bills."""
    require_staff(actor, commune_code)
    account = _account(db, commune_code, account_number)
    notes = reconcile.read_statement(data, account)
    row = StatementImport(commune_code=commune_code, account_number=account, rows=len(notes),
                          file_sha256=hashlib.sha256(data).hexdigest(), imported_by_id=actor.id,
                          pending=[_plain(n) for n in notes])
    bills = _bills_named(db, commune_code, notes)
    limit = int(current_app.config.get("STATEMENT_CONFIRM_BILLS", 20))
    row.state = "waiting" if bills > limit else "applied"
    db.add(row)
    db.flush()
    audit.record(db, actor, "statement.import", "statement_import", row.id, commune_code=commune_code,
                 details={"file_sha256": row.file_sha256, "rows": row.rows, "account_number": account,
                          "bills_named": bills, "waits_for_second_staff": row.state == "waiting"})
    db.commit()
    return _apply(db, actor, row) if row.state == "applied" else row


def confirm(db: Session, actor: User, row: StatementImport) -> StatementImport:
    """A second staff member lets a large import pay its bills."""
    require_staff(actor, row.commune_code)
    locked = lock(db, StatementImport, row.id)  # two staff confirming at once: one applies it
    if locked.state != "waiting":
        raise Conflict(_("This statement is already applied."))
    if locked.imported_by_id == actor.id:
        raise Forbidden(_("Another staff member must confirm a statement you imported."))
    locked.state, locked.confirmed_by_id = "applied", actor.id
    audit.record(db, actor, "statement.confirm", "statement_import", locked.id, commune_code=locked.commune_code,
                 details={"file_sha256": locked.file_sha256, "imported_by": locked.imported_by_id})
    db.commit()
    return _apply(db, actor, locked)


def _apply(db: Session, actor: User, row: StatementImport) -> StatementImport:
    notes = [_note(values) for values in row.pending]
    outcomes = reconcile.ingest(db, row.commune_code, SOURCE, notes, matched_by=row.imported_by_id,
                                statement_import_id=row.id)
    row = db.get(StatementImport, row.id)
    row.outcome = {"rows": len(outcomes), "duplicates": sum(o.duplicate for o in outcomes),
                   "matched": sum(o.state == "matched" and not o.duplicate for o in outcomes),
                   "unmatched": sum(o.state == "unmatched" for o in outcomes),
                   "paid": sorted({o.bill_reference for o in outcomes if o.bill_reference and not o.duplicate})}
    row.pending, row.applied_at = [], utcnow()
    audit.record(db, actor, "statement.apply", "statement_import", row.id, commune_code=row.commune_code,
                 details=row.outcome)
    db.commit()
    return row


def past(db: Session, commune_code: str, limit: int = 50) -> list[StatementImport]:
    return list(db.scalars(select(StatementImport).where(StatementImport.commune_code == commune_code)
                           .order_by(StatementImport.id.desc()).limit(limit)))


def _plain(note: BankNotification) -> dict:
    return {"transaction_id": note.transaction_id, "amount_vnd": note.amount_vnd, "content": note.content,
            "occurred_at": note.occurred_at.isoformat(), "incoming": note.incoming,
            "account_number": note.account_number, "raw": dict(note.raw)}


def _note(values: dict) -> BankNotification:
    return BankNotification(**{**values, "occurred_at": datetime.fromisoformat(values["occurred_at"])})
