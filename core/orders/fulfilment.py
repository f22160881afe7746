"""A household moves a paid part of an order on: confirmed, shipped, delivered."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core.errors import Conflict, NotFound
from core.models import User
from core.orders import history, states
from core.orders.locks import lock_part
from core.orders.models import OrderPart


def move_on(db: Session, part_id: int, target: str, actor: User) -> OrderPart:
    """One step on, from the state the part is in when it is locked. A second tap, or a refund at the same
    moment, is seen after the lock: the step is taken once, and never written over a refund."""
    part = lock_part(db, part_id)
    if part is None:
        db.rollback()
        raise NotFound(_("Nothing here."))
    if states.HOUSEHOLD_MOVES.get(part.state) != target:
        db.rollback()
        msg = _("This order cannot move on from here.")
        raise Conflict(msg, {"state": [msg]})
    history.move(db, part, target, actor_id=actor.id, actor_label=actor.label)
    db.commit()
    return part
