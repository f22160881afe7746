"""The API fuzzed from its own document (issue 18), as each kind of caller: no 500s, and every answer as
documented — its status, its content type and its schema.

Path ids are the ids of a real commune's rows (a shop, its product, a bill, an order and its part, a helper
assignment …), and so are the ids a generated body names (`household_id`, `product_id`, `fee_type_id`, …), so
the generated requests reach the operations' real checks instead of mostly 404; everything else is generated.
A fixed seed here; `bench/fuzz_api.py` runs many more examples with a random one.
"""

from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.models import BankAccount
from core.testing import bearer

EXAMPLES_PER_OPERATION = 5
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = ("anonymous", "household", "helper", "staff", "admin")

# A request the document allows is accepted, or refused for who is asking (401, 403), for what does not exist
# (404) or for the state things are in (409) — never as malformed (400, 422) — except by a rule between two
# fields, or between a field and the row it names, that OpenAPI 3.0 cannot write as a schema: each is written
# in words on the field (its description) and named here, and such a refusal names only that field.
RULES_IN_WORDS = {
    "POST /api/v1/products": {"ocop_certificate_no", "ocop_expires_on"},  # needed with stars; after issue
    "PATCH /api/v1/products/{product_id}": {"ocop_certificate_no", "ocop_expires_on"},
    "POST /api/v1/communes/{code}/fee-types": {"default_amount_vnd"},  # needed when the amount is fixed
    "POST /api/v1/communes/{code}/bills": {"payer_name", "amount_vnd"},  # a payer without a household; the fee's
    "POST /api/v1/communes/{code}/bill-batches": {"amount_vnd"},  # a fixed fee's own amount
    "PUT /api/v1/communes/{code}/metric-targets/{indicator_id}": {"near"},  # below the target
    "POST /api/v1/order-parts/{part_id}/refunds": {"items"},  # item ids of this part, at most what is left
}


@dataclass
class World:
    ids: dict  # path parameters
    tokens: dict
    body_ids: dict  # body fields naming a row: a real one, so the generated body reaches the rules behind it
    prices: dict

    def fill(self, body):
        """A generated JSON body with its row references made real (and an order line's price the product's)."""
        if isinstance(body, list):
            return [self.fill(item) for item in body]
        if not isinstance(body, dict):
            return body
        filled = {key: self.body_ids[key] if key in self.body_ids and value is not None else self.fill(value)
                  for key, value in body.items()}
        if "product_id" in filled and "price_vnd" in filled:
            filled["price_vnd"] = self.prices.get(filled["product_id"], filled["price_vnd"])
        return filled


def build_world(client, factory, db) -> World:
    """One commune's worth of rows every operation can find."""
    owner = factory.user("household")
    shop = factory.shop(owner, name="Hộ chè Thái")
    account = BankAccount(household_id=shop.id, bank_bin="970436", account_number="0011001234567",
                          account_name="HO CHE THAI", verified=True)
    db.add(account)
    db.commit()
    product = factory.product(shop, name="Chè Tân Cương", price_vnd=120_000, stock=50)
    staff, admin, helper = factory.user("staff"), factory.user("admin"), factory.user("helper")
    tokens = {"household": factory.token(owner), "staff": factory.token(staff), "admin": factory.token(admin),
              "helper": factory.token(helper)}
    for identifier in ("vietqr", "cash"):
        factory.enable_payment_provider(identifier)
    staff_h = bearer(tokens["staff"])
    client.put("/api/v1/communes/00583/collection-account", headers=staff_h, json={
        "bank_bin": "970436", "account_number": "0011009999999", "account_name": "UBND xã Bát Tràng"})
    fee = client.post("/api/v1/communes/00583/fee-types", headers=staff_h, json={
        "code": "phi-rac", "name": "Phí thu gom rác", "default_amount_vnd": 30000}).get_json()
    bill = client.post("/api/v1/communes/00583/bills", headers=staff_h, json={
        "fee_type_id": fee["id"], "household_id": shop.id, "period": "11/2026"}).get_json()
    assignment = client.post("/api/v1/communes/00583/helper-assignments", headers=staff_h, json={
        "household_id": shop.id, "helper_id": helper.id}).get_json()
    order = client.post("/api/v1/orders", json={
        "commune_code": "00583", "name": "Chị Mai", "phone": "0912345678", "address": "Thôn 2, Bát Tràng",
        "lines": [{"product_id": product.id, "quantity": 1, "price_vnd": 120_000}]}).get_json()
    token = order["link"].rsplit("/", 1)[1]
    part = order["parts"][0]
    payment = client.post(f"/api/v1/orders/{token}/parts/{part['id']}/payments", json={"method": "vietqr"}).get_json()
    body_ids = {"household_id": shop.id, "fee_type_id": fee["id"], "helper_id": helper.id,
                "product_id": product.id, "commune_code": "00583", "delivery_commune_code": "00583"}
    ids = {"shop_id": shop.id, "household_id": shop.id, "product_id": product.id, "account_id": account.id,
           "bill_id": bill["id"], "fee_type_id": fee["id"], "part_id": part["id"], "payment_id": payment["id"],
           "assignment_id": assignment.get("id", 1), "code": "00583", "commune": "00583", "token": token,
           "identifier": "vietqr", "source": "sepay", "name": "postmart", "kind": "payment_provider",
           "indicator_id": "households_total", "day": "2026-12-01"}
    return World(ids, tokens, body_ids, {product.id: product.price_vnd})


@pytest.mark.parametrize("role", ROLES)
def test_the_api_answers_as_documented_for_every_caller(app, client, factory, db, role):
    world = build_world(client, factory, db)
    headers = bearer(world.tokens[role]) if role in world.tokens else {}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    tried, tally, failures = 0, {}, {}
    for result in schema.get_all_operations():
        operation = result.ok()
        try:
            run(operation, world, headers, tally)
        except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001  (report every operation, not the first)
            failures[operation.label] = "; ".join(_messages(failure))[:600]
        tried += 1
    assert failures == {}
    assert tried > 60  # every documented operation was exercised
    assert tally["past 404"] > tried * EXAMPLES_PER_OPERATION // 2  # mostly past "not found", into the real checks


def run(operation, world: World, headers: dict, tally: dict, *, examples: int = EXAMPLES_PER_OPERATION,
        seed: int | None = None) -> None:
    """Generate `examples` requests for `operation` (its path ids and body ids made real) and check each answer;
    `tally` counts the requests, those past "not found" and those accepted. Without a `seed`, the examples are
    the same every run."""
    known = {p.name: world.ids[p.name] for p in operation.path_parameters if p.name in world.ids}

    @given(case=operation.as_strategy())
    @settings(max_examples=examples, deadline=None, derandomize=seed is None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        case.path_parameters = {**(case.path_parameters or {}), **known}
        if isinstance(case.body, dict | list):
            case.body = world.fill(case.body)
        response = case.call(headers=headers)
        for key, counted in (("requests", True), ("past 404", response.status_code != 404),
                             ("accepted", 200 <= response.status_code < 300)):
            tally[key] = tally.get(key, 0) + counted
        case.validate_response(response, checks=CHECKS)
        if accepts_what_it_documents(operation):
            refused_only_by_rules_in_words(operation.label, response)

    (check if seed is None else hypothesis_seed(seed)(check))()


def accepts_what_it_documents(operation) -> bool:
    """Whether generated requests can be held to "what the document allows is accepted": not uploads (what a
    file holds is beyond a schema: a photo, a CSV in UTF-8) nor webhooks (the sender's format and signature)."""
    body = (operation.definition.raw.get("requestBody") or {}).get("content", {})
    return "multipart/form-data" not in body and "/webhooks/" not in operation.path


def refused_only_by_rules_in_words(label: str, response) -> None:
    if response.status_code not in (400, 422):
        return
    error = response.json().get("error", {})
    named = set(error.get("fields") or {})
    allowed = RULES_IN_WORDS.get(label, set())
    assert named and named <= allowed, (
        f"Valid data should have been accepted: {response.status_code} {error.get('message')} {error.get('fields')}")


def _messages(failure: BaseException) -> list[str]:
    """The distinct findings inside a failure (schemathesis groups them), one line each."""
    if isinstance(failure, BaseExceptionGroup):
        return sorted({m for inner in failure.exceptions for m in _messages(inner)})
    text = " ".join(line.strip() for line in str(failure).strip().splitlines()[:8] if line.strip())
    return [f"{type(failure).__name__}: {text}"[:300]]
