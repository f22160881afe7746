"""Pages where a household connects its own shop on a per-seller marketplace (Shopee, TikTok Shop)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import containment
from core.db import session
from core.errors import ChosoError, Forbidden, NotFound
from core.models import HouseholdBusiness
from core.publishing import adapters, connections

bp = Blueprint("connections", __name__, url_prefix="/dashboard")
bp.before_request(login_required(lambda: None))


def _shop(shop_id: int) -> HouseholdBusiness:
    shop = session().get(HouseholdBusiness, shop_id)
    if shop is None:
        abort(404)
    return shop


def _back_to(shop_id: int):
    return redirect(url_for("dashboard.shop", shop_id=shop_id) + "#connections")


@bp.post("/shops/<int:shop_id>/connections/<name>")
def start(shop_id: int, name: str):
    shop = _shop(shop_id)
    try:
        address = connections.start(session(), current_user, shop, name)
    except Forbidden:
        abort(403)
    except (ChosoError, containment.PluginFailed) as exc:
        flash(str(getattr(exc, "message", None) or getattr(exc, "for_people", "")), "error")
        return _back_to(shop.id)
    return redirect(address)  # the marketplace's own authorisation page (its address checked as http(s))


@bp.get("/connections/<name>/back")
def back(name: str):
    db = session()
    try:
        row = connections.finish(db, current_user, name, request.args.to_dict())
    except Forbidden:
        abort(403)
    except NotFound:
        abort(404)
    except (ChosoError, containment.PluginFailed) as exc:
        db.rollback()
        flash(str(getattr(exc, "message", None) or getattr(exc, "for_people", "")), "error")
        return redirect(url_for("dashboard.index"))
    flash(_("Your %(name)s shop “%(shop)s” is connected.", name=adapters.shown_name(name),
            shop=row.shop_name or row.remote_shop_id), "info")
    return _back_to(row.household_id)


@bp.post("/shops/<int:shop_id>/connections/<name>/disconnect")
def disconnect(shop_id: int, name: str):
    shop = _shop(shop_id)
    try:
        connections.disconnect(session(), current_user, shop, name)
    except Forbidden:
        abort(403)
    except ChosoError as exc:
        flash(str(exc.message), "error")
        return _back_to(shop.id)
    flash(_("Disconnected. Your listings there wait until you connect a shop again."), "info")
    return _back_to(shop.id)


@bp.post("/listings/<int:listing_id>/category")
def choose_category(listing_id: int):
    from core.publishing.models import Listing

    db = session()
    listing = db.get(Listing, listing_id)
    if listing is None:
        abort(404)
    chosen = request.form.get("category") or None
    try:
        connections.choose_category(db, current_user, listing, chosen)
    except Forbidden:
        abort(403)
    except ChosoError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("Category saved; the marketplace is updated."), "info")
    return redirect(url_for("dashboard.edit_product", product_id=listing.product_id) + "#listings")
