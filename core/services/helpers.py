"""Which helper may act for which household: assigned by commune staff, withdrawn by the household at any time.

A helper of the commune's digital team acts for a household business only under an active assignment
(`policy.is_assigned_helper`). Every assignment and its end is in the audit log, and every action a helper
takes under one is recorded as "helper X for household Y" (`AuditLog.assignment_id`), which is what the
assisted-households figure counts.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.auth import policy
from core.db import lock, utcnow
from core.errors import Forbidden, Invalid, NotFound
from core.models import HelperAssignment, HouseholdBusiness, User
from core.services import audit


def _require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden(_("You are not allowed to do this."))


def active(db: Session, *, commune_code: str | None = None, household_id: int | None = None,
           helper_id: int | None = None) -> list[HelperAssignment]:
    stmt = select(HelperAssignment).where(HelperAssignment.ended_at.is_(None)).order_by(HelperAssignment.id)
    if commune_code:
        stmt = stmt.where(HelperAssignment.commune_code == commune_code)
    if household_id:
        stmt = stmt.where(HelperAssignment.household_id == household_id)
    if helper_id:
        stmt = stmt.where(HelperAssignment.helper_id == helper_id)
    return list(db.scalars(stmt))


def helpers_of(db: Session, commune_code: str) -> list[User]:
    """People with the helper role in the commune (whom staff may assign)."""
    from core.models import Membership

    return list(db.scalars(select(User).join(Membership).where(
        Membership.commune_code == commune_code, Membership.role == "helper").order_by(User.name, User.id)))


def assign(db: Session, actor: User, shop: HouseholdBusiness, helper: User, *,
           opened_shop: bool = False) -> HelperAssignment:
    """Let ``helper`` act for ``shop``. Staff decide; a helper who opens a shop for a household is assigned
    to it by that act (the household can withdraw it like any other)."""
    if not opened_shop:
        _require(policy.can_assign_helpers(actor, shop.commune_code))
    if "helper" not in helper.roles_in(shop.commune_code):
        raise Invalid(_("This person is not a helper of the commune."),
                      {"helper_id": [_("This person is not a helper of the commune.")]})
    # Two staff members (or a double tap) assigning at once: one row, or withdrawing it would leave its twin.
    lock(db, HouseholdBusiness, shop.id)
    existing = active(db, household_id=shop.id, helper_id=helper.id)
    if existing:
        return existing[0]
    row = HelperAssignment(household_id=shop.id, helper_id=helper.id, commune_code=shop.commune_code,
                           assigned_by_id=actor.id)
    db.add(row)
    db.flush()
    audit.record(db, actor, "helper.assign", "helper_assignment", row.id, commune_code=shop.commune_code,
                 details={"household_id": shop.id, "helper_id": helper.id, "helper": helper.label,
                          "opened_shop": opened_shop})
    return row


def end(db: Session, actor: User, row: HelperAssignment) -> HelperAssignment:
    """End an assignment: "withdrawn" when the household does it, "ended" when staff do."""
    _require(policy.can_withdraw_helper(actor, row.household))
    row = lock(db, HelperAssignment, row.id)  # ended once, by whoever comes first
    shop = row.household
    if row.ended_at is None:
        row.ended_at, row.ended_by_id = utcnow(), actor.id
        row.end_reason = "withdrawn" if actor.id == shop.owner_id else "ended"
        audit.record(db, actor, f"helper.{row.end_reason}", "helper_assignment", row.id,
                     commune_code=shop.commune_code,
                     details={"household_id": shop.id, "helper_id": row.helper_id, "helper": row.helper.label})
    return row


def get(db: Session, assignment_id: int) -> HelperAssignment:
    row = db.get(HelperAssignment, assignment_id)
    if row is None:
        raise NotFound(_("Nothing here."))
    return row
