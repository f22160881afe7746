"""Who may do what. Every page and API call asks these functions; nothing checks roles by hand.

- a household sees and edits only its own shops;
- a helper (community digital team) acts only for the household businesses that commune staff assigned to it,
  until staff end that or the household withdraws it;
- staff see everything of their commune (drafts, bank accounts, audit) and may suspend a shop;
- an admin may do everything everywhere.
"""

from __future__ import annotations

from core.models import HouseholdBusiness, Product, User


def _is(user: User | None, role: str, commune_code: str) -> bool:
    return bool(user) and (user.is_admin or role in user.roles_in(commune_code))


def is_commune_staff(user: User | None, commune_code: str) -> bool:
    """Staff of the commune (or an admin): bills, integrations, orders desk, figures and targets."""
    return _is(user, "staff", commune_code)


def is_assigned_helper(user: User | None, shop: HouseholdBusiness) -> bool:
    """A helper of the shop's commune whom staff assigned to this household (and the household kept)."""
    return bool(user) and shop.id in user.assisted_household_ids


def can_edit_shop(user: User | None, shop: HouseholdBusiness) -> bool:
    if not user:
        return False
    return user.is_admin or shop.owner_id == user.id or is_assigned_helper(user, shop)


def can_connect_marketplace_shop(user: User | None, shop: HouseholdBusiness) -> bool:
    """Connecting a marketplace shop (Shopee, TikTok Shop) decides whose shop sells the household's products:
    the household itself or a helper assigned to it (the owner is told when the helper does it), never staff
    and never another household."""
    if not user:
        return False
    return shop.owner_id == user.id or is_assigned_helper(user, shop)


def can_assign_helpers(user: User | None, commune_code: str) -> bool:
    """Who may act for which household is the commune's decision, taken by its staff."""
    return is_commune_staff(user, commune_code)


def can_withdraw_helper(user: User | None, shop: HouseholdBusiness) -> bool:
    """The household itself may always take back a helper's rights over its shop; staff may too."""
    return bool(user) and (shop.owner_id == user.id or is_commune_staff(user, shop.commune_code))


def can_view_private(user: User | None, shop: HouseholdBusiness) -> bool:
    return can_edit_shop(user, shop) or is_commune_staff(user, shop.commune_code)


def can_verify_bank_account(user: User | None, shop: HouseholdBusiness) -> bool:
    """Only the commune's staff verify a household's bank account (and so decide where buyers' money goes)."""
    return is_commune_staff(user, shop.commune_code)


def can_moderate(user: User | None, shop: HouseholdBusiness) -> bool:
    return is_commune_staff(user, shop.commune_code)


def can_fulfil_orders(user: User | None, shop: HouseholdBusiness) -> bool:
    """Confirm, ship and refund a household's part of an order: the household, a helper for it, or staff."""
    return can_view_private(user, shop)


def can_record_cash(user: User | None, commune_code: str) -> bool:
    """Cash is taken at the commune office, by its staff."""
    return is_commune_staff(user, commune_code)


def can_view_figures(user: User | None, commune_code: str, province_code: str) -> bool:
    """A commune's digital-economy figures: its staff, the province's staff, an admin."""
    return is_commune_staff(user, commune_code) or bool(user) and province_code in user.provinces


def can_view_records(user: User | None, commune_code: str) -> bool:
    """The records behind a figure name households and what they paid: the commune's own staff (and admins)
    only. Province staff need figures, not their neighbours' debts (data-protection principle: the least
    personal data that serves the purpose; Decree 13/2023/NĐ-CP)."""
    return is_commune_staff(user, commune_code)


def can_view_province(user: User | None, province_code: str) -> bool:
    return bool(user) and (user.is_admin or province_code in user.provinces)


def can_open_shop_for_others(user: User | None, commune_code: str) -> bool:
    return _is(user, "helper", commune_code)


def can_open_shop(user: User | None, commune_code: str, owner: User) -> bool:
    """A household opens its own shop in its commune; a helper opens one for a household of its commune."""
    if not user:
        return False
    if can_open_shop_for_others(user, commune_code):
        return True
    return owner.id == user.id and "household" in user.roles_in(commune_code)


def is_public(shop: HouseholdBusiness) -> bool:
    return shop.status == "active"


def can_see_product(user: User | None, product: Product) -> bool:
    if product.status == "active" and is_public(product.household):
        return True
    return can_view_private(user, product.household)


def acting_for(user: User, shop: HouseholdBusiness) -> int | None:
    """The household business someone other than its owner acts on (recorded in the audit log), or None."""
    return None if shop.owner_id == user.id else shop.id


def visible_communes(user: User | None) -> set[str] | None:
    """Communes whose private data `user` may read in full; None means all (admin). Helpers read only their
    assigned households' (``user.assisted_household_ids``)."""
    if user and user.is_admin:
        return None
    return user.communes_with("staff") if user else set()
