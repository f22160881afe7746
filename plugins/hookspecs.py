"""Every hook choso calls, with its full contract. This file is the reference; docs/plugins.md shows examples.

Two kinds of hooks:

- registration hooks (`register_*`, `extra_template_vars`) are called once when the app is built; each
  returns objects and choso collects the results of every plugin (none is "first result wins");
- event hooks (`product_saved`, ...) are called after something happened and return nothing. They never
  break the caller: an exception is logged with the plugin's name, counted, shown on the admin plugins
  page, and the request or job that fired the event carries on.

Event hooks receive frozen snapshots (see `plugins.sdk`), never ORM objects or sessions.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("choso")


# --- registration hooks ------------------------------------------------------------------------------

@hookspec
def register_marketplaces():
    """Return a list of `MarketplaceAdapter` subclasses this plugin provides.

    Called once at start-up. Each class needs a unique `name` (lower-case, used in URLs, settings and
    listings), a `display_name` shown to sellers, and a marshmallow `settings_schema` for its credentials
    (fields with `metadata={"secret": True}` are stored encrypted). Two plugins registering the same
    `name` stop start-up with an error naming both.
    """


@hookspec
def register_payment_sources():
    """Return a list of `PaymentSource` subclasses: bank-notification webhooks (SePay, Casso, ... style).

    Called once at start-up. Each class has a unique `name`, a `display_name`, a `settings_schema` (secrets
    marked `secret`), `verify(headers, body)` raising PermissionError for anything not genuine (compare in
    constant time), and `parse(body)` returning `BankNotification`s, which choso stores under their
    transaction id and matches against bills. Duplicate names stop start-up.
    """


@hookspec
def register_payment_providers():
    """Return a list of payment provider classes (VietQR transfer, card, cash, wallets ...).

    Called once at start-up. Each class subclasses `plugins.PaymentProvider`: a unique `identifier`, a
    `verbose_name` shown to buyers, `start(request, data)` returning a `NextStep` (show a QR, redirect,
    confirm a card, pay at the office), and optionally a `settings_schema` (per commune, secrets marked
    `metadata={"secret": True}`), `is_available`, `confirm`, `handle_webhook` (verify in constant time),
    `refund` (default: not supported) and `matching_id`. Providers receive frozen dataclasses, never ORM
    objects; choso keeps the payment's state and money. Duplicate identifiers stop start-up.
    """


@hookspec
def register_fee_types():
    """Return a list of fee types communes can bill for, each a mapping with `code`, `name` and `amount_vnd`.

    Called once at start-up. `amount_vnd` is an integer number of đồng or None when set per bill.
    Duplicate codes stop start-up.
    """


@hookspec
def register_metrics():
    """Return a list of digital-economy indicator classes (subclasses of `plugins.Metric`), each with a unique
    `id`, a `label` and `compute(facts)`.

    `facts` is a mapping of counts choso made for one commune and month (plugins.metric.FACTS lists them);
    `compute` returns a number, a `plugins.Share(numerator, denominator)` or None. Called once at start-up;
    the indicators appear beside the built-in ones on the staff dashboard, in exports, snapshots and the API.
    An indicator that raises shows as not available, and the page goes on. Duplicate ids stop start-up.
    """


@hookspec
def register_facts():
    """Return a list of `plugins.Fact` classes: counts choso adds to the facts of every commune and month
    (SDK 1.4), from the commune's active products handed over as read-only `plugins.ProductRow`s. A fact's name
    must be new (not one of plugins.FACTS). A `count` that raises, hangs or returns something other than a whole
    number >= 0 leaves that fact out for the commune and is recorded against the plugin.
    """


@hookspec
def register_commands():
    """Return a list of `click` commands to add to the `choso` command line.

    Called when the command line is built. A command whose name is already taken stops start-up.
    """


@hookspec
def register_blueprints():
    """Return a list of Flask blueprints to mount (extra pages or API endpoints).

    Called once while the app is built. Blueprints must check roles themselves (`core.auth.policy`).
    """


@hookspec
def extra_template_vars(template: str):
    """Return a dict of extra variables for rendering `template` (its name, e.g. "catalog/product.html").

    Called on every page render; keep it cheap. Later plugins win on equal keys.
    """


# --- event hooks -------------------------------------------------------------------------------------

@hookspec
def product_saved(product, created: bool):
    """A product was created (`created=True`) or changed. `product` is a `ProductSnapshot`.

    Called after the change is committed. Return value ignored; exceptions are contained.
    """


@hookspec
def product_archived(product):
    """A product was archived (it leaves the catalog and every marketplace). `product` is a `ProductSnapshot`.

    Called after the change is committed. Return value ignored; exceptions are contained.
    """


@hookspec
def listing_state_changed(listing, old_state: str, new_state: str):
    """A marketplace listing moved from `old_state` to `new_state` (see core.publishing.states).

    `listing` is a `ListingSnapshot` with the product id, marketplace name, remote id and URL, and the
    last problems. Called after the change is committed. Exceptions are contained.
    """


@hookspec
def payment_received(payment):
    """Money arrived (a bank transfer, a card payment, cash recorded by staff). `payment` is a snapshot
    with the amount in đồng, the method and the matched bill or order if any.

    Called after the payment is stored. Exceptions are contained.
    """


@hookspec
def bill_paid(bill):
    """A bill is fully paid. `bill` is a snapshot with its number, fee type, amount in đồng and payer.

    Called after the bill's state is committed. Exceptions are contained.
    """


@hookspec
def bill_reminder(reminder):
    """A bill falls due soon (`reminder.kind == "due_soon"`) or is overdue (`"overdue"`); each once per bill.

    `reminder` is a snapshot with the bill's number, fee, payer and phone, what is still owed in đồng, the due
    date and the public link that shows its QR code. choso has already e-mailed the household's owner when it
    could; a plugin sends the same reminder by SMS or Zalo, which is how payers without e-mail are reached.
    Called from a job after the reminder is recorded. Exceptions are contained (the reminder is not sent again).
    """


@hookspec
def payment_source_warning(warning):
    """A bank-notification source needs a person (SDK 1.5): its API key was refused when choso fetched
    transfers (`warning.kind == "auth"`), or nothing arrived from it for `warning.hours` while bills are open
    (`"quiet"`), so households may have paid without getting a receipt.

    `warning` is a snapshot: the commune, the source and its display name, the kind, and `text`, the sentence
    staff read (with `url`, the page that shows the details). choso has already shown it on the staff pages and
    e-mailed the commune's staff; a plugin sends it by SMS or Zalo. Called once per episode, from a job, until
    the source is healthy again. Exceptions are contained.
    """


@hookspec
def bank_account_changed(change):
    """A household's bank account was added, changed, verified, unverified or removed.

    `change` is a snapshot: the shop's name and owner's phone, what happened (`change.change`), the bank's BIN,
    the last four digits of the number, whether it is verified now, and who made the change. choso has already
    e-mailed the owner when it could; a plugin tells a household with only a phone (SMS, Zalo), because a
    changed account is where a dishonest helper or neighbour would redirect the shop's money.
    Called after the change is committed. Exceptions are contained.
    """


@hookspec
def shop_connection_changed(change):
    """A household's own shop on a per-seller marketplace (Shopee, TikTok Shop) was connected, is about to lapse
    (seven days ahead), has lapsed, or was disconnected (SDK 1.6).

    `change` is a snapshot: the household's shop name and owner's phone, the marketplace and the marketplace
    shop's name, what happened (`change.change`: "connected", "expiring", "lapsed", "disconnected"), when the
    authorisation lapses, the page where the household connects again (`renew_url`) and who acted. choso has
    already e-mailed the owner and the helpers when it could; a plugin tells a household with only a phone
    (SMS, Zalo): a lapsed connection silently stops sales there, and a shop connected by someone else sells
    the household's products for them. Called after the change is committed. Exceptions are contained.
    """


REGISTRATION_HOOKS = (
    "register_marketplaces", "register_payment_sources", "register_payment_providers", "register_fee_types",
    "register_metrics", "register_facts", "register_commands", "register_blueprints", "extra_template_vars",
)
EVENT_HOOKS = ("product_saved", "product_archived", "listing_state_changed", "payment_received", "bill_paid",
               "bill_reminder", "bank_account_changed", "payment_source_warning", "shop_connection_changed")
