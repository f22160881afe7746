"""The contract kit: the standard scenarios every marketplace adapter must pass against its sandbox.

In a plugin's own test suite (pytest):

    from plugins.testing import MarketplaceContract

    class TestMyMarketplace(MarketplaceContract):
        @pytest.fixture
        def sandbox_url(self):
            with MySandbox(api_key="k").running() as sandbox:
                yield sandbox.url

        @pytest.fixture
        def adapter(self, sandbox_url):
            return MyAdapter({"base_url": sandbox_url, "api_key": "k"})

The sandbox must be built on `plugins.sandbox.Sandbox` (or answer its /_sandbox/ control endpoints).
Override `good_product` or `bad_product` when the marketplace needs something the defaults lack.
"""

from __future__ import annotations

import httpx
import pytest
from marshmallow import Schema, ValidationError

from plugins.sandbox import SandboxControl
from plugins.sdk import (
    MIN_SECRET_LENGTH,
    ImageRef,
    MarketplaceAdapter,
    Problem,
    ProductSnapshot,
    RejectedError,
    RemoteListing,
    TransientError,
)


def sample_product(**changes) -> ProductSnapshot:
    fields = dict(
        id=4242, household_id=7, shop_name="Hộ kinh doanh Gốm Minh", commune_code="00583",
        name="Bình gốm men lam Bát Tràng", description="Bình gốm vẽ tay, men lam truyền thống, cao 30 cm.",
        product_group="handicraft", price_vnd=450_000, stock=12, unit="chiếc", net_weight_g=1200,
        origin="Xã Bát Tràng, Hà Nội", ocop_stars=4, ocop_certificate_no="123/QĐ-UBND", sku="GOM-01",
        images=(ImageRef("http://127.0.0.1:9/uploads/products/1/a.jpg", 1200, 900, 180_000),),
        version="v1",
    )
    fields.update(changes)
    return ProductSnapshot(**fields)


def check_settings_schema(schema: type[Schema]) -> None:
    """Every plugin's settings schema: each secret field refuses an empty or short value (choso refuses them
    anyway; this keeps the plugin's own form honest). Call it from any plugin's tests, of any kind."""
    fields_ = schema().fields
    secrets = [name for name, f in fields_.items() if f.metadata.get("secret")]
    for name in secrets:
        for weak in ("", "k" * (MIN_SECRET_LENGTH - 1)):
            try:
                schema().load({name: weak}, partial=tuple(n for n in fields_ if n != name))
            except ValidationError as err:
                assert name in err.messages, f"{name}={weak!r} was refused, but not for {name}: {err.messages}"
            else:
                raise AssertionError(f"secret field {name!r} accepts {weak!r}: use plugins.secret_field()")


class MarketplaceContract:
    """Subclass as `Test…` and provide the `adapter` and `sandbox_url` fixtures."""

    def good_product(self) -> ProductSnapshot:
        return sample_product()

    def bad_product(self) -> ProductSnapshot:
        """A product every marketplace refuses: no name, no price, no photo."""
        return sample_product(name="", price_vnd=0, images=(), net_weight_g=None, description="")

    @pytest.fixture
    def control(self, sandbox_url: str) -> SandboxControl:
        control = SandboxControl(sandbox_url)
        control.reset()
        return control

    def test_adapter_declares_its_identity(self, adapter: MarketplaceAdapter):
        assert adapter.name and adapter.name == adapter.name.lower() and " " not in adapter.name
        assert adapter.display_name
        assert adapter.settings_schema is not None

    def test_settings_schema_guards_its_secrets(self, adapter):
        check_settings_schema(type(adapter).settings_schema)

    def test_a_good_product_has_no_problems(self, adapter):
        assert adapter.validate(self.good_product()) == []

    def test_a_bad_product_has_problems_a_seller_can_act_on(self, adapter):
        problems = adapter.validate(self.bad_product())
        assert problems and all(isinstance(p, Problem) and p.field and p.message for p in problems)

    def test_publish_creates_a_live_listing(self, adapter, control):
        listing = adapter.publish(self.good_product(), "contract-publish-1")
        assert isinstance(listing, RemoteListing) and listing.remote_id and listing.url
        assert httpx.get(listing.url, timeout=10).status_code == 200
        assert control.product(listing.remote_id) is not None

    def test_publishing_again_with_the_same_key_creates_nothing_new(self, adapter, control):
        first = adapter.publish(self.good_product(), "contract-idem-1")
        again = adapter.publish(self.good_product(), "contract-idem-1")
        assert again.remote_id == first.remote_id
        assert len(control.products()) == 1

    def test_update_changes_price_and_stock(self, adapter, control):
        listing = adapter.publish(self.good_product(), "contract-update-1")
        changed = sample_product(price_vnd=399_000, stock=3, version="v2")
        adapter.update(listing.remote_id, changed, "contract-update-2")
        remote = control.product(listing.remote_id)
        values = set(map(str, remote.values()))
        assert "399000" in values and "3" in values

    def test_unpublish_takes_the_listing_down(self, adapter, control):
        listing = adapter.publish(self.good_product(), "contract-unpublish-1")
        adapter.unpublish(listing.remote_id)
        remote = control.product(listing.remote_id)
        assert remote is None or remote.get("active") is False
        assert httpx.get(listing.url, timeout=10).status_code == 404

    def test_a_rate_limit_is_transient_with_its_retry_after(self, adapter, control):
        control.fail(429, retry_after=7)
        with pytest.raises(TransientError) as caught:
            adapter.publish(self.good_product(), "contract-429")
        assert caught.value.retry_after == 7

    def test_a_server_error_is_transient(self, adapter, control):
        control.fail(503)
        with pytest.raises(TransientError):
            adapter.publish(self.good_product(), "contract-503")

    def test_a_dropped_connection_is_transient(self, adapter, control):
        control.drop()
        with pytest.raises(TransientError):
            adapter.publish(self.good_product(), "contract-drop")

    def test_a_refusal_is_rejected_with_problems(self, adapter, control):
        with pytest.raises(RejectedError) as caught:
            adapter.publish(self.bad_product(), "contract-refused")
        assert caught.value.problems
        assert control.products() == []
