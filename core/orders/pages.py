"""Buying pages: cart, checkout, the buyer's order page with payment; households fulfil and refund their part.

Every page works without JavaScript; only the card form needs it (the card number goes from the browser to
Stripe, never through choso). Pages are thin: the work is in cart, reservations, payments and refunds.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import fields, validate
from sqlalchemy import select

from core.auth import policy
from core.db import session
from core.errors import ChosoError
from core.i18n import money
from core.limits import image_limit
from core.models import Commune, HouseholdBusiness, Product, Province
from core.orders import cart, figures, fulfilment, payments, refunds, reservations, services, states
from core.orders.models import Order, OrderEvent, OrderPart, OrderPayment
from core.schemas.common import BaseSchema, Phone, text
from core.services import communes
from core.text import fold
from core.web.forms import form_data
from core.web.forms import validate as validate_form
from payments.providers.stripe_card import stripe_js_url
from payments.receipts.models import Receipt

bp = Blueprint("orders", __name__)


def _int(value: str | None, default: int = 0) -> int:
    value = (value or "").strip()
    return int(value) if value.isdigit() else default


# --- cart ------------------------------------------------------------------------------------------------

@bp.post("/cart/add")
def cart_add():
    product = session().get(Product, _int(request.form.get("product_id")))
    if product is None:
        abort(404)
    try:
        cart.add(product, _int(request.form.get("quantity"), 1))
        flash(_("%(name)s is in your cart.", name=product.name), "info")
    except ChosoError as exc:
        flash(str(exc.message), "error")
    return redirect(request.form.get("next") if _is_local(request.form.get("next")) else url_for("orders.cart_page"))


def _is_local(target: str | None) -> bool:
    return bool(target) and target.startswith("/") and not target.startswith("//")


@bp.route("/cart", methods=["GET", "POST"])
def cart_page():
    if request.method == "POST":
        for key, value in request.form.items():
            if key.startswith("q-"):
                cart.set_quantity(_int(key[2:]), _int(value))
        if remove := request.form.get("remove"):
            cart.set_quantity(_int(remove), 0)
        return redirect(url_for("orders.cart_page"))
    db = session()
    items = cart.lines(db)
    groups = cart.by_household(items)
    cash_only = {shop.id for shop, lines in groups
                 if not payments.online_choices(db, shop.commune_code, shop.id, sum(li.total_vnd for li in lines))}
    return render_template("orders/cart.html", groups=groups, items=items, cash_only=cash_only,
                           cash=bool(items) and bool(payments.provider(db, cart.commune_code(), "cash")),
                           total=sum(line.total_vnd for line in items))


class CheckoutSchema(BaseSchema):
    name = text(120, required=True, min_length=2)
    phone = Phone(required=True)
    email = fields.Email(load_default="", validate=validate.Length(max=254))
    province_code = fields.String(required=True, validate=validate.Length(equal=2))
    commune_name = text(120, required=True, min_length=2)
    address = text(300, required=True, min_length=5)


def _delivery_commune(province_code: str, name: str) -> tuple[Commune | None, list[str]]:
    found = communes.find(session(), name, province_code, limit=6)
    exact = [c for c in found if c.name_folded.endswith(fold(name))] if found else []
    if len(found) == 1 or len(exact) == 1:
        return (found[0] if len(found) == 1 else exact[0]), []
    if not found:
        return None, [_("No commune of this province has this name (communes since the 2025 reform).")]
    return None, [_("Several communes match: %(names)s.", names=", ".join(c.name for c in found))]


@bp.route("/checkout", methods=["GET", "POST"])
def checkout():
    db = session()
    items = cart.lines(db)
    if not items:
        flash(_("The cart is empty."), "error")
        return redirect(url_for("orders.cart_page"))
    seller = db.get(Commune, cart.commune_code())
    form, errors = dict(request.form), {}
    if request.method == "POST":
        data, errors = validate_form(CheckoutSchema(), form_data(CheckoutSchema(), request.form))
        delivery = None
        if data:
            delivery, problems = _delivery_commune(data["province_code"], data["commune_name"])
            if problems:
                errors["commune_name"] = problems
        if not errors:
            lines = [reservations.Line(line.product.id, line.quantity, line.price_vnd) for line in items]
            buyer = {"name": data["name"], "phone": data["phone"], "email": data["email"],
                     "address": f"{data['address']}, {delivery.name}, {delivery.province.name}",
                     "delivery_commune_code": delivery.code}
            try:
                order = reservations.place(db, seller.code, lines, buyer)
            except ChosoError as exc:
                flash(str(exc.message), "error")
                for messages in exc.fields.values():
                    for message in messages if isinstance(messages, list) else [messages]:
                        if isinstance(message, str) and message != exc.message:
                            flash(message, "error")
                cart.accept_prices(db)  # the buyer now sees the new prices in the cart
                return redirect(url_for("orders.cart_page"))
            cart.clear()
            return redirect(url_for("orders.order_page", token=order.token))
    else:
        form = {"province_code": seller.province_code, "commune_name": seller.name}
    provinces = db.scalars(select(Province).order_by(Province.name_folded)).all()
    return render_template("orders/checkout.html", form=form, errors=errors, provinces=provinces,
                           groups=cart.by_household(items), total=sum(line.total_vnd for line in items))


# --- the buyer's order page ----------------------------------------------------------------------------------

def _order(token: str) -> Order:
    try:
        return payments.order_by_token(session(), token)
    except ChosoError:
        abort(404)


@bp.get("/orders/<token>")
def order_page(token: str):
    db = session()
    order = _order(token)
    shops = {s.id: s for s in db.scalars(select(HouseholdBusiness).where(
        HouseholdBusiness.id.in_([p.household_id for p in order.parts])))}
    receipts = {p.id: db.scalars(select(Receipt).where(Receipt.order_part_id == p.id).order_by(Receipt.id)).all()
                for p in order.parts}
    choices = {p.id: payments.choices(db, p) for p in order.parts if p.state == states.PENDING_PAYMENT}
    cash = bool(payments.provider(db, order.commune_code, "cash"))
    stripe_settings = None
    if any(c.identifier == "stripe" for options in choices.values() for c in options) or any(
            pay.provider == "stripe" and pay.state == "requires_action" for p in order.parts for pay in p.payments):
        stripe_settings = payments.provider(db, order.commune_code, "stripe").settings
    transfers = {p.id: _transfer(db, p) for p in order.parts if p.state == states.PENDING_PAYMENT}
    response = make_response(render_template(
        "orders/order.html", order=order, shops=shops, receipts=receipts, choices=choices, cash=cash,
        stripe=stripe_settings, stripe_js_url=stripe_js_url(), open_payment=_open_payment, transfers=transfers))
    if stripe_settings:
        response.headers["Content-Security-Policy"] = _card_policy(stripe_settings)
    return response


def _transfer(db, part: OrderPart, payment=None):
    """The open VietQR payment of a part as text to copy: the account recorded when the payment started (the
    one its QR names, and the only one whose money pays the part), with its holder's name."""
    from payments.pages import Transfer, _bank_name

    payment = payment or _open_payment(part)
    if payment is None or not payment.next_step.get("qr_payload") or not payment.payee_account_number:
        return None
    payee = payments.request_for(db, part).payee
    holder = payee.account_name if payee and payee.account_number == payment.payee_account_number else ""
    return Transfer(_bank_name(payment.payee_bank_bin or ""), payment.payee_account_number, holder,
                    payment.amount_vnd, part.reference or "")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _card_policy(settings: dict) -> str:
    """The site's policy, opened just enough for Stripe.js: its script, its calls to the API, its 3-D Secure
    frames (Stripe's published list), and nothing else."""
    js, api = _origin(stripe_js_url()), _origin(settings["api_base"])
    return (f"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self' {js}; "
            f"connect-src 'self' {api} {js}; frame-src {js} https://js.stripe.com https://hooks.stripe.com; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


def _part(order: Order, part_id: int) -> OrderPart:
    try:
        return payments.part_of(order, part_id)
    except ChosoError:
        abort(404)


def _open_payment(part: OrderPart) -> OrderPayment | None:
    live = [p for p in part.payments if p.state in states.OPEN_PAYMENT]
    return live[-1] if live else None


@bp.post("/orders/<token>/parts/<int:part_id>/pay")
def pay(token: str, part_id: int):
    order = _order(token)
    try:
        part = payments.part_of(order, part_id)
        data = {"card_token": request.form.get("card_token", "")}
        payments.start(session(), part, request.form.get("method", ""), data)
    except ChosoError as exc:
        flash(str(exc.message), "error")
    return redirect(url_for("orders.order_page", token=token) + f"#part-{part_id}")


@bp.post("/orders/<token>/payments/<int:payment_id>/confirm")
def confirm(token: str, payment_id: int):
    order = _order(token)
    db = session()
    payment = db.get(OrderPayment, payment_id)
    if payment is None or payment.part.order_id != order.id:
        abort(404)
    try:
        payments.confirm(db, payment)
    except ChosoError as exc:
        flash(str(exc.message), "error")
    return redirect(url_for("orders.order_page", token=token) + f"#part-{payment.part_id}")


@bp.post("/orders/<token>/parts/<int:part_id>/cancel")
def cancel(token: str, part_id: int):
    order = _order(token)
    reservations.release(session(), order, only_part=_part(order, part_id).id)
    flash(_("Cancelled; the products are back on sale."), "info")
    return redirect(url_for("orders.order_page", token=token))


@bp.get("/orders/<token>/parts/<int:part_id>/qr.<fmt>")
@image_limit("render")
def part_qr(token: str, part_id: int, fmt: str):
    from payments.pages import _image
    from payments.vietqr import render

    order = _order(token)
    part = _part(order, part_id)
    payment = _open_payment(part)
    payload = payment.next_step.get("qr_payload") if payment else None
    if not payload or fmt not in ("png", "svg"):
        abort(404)
    transfer = _transfer(session(), part, payment)
    caption = render.Caption((transfer.bank, transfer.holder, money(payment.amount_vnd), part.reference))
    name = f"vietqr-{part.reference}"
    if fmt == "svg":
        return _image(render.svg(payload, caption=caption), "image/svg+xml", payload + "svg", name)
    return _image(render.png(payload, caption=caption), "image/png", payload + "png", name)


# --- households fulfil their parts; staff record cash --------------------------------------------------------

def _my_part(part_id: int) -> tuple[OrderPart, HouseholdBusiness]:
    try:
        return services.part_to_fulfil(session(), current_user, part_id)
    except ChosoError:
        abort(404)


def my_parts(user, limit: int = 100) -> list[OrderPart]:
    db = session()
    shops = [s for s in db.scalars(select(HouseholdBusiness).where(
        HouseholdBusiness.commune_code.in_(user.communes_with("helper", "staff") or [""])
        | (HouseholdBusiness.owner_id == user.id))) if policy.can_fulfil_orders(user, s)]
    if not shops:
        return []
    return list(db.scalars(select(OrderPart).where(OrderPart.household_id.in_([s.id for s in shops]))
                           .order_by(OrderPart.id.desc()).limit(limit)))


@bp.get("/dashboard/orders")
@login_required
def household_orders():
    parts = my_parts(current_user)
    shops = {s.id: s for s in session().scalars(select(HouseholdBusiness).where(
        HouseholdBusiness.id.in_({p.household_id for p in parts})))} if parts else {}
    return render_template("orders/household_orders.html", parts=parts, shops=shops)


@bp.route("/dashboard/orders/<int:part_id>", methods=["GET", "POST"])
@login_required
def household_order(part_id: int):
    db = session()
    part, shop = _my_part(part_id)
    if request.method == "POST":
        try:
            if request.form.get("action") == "refund":
                late = part.state == states.CANCELLED
                quantities = {item.id: _int(request.form.get(f"refund-{item.id}")) for item in part.items}
                record = refunds.refund(db, current_user, part, quantities, request.form.get("reason", ""),
                                        idempotency_key=request.form.get("idempotency_key") or None)
                if late:
                    by_hand = record.remote_id is None
                    flash(" ".join([_("Return of %(amount)s recorded.", amount=money(record.amount_vnd))]
                                   + ([_("Transfer it back to the buyer yourself.")] if by_hand else [])), "info")
                else:
                    flash(_("Refunded; the items are back in stock."), "info")
            else:
                fulfilment.move_on(db, part.id, request.form.get("to", ""), current_user)
                flash(_("Saved."), "info")
        except ChosoError as exc:
            db.rollback()
            flash(str(exc.message), "error")
        return redirect(url_for("orders.household_order", part_id=part_id))
    if not part.seen_by_household and current_user.id == shop.owner_id:
        part.seen_by_household = True
        db.commit()
    events = db.scalars(select(OrderEvent).where(OrderEvent.order_id == part.order_id, (
        OrderEvent.part_id == part.id) | OrderEvent.part_id.is_(None)).order_by(OrderEvent.id)).all()
    receipts = db.scalars(select(Receipt).where(Receipt.order_part_id == part.id).order_by(Receipt.id)).all()
    return render_template("orders/household_order.html", part=part, shop=shop, order=part.order, events=events,
                           receipts=receipts, next_state=states.HOUSEHOLD_MOVES.get(part.state),
                           refundable=part.state in states.REFUNDABLE,
                           late_money=part.paid_vnd - part.refunded_vnd if part.state == states.CANCELLED else 0)


@bp.route("/staff/<code>/orders", methods=["GET", "POST"])
@login_required
def staff_orders(code: str):
    db = session()
    commune = db.get(Commune, code)
    if commune is None or not policy.is_commune_staff(current_user, code):
        abort(403)
    if request.method == "POST":
        part = db.get(OrderPart, _int(request.form.get("part_id")))
        if part is None or part.order.commune_code != code:
            abort(404)
        try:
            payments.record_cash(db, current_user, part)
            flash(_("Cash recorded; the household sees the order as paid."), "info")
        except ChosoError as exc:
            flash(str(exc.message), "error")
        return redirect(url_for("orders.staff_orders", code=code))
    parts = db.scalars(select(OrderPart).join(Order).where(Order.commune_code == code)
                       .order_by(OrderPart.id.desc()).limit(100)).all()
    shops = {s.id: s for s in db.scalars(select(HouseholdBusiness).where(HouseholdBusiness.commune_code == code))}
    return render_template("orders/staff_orders.html", commune=commune, parts=parts, shops=shops,
                           figures=figures.summary(db, code))
