"""Orders in the API: place (reserving stock), pay each household's part, provider webhooks, fulfil, refund."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from marshmallow import fields, validate
from sqlalchemy import select

from core.api.base import Unauthorized, bp, json_body, load, require_user
from core.api.spec import operation
from core.auth import policy
from core.db import session
from core.errors import ChosoError, Forbidden, NotFound
from core.models import Commune, HouseholdBusiness
from core.orders import figures, fulfilment, payments, refunds, reservations, services, states
from core.orders.models import OrderPart
from core.schemas.common import BaseSchema, Dong, Phone, RowId, WholeNumber, text
from plugins.payment import WebhookRejected


class LineSchema(BaseSchema):
    product_id = RowId(required=True)
    quantity = WholeNumber(required=True, validate=validate.Range(min=1, max=10_000))
    price_vnd = Dong(required=True)


class PlaceOrderSchema(BaseSchema):
    commune_code = fields.String(required=True, metadata={
        "pattern": r"^[0-9]{5}$", "description": "the official code of a commune choso serves (GET /api/v1/communes)"})
    lines = fields.List(fields.Nested(LineSchema), required=True, validate=validate.Length(min=1), metadata={
        "description": "products on sale in commune_code at their current price_vnd; a product named in several "
                       "lines is ordered once with the quantities added. A product no longer on sale or at another "
                       "price now (the catalog changed meanwhile) is 409 with a message per product id, and so is "
                       "a quantity beyond the stock left"})
    name = text(120, required=True, min_length=2)
    phone = Phone(required=True)
    email = fields.Email(load_default="")
    address = text(300, required=True, min_length=5)
    delivery_commune_code = fields.String(load_default=None, validate=validate.Regexp(r"^\d{5}$"))


class OrderItemSchema(BaseSchema):
    id = fields.Integer()
    product_id = fields.Integer()
    household_id = fields.Integer()
    name = fields.String()
    quantity = fields.Integer()
    unit_price_vnd = fields.Integer()
    refunded_quantity = fields.Integer()


class NextStepSchema(BaseSchema):
    kind = fields.String(metadata={"description": "show_qr, redirect, confirm_card, pay_at_office or done"})
    qr_payload = fields.String(allow_none=True, metadata={"description": "the VietQR text to show as a code"})
    url = fields.String(allow_none=True, metadata={"description": "where to send the buyer (redirect)"})
    client_secret = fields.String(allow_none=True, metadata={"description": "for Stripe.js (confirm_card)"})
    message = fields.String(allow_none=True)


class PaymentSchema(BaseSchema):
    id = fields.Integer()
    provider = fields.String()
    state = fields.String()
    amount_vnd = fields.Integer()
    refunded_vnd = fields.Integer()
    next_step = fields.Nested(NextStepSchema)
    last_error = fields.String(allow_none=True)


class PartSchema(BaseSchema):
    id = fields.Integer()
    household_id = fields.Integer()
    state = fields.String()
    subtotal_vnd = fields.Integer()
    paid_vnd = fields.Integer()
    refunded_vnd = fields.Integer()
    reference = fields.String(allow_none=True)
    items = fields.List(fields.Nested(OrderItemSchema))
    payments = fields.List(fields.Nested(PaymentSchema))


class OrderSchema(BaseSchema):
    id = fields.Integer()
    state = fields.String()
    total_vnd = fields.Integer()
    expires_at = fields.DateTime(allow_none=True)
    link = fields.Function(lambda o: f"/api/v1/orders/{o.token}" if o.token else None)
    page = fields.Function(lambda o: f"/orders/{o.token}" if o.token else None)
    items = fields.List(fields.Nested(OrderItemSchema))
    parts = fields.List(fields.Nested(PartSchema))


class PayBodySchema(BaseSchema):
    method = fields.String(required=True, validate=validate.Length(min=1, max=40))
    card_token = fields.String(load_default="")


class MoveSchema(BaseSchema):
    state = fields.String(required=True, validate=validate.OneOf(list(states.HOUSEHOLD_MOVES.values())))


class RefundBodySchema(BaseSchema):
    items = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^\d+$")),
                        values=fields.Integer(validate=validate.Range(min=0, max=10_000)), required=True, metadata={
                            "description": "quantity to give back per item id of this part (digits), at most what "
                                           "was bought less what was given back already (else 422 on items)"})
    reason = text(300, load_default="")


class FiguresSchema(BaseSchema):
    paid_orders = fields.Integer()
    households_selling = fields.Integer()
    sales_vnd = fields.Integer()
    cashless_vnd = fields.Integer()
    cash_vnd = fields.Integer()
    refunded_vnd = fields.Integer()
    cashless_share = fields.Float(allow_none=True)


@bp.post("/orders")
@operation("Place an order: the stock is reserved until it is paid or the payment time runs out; "
           "one part per household, each paid on its own", body=PlaceOrderSchema, response=OrderSchema, status=201)
def place_order():
    data = load(PlaceOrderSchema(), json_body())
    if data["delivery_commune_code"] and session().get(Commune, data["delivery_commune_code"]) is None:
        msg = _("No commune has this code.")
        raise ChosoError(msg, {"delivery_commune_code": [msg]})
    lines = [reservations.Line(**line) for line in data["lines"]]
    order = reservations.place(session(), data["commune_code"], lines, {
        key: data[key] for key in ("name", "phone", "email", "address", "delivery_commune_code")})
    return jsonify(OrderSchema().dump(order)), 201


@bp.get("/orders/<token>")
@operation("An order by the buyer's link", response=OrderSchema)
def get_order(token: str):
    return jsonify(OrderSchema().dump(payments.order_by_token(session(), token)))


@bp.post("/orders/<token>/cancel")
@operation("Cancel the unpaid parts of an order; their stock goes back on sale", response=OrderSchema)
def cancel_order(token: str):
    return jsonify(OrderSchema().dump(reservations.release(session(), payments.order_by_token(session(), token))))


@bp.post("/orders/<token>/parts/<int:part_id>/payments")
@operation("Start paying one household's part (method: vietqr, stripe with a card token, or a plugin's); "
           "the answer's next_step says what the buyer does next", body=PayBodySchema, response=PaymentSchema,
           status=201)
def pay_part(token: str, part_id: int):
    part = payments.part_of(payments.order_by_token(session(), token), part_id)  # the order first: 404 before 422
    data = load(PayBodySchema(), json_body())
    payment = payments.start(session(), part, data["method"], {"card_token": data["card_token"]})
    return jsonify(PaymentSchema().dump(payment)), 201


@bp.post("/orders/<token>/payments/<int:payment_id>/confirm")
@operation("After the buyer's next step (a 3-D Secure check), ask the provider where the payment stands",
           response=PaymentSchema)
def confirm_payment(token: str, payment_id: int):
    order = payments.order_by_token(session(), token)
    payment = next((p for part in order.parts for p in part.payments if p.id == payment_id), None)
    if payment is None:
        raise NotFound(_("Nothing here."))
    return jsonify(PaymentSchema().dump(payments.confirm(session(), payment)))


@bp.post("/webhooks/providers/<identifier>/<commune>")
@operation("Webhook of a payment provider (Stripe: payment_intent.succeeded / payment_failed), signature checked",
           signed=True)
def provider_webhook(identifier: str, commune: str):
    db = session()
    instance = payments.provider(db, commune, identifier)
    if instance is None:
        raise NotFound(_("Nothing here."))
    try:
        updates = instance.handle_webhook(request.headers, request.get_data())
    except WebhookRejected as exc:
        raise Unauthorized(_("The signature of this notification is not valid."),
                           counted_as=("payment-provider", identifier, commune)) from exc
    for update in updates:
        payments.apply(db, identifier, update)
    return jsonify({"received": True, "updates": len(updates)})


def _part_for(part_id: int) -> tuple[OrderPart, HouseholdBusiness]:
    return services.part_to_fulfil(session(), require_user(), part_id)


@bp.get("/shops/<int:shop_id>/orders")
@operation("A household's parts of orders, newest first", response=PartSchema, many=True, auth=True)
def shop_orders(shop_id: int):
    user = require_user()
    shop = session().get(HouseholdBusiness, shop_id)
    if shop is None or not policy.can_fulfil_orders(user, shop):
        raise NotFound(_("Nothing here."))
    parts = session().scalars(select(OrderPart).where(OrderPart.household_id == shop_id)
                              .order_by(OrderPart.id.desc()).limit(200)).all()
    return jsonify({"items": PartSchema(many=True).dump(parts)})


@bp.post("/order-parts/<int:part_id>/state")
@operation("Move a paid part on: confirmed, shipped, delivered", body=MoveSchema, response=PartSchema, auth=True)
def move_part(part_id: int):
    _part_for(part_id)  # the rights first: the household's own part, or its helper's
    data = load(MoveSchema(), json_body())
    part = fulfilment.move_on(session(), part_id, data["state"], require_user())
    return jsonify(PartSchema().dump(part))


@bp.post("/order-parts/<int:part_id>/refunds")
@operation("Refund items of a paid part: money back through the provider, items back in stock, a cancelling "
           "receipt", body=RefundBodySchema, response=PartSchema, status=201, auth=True)
def refund_part(part_id: int):
    part, _shop = _part_for(part_id)
    data = load(RefundBodySchema(), json_body())
    key = request.headers.get("Idempotency-Key", "").strip()[:80] or None
    refunds.refund(session(), require_user(), part, {int(k): v for k, v in data["items"].items()}, data["reason"],
                   idempotency_key=key)
    session().refresh(part)
    return jsonify(PartSchema().dump(part)), 201


@bp.post("/order-parts/<int:part_id>/cash")
@operation("Staff record cash taken at the commune office for a part", response=PaymentSchema, status=201, auth=True)
def record_cash(part_id: int):
    user = require_user()
    part = session().get(OrderPart, part_id)
    if part is None or not policy.can_record_cash(user, part.order.commune_code):
        raise NotFound(_("Nothing here."))
    return jsonify(PaymentSchema().dump(payments.record_cash(session(), user, part))), 201


@bp.get("/communes/<code>/orders/figures")
@operation("Sales of the commune's direct orders: paid, without cash, refunded", response=FiguresSchema, auth=True)
def order_figures(code: str):
    user = require_user()
    if not policy.is_commune_staff(user, code):
        raise Forbidden(_("You are not allowed to do this."))
    result = figures.summary(session(), code)
    return jsonify({**FiguresSchema().dump(result), "cashless_share": result.cashless_share})
