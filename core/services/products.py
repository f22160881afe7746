"""Products: create, edit, archive, and the catalog query (accent- and case-insensitive search)."""

from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.orm import Session, contains_eager, lazyload, object_session

from core import catalog_cache, events
from core.auth import policy
from core.errors import NotFound
from core.models import HouseholdBusiness, Product, ProductImage, User
from core.publishing import moves
from core.services import audit
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
        moves.product_changed(db, product)
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


def catalog_total(db: Session, viewer: User | None, **filters: Any) -> int:
    """How many products `catalog_query` lists. A commune's public catalog without filters, the page phones
    load most, reads the count its last change left beside the catalog version (`catalog_versions.on_sale`)
    instead of counting thousands of products on every request."""
    shape, params = _shape(**filters)
    if viewer is None and shape == _COMMUNE_ONLY:
        return catalog_cache.on_sale(params["commune"])
    # Core statements on the session's connection: the ORM's execute path costs more
    return db.connection().scalar(_statement("count", viewer, shape), params) or 0


def catalog_query(viewer: User | None, **filters: Any) -> Select:
    """Products the viewer may see, newest first, as Product objects. The public sees active products of
    active shops. Filters: commune, household, q (words, accents and case ignored), group, stars, status."""
    shape, params = _shape(**filters)
    return _statement("objects", viewer, shape).params(params)


def catalog_records(db: Session, viewer: User | None, limit: int, offset: int = 0, **filters: Any) -> list[Record]:
    """A page of `catalog_query` as light records (attributes as on Product, with `household.name` and
    `images`) for the catalog API, served many times a second: plain rows from two queries whose SQL is built
    once per kind of filter, no ORM identity map; several times faster than the same page of Product objects."""
    shape, params = _shape(**filters)
    conn = db.connection()
    result = conn.execute(_statement("rows", viewer, shape), {**params, "limit": limit, "offset": offset})
    keys, rows = tuple(result.keys()), result.all()
    if not rows:
        return []
    photos: dict[int, list[Row]] = {}
    for image in conn.execute(_IMAGES, {"products": [row.id for row in rows]}):
        photos.setdefault(image.product_id, []).append(image)  # a row reads like a ProductImage
    records = []
    for row in rows:
        record = Record(zip(keys, row, strict=True))
        record.household = Record({"id": row.household_id, "name": row._shop_name})
        record.images = photos.get(row.id, [])
        records.append(record)
    return records


def catalog_cards(db: Session, viewer: User | None, limit: int, offset: int = 0, **filters: Any) -> list[Row]:
    """A page of `catalog_query` as what a catalog card shows: id, slug, name, price, stars, `shop_name` and
    the cover's `cover_thumb`, in one query (the cover by a subquery on the photos' product index)."""
    shape, params = _shape(**filters)
    return db.connection().execute(_statement("cards", viewer, shape),
                                   {**params, "limit": limit, "offset": offset}).all()


def cover_path(db: Session, product_id: int) -> str | None:
    """The full-size file of a product's first photo (link previews want more than a thumbnail)."""
    return db.scalar(select(ProductImage.path).where(ProductImage.product_id == product_id)
                     .order_by(ProductImage.position, ProductImage.id).limit(1))


class Record(SimpleNamespace):
    def __init__(self, values) -> None:
        self.__dict__.update(values)


_FILTERS = ("commune", "household", "q", "group", "stars", "status")
_COMMUNE_ONLY = ("commune",)


def _shape(*, commune: str | None = None, household: int | None = None, q: str = "", group: str | None = None,
           stars: int | None = None, status: str | None = None) -> tuple[tuple, dict[str, Any]]:
    """Which filters a request uses (the statement's shape, several search words as term0, term1, ...) and
    their values (bound when it runs)."""
    terms = search_terms(q or "")
    params: dict[str, Any] = {name: value for name, value in (("commune", commune), ("household", household),
                                                              ("group", group), ("stars", stars),
                                                              ("status", status)) if value}
    for n, term in enumerate(terms):
        escaped = term.replace("/", "//").replace("%", "/%").replace("_", "/_")
        params[f"term{n}"] = f"%{escaped}%"
    shape = tuple(name for name in _FILTERS if name in params) + tuple(f"term{n}" for n in range(len(terms)))
    return shape, params


_ROW_COLUMNS = [c for c in Product.__table__.c if c.key != "search_text"]
_BASES = {
    # the shop comes from the join the filters need (not a second one), without its owner and commune: a
    # catalog page shows the shop's name; the rest loads only if something asks for it
    "objects": lambda: select(Product).join(Product.household).options(
        contains_eager(Product.household).options(lazyload(HouseholdBusiness.owner),
                                                  lazyload(HouseholdBusiness.commune))),
    "rows": lambda: select(*_ROW_COLUMNS, HouseholdBusiness.name.label("_shop_name")).select_from(Product).join(
        Product.household),
    "count": lambda: select(func.count(Product.id)).select_from(Product).join(Product.household),
    "cards": lambda: select(Product.id, Product.slug, Product.name, Product.price_vnd, Product.ocop_stars,
                            HouseholdBusiness.name.label("shop_name"), _COVER.label("cover_thumb"),
                            ).select_from(Product).join(Product.household),
}


def _statement(kind: str, viewer: User | None, shape: tuple) -> Select:
    if viewer is None:
        return _public_statement(kind, shape)
    return _visible(_BASES[kind](), viewer, shape, kind)


@lru_cache(maxsize=256)
def _public_statement(kind: str, shape: tuple) -> Select:
    return _visible(_BASES[kind](), None, shape, kind)


def _visible(stmt: Select, viewer: User | None, shape: tuple, kind: str) -> Select:
    where = {
        "commune": lambda: Product.commune_code == bindparam("commune"),
        "household": lambda: Product.household_id == bindparam("household"),
        "group": lambda: Product.product_group == bindparam("group"),
        "stars": lambda: Product.ocop_stars >= bindparam("stars"),
        "status": lambda: Product.status == bindparam("status"),
    }
    for name in shape:
        stmt = stmt.where(where[name]() if name in where else Product.search_text.like(bindparam(name), escape="/"))
    if kind != "count":
        stmt = stmt.order_by(Product.created_at.desc(), Product.id.desc())
    if kind in ("rows", "cards"):
        stmt = stmt.limit(bindparam("limit")).offset(bindparam("offset"))
    visible = policy.visible_communes(viewer)
    if visible is None:
        return stmt
    public = (Product.status == "active") & (HouseholdBusiness.status == "active")
    if viewer is None:
        return stmt.where(public)
    own = HouseholdBusiness.owner_id == viewer.id
    assisted = Product.household_id.in_(viewer.assisted_household_ids)
    return stmt.where(public | own | assisted | Product.commune_code.in_(visible))


_COVER = (select(ProductImage.thumb_path).where(ProductImage.product_id == Product.id)
          .order_by(ProductImage.position, ProductImage.id).limit(1).correlate(Product).scalar_subquery())
_IMAGES = (select(ProductImage.id, ProductImage.product_id, ProductImage.path, ProductImage.thumb_path,
                  ProductImage.width, ProductImage.height)
           .where(ProductImage.product_id.in_(bindparam("products", expanding=True)))
           .order_by(ProductImage.product_id, ProductImage.position, ProductImage.id))
