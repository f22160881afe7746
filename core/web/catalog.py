"""The commune's public catalog, product and shop pages: light, mobile first, no JavaScript needed."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from marshmallow import ValidationError

from core.auth import policy
from core.auth.current import page_user
from core.catalog_cache import cached_public
from core.db import session
from core.errors import NotFound
from core.models import OCOP_GROUPS, Commune
from core.schemas.common import page_meta
from core.schemas.products import ProductQuerySchema
from core.services import communes, products, shops

bp = Blueprint("catalog", __name__)


@bp.get("/")
def home():
    code = current_app.config.get("DEFAULT_COMMUNE")
    if code and session().get(Commune, code):
        return redirect(url_for("catalog.commune", code=code))
    q = request.args.get("q", "")
    found = communes.find(session(), q, limit=30) if q else []
    return render_template("catalog/communes.html", q=q, communes=found)


_PAGE_QUERY = ProductQuerySchema(exclude=("commune", "status"))  # loading keeps no state: one instance


@bp.get("/c/<code>")
@cached_public(lambda code: code)
def commune(code: str):
    db = session()
    place = communes.place(db, code)
    if place is None:
        abort(404)
    try:
        args = _PAGE_QUERY.load({k: v for k, v in request.args.items() if v and k != "lang"})
    except ValidationError:
        args = _PAGE_QUERY.load({})
    filters = {"commune": code, "household": args["household"], "q": args["q"], "group": args["group"],
               "stars": args["stars"]}
    total = products.catalog_total(db, None, **filters)
    per_page = 24
    items = products.catalog_cards(db, None, per_page, (args["page"] - 1) * per_page, **filters)
    return render_template("catalog/index.html", place=place, items=items, args=args, groups=OCOP_GROUPS,
                           meta=page_meta(args["page"], per_page, total))


@bp.get("/p/<int:product_id>")
@bp.get("/p/<int:product_id>-<slug>")
def product(product_id: int, slug: str | None = None):
    try:
        item = products.get_product(session(), product_id, page_user())
    except NotFound:
        abort(404)
    return render_template("catalog/product.html", product=item, groups=OCOP_GROUPS)


@bp.get("/s/<int:shop_id>")
@bp.get("/s/<int:shop_id>-<slug>")
def shop(shop_id: int, slug: str | None = None):
    db = session()
    try:
        found = shops.get_shop(db, shop_id)
    except NotFound:
        abort(404)
    if not (policy.is_public(found) or policy.can_view_private(page_user(), found)):
        abort(404)
    items = products.catalog_cards(db, None, 100, household=found.id)
    pictured = next((item for item in items if item.cover_thumb), None)
    photo = products.cover_path(db, pictured.id) if pictured else None
    return render_template("catalog/shop.html", shop=found, items=items, photo=photo)
