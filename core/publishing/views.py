"""Publishing in the API: publish, unpublish, retry, per-marketplace state, bulk publish of a shop."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from sqlalchemy import select

from core.api.base import bp, json_body, load, require_user
from core.api.spec import operation
from core.auth import policy
from core.db import session
from core.errors import NotFound
from core.models import Product
from core.publishing import adapters, moves, services
from core.publishing.models import Listing
from core.publishing.problems import describe, explain
from core.publishing.schemas import ListingSchema, OverrideSchema, PublishSchema
from core.services import integrations, products, shops
from core.services.shops import require


def _editable_product(product_id: int) -> Product:
    product = products.get_product(session(), product_id, require_user())
    require(policy.can_view_private(require_user(), product.household))
    return product


def _listing(listing_id: int) -> Listing:
    listing = session().get(Listing, listing_id)
    if listing is None or not policy.can_view_private(require_user(), listing.product.household):
        raise NotFound(_("This listing does not exist."))
    return listing


def _problems(found) -> dict[str, list[dict]]:
    return {name: [{**explain(p), "text": describe(explain(p))} for p in problems]
            for name, problems in found.items()}


@bp.get("/marketplaces")
@operation("Marketplaces installed, and which a commune has switched on (?commune=CODE)")
def list_marketplaces():
    from flask import request

    commune = request.args.get("commune")
    enabled = integrations.enabled_names(session(), commune, "marketplace") if commune else set()
    return jsonify({"items": [{"name": name, "display_name": cls.display_name, "enabled": name in enabled}
                              for name, cls in adapters.marketplaces().items()]})


@bp.get("/products/<int:product_id>/listings")
@operation("Where a product stands on each marketplace: state, live link, problems", response=ListingSchema,
           many=True, auth=True)
def product_listings(product_id: int):
    product = _editable_product(product_id)
    rows = session().scalars(select(Listing).where(Listing.product_id == product.id).order_by(Listing.marketplace))
    return jsonify({"items": ListingSchema(many=True).dump(rows)})


@bp.post("/products/<int:product_id>/listings")
@operation("Publish a product to some or all marketplaces; problems found up front are returned, not queued",
           body=PublishSchema, auth=True, status=202)
def publish_product(product_id: int):
    product = _editable_product(product_id)
    data = load(PublishSchema(), json_body())
    names = adapters.marketplace_names(session(), product.commune_code, data["marketplaces"])
    found = services.request_publish(session(), require_user(), product, names)
    rows = session().scalars(select(Listing).where(Listing.product_id == product.id).order_by(Listing.marketplace))
    return jsonify({"items": ListingSchema(many=True).dump(rows), "problems": _problems(found)}), 202


@bp.patch("/listings/<int:listing_id>")
@operation("Set a per-marketplace price or title", body=OverrideSchema, response=ListingSchema, auth=True)
def override_listing(listing_id: int):
    listing = _listing(listing_id)
    require(policy.can_edit_shop(require_user(), listing.product.household))
    data = load(OverrideSchema(partial=True), json_body())
    if "category_override" in data:  # only one of the marketplace's categories, as on the product page
        from core.publishing import connections

        connections.choose_category(session(), require_user(), listing, data.pop("category_override"))
    for key, value in data.items():
        setattr(listing, key, value)
    session().commit()
    moves.product_changed(session(), listing.product)
    return jsonify(ListingSchema().dump(listing))


@bp.delete("/listings/<int:listing_id>")
@operation("Take a listing down from its marketplace", response=ListingSchema, auth=True, status=202)
def unpublish_listing(listing_id: int):
    listing = services.request_unpublish(session(), require_user(), _listing(listing_id))
    return jsonify(ListingSchema().dump(listing)), 202


@bp.post("/listings/<int:listing_id>/retry")
@operation("Try a failed or refused listing again", response=ListingSchema, auth=True, status=202)
def retry_listing(listing_id: int):
    listing = _listing(listing_id)
    require(policy.can_edit_shop(require_user(), listing.product.household))
    return jsonify(ListingSchema().dump(services.retry(session(), listing))), 202


@bp.post("/households/<int:shop_id>/publish")
@operation("Publish every product on sale of a shop; follow progress with /listings/summary", body=PublishSchema,
           auth=True, status=202)
def publish_shop(shop_id: int):
    db = session()
    shop = shops.get_shop(db, shop_id)
    require(policy.can_edit_shop(require_user(), shop))
    data = load(PublishSchema(), json_body())
    names = adapters.marketplace_names(db, shop.commune_code, data["marketplaces"])
    items = db.scalars(select(Product).where(Product.household_id == shop.id, Product.status == "active"))
    problems = {}
    count = 0
    for product in items:
        count += 1
        found = services.request_publish(db, require_user(), product, names)
        if found:
            problems[str(product.id)] = _problems(found)
    return jsonify({"products": count, "marketplaces": names, "problems": problems,
                    "summary": services.summary(db, household=shop.id)}), 202


@bp.get("/households/<int:shop_id>/listings/summary")
@operation("Listings of a shop counted by marketplace and state (bulk publish progress)", auth=True)
def shop_listing_summary(shop_id: int):
    shop = shops.get_shop(session(), shop_id)
    require(policy.can_view_private(require_user(), shop))
    return jsonify(services.summary(session(), household=shop.id))
