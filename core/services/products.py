"""Products: create, edit, archive, and the catalog query (accent- and case-insensitive search)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, contains_eager, lazyload, object_session

from core import events
from core.auth import policy
from core.errors import NotFound
from core.models import HouseholdBusiness, Product, User
from core.publishing import services as publishing
from core.services import audit
from core.services.communes import count
from core.services.shops import get_shop, require
from core.snapshots import product_snapshot
from core.text import fold, search_terms, slugify

FIELDS = (
    "name", "description", "product_group", "ocop_stars", "ocop_certificate_no", "ocop_issued_on",
    "ocop_expires_on", "origin", "unit", "net_weight_g", "shelf_life_days", "season", "price_vnd", "stock",
    "sku", "status",
)


def get_product(db: Session, product_id: int, viewer: User | None) -> Product:
    product = db.get(Product, product_id)
    if product is None or not policy.can_see_product(viewer, product):
        raise NotFound(_("This product does not exist."))
    return product


def search_text_for(product: Product, shop: HouseholdBusiness) -> str:
    """What catalog search matches against: names, SKU, origin and description, folded."""
    parts = (product.name, product.sku, product.origin, shop.name, product.description)
    return fold(" ".join(p for p in parts if p))


def create_product(db: Session, actor: User, data: dict[str, Any], *, commit: bool = True,
                   creation_key: str | None = None) -> Product:
    """A new product. With `creation_key` (the form's own key), sending the same form again returns the
    product it created the first time instead of a second one."""
    shop = get_shop(db, data["household_id"])
    require(policy.can_edit_shop(actor, shop))
    if creation_key:
        earlier = db.scalar(select(Product).where(Product.creation_key == creation_key,
                                                  Product.household_id == shop.id))
        if earlier is not None:
            return earlier
    product = Product(household=shop, commune_code=shop.commune_code, creation_key=creation_key or None,
                      **{k: data[k] for k in FIELDS if k in data})
    product.slug = slugify(product.name)
    product.search_text = search_text_for(product, shop)
    db.add(product)
    db.flush()
    audit.record(db, actor, "product.create", "product", product.id, shop=shop,
                 details={"name": product.name, "price_vnd": product.price_vnd})
    if commit:
        db.commit()
        product_changed(product, created=True)
    return product


def product_changed(product: Product, *, created: bool = False, archived: bool = False) -> None:
    """After the commit: listings follow the change, then plugins hear of it."""
    db = object_session(product)
    if db is not None and not created:
        publishing.product_changed(db, product)
    snapshot = product_snapshot(product)
    events.fire("product_archived" if archived else "product_saved",
                product=snapshot, **({} if archived else {"created": created}))


def update_product(db: Session, actor: User, product: Product, data: dict[str, Any], *,
                   commit: bool = True) -> Product:
    require(policy.can_edit_shop(actor, product.household))
    diff = {}
    for key in FIELDS:
        if key in data and getattr(product, key) != data[key]:
            diff[key] = [_jsonable(getattr(product, key)), _jsonable(data[key])]
            setattr(product, key, data[key])
    if diff:
        product.slug = slugify(product.name)
        product.search_text = search_text_for(product, product.household)
        audit.record(db, actor, "product.update", "product", product.id, shop=product.household, details=diff)
    if commit:
        db.commit()
        if diff:
            product_changed(product, archived="status" in diff and product.status == "archived")
    return product


def archive_product(db: Session, actor: User, product: Product) -> Product:
    return update_product(db, actor, product, {"status": "archived"})


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def catalog_total(db: Session, stmt: Select, viewer: User | None, *, commune: str | None = None,
                  household: int | None = None, q: str = "", group: str | None = None, stars: int | None = None,
                  status: str | None = None) -> int:
    """How many products `catalog_query` lists. A commune's public catalog without filters, the page phones
    load most, is counted from the catalog index alone (its products on sale, less those of shops not open)
    instead of joining every product to its shop: the same number, several times faster."""
    if viewer is None and commune and not (household or q or group or stars or status):
        on_sale = (Product.commune_code == commune) & (Product.status == "active")
        listed = db.scalar(select(func.count()).select_from(Product).where(on_sale)) or 0
        closed = list(db.scalars(select(HouseholdBusiness.id).where(HouseholdBusiness.commune_code == commune,
                                                                    HouseholdBusiness.status != "active")))
        if closed:  # few or none: counted through the products' household index
            listed -= db.scalar(select(func.count()).select_from(Product).where(
                on_sale, Product.household_id.in_(closed))) or 0
        return listed
    return count(db, stmt)


def catalog_query(viewer: User | None, *, commune: str | None = None, household: int | None = None,
                  q: str = "", group: str | None = None, stars: int | None = None,
                  status: str | None = None) -> Select:
    """Products the viewer may see, newest first. The public sees active products of active shops."""
    # The shop comes from the join the filters need (not a second one), without its owner and commune: a
    # catalog page shows the shop's name; the rest loads only if something asks for it.
    stmt = (select(Product).join(Product.household)
            .options(contains_eager(Product.household).options(lazyload(HouseholdBusiness.owner),
                                                               lazyload(HouseholdBusiness.commune)))
            .order_by(Product.created_at.desc(), Product.id.desc()))
    if commune:
        stmt = stmt.where(Product.commune_code == commune)
    if household:
        stmt = stmt.where(Product.household_id == household)
    for term in search_terms(q):
        stmt = stmt.where(Product.search_text.contains(term, autoescape=True))
    if group:
        stmt = stmt.where(Product.product_group == group)
    if stars:
        stmt = stmt.where(Product.ocop_stars >= stars)
    public = (Product.status == "active") & (HouseholdBusiness.status == "active")
    if status:
        stmt = stmt.where(Product.status == status)
    visible = policy.visible_communes(viewer)
    if visible is None:
        return stmt
    if viewer is None:
        return stmt.where(public)
    own = HouseholdBusiness.owner_id == viewer.id
    assisted = Product.household_id.in_(viewer.assisted_household_ids)
    return stmt.where(public | own | assisted | Product.commune_code.in_(visible))
