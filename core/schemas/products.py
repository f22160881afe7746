from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from core.models.products import OCOP_GROUPS, PRODUCT_STATUSES
from core.schemas.common import BaseSchema, Dong, PageSchema, RowId, bounded, text

_CHOICE = _l("Choose one of: {choices}.")


class ImageSchema(BaseSchema):
    id = fields.Integer()
    url = fields.Function(lambda i: f"/uploads/{i.path}")
    thumb_url = fields.Function(lambda i: f"/uploads/{i.thumb_path}")
    width = fields.Integer()
    height = fields.Integer()


class ShopRefSchema(BaseSchema):
    id = fields.Integer()
    name = fields.String()


class ProductSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    household_id = RowId(required=True)
    household = fields.Nested(ShopRefSchema, dump_only=True)
    commune_code = fields.String(dump_only=True)
    name = text(150, min_length=2, required=True)
    slug = fields.String(dump_only=True)
    description = text(5000)
    product_group = fields.String(required=True, validate=validate.OneOf(list(OCOP_GROUPS), error=_CHOICE))
    ocop_stars = bounded(3, 5, allow_none=True)
    ocop_certificate_no = text(60, allow_none=True, metadata={"description": "needed when ocop_stars is given"})
    ocop_issued_on = fields.Date(allow_none=True)
    ocop_expires_on = fields.Date(allow_none=True, metadata={"description": "after ocop_issued_on (else 422)"})
    origin = text(200)
    unit = text(30)
    net_weight_g = bounded(1, 1_000_000, allow_none=True)
    shelf_life_days = bounded(1, 3650, allow_none=True)
    season = text(100)
    price_vnd = Dong(required=True)
    stock = bounded(0, 10_000_000)
    sku = text(40, allow_none=True)
    status = fields.String(validate=validate.OneOf(PRODUCT_STATUSES, error=_CHOICE))
    images = fields.List(fields.Nested(ImageSchema), dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    @validates_schema
    def _ocop(self, data: dict, **_) -> None:
        if data.get("ocop_stars") and not data.get("ocop_certificate_no"):
            raise ValidationError({"ocop_certificate_no": [
                _l("An OCOP rating needs its certificate or decision number.")]})
        issued, expires = data.get("ocop_issued_on"), data.get("ocop_expires_on")
        if issued and expires and expires <= issued:
            raise ValidationError({"ocop_expires_on": [_l("The expiry date must come after the issue date.")]})


class ProductQuerySchema(PageSchema):
    commune = fields.String(load_default=None)
    household = RowId(load_default=None)
    q = fields.String(load_default="", metadata={"description": "words, accents and case ignored"})
    group = fields.String(load_default=None, validate=validate.OneOf(list(OCOP_GROUPS), error=_CHOICE))
    stars = bounded(3, 5, load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(PRODUCT_STATUSES, error=_CHOICE))
