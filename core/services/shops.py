"""Household businesses: opening, editing and moderating shops (bank accounts: core.services.bank_accounts)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from core.auth import policy
from core.db import flush_or_conflict
from core.errors import Forbidden, Invalid, NotFound
from core.models import Commune, HouseholdBusiness, User
from core.services import audit, helpers, users
from core.text import fold, slugify

EDITABLE = ("name", "description", "registration_number", "tax_code", "address", "phone")


def get_shop(db: Session, shop_id: int) -> HouseholdBusiness:
    shop = db.get(HouseholdBusiness, shop_id)
    if shop is None:
        raise NotFound(_("This shop does not exist."))
    return shop


def require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden(_("You are not allowed to do this."))


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: data[k] for k in EDITABLE if k in data}
    for key in ("registration_number", "tax_code"):
        if out.get(key) is not None:
            out[key] = out[key].strip().upper() or None
    return out


def open_shop(db: Session, actor: User, data: dict[str, Any]) -> HouseholdBusiness:
    commune_code = data["commune_code"]
    if db.get(Commune, commune_code) is None:
        raise Invalid(_("No commune has this code."), {"commune_code": [_("No commune has this code.")]})
    owner = actor
    if data.get("owner_phone") and data["owner_phone"] != actor.phone:
        require(policy.can_open_shop_for_others(actor, commune_code))
        owner, _created = users.ensure_user(db, phone=data["owner_phone"])
        users.grant(db, owner, "household", commune_code)
    require(policy.can_open_shop(actor, commune_code, owner))
    fields = _clean(data)
    shop = HouseholdBusiness(commune_code=commune_code, owner_id=owner.id, slug=slugify(fields["name"]),
                             name_folded=fold(fields["name"]), **fields)
    db.add(shop)
    _flush_unique(db)
    if owner.id != actor.id and "helper" in actor.roles_in(commune_code):
        helpers.assign(db, actor, shop, actor, opened_shop=True)
        db.expire(actor, ["helper_assignments"])  # so the audit entry below names the new assignment
    audit.record(db, actor, "shop.open", "household", shop.id, shop=shop, details={"name": shop.name})
    db.commit()
    return shop


def update_shop(db: Session, actor: User, shop: HouseholdBusiness, data: dict[str, Any]) -> HouseholdBusiness:
    # Even an empty change answers with the shop's private fields: outsiders are refused up front.
    require(policy.can_edit_shop(actor, shop) or policy.can_moderate(actor, shop))
    changes = _clean(data)
    if "status" in data and data["status"] != shop.status:
        require(policy.can_moderate(actor, shop))
        changes["status"] = data["status"]
    if changes.keys() - {"status"}:
        require(policy.can_edit_shop(actor, shop))
    before = {k: getattr(shop, k) for k in changes}
    for key, value in changes.items():
        setattr(shop, key, value)
    if "name" in changes:
        shop.slug, shop.name_folded = slugify(shop.name), fold(shop.name)
    _flush_unique(db)
    diff = {k: [before[k], v] for k, v in changes.items() if before[k] != v}
    if diff:
        audit.record(db, actor, "shop.update", "household", shop.id, shop=shop, details=diff)
    db.commit()
    return shop


def _flush_unique(db: Session) -> None:
    flush_or_conflict(db, "registration_number", _("Another shop already uses this business registration number."))


def shops_query(actor: User | None, *, commune: str | None = None, q: str = "", mine: bool = False) -> Select:
    stmt = select(HouseholdBusiness).order_by(HouseholdBusiness.name_folded, HouseholdBusiness.id)
    if commune:
        stmt = stmt.where(HouseholdBusiness.commune_code == commune)
    for term in fold(q).split():
        stmt = stmt.where(HouseholdBusiness.name_folded.contains(term, autoescape=True))
    if mine and actor:
        return stmt.where(HouseholdBusiness.owner_id == actor.id)
    visible = policy.visible_communes(actor)
    if visible is None:
        return stmt
    public = HouseholdBusiness.status == "active"
    own = HouseholdBusiness.owner_id == (actor.id if actor else -1)
    assisted = HouseholdBusiness.id.in_(actor.assisted_household_ids if actor else ())
    return stmt.where(public | own | assisted | HouseholdBusiness.commune_code.in_(visible))


def matches(shop: HouseholdBusiness, q: str) -> bool:
    """A helper's search: every word of the shop's name (accents and case ignored), or digits of the owner's
    or the shop's phone number."""
    digits = "".join(ch for ch in q if ch.isdigit())
    if digits and len(digits) >= 3 and any(digits in (phone or "") for phone in (shop.phone, shop.owner.phone)):
        return True
    words = fold(q).split()
    return bool(words) and all(word in shop.name_folded or word in fold(shop.owner.name or "") for word in words)


def managed_shops(db: Session, actor: User) -> list[HouseholdBusiness]:
    """Shops the person may edit: their own, and for a helper the households staff assigned to it."""
    stmt = select(HouseholdBusiness).order_by(HouseholdBusiness.name_folded, HouseholdBusiness.id)
    if not actor.is_admin:
        stmt = stmt.where((HouseholdBusiness.owner_id == actor.id)
                          | HouseholdBusiness.id.in_(actor.assisted_household_ids))
    return list(db.scalars(stmt))
