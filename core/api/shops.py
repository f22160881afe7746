"""Household businesses, their bank accounts, and CSV import/export of their products."""

from __future__ import annotations

from flask import Response, jsonify, request
from flask_babel import gettext as _

from core.api.base import authenticated, bp, json_body, load, page, query, require_user
from core.api.spec import operation
from core.auth import policy
from core.auth.current import api_user
from core.db import session
from core.errors import Invalid, NotFound
from core.models import BankAccount, User
from core.schemas.households import (
    BankAccountSchema,
    HelperAssignmentSchema,
    HouseholdQuerySchema,
    HouseholdSchema,
    NewHouseholdSchema,
)
from core.services import bank_accounts, csv_io, helpers, shops
from core.services.shops import require


def _visible_shop(shop_id: int):
    shop = shops.get_shop(session(), shop_id)
    if not (policy.is_public(shop) or policy.can_view_private(api_user(), shop)):
        raise NotFound(_("This shop does not exist."))
    return shop


@bp.get("/households")
@operation("List household businesses (shops)", query=HouseholdQuerySchema, response=HouseholdSchema, many=True)
def list_households():
    args = query(HouseholdQuerySchema())
    stmt = shops.shops_query(api_user(), commune=args["commune"], q=args["q"], mine=args["mine"])
    return page(stmt, HouseholdSchema(), args["page"], args["per_page"])


@bp.post("/households")
@authenticated
@operation("Open a shop (helpers: for the household given by owner_phone)", body=NewHouseholdSchema,
           response=HouseholdSchema, auth=True, status=201)
def create_household():
    data = load(NewHouseholdSchema(), json_body())
    shop = shops.open_shop(session(), require_user(), data)
    return jsonify(HouseholdSchema().dump(shop)), 201


@bp.get("/households/<int:shop_id>")
@operation("One shop", response=HouseholdSchema)
def get_household(shop_id: int):
    return jsonify(HouseholdSchema().dump(_visible_shop(shop_id)))


# what an edit may send, for the document and the check alike (a shop never moves commune or owner here)
_HOUSEHOLD_EDIT = HouseholdSchema(partial=True, exclude=("commune_code", "owner_phone"))
_NEW_BANK_ACCOUNT = BankAccountSchema(exclude=("verified",))  # only commune staff verify, by editing it
_BANK_ACCOUNT_EDIT = BankAccountSchema(partial=True)


@bp.patch("/households/<int:shop_id>")
@authenticated
@operation("Edit a shop; staff may change its status", body=_HOUSEHOLD_EDIT, response=HouseholdSchema, auth=True)
def update_household(shop_id: int):
    shop = _visible_shop(shop_id)
    data = load(_HOUSEHOLD_EDIT, json_body())
    return jsonify(HouseholdSchema().dump(shops.update_shop(session(), require_user(), shop, data)))


@bp.get("/households/<int:shop_id>/bank-accounts")
@authenticated
@operation("Bank accounts of a shop", response=BankAccountSchema, many=True, auth=True)
def list_bank_accounts(shop_id: int):
    shop = _visible_shop(shop_id)
    require(policy.can_view_private(require_user(), shop))
    return jsonify({"items": BankAccountSchema(many=True).dump(shop.bank_accounts)})


@bp.post("/households/<int:shop_id>/bank-accounts")
@authenticated
@operation("Add a bank account (bank by NAPAS BIN)", body=_NEW_BANK_ACCOUNT, response=BankAccountSchema,
           auth=True, status=201)
def add_bank_account(shop_id: int):
    shop = _visible_shop(shop_id)
    require(policy.can_edit_shop(require_user(), shop))
    data = load(_NEW_BANK_ACCOUNT, json_body())
    return jsonify(BankAccountSchema().dump(bank_accounts.add(session(), require_user(), shop, data))), 201


def _account(account_id: int) -> BankAccount:
    account = session().get(BankAccount, account_id)
    if account is None or not policy.can_view_private(require_user(), account.household):
        raise NotFound(_("This bank account does not exist."))
    return account


@bp.patch("/bank-accounts/<int:account_id>")
@authenticated
@operation("Edit a bank account; staff mark it verified", body=_BANK_ACCOUNT_EDIT, response=BankAccountSchema,
           auth=True)
def update_bank_account(account_id: int):
    account = _account(account_id)
    data = load(_BANK_ACCOUNT_EDIT, json_body())
    return jsonify(BankAccountSchema().dump(bank_accounts.update(session(), require_user(), account, data)))


@bp.delete("/bank-accounts/<int:account_id>")
@authenticated
@operation("Remove a bank account", auth=True, status=204)
def delete_bank_account(account_id: int):
    bank_accounts.remove(session(), require_user(), _account(account_id))
    return "", 204


@bp.get("/households/<int:shop_id>/products.csv")
@authenticated
@operation("Export the shop's products as CSV (UTF-8, Excel-friendly)", auth=True, content="text/csv")
def export_products(shop_id: int):
    shop = _visible_shop(shop_id)
    require(policy.can_view_private(require_user(), shop))
    return Response(csv_io.export_csv(session(), shop), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="products-{shop.id}.csv"'})


@bp.post("/households/<int:shop_id>/products/import")
@authenticated
@operation("Import products from CSV: every row checked first, all or nothing", auth=True,
           content="multipart/form-data")
def import_products(shop_id: int):
    shop = _visible_shop(shop_id)
    upload = request.files.get("file")
    data = upload.read() if upload else request.get_data()
    if not data:
        raise Invalid(_("Attach a CSV file."), {"file": [_("Attach a CSV file.")]})
    result = csv_io.import_csv(session(), require_user(), shop, data)
    return jsonify({"created": result.created, "updated": result.updated})


# --- who may act for a household --------------------------------------------------------------------------

@bp.get("/communes/<code>/helper-assignments")
@authenticated
@operation("Helpers and the households staff assigned them to (active assignments)",
           response=HelperAssignmentSchema, many=True, auth=True)
def list_helper_assignments(code: str):
    require(policy.can_assign_helpers(require_user(), code))
    rows = helpers.active(session(), commune_code=code)
    return jsonify({"items": HelperAssignmentSchema(many=True).dump(rows)})


@bp.post("/communes/<code>/helper-assignments")
@authenticated
@operation("Let a helper of the commune act for one household business (staff)", body=HelperAssignmentSchema,
           response=HelperAssignmentSchema, auth=True, status=201)
def assign_helper(code: str):
    actor = require_user()
    require(policy.can_assign_helpers(actor, code))
    data = load(HelperAssignmentSchema(), json_body())
    db = session()
    shop = shops.get_shop(db, data["household_id"])
    helper = db.get(User, data["helper_id"])
    if shop.commune_code != code:
        raise NotFound(_("This shop does not exist."))
    if helper is None:
        raise Invalid(_("This person is not a helper of the commune."),
                      {"helper_id": [_("This person is not a helper of the commune.")]})
    row = helpers.assign(db, actor, shop, helper)
    db.commit()
    return jsonify(HelperAssignmentSchema().dump(row)), 201


@bp.get("/households/<int:shop_id>/helpers")
@authenticated
@operation("Who may act for this household (its own view: it may withdraw any of them)",
           response=HelperAssignmentSchema, many=True, auth=True)
def household_helpers(shop_id: int):
    shop = _visible_shop(shop_id)
    require(policy.can_view_private(require_user(), shop))
    return jsonify({"items": HelperAssignmentSchema(many=True).dump(helpers.active(session(), household_id=shop.id))})


@bp.delete("/helper-assignments/<int:assignment_id>")
@authenticated
@operation("End an assignment: the household withdraws it, or staff end it", response=HelperAssignmentSchema,
           auth=True)
def end_helper_assignment(assignment_id: int):
    db = session()
    row = helpers.get(db, assignment_id)
    if not policy.can_view_private(require_user(), row.household):
        raise NotFound(_("Nothing here."))
    helpers.end(db, require_user(), row)
    db.commit()
    return jsonify(HelperAssignmentSchema().dump(row))
