"""What plugin authors build on: the data handed across the plugin boundary and the adapter base class.

Plugins never receive ORM objects or database sessions: choso hands them frozen dataclasses and takes back
plain values. Everything here is re-exported from `plugins`, the one import a plugin needs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from marshmallow import Schema, fields, validate

# Bumped in its minor part when something is added, in its major part when something changes or goes.
SDK_VERSION = "1.6"

# A key, password or signing secret shorter than this is refused when staff switch an integration on: an empty
# or short key lets anyone sign a notification (HMAC with an empty key is still a valid HMAC).
MIN_SECRET_LENGTH = 16


def secret_field(*, required: bool = True, **metadata: Any) -> fields.String:
    """A secret setting (an API key, a signing key): stored encrypted, shown masked, and at least
    MIN_SECRET_LENGTH characters. `metadata` may carry a "description". choso enforces the length for every
    field marked secret anyway; this puts the rule in the plugin's own schema and its own error messages.

    `required=False` (SDK 1.5) is for a key that only an optional feature needs (the key that lists
    transactions, beside the one that verifies webhooks): left empty, the feature is off; given, it must be
    as long as any other secret."""
    return fields.String(required=required, validate=validate.Length(min=MIN_SECRET_LENGTH),
                         metadata={"secret": True, **metadata})


def labelled(vi: str, en: str, *, help_vi: str = "", help_en: str = "") -> dict[str, Any]:
    """Field metadata giving a settings field its label (and help) in both languages, for the staff form
    (SDK 1.4): `fields.String(required=True, metadata=labelled("Mã đối tác", "Partner id"))`, or
    `secret_field(**labelled(...))`. Without it, staff see the field's name."""
    out: dict[str, Any] = {"label": {"vi": vi, "en": en}}
    if help_vi or help_en:
        out["help"] = {"vi": help_vi or help_en, "en": help_en or help_vi}
    return out


@dataclass(frozen=True)
class ImageRef:
    url: str
    width: int
    height: int
    bytes: int


@dataclass(frozen=True)
class ProductSnapshot:
    """A product as a marketplace sees it; `version` changes whenever anything sent to a marketplace does."""

    id: int
    household_id: int
    shop_name: str
    commune_code: str
    name: str
    description: str
    product_group: str
    price_vnd: int
    stock: int
    unit: str = ""
    net_weight_g: int | None = None
    origin: str = ""
    ocop_stars: int | None = None
    ocop_certificate_no: str | None = None
    shelf_life_days: int | None = None
    season: str = ""
    sku: str | None = None
    status: str = "active"
    images: tuple[ImageRef, ...] = ()
    version: str = ""
    # SDK 1.6: the marketplace category the household chose for this listing, by the marketplace's own id;
    # None means the adapter suggests one (from the OCOP group and the name)
    category: str | None = None


@dataclass(frozen=True)
class Problem:
    """One thing a seller must fix: the choso field it concerns and a message in plain words."""

    field: str
    message: str
    code: str = ""


@dataclass(frozen=True)
class RemoteListing:
    remote_id: str
    url: str
    state: str = "live"
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ListingSnapshot:
    """A product's listing on one marketplace, as the `listing_state_changed` hook receives it (SDK 1.4:
    importable from `plugins`). `state` is one of `plugins.LISTING_STATES`."""

    id: int
    product_id: int
    marketplace: str
    state: str
    remote_id: str | None
    url: str | None
    problems: tuple[dict[str, Any], ...]
    last_error: str | None


@dataclass(frozen=True)
class RemoteProduct:
    """What a marketplace holds for one listing, read back (SDK 1.4): the contract kit checks updates with it."""

    remote_id: str
    name: str
    price_vnd: int
    stock: int
    active: bool = True
    url: str = ""


@dataclass(frozen=True)
class RemoteOrderLine:
    remote_product_id: str
    quantity: int
    unit_price_vnd: int


@dataclass(frozen=True)
class RemoteOrder:
    remote_id: str
    placed_at: datetime
    lines: tuple[RemoteOrderLine, ...]
    buyer_name: str = ""
    buyer_phone: str = ""
    address: str = ""


@dataclass(frozen=True)
class SellerConnection:
    """One household's own shop on a marketplace that authorises sellers one at a time (SDK 1.6), such as
    Shopee or TikTok Shop: the marketplace's id of the shop and the tokens the seller's authorisation gave.

    choso stores it encrypted per household, hands it to the adapter as `adapter.seller` before any call made
    for that household, and asks the adapter to refresh it (`refresh_connection`) before `access_expires_at`.
    `authorization_expires_at` is when the seller's grant itself lapses (Shopee: at most 365 days; only the
    seller can renew it): choso tells the household seven days before. `extra` holds whatever else the
    marketplace needs on every call (TikTok Shop's shop cipher); strings only."""

    shop_id: str
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime | None = None
    authorization_expires_at: datetime | None = None
    shop_name: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderNotice:
    """What a per-seller marketplace's order notification says (SDK 1.6): which seller's shop, and which of
    its orders changed. choso then reads each order through that seller's connection (`fetch_order`)."""

    shop_id: str
    order_ids: tuple[str, ...] = ()


class MarketplaceError(Exception):
    """Base of the errors an adapter raises; anything else is treated as a transient fault."""


class TransientError(MarketplaceError):
    """Worth retrying later: rate limits, 5xx, timeouts, dropped connections."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RejectedError(MarketplaceError):
    """The marketplace refused the listing; retrying the same content will not help."""

    def __init__(self, message: str, problems: list[Problem] | tuple[Problem, ...] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


class AccessExpired(TransientError):
    """The marketplace refused the seller's access token (expired early, or replaced): choso refreshes the
    connection before the next try (SDK 1.6)."""


class ConnectionLapsed(MarketplaceError):
    """The seller's authorisation is gone (expired, revoked, its refresh token dead) and only the seller can
    renew it (SDK 1.6). choso pauses that household's listings on the marketplace with this reason and tells
    the household how to connect again; nothing is retried until it does."""


class MarketplaceAdapter:
    """A marketplace's seller API, seen from choso.

    Required: `name`, `display_name`, `settings_schema`, `publish`, `update`, `unpublish`. The rest has
    working defaults. `publish` must be idempotent for one `idempotency_key`: called twice with the same key
    it returns the same remote listing instead of creating a second one.

    Per-seller marketplaces (SDK 1.6): set `per_seller = True` when each household authorises its own shop
    (Shopee, TikTok Shop). The commune's settings then hold the app's credentials (partner id and key), and
    the household connects its shop through `authorization_url` and `complete_authorization`; before every
    call made for a household, choso sets `self.seller` to that household's `SellerConnection`.
    """

    name: ClassVar[str]
    display_name: ClassVar[str]
    settings_schema: ClassVar[type[Schema]]
    # A class with the Sandbox interface (see plugins.sandbox), so `choso sandbox NAME` can start it.
    sandbox_class: ClassVar[type | None] = None
    # Seconds each call may take before choso abandons it and retries later (SDK 1.4). None: the operator's
    # default (CHOSO_PLUGIN_TIMEOUT, 20 s); never more than CHOSO_PLUGIN_TIMEOUT_MAX (120 s).
    call_timeout: ClassVar[float | None] = None
    # Each household connects its own shop (SDK 1.6); see the class docstring.
    per_seller: ClassVar[bool] = False

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.settings = dict(settings)
        self.seller: SellerConnection | None = None
        # set by choso (SDK 1.6): reads a photo's bytes from choso's own storage; None means fetch `url`
        self.image_reader: Callable[[ImageRef], bytes] | None = None

    def image_bytes(self, image: ImageRef) -> bytes:
        """The photo's bytes, for marketplaces that take uploads rather than addresses (SDK 1.6)."""
        if self.image_reader is not None:
            return self.image_reader(image)
        import httpx

        response = httpx.get(image.url, timeout=20)
        response.raise_for_status()
        return response.content

    def authorization_url(self, redirect_url: str) -> str:
        """Per-seller marketplaces (SDK 1.6): the marketplace's page where a seller authorises choso for their
        shop. The marketplace sends the seller back to `redirect_url` (which carries choso's own state) with
        what `complete_authorization` needs in the query string."""
        raise NotImplementedError(f"{self.name} does not connect sellers one by one")

    def complete_authorization(self, query: Mapping[str, str], redirect_url: str) -> SellerConnection:
        """Per-seller marketplaces (SDK 1.6): turn what the marketplace added to `redirect_url` (a code and a
        shop id, usually) into a connection, by the marketplace's token exchange. Raise `RejectedError` when
        the marketplace refuses the code."""
        raise NotImplementedError(f"{self.name} does not connect sellers one by one")

    def refresh_connection(self, connection: SellerConnection) -> SellerConnection:
        """Per-seller marketplaces (SDK 1.6): a fresh connection from `connection`'s refresh token. Raise
        `ConnectionLapsed` when the marketplace says the seller must authorise again, `TransientError` when
        it did not answer."""
        raise NotImplementedError(f"{self.name} does not connect sellers one by one")

    def validate(self, product: ProductSnapshot) -> list[Problem]:
        """Problems the marketplace would refuse, found before anything is sent. Default: none."""
        return []

    def publish(self, product: ProductSnapshot, idempotency_key: str) -> RemoteListing:
        raise NotImplementedError

    def update(self, remote_id: str, product: ProductSnapshot, idempotency_key: str) -> RemoteListing:
        raise NotImplementedError

    def unpublish(self, remote_id: str) -> None:
        raise NotImplementedError

    def categories(self) -> list[tuple[str, str]]:
        """Optional (SDK 1.6): the categories a product can be listed in, as (id, name in words), for the
        household to pick from (per-seller marketplaces: with `self.seller` set). Default: none to choose."""
        return []

    def suggest_category(self, product: ProductSnapshot) -> str | None:
        """Optional (SDK 1.6): the category id the adapter would use for `product` when the household has not
        chosen one (`product.category`). Default: None."""
        return None

    def set_stock(self, remote_id: str, stock: int) -> None:
        """Optional (SDK 1.6): set only the quantity buyers can order. When all that changed since the last
        update is the stock (a sale on another channel), choso calls this instead of `update`, so every
        channel shows choso's one stock number within moments. Default: not available (choso updates)."""
        raise NotImplementedError(f"{self.name} cannot set stock alone")

    def check_connection(self) -> None:
        """Optional (SDK 1.4): prove the settings work — the address answers and the credentials are accepted —
        by one harmless call. choso runs it when staff save the settings with the marketplace switched on, so
        a wrong key is caught then, not at the first publish. Raise a `MarketplaceError` saying what is wrong.
        Default: nothing is checked."""

    def fetch_listing(self, remote_id: str) -> RemoteProduct | None:
        """What the marketplace holds for `remote_id` now (None once it is gone), read through the marketplace's
        own API (SDK 1.4). The contract kit checks publish, update and unpublish with it."""
        raise NotImplementedError(f"{self.name} cannot read a listing back")

    def fetch_orders(self, since: datetime) -> list[RemoteOrder]:
        """Orders placed since `since`, for marketplaces without webhooks, and (per-seller marketplaces, with
        `self.seller` set) to find what a lost notification missed. Default: none."""
        return []

    def parse_order_notice(self, headers: Mapping[str, str], body: bytes, url: str) -> OrderNotice:
        """Per-seller marketplaces (SDK 1.6): verify a signed order notification (`url` is the address it was
        posted to, as the marketplace called it; some sign it) and say which shop and orders it is about.
        Raise PermissionError when it is not genuine. Default: this marketplace sends none."""
        raise NotImplementedError(f"{self.name} sends no order notifications")

    def fetch_order(self, order_id: str) -> RemoteOrder | None:
        """Per-seller marketplaces (SDK 1.6): one order of `self.seller`'s shop, read through the marketplace's
        API (None when it does not exist)."""
        raise NotImplementedError(f"{self.name} cannot read an order")

    def cancel_order(self, order: RemoteOrder, reason: str) -> None:
        """Per-seller marketplaces (SDK 1.6): cancel an order on the marketplace, which tells its buyer. choso
        asks when the order would sell more than choso's stock holds (two channels sold the last unit at once;
        `reason` is then "out_of_stock"). Default: not available (the household sees the order and decides)."""
        raise NotImplementedError(f"{self.name} cannot cancel an order")

    def parse_order_webhook(self, headers: Mapping[str, str], body: bytes) -> RemoteOrder:
        """Verify a signed order notification and read it. Default: this marketplace sends none."""
        raise NotImplementedError(f"{self.name} sends no order webhooks")



@dataclass(frozen=True)
class BankNotification:
    """One bank transaction as a notification source reports it; money is whole đồng, time is aware."""

    transaction_id: str
    amount_vnd: int
    content: str
    occurred_at: datetime
    incoming: bool = True
    account_number: str | None = None
    bank: str | None = None
    bank_reference: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


class SourceAuthError(PermissionError):
    """Raised by `PaymentSource.list_transactions` when the service refused choso's key (expired, revoked,
    wrong): staff are warned at once, since no later poll can succeed until someone enters a new key."""


class PaymentSource:
    """A bank-transfer notification source (a SePay- or Casso-style webhook).

    Required: `name`, `display_name`, `settings_schema`, `verify`, `parse`. `verify` must compare secrets
    with `hmac.compare_digest` (constant time) and raise PermissionError when the request is not genuine.

    Optional (SDK 1.5): `list_transactions`, for services that can list an account's transactions. A webhook
    can be lost for good (SePay gives up after 8 tries in about 33 minutes); choso then polls the sources
    that implement it (every 15 minutes, once when a worker starts, and when staff ask) and stores what it
    finds through the same store-then-match path, so a transfer seen both ways counts once.
    """

    name: ClassVar[str]
    display_name: ClassVar[str]
    settings_schema: ClassVar[type[Schema]]
    # Seconds each call may take (SDK 1.5; as MarketplaceAdapter.call_timeout): a poll reads several pages.
    call_timeout: ClassVar[float | None] = None

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.settings = dict(settings)

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        raise NotImplementedError

    def parse(self, body: bytes) -> list[BankNotification]:
        raise NotImplementedError

    def acknowledge(self) -> tuple[dict[str, Any], int]:
        """What the source expects back once the notification is stored. Default: {"success": true}, 200."""
        return {"success": True}, 200

    def can_list(self) -> bool:
        """Whether this configured source can list transactions (SDK 1.5). Default: when `list_transactions`
        is implemented; override to say no when the optional key that listing needs was left empty."""
        return type(self).list_transactions is not PaymentSource.list_transactions

    def list_transactions(self, since: datetime, until: datetime) -> list[BankNotification]:
        """Every transaction the service holds for the configured account(s) that happened from `since` to
        `until` (aware datetimes), in the same form `parse` gives for a webhook — above all the same
        `transaction_id`, which is how choso knows a fetched transfer from one a webhook already brought.
        Read every page. Returning transactions outside the window is harmless (they are de-duplicated).
        Raise `SourceAuthError` when the service refuses the key; any other exception is a failed poll,
        tried again at the next one (SDK 1.5)."""
        raise NotImplementedError(f"{self.name} cannot list transactions")
