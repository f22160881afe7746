"""Audit log entries for every change a person makes."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.auth.policy import acting_for
from core.models import AuditLog, HouseholdBusiness, User


def record(db: Session, actor: User | None, action: str, entity: str, entity_id: Any = None, *,
           shop: HouseholdBusiness | None = None, commune_code: str | None = None,
           details: dict[str, Any] | None = None) -> AuditLog:
    entry = AuditLog(
        actor_id=actor.id if actor else None,
        on_behalf_of_id=acting_for(actor, shop) if (actor and shop) else None,
        assignment_id=_assignment(actor, shop),
        commune_code=commune_code or (shop.commune_code if shop else None),
        action=action, entity=entity, entity_id=None if entity_id is None else str(entity_id),
        details=details or {},
    )
    db.add(entry)
    return entry


def _assignment(actor: User | None, shop: HouseholdBusiness | None) -> int | None:
    """The assignment a helper acts under when it changes a household's shop ("helper X for household Y")."""
    if actor is None or shop is None or shop.owner_id == actor.id:
        return None
    return next((a.id for a in actor.helper_assignments if a.household_id == shop.id), None)
