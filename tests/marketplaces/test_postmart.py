"""Postmart: the contract kit, and what is particular to it (signatures, limits, its error format)."""

import json

import pytest

from marketplace_adapters.postmart.adapter import PostmartAdapter
from marketplace_adapters.postmart.sandbox import PostmartSandbox
from plugins import RejectedError
from plugins.testing import MarketplaceContract, sample_product

SETTINGS = {"partner_id": "hop-tac-xa", "partner_key": "khoa-bi-mat"}


@pytest.fixture
def sandbox():
    with PostmartSandbox(**SETTINGS).running() as running:
        yield running


class TestPostmartContract(MarketplaceContract):
    @pytest.fixture
    def sandbox_url(self, sandbox):
        return sandbox.url

    @pytest.fixture
    def adapter(self, sandbox_url):
        return PostmartAdapter({"base_url": sandbox_url, **SETTINGS})


def test_a_wrong_partner_key_is_refused_as_a_settings_problem(sandbox):
    adapter = PostmartAdapter({"base_url": sandbox.url, "partner_id": "hop-tac-xa", "partner_key": "sai"})
    with pytest.raises(RejectedError) as caught:
        adapter.publish(sample_product(), "k")
    assert caught.value.problems[0].field == "settings" and caught.value.problems[0].code == "BAD_SIGNATURE"


def test_postmart_limits_are_checked_before_sending():
    adapter = PostmartAdapter({"base_url": "http://127.0.0.1:9", **SETTINGS})
    problems = adapter.validate(sample_product(name="x" * 121, product_group="tourism", net_weight_g=None,
                                               price_vnd=999))
    assert {p.field for p in problems} == {"name", "product_group", "net_weight_g", "price_vnd"}
    assert all(p.message for p in problems)


def test_the_sandbox_refuses_what_postmart_would_with_its_field_names_mapped_back(sandbox):
    adapter = PostmartAdapter({"base_url": sandbox.url, **SETTINGS})
    with pytest.raises(RejectedError) as caught:
        adapter.publish(sample_product(net_weight_g=None, price_vnd=10), "k")  # skipping validate on purpose
    assert {p.field for p in caught.value.problems} == {"net_weight_g", "price_vnd"}


def test_order_webhooks_are_verified(sandbox):
    adapter = PostmartAdapter({"base_url": sandbox.url, **SETTINGS})
    listing = adapter.publish(sample_product(), "k")
    with sandbox.lock:
        body, headers = sandbox.order_webhook({"id": "ORD1", "product_id": listing.remote_id, "quantity": 2,
                                               "buyer": "Chị Mai", "phone": "0912345678", "address": "Hà Nội",
                                               "placed_at": "2026-11-25T03:00:00Z"})
    order = adapter.parse_order_webhook(headers, body)
    assert order.remote_id == "ORD1" and order.lines[0].quantity == 2 and order.lines[0].unit_price_vnd == 450000
    tampered = json.loads(body)
    tampered["order"]["items"][0]["qty"] = 200
    with pytest.raises(PermissionError):
        adapter.parse_order_webhook(headers, json.dumps(tampered).encode())
