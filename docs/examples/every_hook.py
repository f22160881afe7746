"""One plugin module implementing every choso hook; docs/plugins.md quotes it and tests/test_plugin_docs.py runs it."""

import hmac
import json
import logging
from datetime import datetime

import click
from flask import Blueprint, render_template_string
from marshmallow import Schema, fields

from plugins import (
    PENDING,
    REDIRECT,
    SUCCEEDED,
    BankNotification,
    Fact,
    Metric,
    NextStep,
    PaymentProvider,
    PaymentSource,
    PaymentUpdate,
    Share,
    WebhookRejected,
    hookimpl,
    labelled,
    secret_field,
)

CHOSO_SDK = ">=1.4,<2"
log = logging.getLogger("choso_every_hook")
seen: list[tuple[str, object]] = []  # what the event hooks received, for the tests


# --- register_payment_sources ---
class DemoBankSettings(Schema):
    account_number = fields.String(required=True, metadata=labelled("Số tài khoản", "Account number"))
    # required, stored encrypted, shown masked, at least 16 characters
    api_key = secret_field(**labelled("Khóa API", "API key"))


class DemoBankSource(PaymentSource):
    name = "demobank"
    display_name = "Ngân hàng mẫu"
    settings_schema = DemoBankSettings

    def verify(self, headers, body):
        if not hmac.compare_digest(headers.get("X-Api-Key", ""), self.settings["api_key"]):
            raise PermissionError("bad key")

    def parse(self, body):
        item = json.loads(body)
        return [BankNotification(transaction_id=str(item["id"]), amount_vnd=int(item["amount"]),
                                 content=item["text"], occurred_at=datetime.fromisoformat(item["at"]))]


@hookimpl
def register_payment_sources():
    return [DemoBankSource]


# --- register_payment_providers ---
class WalletSettings(Schema):
    checkout_url = fields.Url(required=True, require_tld=False, metadata=labelled("Trang thanh toán", "Checkout page"))
    api_key = secret_field(**labelled("Khóa API", "API key"))


class WalletProvider(PaymentProvider):
    """A wallet that takes the buyer to its own page and later reports back by webhook."""

    identifier = "demowallet"
    verbose_name = "Ví mẫu"
    settings_schema = WalletSettings

    def is_available(self, request):
        return request.amount_vnd <= 10_000_000  # the wallet's own limit per payment

    def start(self, request, data):
        url = f"{self.settings['checkout_url']}?ref={request.reference}&amount={request.amount_vnd}"
        return NextStep(REDIRECT, PENDING, remote_id=f"w-{request.payment_id}", url=url)

    def handle_webhook(self, headers, body):
        if not hmac.compare_digest(headers.get("X-Api-Key", ""), self.settings["api_key"]):
            raise WebhookRejected("bad key")
        item = json.loads(body)
        return [PaymentUpdate(item["payment"], SUCCEEDED, amount_vnd=int(item["amount"]), event_id=item["event"])]


@hookimpl
def register_payment_providers():
    return [WalletProvider]


# --- register_fee_types ---
@hookimpl
def register_fee_types():
    return [{"code": "market-stall", "name": "Phí chỗ ngồi chợ phiên", "amount_vnd": 20_000}]


# --- register_metrics ---
class StallsOnline(Metric):
    """Market stalls (households) that also sell online; choso counts the facts, the plugin shapes them."""

    id = "stalls_online"
    label = "Sạp chợ bán online"
    unit = "share"
    target = 0.5

    def compute(self, facts):
        return Share(facts.get("households_online", 0), facts.get("households_active", 0))


@hookimpl
def register_metrics():
    return [StallsOnline]


# --- register_facts ---
class ProductsWithoutStock(Fact):
    """A count choso does not make itself: products on sale with nothing left in stock."""

    name = "products_out_of_stock"
    description = "active products with a stock of 0"

    def count(self, products):
        return sum(1 for p in products if p.stock == 0)


@hookimpl
def register_facts():
    return [ProductsWithoutStock]


# --- register_commands ---
@click.command("xin-chao")
@click.argument("name", default="bà con")
def hello(name):
    """Say hello (an example command)."""
    click.echo(f"Xin chào {name}!")


@hookimpl
def register_commands():
    return [hello]


# --- register_blueprints ---
pages = Blueprint("every_hook", __name__)


@pages.get("/cho-phien")
def market_day():
    return render_template_string("<p>{{ market_day }}</p>")


@hookimpl
def register_blueprints():
    return [pages]


# --- extra_template_vars ---
@hookimpl
def extra_template_vars(template):
    return {"market_day": "Chợ phiên mùng 5 và 20 âm lịch"}


# --- product_saved, product_archived ---
@hookimpl
def product_saved(product, created):
    seen.append(("product_saved", product.name))
    log.info("%s %s", "new" if created else "changed", product.name)


@hookimpl
def product_archived(product):
    seen.append(("product_archived", product.name))


# --- listing_state_changed ---
@hookimpl
def listing_state_changed(listing, old_state, new_state):
    seen.append(("listing_state_changed", (listing.marketplace, old_state, new_state)))


# --- payment_received, bill_paid ---
@hookimpl
def payment_received(payment):
    seen.append(("payment_received", payment))


@hookimpl
def bill_paid(bill):
    seen.append(("bill_paid", bill))


# --- bill_reminder ---
sms_outbox: list[tuple[str, str]] = []  # what a real plugin would hand to its SMS gateway


@hookimpl
def bill_reminder(reminder):
    if not reminder.payer_phone:
        return
    when = "da qua han" if reminder.kind == "overdue" else "han"  # SMS: plain letters travel best
    sms_outbox.append((reminder.payer_phone, f"{reminder.fee} {reminder.number}: con {reminder.outstanding_vnd} d, "
                                             f"{when} {reminder.due_on:%d/%m}. {reminder.link}"))


# --- bank_account_changed ---
@hookimpl
def bank_account_changed(change):
    if change.owner_phone:  # the household hears of every change to where its money goes
        sms_outbox.append((change.owner_phone, f"{change.shop_name}: tai khoan ...{change.account_last_digits} "
                                               f"{change.change}, boi {change.changed_by}"))


# --- payment_source_warning ---
@hookimpl
def payment_source_warning(warning):
    seen.append(("payment_source_warning", warning.kind))
    sms_outbox.append(("commune-duty-phone", f"choso {warning.commune_code}: {warning.display_name} - {warning.text}"))


# --- shop_connection_changed ---
@hookimpl
def shop_connection_changed(change):
    seen.append(("shop_connection_changed", change.change))
    if change.owner_phone and change.change in ("expiring", "lapsed"):  # sales there stop without it
        sms_outbox.append((change.owner_phone, f"{change.shop_name}: ket noi {change.marketplace} het han "
                                               f"{change.lapses_at:%d/%m}. Ket noi lai: {change.renew_url}"))
