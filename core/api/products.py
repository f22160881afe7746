"""Products and their photos."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from core.api.base import authenticated, bp, json_body, load, query, require_user
from core.api.spec import operation
from core.auth.current import api_user
from core.catalog_cache import cached_public
from core.db import session
from core.errors import Invalid, NotFound
from core.models import ProductImage
from core.schemas import fast
from core.schemas.common import page_meta
from core.schemas.products import ImageSchema, ProductQuerySchema, ProductSchema
from core.services import images, products
from core.storage import storage

_CATALOG_QUERY = ProductQuerySchema()  # loading keeps no state: one instance, not one per request


@bp.get("/products")
@cached_public(lambda: request.args.get("commune"))
@operation("The catalog: search ignores accents and case; filter by commune, shop, OCOP group and stars",
           query=ProductQuerySchema, response=ProductSchema, many=True)
def list_products():
    args = query(_CATALOG_QUERY)
    filters = {k: args[k] for k in ("commune", "household", "q", "group", "stars", "status")}
    db, viewer, per_page = session(), api_user(), args["per_page"]
    total = products.catalog_total(db, viewer, **filters)
    items = products.catalog_records(db, viewer, per_page, (args["page"] - 1) * per_page, **filters)
    dump = fast.dumper(ProductSchema)
    return jsonify({"items": [dump(item) for item in items], "meta": page_meta(args["page"], per_page, total)})


@bp.post("/products")
@authenticated
@operation("Add a product to a shop", body=ProductSchema, response=ProductSchema, auth=True, status=201)
def create_product():
    data = load(ProductSchema(), json_body())
    product = products.create_product(session(), require_user(), data)
    return jsonify(ProductSchema().dump(product)), 201


@bp.get("/products/<int:product_id>")
@operation("One product", response=ProductSchema)
def get_product(product_id: int):
    return jsonify(ProductSchema().dump(products.get_product(session(), product_id, api_user())))


_PRODUCT_EDIT = ProductSchema(partial=True, exclude=("household_id",))  # a product never changes shop


@bp.patch("/products/<int:product_id>")
@authenticated
@operation("Edit a product", body=_PRODUCT_EDIT, response=ProductSchema, auth=True)
def update_product(product_id: int):
    product = products.get_product(session(), product_id, api_user())
    data = load(_PRODUCT_EDIT, json_body())
    return jsonify(ProductSchema().dump(products.update_product(session(), require_user(), product, data)))


@bp.delete("/products/<int:product_id>")
@authenticated
@operation("Archive a product (kept for orders and history)", response=ProductSchema, auth=True)
def archive_product(product_id: int):
    product = products.get_product(session(), product_id, api_user())
    return jsonify(ProductSchema().dump(products.archive_product(session(), require_user(), product)))


@bp.post("/products/<int:product_id>/images")
@authenticated
@operation("Upload a photo (multipart field 'file'); re-encoded, metadata removed", response=ImageSchema,
           auth=True, status=201, content="multipart/form-data")
def upload_image(product_id: int):
    product = products.get_product(session(), product_id, api_user())
    upload = request.files.get("file")
    if upload is None:
        raise Invalid(_("Attach a photo in the field “file”."), {"file": [_("Attach a photo.")]})
    image = images.add_image(session(), storage(), require_user(), product, upload.read())
    return jsonify(ImageSchema().dump(image)), 201


@bp.delete("/images/<int:image_id>")
@authenticated
@operation("Remove a photo", auth=True, status=204)
def delete_image(image_id: int):
    image = session().get(ProductImage, image_id)
    if image is None:
        raise NotFound(_("This photo does not exist."))
    products.get_product(session(), image.product_id, api_user())
    images.remove_image(session(), storage(), require_user(), image)
    return "", 204
