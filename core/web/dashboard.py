"""Dashboards: a household manages its shop; a helper picks a household assigned to it and acts for it."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core import labels
from core.auth import policy
from core.db import session
from core.errors import ChosoError, Invalid
from core.limits import carries_photos
from core.models import OCOP_GROUPS, AuditLog, HouseholdBusiness, Product, ProductImage
from core.models.products import PRODUCT_STATUSES
from core.schemas.households import BankAccountSchema, HouseholdSchema
from core.schemas.products import ProductSchema
from core.services import bank_accounts, csv_io, helpers, images, products, shops
from core.storage import storage
from core.web.forms import form_data, validate
from payments.vietqr.banks import all_banks

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
bp.before_request(login_required(lambda: None))


def _shop(shop_id: int) -> HouseholdBusiness:
    shop = session().get(HouseholdBusiness, shop_id)
    if shop is None or not policy.can_view_private(current_user, shop):
        abort(404)
    return shop


def _editable_product(product_id: int) -> Product:
    product = session().get(Product, product_id)
    if product is None or not policy.can_edit_shop(current_user, product.household):
        abort(404)
    return product


@bp.get("/")
def index():
    db = session()
    managed = shops.managed_shops(db, current_user)
    q = request.args.get("q", "")
    if q:
        managed = [s for s in managed if shops.matches(s, q)]
    helper_of = sorted(current_user.communes_with("helper"))
    own_communes = sorted(current_user.communes_with("household", "helper"))
    from core.orders.models import OrderPart

    new_orders = db.scalar(select(func.count(OrderPart.id)).where(
        OrderPart.household_id.in_([s.id for s in managed if s.owner_id == current_user.id] or [0]),
        OrderPart.seen_by_household.is_(False), OrderPart.state != "cancelled")) or 0
    return render_template("dashboard/index.html", shops=managed, q=q, helper_of=helper_of,
                           own_communes=own_communes, errors={}, form={}, new_orders=new_orders)


@bp.get("/helped")
def helped():
    """What this helper did, for whom, this month (Vietnam time): the records the assisted figure counts."""
    from core.metrics.services import bounds, current_month

    month = current_month()
    start, end = bounds(month)
    rows = session().execute(
        select(AuditLog.at, AuditLog.action, HouseholdBusiness.name, HouseholdBusiness.id)
        .join(HouseholdBusiness, HouseholdBusiness.id == AuditLog.on_behalf_of_id)
        .where(AuditLog.actor_id == current_user.id, AuditLog.assignment_id.is_not(None),
               AuditLog.at >= start, AuditLog.at < end).order_by(AuditLog.at.desc()).limit(500)).all()
    households = sorted({(r.name, r.id) for r in rows})
    return render_template("dashboard/helped.html", rows=rows, households=households, month=month,
                           words=labels.AUDIT_ACTIONS)


@bp.post("/shops")
def open_shop():
    schema = HouseholdSchema(exclude=("status",))
    data, errors = validate(schema, form_data(schema, request.form))
    if not errors:
        try:
            shop = shops.open_shop(session(), current_user, data)
            flash(_("The shop is open."), "info")
            return redirect(url_for("dashboard.shop", shop_id=shop.id))
        except ChosoError as exc:
            errors = exc.fields or {"_": [str(exc.message)]}
    managed = shops.managed_shops(session(), current_user)
    return render_template("dashboard/index.html", shops=managed, q="", errors=errors, form=request.form,
                           helper_of=sorted(current_user.communes_with("helper")),
                           own_communes=sorted(current_user.communes_with("household", "helper"))), 422


@bp.get("/shops/<int:shop_id>")
def shop(shop_id: int):
    return _shop_page(_shop(shop_id))


@bp.post("/shops/<int:shop_id>")
def update_shop(shop_id: int):
    found = _shop(shop_id)
    schema = HouseholdSchema(partial=True, exclude=("commune_code", "owner_phone", "status"))
    data, errors = validate(schema, form_data(schema, request.form, nullable=("registration_number",
                                                                                "tax_code", "phone")))
    if not errors:
        try:
            shops.update_shop(session(), current_user, found, data)
            flash(_("Saved."), "info")
            return redirect(url_for("dashboard.shop", shop_id=found.id))
        except ChosoError as exc:
            errors = exc.fields or {"_": [str(exc.message)]}
    return _shop_page(found, errors=errors, form=request.form), 422


def _shop_page(found: HouseholdBusiness, **extra) -> str:
    from core.publishing import adapters, connections
    from core.publishing import services as publishing

    db = session()
    items = db.scalars(products.catalog_query(current_user, household=found.id)).unique().all()
    own_shops = [(name, adapters.shown_name(name), connections.row_of(db, found.id, name))
                 for name in connections.per_seller_names(db, found.commune_code)]
    context = {"errors": {}, "form": {}, "import_report": None, "listing_summary":
               publishing.summary(db, household=found.id), "own_shops": own_shops,
               "can_connect": policy.can_connect_marketplace_shop(current_user, found), **extra}
    return render_template("dashboard/shop.html", shop=found, items=items, banks=all_banks(),
                           can_edit=policy.can_edit_shop(current_user, found),
                           acting=policy.acting_for(current_user, found),
                           shop_helpers=helpers.active(session(), household_id=found.id),
                           can_withdraw_helpers=policy.can_withdraw_helper(current_user, found), **context)


@bp.post("/shops/<int:shop_id>/helpers/<int:assignment_id>/withdraw")
def withdraw_helper(shop_id: int, assignment_id: int):
    found = _shop(shop_id)
    db = session()
    row = helpers.get(db, assignment_id)
    if row.household_id != found.id:
        abort(404)
    try:
        helpers.end(db, current_user, row)
        db.commit()
        flash(_("%(helper)s may no longer act for this shop.", helper=row.helper.label), "info")
    except ChosoError as exc:
        flash(str(exc.message), "error")
    return redirect(url_for("dashboard.shop", shop_id=found.id))


@bp.post("/shops/<int:shop_id>/bank-accounts")
def add_bank_account(shop_id: int):
    found = _shop(shop_id)
    schema = BankAccountSchema(exclude=("verified",))
    data, errors = validate(schema, form_data(schema, request.form))
    if not errors:
        try:
            bank_accounts.add(session(), current_user, found, data)
            flash(_("The bank account was added."), "info")
            return redirect(url_for("dashboard.shop", shop_id=found.id))
        except ChosoError as exc:
            errors = exc.fields or {"_": [str(exc.message)]}
    return _shop_page(found, bank_errors=errors, bank_form=request.form), 422


@bp.get("/shops/<int:shop_id>/products.csv")
def export_csv(shop_id: int):
    found = _shop(shop_id)
    return Response(csv_io.export_csv(session(), found), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="products-{found.id}.csv"'})


@bp.post("/shops/<int:shop_id>/import")
def import_csv(shop_id: int):
    found = _shop(shop_id)
    upload = request.files.get("file")
    try:
        result = csv_io.import_csv(session(), current_user, found, upload.read() if upload else b"")
    except ChosoError as exc:
        return _shop_page(found, import_report={"message": str(exc.message),
                                                "rows": exc.fields.get("rows", [])}), 422
    flash(_("Imported: %(c)d new, %(u)d updated.", c=result.created, u=result.updated), "info")
    return redirect(url_for("dashboard.shop", shop_id=found.id))


def _product_form(product: Product | None, shop: HouseholdBusiness, errors=None, form=None, status=200):
    marketplaces = _marketplace_rows(product) if product else []
    return render_template("dashboard/product_form.html", product=product, shop=shop, groups=OCOP_GROUPS,
                           statuses=PRODUCT_STATUSES, errors=errors or {}, form=form or {},
                           marketplaces=marketplaces, acting=policy.acting_for(current_user, shop)), status


def _photo() -> bytes | None:
    """The form's photo, or None; one over the upload limit is refused with what to do, the form kept."""
    photo = request.files.get("photo")
    if not photo or not photo.filename:
        return None
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    data = photo.stream.read(limit + 1)
    if len(data) > limit:
        photo.stream.seek(0, 2)
        size = photo.stream.tell()
        message = _("This photo is %(size)s MB and choso takes photos up to %(limit)s MB. Choose a smaller photo "
                    "(a screenshot of it will do) and save again; everything else you typed is still here.",
                    size=format_decimal(round(size / 2**20, 1)), limit=limit // 2**20)
        raise Invalid(message, {"photo": [message]})
    return data


@bp.route("/shops/<int:shop_id>/products/new", methods=["GET", "POST"])
@carries_photos
def new_product(shop_id: int):
    found = _shop(shop_id)
    if not policy.can_edit_shop(current_user, found):
        abort(403)
    if request.method == "GET":
        return _product_form(None, found)
    schema = ProductSchema(exclude=("household_id",))
    data, errors = validate(schema, form_data(schema, request.form))
    if errors:
        return _product_form(None, found, errors, request.form, 422)
    db = session()
    key = (request.form.get("idempotency_key") or "")[:43] or None
    if key and db.scalar(select(Product.id).where(Product.creation_key == key, Product.household_id == found.id)):
        flash(_("The product was saved."), "info")  # this form was sent before: nothing new to save
        return redirect(url_for("dashboard.shop", shop_id=found.id))
    try:
        picture = _photo()
        product = products.create_product(db, current_user, {**data, "household_id": found.id}, commit=False,
                                          creation_key=key)
        if picture is not None:  # a photo that cannot be used raises here: rolled back below, nothing is saved
            images.add_image(db, storage(), current_user, product, picture)  # commits the product with its photo
        db.commit()
    except IntegrityError:  # the same form sent twice at the same moment: the other request saved it
        db.rollback()
        flash(_("The product was saved."), "info")
        return redirect(url_for("dashboard.shop", shop_id=found.id))
    except ChosoError as exc:
        db.rollback()
        return _product_form(None, found, exc.fields or {"photo": [str(exc.message)]}, request.form, 422)
    products.product_changed(product, created=True)
    flash(_("The product was saved."), "info")
    return redirect(url_for("dashboard.shop", shop_id=found.id))


@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
@carries_photos
def edit_product(product_id: int):
    product = _editable_product(product_id)
    if request.method == "GET":
        return _product_form(product, product.household)
    schema = ProductSchema(partial=True, exclude=("household_id",))
    data, errors = validate(schema, form_data(schema, request.form))
    if errors:
        return _product_form(product, product.household, errors, request.form, 422)
    db = session()
    try:
        picture = _photo()
        products.update_product(db, current_user, product, data, commit=picture is None)
        if picture is not None:  # commits the changes with the photo; a refused photo is rolled back below
            images.add_image(db, storage(), current_user, product, picture)
            products.product_changed(product, archived=product.status == "archived")
    except ChosoError as exc:
        db.rollback()
        return _product_form(product, product.household, exc.fields or {"photo": [str(exc.message)]},
                             request.form, 422)
    flash(_("The product was saved."), "info")
    return redirect(url_for("dashboard.edit_product", product_id=product.id))


@bp.post("/images/<int:image_id>/delete")
def delete_image(image_id: int):
    image = session().get(ProductImage, image_id)
    if image is None:
        abort(404)
    product = _editable_product(image.product_id)
    images.remove_image(session(), storage(), current_user, image)
    flash(_("The photo was removed."), "info")
    return redirect(url_for("dashboard.edit_product", product_id=product.id))


# --- publishing ----------------------------------------------------------------------------------------

def _marketplace_rows(product: Product) -> list[dict]:
    from sqlalchemy import select

    from core.publishing import adapters
    from core.publishing.models import Listing
    from core.services import integrations

    enabled = integrations.enabled_names(session(), product.commune_code, "marketplace")
    listings = {row.marketplace: row for row in session().scalars(
        select(Listing).where(Listing.product_id == product.id))}
    from core.publishing import connections

    rows = []
    for name, cls in adapters.marketplaces().items():
        if name in enabled or name in listings:
            listing = listings.get(name)
            editable = listing is not None and policy.can_edit_shop(current_user, product.household)
            rows.append({"name": name, "display_name": cls.display_name, "listing": listing,
                         "enabled": name in enabled,
                         "categories": connections.category_choice(session(), listing) if editable else None})
    return rows


@bp.post("/products/<int:product_id>/publish")
def publish_product(product_id: int):
    from core.publishing import adapters
    from core.publishing import services as publishing
    from core.publishing.problems import describe, explain

    product = _editable_product(product_id)
    names = adapters.marketplace_names(session(), product.commune_code, request.form.getlist("marketplace"))
    try:
        found = publishing.request_publish(session(), current_user, product, names)
    except ChosoError as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("dashboard.edit_product", product_id=product.id))
    for name, problems in found.items():
        for problem in problems:
            flash(f"{adapters.marketplaces()[name].display_name} — {describe(explain(problem))}", "error")
    if len(found) < len(names):
        flash(_("Sent to the marketplaces; the state below updates as they answer."), "info")
    return redirect(url_for("dashboard.edit_product", product_id=product.id))


@bp.post("/listings/<int:listing_id>/unpublish")
def unpublish_listing(listing_id: int):
    from core.publishing import services as publishing
    from core.publishing.models import Listing

    listing = session().get(Listing, listing_id)
    if listing is None:
        abort(404)
    product = _editable_product(listing.product_id)
    publishing.request_unpublish(session(), current_user, listing)
    flash(_("The listing will be taken down."), "info")
    return redirect(url_for("dashboard.edit_product", product_id=product.id))


@bp.post("/shops/<int:shop_id>/publish")
def publish_shop(shop_id: int):
    from sqlalchemy import select

    from core.publishing import adapters
    from core.publishing import services as publishing

    found = _shop(shop_id)
    if not policy.can_edit_shop(current_user, found):
        abort(403)
    names = adapters.marketplace_names(session(), found.commune_code)
    if not names:
        flash(_("No marketplace is switched on for this commune yet; ask the commune staff."), "error")
        return redirect(url_for("dashboard.shop", shop_id=found.id))
    items = session().scalars(select(Product).where(Product.household_id == found.id, Product.status == "active"))
    refused = 0
    for product in items:
        refused += bool(publishing.request_publish(session(), current_user, product, names))
    if refused:
        flash(ngettext("%(num)d product has problems to fix first; open it to see them.",
                       "%(num)d products have problems to fix first; open them to see them.", refused), "error")
    flash(_("Publishing has started; this page shows the progress."), "info")
    return redirect(url_for("dashboard.shop", shop_id=found.id))
