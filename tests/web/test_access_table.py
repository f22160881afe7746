"""Who may open what: every route × every role against an expected-access table.

Roles: anonymous, the household owning shop A, the household of another shop (B) in the same commune, the
helper staff assigned to shop A, a helper of the same commune not assigned to it, staff of that commune, staff
of another commune, an admin. A new route fails
`test_every_route_is_in_the_table` until someone decides who may reach it.
"""

from dataclasses import dataclass

import pytest

from core.models import BankAccount
from core.services import helpers
from core.services.users import set_password
from core.testing import OTHER_COMMUNE, bearer, login
from tests.orders.buying import place, token_of

ANON, OWNER, OTHER_HH, HELPER, OTHER_HELPER, STAFF, OTHER_STAFF, ADMIN = (
    "anonymous", "owner", "other_household", "helper", "unassigned_helper", "staff", "other_staff", "admin")
ROLES = (ANON, OWNER, OTHER_HH, HELPER, OTHER_HELPER, STAFF, OTHER_STAFF, ADMIN)
EVERYONE = set(ROLES)
SIGNED_IN = EVERYONE - {ANON}
PRIVATE = {OWNER, HELPER, STAFF, ADMIN}  # the shop's own data: its household, its assigned helper, staff
EDITORS = {OWNER, HELPER, ADMIN}  # may change the shop (a helper only while assigned to it)
COMMUNE_STAFF = {STAFF, ADMIN}
PASSWORD = "mat-khau-kiem-tra-quyen"

# GET routes: URL template (filled from the world below) → roles that get a page or data.
PAGES = {
    "/": EVERYONE, "/c/00583": EVERYONE, "/p/{product}": EVERYONE, "/p/{draft}": PRIVATE, "/s/{shop}": EVERYONE,
    "/qr/check": EVERYONE, "/b/{bill_token}": EVERYONE, "/orders/{order_token}": EVERYONE, "/cart": EVERYONE,
    "/qr/accounts/{account}.png": EVERYONE, "/login": EVERYONE, "/healthz": EVERYONE, "/readyz": EVERYONE,
    "/api/docs": EVERYONE, "/api/openapi.json": EVERYONE,
    "/dashboard/": SIGNED_IN, "/dashboard/bills": SIGNED_IN, "/dashboard/orders": SIGNED_IN,
    "/account/tokens": SIGNED_IN, "/dashboard/helped": SIGNED_IN,
    "/dashboard/shops/{shop}": PRIVATE, "/dashboard/shops/{shop}/products.csv": PRIVATE,
    "/dashboard/products/{product}": EDITORS, "/dashboard/shops/{shop}/products/new": EDITORS,
    "/dashboard/orders/{part}": PRIVATE,
    "/staff/00583/bills": COMMUNE_STAFF, "/staff/00583/transactions": COMMUNE_STAFF,
    "/staff/00583/transactions/log": COMMUNE_STAFF, "/staff/00583/close": COMMUNE_STAFF,
    "/staff/00583/close/2026-12-01.pdf": COMMUNE_STAFF,
    "/staff/00583/orders": COMMUNE_STAFF, "/staff/00583/integrations": COMMUNE_STAFF,
    "/staff/00583/metrics": COMMUNE_STAFF, "/staff/00583/metrics.csv": COMMUNE_STAFF,
    "/staff/00583/metrics/households_total/records": COMMUNE_STAFF, "/staff/00583/helpers": COMMUNE_STAFF,
    "/staff/00583/metrics/targets": COMMUNE_STAFF, "/staff/00583/bills/prints/{print}.pdf": COMMUNE_STAFF,
    "/province/01/metrics": {ADMIN}, "/admin/plugins": {ADMIN},
}
API = {
    "/api/v1/communes": EVERYONE, "/api/v1/banks": EVERYONE, "/api/v1/products": EVERYONE,
    "/api/v1/households": EVERYONE, "/api/v1/households/{shop}": EVERYONE, "/api/v1/marketplaces": EVERYONE,
    "/api/v1/orders/{order_token}": EVERYONE,
    "/api/v1/me": SIGNED_IN, "/api/v1/me/bills": SIGNED_IN,
    "/api/v1/products/{draft}": PRIVATE, "/api/v1/households/{shop}/bank-accounts": PRIVATE,
    "/api/v1/households/{shop}/products.csv": PRIVATE, "/api/v1/shops/{shop}/orders": PRIVATE,
    "/api/v1/products/{product}/listings": PRIVATE, "/api/v1/households/{shop}/listings/summary": PRIVATE,
    "/api/v1/communes/00583/bills": COMMUNE_STAFF, "/api/v1/communes/00583/transactions": COMMUNE_STAFF,
    "/api/v1/communes/00583/receipts": COMMUNE_STAFF, "/api/v1/communes/00583/integrations": COMMUNE_STAFF,
    "/api/v1/communes/00583/orders/figures": COMMUNE_STAFF, "/api/v1/metrics?commune=00583": COMMUNE_STAFF,
    "/api/v1/communes/00583/fee-types": COMMUNE_STAFF, "/api/v1/communes/00583/statements": COMMUNE_STAFF,
    "/api/v1/communes/00583/helper-assignments": COMMUNE_STAFF, "/api/v1/households/{shop}/helpers": PRIVATE,
    "/api/v1/communes/00583/deliveries": COMMUNE_STAFF, "/api/v1/communes/00583/payment-sources": COMMUNE_STAFF,
    "/api/v1/communes/00583/closes/2026-12-01": COMMUNE_STAFF,
}
# API changes: who may make them. Everyone else must be turned away before the body is even read.
API_CHANGES = {
    ("PATCH", "/api/v1/households/{shop}"): EDITORS | {STAFF},  # staff may suspend a shop
    ("PATCH", "/api/v1/products/{product}"): EDITORS,
    ("POST", "/api/v1/households/{shop}/bank-accounts"): EDITORS,
    ("POST", "/api/v1/households/{shop}/publish"): EDITORS,
    ("POST", "/api/v1/products/{product}/listings"): EDITORS, ("DELETE", "/api/v1/products/{product}"): EDITORS,
    ("POST", "/api/v1/communes/00583/bills"): COMMUNE_STAFF,
    ("POST", "/api/v1/communes/00583/fee-types"): COMMUNE_STAFF,
    ("PUT", "/api/v1/communes/00583/collection-account"): COMMUNE_STAFF,
    ("PUT", "/api/v1/communes/00583/integrations/payment_source/sepay"): COMMUNE_STAFF,
    ("PUT", "/api/v1/communes/00583/metric-targets/households_total"): COMMUNE_STAFF,
    ("POST", "/api/v1/communes/00583/bill-batches"): COMMUNE_STAFF,
    ("POST", "/api/v1/order-parts/{part}/state"): PRIVATE, ("POST", "/api/v1/order-parts/{part}/refunds"): PRIVATE,
    ("POST", "/api/v1/order-parts/{part}/cash"): COMMUNE_STAFF,
    ("POST", "/api/v1/communes/00583/helper-assignments"): COMMUNE_STAFF,
    ("POST", "/api/v1/communes/00583/payment-sources/sepay/poll"): COMMUNE_STAFF,
    ("POST", "/api/v1/communes/00583/closes/2026-12-01/sign"): COMMUNE_STAFF,
    ("PATCH", "/api/v1/bank-accounts/{account}"): EDITORS | {STAFF},
    ("DELETE", "/api/v1/helper-assignments/{assignment}"): {OWNER, STAFF, ADMIN},
}
NOT_ROLE_BASED = {  # reached by a secret or a signature instead of a role; tested where they live
    "/static/<path:filename>", "/uploads/<path:name>", "/metrics", "/b/<token>/qr.<fmt>",
    "/b/<token>/receipts/<int:receipt_id>", "/b/<token>/receipts/<int:receipt_id>.pdf",
    "/orders/<token>/parts/<int:part_id>/qr.<fmt>", "/api/v1/bills/by-token/<token>",
    "/qr/accounts/<int:account_id>/poster-<paper>.<fmt>", "/province/<code>/metrics.<fmt>",
    "/staff/<code>/metrics/<indicator_id>/records.<fmt>", "/api/v1/bill-batches/<int:batch_id>",
    "/api/v1/communes/<code>", "/api/v1/products/<int:product_id>", "/p/<int:product_id>-<slug>",
    "/s/<int:shop_id>-<slug>", "/checkout",
    # the way back from a marketplace's authorisation page: a signed state naming the person who started
    # (tests/publishing/test_shop_connections.py)
    "/dashboard/connections/<name>/back",
}


@dataclass
class World:
    values: dict
    tokens: dict
    users: dict


@pytest.fixture
def world(app, client, factory, db):
    users = {OWNER: factory.user("household"), OTHER_HH: factory.user("household"),
             HELPER: factory.user("helper"), OTHER_HELPER: factory.user("helper"), STAFF: factory.user("staff"),
             OTHER_STAFF: factory.user("staff", OTHER_COMMUNE), ADMIN: factory.user("admin")}
    with app.app_context():
        for user in users.values():
            set_password(db.merge(user), PASSWORD)
        db.commit()
    shop = factory.shop(users[OWNER], name="Hộ A")
    factory.shop(users[OTHER_HH], name="Hộ B")
    product = factory.product(shop, name="Chè A")
    draft = factory.product(shop, name="Nháp A", status="draft")
    account = BankAccount(household_id=shop.id, bank_bin="970436", account_number="0011001", account_name="HO A",
                          verified=True)
    db.add(account)
    db.commit()
    assignment = helpers.assign(db, db.merge(users[STAFF]), db.merge(shop), db.merge(users[HELPER]))
    db.commit()
    order = place(client, (product, 1))
    from payments.bills.models import Bill, FeeType

    fee = FeeType(commune_code="00583", code="rac", name="Phí rác", default_amount_vnd=30000)
    db.add(fee)
    db.flush()
    bill = Bill(commune_code="00583", fee_type_id=fee.id, household_id=shop.id, payer_name="A", amount_vnd=30000,
                reference="X0J7ABCDEFGH", token="t" * 43)
    db.add(bill)
    db.commit()
    from payments.bills import printing
    from payments.bills.models import BillPrint

    with app.app_context():  # a printed batch of bills, its file on disk (the job's work, done here)
        printed = BillPrint(commune_code="00583", fee_type_id=fee.id, period="11/2026", total=1, done=1,
                            state="done", file_name="bills-access.pdf")
        db.add(printed)
        db.commit()
        printing.store().save(printed.file_name, b"%PDF-1.4 access table")
    values = {"shop": shop.id, "product": product.id, "draft": draft.id, "account": account.id,
              "order_token": token_of(order), "part": order["parts"][0]["id"], "bill_token": bill.token,
              "assignment": assignment.id, "print": printed.id}
    tokens = {role: factory.token(user) for role, user in users.items()}
    return World(values, tokens, users)


def test_every_route_is_in_the_table(app):
    def template(url: str) -> str:
        return url.split("?")[0]

    known = {template(u) for u in list(PAGES) + list(API)} | {u for _m, u in API_CHANGES}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.rule in NOT_ROLE_BASED or "GET" not in rule.methods:
            continue
        filled = rule.rule
        for name, value in (("<int:shop_id>", "{shop}"), ("<int:product_id>", "{product}"), ("<code>", "00583"),
                            ("<token>", "{order_token}"), ("<int:part_id>", "{part}"), ("<fmt>", "png"),
                            ("<int:account_id>", "{account}"), ("<indicator_id>", "households_total"),
                            ("<int:print_id>", "{print}"), ("<day>", "2026-12-01")):
            filled = filled.replace(name, value)
        alternatives = {filled, filled.replace("{order_token}", "{bill_token}"),
                        filled.replace("{product}", "{draft}"), filled.replace("00583/metrics", "01/metrics")
                        .replace("/staff/01", "/province/01"), filled.replace(".png", ".csv"),
                        filled.replace(".png", ".pdf")}
        if not alternatives & known and not any(k.startswith(filled.rstrip("/")) for k in known if "{" not in filled):
            missing.append(rule.rule)
    assert missing == []


def _page_client(app, world, role):
    client = app.test_client()
    if role != ANON:
        login(client, world.users[role], PASSWORD)
    return client


@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(app, world, role):
    client = _page_client(app, world, role)
    wrong = {}
    for template, allowed in PAGES.items():
        status = client.get(template.format(**world.values)).status_code
        ok = status < 300
        if ok != (role in allowed):
            wrong[template] = status
    assert wrong == {}


@pytest.mark.parametrize("role", ROLES)
def test_api_reads_by_role(client, world, role):
    headers = bearer(world.tokens[role]) if role != ANON else {}
    wrong = {}
    for template, allowed in API.items():
        status = client.get(template.format(**world.values), headers=headers).status_code
        if (status < 300) != (role in allowed):
            wrong[template] = status
    assert wrong == {}


@pytest.mark.parametrize("role", ROLES)
def test_api_changes_are_refused_to_everyone_else_before_reading_the_body(client, world, role):
    headers = bearer(world.tokens[role]) if role != ANON else {}
    wrong = {}
    for (method, template), allowed in API_CHANGES.items():
        if role in allowed:
            continue
        status = client.open(template.format(**world.values), method=method, json={}, headers=headers).status_code
        if status not in (401, 403, 404):
            wrong[f"{method} {template}"] = status
    assert wrong == {}
