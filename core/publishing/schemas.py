from marshmallow import fields, validate

from core.publishing.problems import describe
from core.schemas.common import BaseSchema, Dong, text


class ListingSchema(BaseSchema):
    id = fields.Integer()
    product_id = fields.Integer()
    marketplace = fields.String()
    state = fields.String()
    desired = fields.String()
    remote_id = fields.String(allow_none=True)
    url = fields.String(attribute="remote_url", allow_none=True)
    problems = fields.Function(lambda listing: [
        {**p, "text": describe(p)} for p in (listing.problems or [])])
    last_error = fields.String(allow_none=True)
    attempts = fields.Integer()
    next_retry_at = fields.DateTime(allow_none=True)
    price_override_vnd = fields.Integer(allow_none=True)
    title_override = fields.String(allow_none=True)
    category_override = fields.String(allow_none=True)
    updated_at = fields.DateTime()


class PublishSchema(BaseSchema):
    marketplaces = fields.List(fields.String(validate=validate.Length(min=1, max=40)), load_default=None,
                               metadata={"description": "names; omitted means every marketplace switched on"})


class OverrideSchema(BaseSchema):
    price_override_vnd = Dong(allow_none=True)
    title_override = text(150, allow_none=True)
    category_override = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9A-Za-z_.-]{1,64}$"),
                                      metadata={"description": "the marketplace's category id (GET …/categories "
                                                               "lists them); null goes back to the suggestion"})
