"""Direct orders in the API: place (reserving stock), look up by the buyer's link, cancel."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from marshmallow import fields, validate
from sqlalchemy import select

from core.api import bp, json_body, load
from core.api.spec import operation
from core.db import session
from core.errors import NotFound
from core.orders import reservations
from core.orders.models import Order
from core.schemas.common import BaseSchema, Dong, Phone, WholeNumber, text


class LineSchema(BaseSchema):
    product_id = WholeNumber(required=True)
    quantity = WholeNumber(required=True, validate=validate.Range(min=1, max=10_000))
    price_vnd = Dong(required=True)


class PlaceOrderSchema(BaseSchema):
    commune_code = fields.String(required=True)
    lines = fields.List(fields.Nested(LineSchema), required=True)
    name = text(120, required=True, min_length=2)
    phone = Phone(required=True)
    address = text(300, required=True, min_length=5)


class OrderItemSchema(BaseSchema):
    product_id = fields.Integer()
    household_id = fields.Integer()
    name = fields.String()
    quantity = fields.Integer()
    unit_price_vnd = fields.Integer()


class OrderSchema(BaseSchema):
    id = fields.Integer()
    state = fields.String()
    total_vnd = fields.Integer()
    expires_at = fields.DateTime(allow_none=True)
    link = fields.Function(lambda o: f"/api/v1/orders/{o.token}")
    items = fields.List(fields.Nested(OrderItemSchema))


def _by_token(token: str) -> Order:
    order = session().scalar(select(Order).where(Order.token == token)) if len(token) > 20 else None
    if order is None:
        raise NotFound(_("Nothing here."))
    return order


@bp.post("/orders")
@operation("Place an order: the stock is reserved until it is paid or the payment time runs out",
           body=PlaceOrderSchema, response=OrderSchema, status=201)
def place_order():
    data = load(PlaceOrderSchema(), json_body())
    lines = [reservations.Line(**line) for line in data["lines"]]
    order = reservations.place(session(), data["commune_code"], lines,
                               {"name": data["name"], "phone": data["phone"], "address": data["address"]})
    return jsonify(OrderSchema().dump(order)), 201


@bp.get("/orders/<token>")
@operation("An order by the buyer's link", response=OrderSchema)
def get_order(token: str):
    return jsonify(OrderSchema().dump(_by_token(token)))


@bp.post("/orders/<token>/cancel")
@operation("Cancel an unpaid order; its stock goes back on sale", response=OrderSchema)
def cancel_order(token: str):
    return jsonify(OrderSchema().dump(reservations.release(session(), _by_token(token))))
