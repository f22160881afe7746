"""The contract kits: the scenarios every marketplace adapter, notification source and payment provider must
pass. Installed with choso as a pytest plugin (`choso-kit`), which also gives any test the fixtures
`product_snapshot` and `sandbox_of`. In a plugin's own test suite:

    from plugins.testing import MarketplaceContract

    class TestMyMarketplace(MarketplaceContract):
        @pytest.fixture
        def sandbox_url(self, sandbox_of):
            return sandbox_of(MySandbox, api_key="my-sandbox-key-001").url

        @pytest.fixture
        def adapter(self, sandbox_url):
            return MyAdapter({"base_url": sandbox_url, "api_key": "my-sandbox-key-001"})

`PaymentSourceContract` (a `source` fixture and `notification()`) and `PaymentProviderContract` (a `provider`
fixture) work the same way. The marketplace kit checks what the marketplace holds through the adapter's own
`fetch_listing` (SDK 1.4), a wrong key, and signed order notifications and their replay.

The sandbox must be built on `plugins.sandbox.Sandbox` (or answer its /_sandbox/ control endpoints).
Override `good_product` or `bad_product` when the marketplace needs something the defaults lack.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from marshmallow import Schema, ValidationError

from plugins.payment import PAYMENT_STATES, STEP_KINDS, NextStep, Payee, PaymentRequest, WebhookRejected
from plugins.sandbox import SandboxControl
from plugins.sdk import (
    MIN_SECRET_LENGTH,
    BankNotification,
    ConnectionLapsed,
    ImageRef,
    MarketplaceAdapter,
    MarketplaceError,
    OrderNotice,
    Problem,
    ProductSnapshot,
    RejectedError,
    RemoteListing,
    RemoteOrder,
    SellerConnection,
    SourceAuthError,
    TransientError,
)


def _read_back(adapter: MarketplaceAdapter, remote_id: str):
    try:
        return adapter.fetch_listing(remote_id)
    except NotImplementedError:
        pytest.fail(f"{adapter.name}: implement fetch_listing (SDK 1.4) so that the kit can check what the "
                    f"marketplace holds")


def _with_wrong_secrets(adapter: MarketplaceAdapter) -> dict:
    schema = type(adapter).settings_schema()
    secrets = [name for name, f in schema.fields.items() if f.metadata.get("secret")]
    assert secrets, f"{adapter.name}'s settings have no secret field: mark keys with secret_field()"
    return {**adapter.settings, **{name: "wrong-" + "x" * MIN_SECRET_LENGTH for name in secrets}}


@pytest.fixture
def product_snapshot():
    """`product_snapshot(price_vnd=0, ...)`: a complete, valid ProductSnapshot with the changes given."""
    return sample_product


@pytest.fixture
def sandbox_of():
    """`sandbox_of(MySandbox, api_key="k")`: the sandbox started on a free 127.0.0.1 port, stopped after."""
    started = []

    def start(cls, **kwargs):
        sandbox = cls(**kwargs).start()
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()


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
    """Every plugin's settings schema: each field has a label in Vietnamese and English (staff read it on the
    integrations page, not the field's name), and each secret field refuses an empty or short value (choso
    refuses them anyway; this keeps the plugin's own form honest). Call it from any plugin's tests."""
    fields_ = schema().fields
    for name, f in fields_.items():
        label = f.metadata.get("label")
        assert isinstance(label, dict) and label.get("vi") and label.get("en"), (
            f"setting {name!r} has no label in both languages: metadata=plugins.labelled(vi, en)")
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

    @pytest.fixture(autouse=True)
    def _seller_and_photos(self, request, adapter: MarketplaceAdapter, sandbox_url: str) -> None:
        """Per-seller adapters (SDK 1.6) act for a shop connected through the sandbox's authorisation page, as
        choso connects one; adapters that upload photos read a small real JPEG."""
        if adapter.image_reader is None:
            adapter.image_reader = lambda _image: sample_photo()
        if adapter.per_seller and adapter.seller is None:
            connect_seller(adapter, SandboxControl(sandbox_url))

    def copy(self, adapter: MarketplaceAdapter, settings: dict) -> MarketplaceAdapter:
        """A second adapter with other settings, acting for the same seller and reading the same photos."""
        other = type(adapter)(settings)
        other.seller, other.image_reader = adapter.seller, adapter.image_reader
        return other

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

    def test_publish_is_what_the_marketplace_holds(self, adapter, control):
        listing = adapter.publish(self.good_product(), "contract-readback-1")
        held = _read_back(adapter, listing.remote_id)
        product = self.good_product()
        assert held is not None and held.active
        assert (held.price_vnd, held.stock) == (product.price_vnd, product.stock)

    def test_update_changes_price_and_stock(self, adapter, control):
        listing = adapter.publish(self.good_product(), "contract-update-1")
        changed = replace(self.good_product(), price_vnd=399_000, stock=3, version="v2")
        adapter.update(listing.remote_id, changed, "contract-update-2")
        held = _read_back(adapter, listing.remote_id)
        assert held is not None and (held.price_vnd, held.stock) == (399_000, 3)
        # and once more, so that a value equal by chance cannot pass for an update
        adapter.update(listing.remote_id, replace(changed, price_vnd=405_000, stock=0, version="v3"),
                       "contract-update-3")
        assert (_read_back(adapter, listing.remote_id).price_vnd, _read_back(adapter, listing.remote_id).stock) \
            == (405_000, 0)

    def test_unpublish_takes_the_listing_down(self, adapter, control):
        listing = adapter.publish(self.good_product(), "contract-unpublish-1")
        adapter.unpublish(listing.remote_id)
        held = _read_back(adapter, listing.remote_id)
        assert held is None or held.active is False
        assert httpx.get(listing.url, timeout=10).status_code == 404
        adapter.unpublish(listing.remote_id)  # taking down what is already down is not an error

    def test_wrong_credentials_are_refused_not_ignored(self, adapter):
        wrong = self.copy(adapter, _with_wrong_secrets(adapter))
        with pytest.raises(MarketplaceError):
            wrong.publish(self.good_product(), "contract-wrong-credentials")

    def test_an_order_notification_is_verified_and_read_the_same_twice(self, adapter, control):
        if type(adapter).parse_order_webhook is MarketplaceAdapter.parse_order_webhook:
            pytest.skip(f"{adapter.name} sends no order notifications")
        listing = adapter.publish(self.good_product(), "contract-webhook-1")
        body, headers = control.webhook_sample(listing.remote_id, quantity=2)
        order = adapter.parse_order_webhook(headers, body)
        assert isinstance(order, RemoteOrder) and order.remote_id and order.placed_at.tzinfo is not None
        assert [(line.remote_product_id, line.quantity) for line in order.lines] == [(listing.remote_id, 2)]
        # a replay reads as the same order (choso then records it once); a tampered one is refused
        assert adapter.parse_order_webhook(headers, body).remote_id == order.remote_id
        with pytest.raises(PermissionError):
            adapter.parse_order_webhook(headers, body.replace(b"2", b"9", 1))

    def timeout_adapter(self, adapter: MarketplaceAdapter, seconds: float) -> MarketplaceAdapter:
        """The adapter with its HTTP timeout set to `seconds`. Default: through a `timeout_seconds` setting;
        override when the adapter sets its timeout another way."""
        if "timeout_seconds" not in type(adapter).settings_schema().fields:
            pytest.skip(f"{adapter.name}: declare a timeout_seconds setting, or override timeout_adapter()")
        return self.copy(adapter, {**adapter.settings, "timeout_seconds": seconds})

    def test_a_marketplace_that_does_not_answer_in_time_is_transient(self, adapter, control):
        quick = self.timeout_adapter(adapter, 0.5)
        control.slow(3)
        with pytest.raises(TransientError):
            quick.publish(self.good_product(), "contract-timeout")

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

    def test_an_order_a_lost_notification_missed_is_found_and_can_be_cancelled(self, adapter, control):
        if type(adapter).fetch_orders is MarketplaceAdapter.fetch_orders:
            pytest.skip(f"{adapter.name} cannot list orders")
        listing = adapter.publish(self.good_product(), "contract-orders-1")
        placed = control.order(listing.remote_id, quantity=2)["order"]  # no notification reaches anyone
        recent = adapter.fetch_orders(datetime.now(UTC) - timedelta(hours=1))
        assert all(isinstance(o, RemoteOrder) and o.placed_at.tzinfo is not None for o in recent)
        found = [o for o in recent if any(line.remote_product_id == listing.remote_id for line in o.lines)]
        assert len(found) == 1 and [line.quantity for line in found[0].lines] == [2], placed
        if type(adapter).cancel_order is not MarketplaceAdapter.cancel_order:
            adapter.cancel_order(found[0], "out_of_stock")  # accepted by the marketplace

    # --- per-seller marketplaces (SDK 1.6) ------------------------------------------------------------

    def _per_seller(self, adapter: MarketplaceAdapter) -> None:
        if not adapter.per_seller:
            pytest.skip(f"{adapter.name} is configured per commune, not connected per seller")

    def test_a_connected_seller_has_a_usable_connection(self, adapter):
        self._per_seller(adapter)
        seller = adapter.seller
        assert isinstance(seller, SellerConnection) and seller.shop_id and seller.access_token
        assert seller.refresh_token and seller.access_expires_at.tzinfo is not None
        assert seller.access_expires_at > datetime.now(UTC)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in seller.extra.items())

    def test_a_refreshed_connection_works_and_replaces_the_old_tokens(self, adapter, control):
        self._per_seller(adapter)
        fresh = adapter.refresh_connection(adapter.seller)
        assert isinstance(fresh, SellerConnection) and fresh.shop_id == adapter.seller.shop_id
        assert fresh.access_token != adapter.seller.access_token
        adapter.seller = fresh
        listing = adapter.publish(self.good_product(), "contract-refreshed-1")
        assert control.product(listing.remote_id) is not None

    def test_a_revoked_authorisation_is_connection_lapsed(self, adapter, control):
        self._per_seller(adapter)
        control.revoke(adapter.seller.shop_id)
        with pytest.raises(ConnectionLapsed):
            adapter.refresh_connection(adapter.seller)
        with pytest.raises(ConnectionLapsed):
            adapter.publish(self.good_product(), "contract-revoked-1")


    def test_an_order_notice_is_verified_and_its_order_read_through_the_seller(self, adapter, control):
        self._per_seller(adapter)
        if type(adapter).parse_order_notice is MarketplaceAdapter.parse_order_notice:
            pytest.skip(f"{adapter.name} sends no order notifications")
        url = "http://127.0.0.1:9/api/v1/webhooks/marketplaces/kit/00583"  # where the marketplace would post
        control.configure(webhook_url=url)
        listing = adapter.publish(self.good_product(), "contract-notice-1")
        body, headers = control.webhook_sample(listing.remote_id, quantity=2)
        notice = adapter.parse_order_notice(headers, body, url)
        assert isinstance(notice, OrderNotice) and notice.shop_id == adapter.seller.shop_id
        assert len(notice.order_ids) == 1
        order = adapter.fetch_order(notice.order_ids[0])
        assert isinstance(order, RemoteOrder) and order.placed_at.tzinfo is not None
        assert [(line.remote_product_id, line.quantity) for line in order.lines] == [(listing.remote_id, 2)]
        # polling finds the same order by the same id (choso records it once either way)
        recent = adapter.fetch_orders(datetime.now(UTC) - timedelta(hours=1))
        assert order.remote_id in {o.remote_id for o in recent}
        with pytest.raises(PermissionError):
            adapter.parse_order_notice(headers, body + b" ", url)


def connect_seller(adapter: MarketplaceAdapter, control: SandboxControl, **seller) -> SellerConnection:
    """Connect a seller's shop the way choso does: the adapter's authorisation URL, the seller's consent on
    the sandbox (`SandboxControl.authorize`), then the adapter's token exchange. Sets `adapter.seller`."""
    from urllib.parse import parse_qsl, urlsplit

    redirect = "http://127.0.0.1:9/dashboard/connections/kit/back?state=kit"
    back = control.authorize(adapter.authorization_url(redirect), **seller)
    query = {k: v for k, v in parse_qsl(urlsplit(back).query) if k != "state"}
    adapter.seller = adapter.complete_authorization(query, redirect)
    return adapter.seller


def sample_photo() -> bytes:
    """A small, real JPEG: what a marketplace that takes uploads receives in the kit."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 480), (180, 120, 60)).save(out, "JPEG", quality=80)
    return out.getvalue()


class PaymentSourceContract:
    """The kit for a bank-notification source. Subclass as `Test…`, provide a `source` fixture (configured
    with a real key) and `notification()`: the headers and body of a genuine notification for that key, as
    the service would send it."""

    def notification(self) -> tuple[dict[str, str], bytes]:
        raise NotImplementedError("return (headers, body) of a genuine, correctly signed notification")

    def tamper(self, body: bytes) -> bytes:
        """The same notification with the money changed; override when the amount is written differently."""
        return body.replace(b"30000", b"90000", 1)

    def test_settings_schema_guards_its_secrets(self, source):
        check_settings_schema(type(source).settings_schema)

    def test_a_genuine_notification_verifies_and_reads_as_whole_dong(self, source):
        headers, body = self.notification()
        source.verify(headers, body)
        notes = source.parse(body)
        assert notes and all(isinstance(n, BankNotification) for n in notes)
        for note in notes:
            assert isinstance(note.transaction_id, str) and note.transaction_id
            assert isinstance(note.amount_vnd, int) and not isinstance(note.amount_vnd, bool)
            assert note.amount_vnd >= 0 and note.occurred_at.tzinfo is not None

    def test_parsing_the_same_notification_twice_gives_the_same_transactions(self, source):
        _headers, body = self.notification()
        first, again = source.parse(body), source.parse(body)
        assert [(n.transaction_id, n.amount_vnd) for n in first] == [(n.transaction_id, n.amount_vnd) for n in again]

    def test_a_changed_body_is_refused(self, source):
        headers, body = self.notification()
        tampered = self.tamper(body)
        assert tampered != body, "tamper() changed nothing: override it for this body"
        with pytest.raises(PermissionError):
            source.verify(headers, tampered)

    def test_no_credentials_are_refused(self, source):
        _headers, body = self.notification()
        with pytest.raises(PermissionError):
            source.verify({}, body)

    def test_a_notification_signed_with_another_key_is_refused(self, source):
        headers, body = self.notification()
        other = type(source)({**source.settings, **{name: "another-key-" + "k" * MIN_SECRET_LENGTH
                                                   for name, f in source.settings_schema().fields.items()
                                                   if f.metadata.get("secret")}})
        with pytest.raises(PermissionError):
            other.verify(headers, body)


    @pytest.fixture
    def listing(self):
        """Override for a source with `list_transactions` (SDK 1.5): yield (a source configured to list, against
        a sandbox or test account; since; until; the transaction ids that `parse` gives for the webhooks of
        transfers made in that window). The default, None, skips the listing cases."""
        return None

    def test_listing_finds_what_the_webhooks_carry_under_the_same_ids(self, listing):
        if listing is None:
            pytest.skip("this source does not list transactions")
        lister, since, until, ids = listing
        assert lister.can_list() is True
        notes = lister.list_transactions(since, until)
        assert all(isinstance(n, BankNotification) for n in notes)
        for note in notes:
            assert isinstance(note.amount_vnd, int) and not isinstance(note.amount_vnd, bool) and note.amount_vnd >= 0
            assert note.occurred_at.tzinfo is not None
        assert set(ids) <= {n.transaction_id for n in notes}, "listed ids differ from the webhooks' ids"
        again = lister.list_transactions(since, until)
        assert sorted(n.transaction_id for n in again) == sorted(n.transaction_id for n in notes)

    def test_a_refused_listing_key_raises_source_auth_error(self, listing):
        if listing is None:
            pytest.skip("this source does not list transactions")
        lister, since, until, _ids = listing
        other = type(lister)({**lister.settings, **{name: "another-key-" + "k" * MIN_SECRET_LENGTH
                                                   for name, f in lister.settings_schema().fields.items()
                                                   if f.metadata.get("secret")}})
        with pytest.raises(SourceAuthError):
            other.list_transactions(since, until)


class PaymentProviderContract:
    """The kit for a payment provider. Subclass as `Test…` and provide a `provider` fixture (configured) and,
    when the provider takes webhooks, `forged_webhook()` returning headers and body that must be refused."""

    def request(self) -> PaymentRequest:
        return PaymentRequest(payment_id=17, commune_code="00583", amount_vnd=190_000, reference="0A7K3M9Q",
                              description="Đơn hàng 17", payee=Payee("Hộ kinh doanh Gốm Minh", "970436",
                                                                     "0011004567890", "NGUYEN VAN MINH"))

    def forged_webhook(self) -> tuple[dict[str, str], bytes] | None:
        return None

    def test_it_declares_its_identity(self, provider):
        assert provider.identifier and provider.identifier == provider.identifier.lower()
        assert provider.verbose_name and isinstance(provider.cashless, bool)

    def test_settings_schema_guards_its_secrets(self, provider):
        if type(provider).settings_schema is not None:
            check_settings_schema(type(provider).settings_schema)

    def test_availability_and_matching_id_are_plain_answers(self, provider):
        assert isinstance(provider.is_available(self.request()), bool)
        matching = provider.matching_id(self.request())
        assert isinstance(matching, str) and matching

    def test_start_says_what_the_buyer_does_next(self, provider):
        step = provider.start(self.request(), {})
        assert isinstance(step, NextStep) and step.kind in STEP_KINDS and step.state in PAYMENT_STATES

    def test_a_forged_webhook_is_refused(self, provider):
        forged = self.forged_webhook()
        if forged is None:
            pytest.skip(f"{provider.identifier} takes no webhooks")
        with pytest.raises(WebhookRejected):
            provider.handle_webhook(*forged)
