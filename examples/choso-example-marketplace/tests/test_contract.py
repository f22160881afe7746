"""Chợ Quê passes choso's contract kit."""

import pytest
from plugins.testing import MarketplaceContract

from choso_example_marketplace.adapter import ChoQueAdapter
from choso_example_marketplace.sandbox import ChoQueSandbox


class TestChoQue(MarketplaceContract):
    @pytest.fixture
    def sandbox_url(self, sandbox_of):
        return sandbox_of(ChoQueSandbox, api_key="cq-test-key-00001").url

    @pytest.fixture
    def adapter(self, sandbox_url):
        return ChoQueAdapter({"base_url": sandbox_url, "api_key": "cq-test-key-00001"})


def test_a_wrong_api_key_is_a_refusal_not_a_retry():
    from plugins import RejectedError
    from plugins.testing import sample_product

    with ChoQueSandbox(api_key="right").running() as sandbox:
        adapter = ChoQueAdapter({"base_url": sandbox.url, "api_key": "wrong"})
        with pytest.raises(RejectedError):
            adapter.publish(sample_product(), "k1")
