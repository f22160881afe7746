"""Voso: the contract kit, and what is particular to it (OAuth2 tokens that expire, its error format)."""

import json
import time

import pytest

from marketplace_adapters.voso.adapter import VosoAdapter
from marketplace_adapters.voso.sandbox import VosoSandbox
from plugins import RejectedError
from plugins.testing import MarketplaceContract, sample_product

SETTINGS = {"client_id": "xa-bat-trang", "client_secret": "bi-mat", "webhook_secret": "whsec"}


@pytest.fixture
def sandbox():
    with VosoSandbox(**SETTINGS).running() as running:
        yield running


class TestVosoContract(MarketplaceContract):
    @pytest.fixture
    def sandbox_url(self, sandbox):
        return sandbox.url

    @pytest.fixture
    def adapter(self, sandbox_url):
        return VosoAdapter({"base_url": sandbox_url, **SETTINGS})


def test_an_expired_token_is_renewed_once_without_bothering_the_seller(sandbox):
    adapter = VosoAdapter({"base_url": sandbox.url, **SETTINGS})
    adapter.publish(sample_product(), "k1")
    sandbox.expire_tokens()
    adapter.publish(sample_product(sku="B"), "k2")
    assert sandbox.tokens_issued == 2 and len(sandbox.products) == 2


def test_a_wrong_client_secret_is_a_settings_problem(sandbox):
    adapter = VosoAdapter({"base_url": sandbox.url, **{**SETTINGS, "client_secret": "sai"}})
    with pytest.raises(RejectedError) as caught:
        adapter.publish(sample_product(), "k")
    assert caught.value.problems[0].field == "settings"


def test_voso_limits_differ_from_postmarts():
    adapter = VosoAdapter({"base_url": "http://127.0.0.1:9", **SETTINGS})
    long_title = sample_product(name="Bình gốm men lam Bát Tràng vẽ tay " * 3)  # 102 characters
    assert [p.field for p in adapter.validate(long_title)] == ["name"]
    tour = sample_product(product_group="tourism", net_weight_g=None)
    assert adapter.validate(tour) == []  # Voso sells tourism services, and weighs only food and drink


def test_order_webhooks_are_verified_with_a_timestamp(sandbox):
    adapter = VosoAdapter({"base_url": sandbox.url, **SETTINGS})
    listing = adapter.publish(sample_product(), "k")
    body, headers = sandbox.order_webhook({"id": "V1", "product_id": listing.remote_id, "quantity": 1,
                                           "buyer": "Anh Tú", "phone": "0987654321", "address": "",
                                           "placed_at": "2026-11-25T03:00:00Z"})
    assert adapter.parse_order_webhook(headers, body).lines[0].remote_product_id == listing.remote_id
    stale = {**headers, "X-Voso-Timestamp": str(int(time.time()) - 3600)}
    with pytest.raises(PermissionError):
        adapter.parse_order_webhook(stale, body)
    with pytest.raises(PermissionError):
        adapter.parse_order_webhook(headers, json.dumps({"data": {}}).encode())
