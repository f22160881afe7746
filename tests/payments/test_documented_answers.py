"""Issue 18.2: every list answer carries the envelope its document promises ({"items": [...]}), checked with
schemathesis' response-schema check on real data (operations the fuzzer rarely reaches with random ids)."""

import schemathesis
from schemathesis.specs.openapi.checks import response_schema_conformance

from core.testing import bearer
from tests.helpers import post_sepay, sepay_body
from tests.payments.conftest import bill_for


def test_list_answers_match_their_documented_envelope(app, client, factory, billing):
    factory.enable_payment_source("sepay", {"api_key": "sepay-secret-key"})
    bill = bill_for(client, billing, billing.households[0])
    post_sepay(client, sepay_body(1, 30000, bill["reference"]))
    shop = billing.households[0]
    owner = bearer(factory.token(shop.owner))
    client.post(f"/api/v1/households/{shop.id}/bank-accounts", headers=owner, json={
        "bank_bin": "970436", "account_number": "0011004567890", "account_name": "TRAN VAN BA"})
    product = factory.product(shop=shop)
    staff = bearer(billing.token)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    calls = [("/api/v1/households/{shop_id}/bank-accounts", {"shop_id": shop.id}, owner),
             ("/api/v1/shops/{shop_id}/orders", {"shop_id": shop.id}, owner),
             ("/api/v1/products/{product_id}/listings", {"product_id": product.id}, owner),
             ("/api/v1/communes/{code}/fee-types", {"code": "00583"}, staff),
             ("/api/v1/communes/{code}/transactions", {"code": "00583"}, staff),
             ("/api/v1/communes/{code}/statements", {"code": "00583"}, staff),
             ("/api/v1/communes/{code}/receipts", {"code": "00583"}, staff),
             ("/api/v1/communes/{code}/deliveries", {"code": "00583"}, staff),
             ("/api/v1/communes/{code}/payment-sources", {"code": "00583"}, staff)]
    for path, parameters, headers in calls:
        operation = schema[path]["GET"]
        case = operation.Case(path_parameters=parameters, headers=headers)
        response = case.call()
        assert response.status_code == 200, (path, response.text[:300])
        assert isinstance(response.json(), dict), (path, response.json())
        assert response.json()["items"] or path.endswith(("orders", "listings", "statements")), path
        case.validate_response(response, checks=[response_schema_conformance])
