from marshmallow import fields

from core.schemas.common import BaseSchema, PageSchema


class CommuneSchema(BaseSchema):
    code = fields.String(metadata={"description": "official 5-digit code after the 2025 reform"})
    name = fields.String()
    division_type = fields.String()
    province_code = fields.String()
    province_name = fields.Function(lambda c: c.province.name)


class CommuneQuerySchema(PageSchema):
    q = fields.String(load_default="", metadata={"description": "name, accents and case ignored"})
    province = fields.String(load_default=None)
