from dataclasses import dataclass

import pytest

from core.models import BankAccount
from tests.helpers import STRIPE_SETTINGS, localstripe
from tests.orders.buying import SEPAY_KEY


@dataclass
class Market:
    tea_shop: object
    honey_shop: object
    tea: object
    honey: object
    staff: object


@pytest.fixture
def market(factory, db):
    """Two households of the test commune, each with a verified bank account and one product;
    VietQR transfers, cash and a SePay-style notification source switched on."""
    shops = []
    accounts = (("Hộ chè Thái", "970436", "0011001234567"), ("Hộ mật ong", "970415", "10987654321"))
    for name, bank_bin, account in accounts:
        owner = factory.user("household", name=f"Chủ {name}")
        owner.email = f"{account}@example.test"
        shop = factory.shop(owner, name=name)
        db.add(BankAccount(household_id=shop.id, bank_bin=bank_bin, account_number=account,
                           account_name=name.upper(), verified=True))
        shops.append(shop)
    db.commit()
    tea = factory.product(shops[0], name="Chè Tân Cương", price_vnd=120_000, stock=10)
    honey = factory.product(shops[1], name="Mật ong hoa nhãn", price_vnd=180_000, stock=6)
    for identifier in ("vietqr", "cash"):
        factory.enable_payment_provider(identifier)
    factory.enable_payment_source("sepay", {"api_key": SEPAY_KEY})
    return Market(shops[0], shops[1], tea, honey, factory.user("staff"))


@pytest.fixture(scope="session")
def stripe_url():
    """localstripe, a stateful fake Stripe server from PyPI, as a real process on 127.0.0.1 (stopped after)."""
    with localstripe() as url:
        yield url


@pytest.fixture
def card(factory, stripe_url):
    """Stripe switched on for the test commune, pointed at the localstripe process."""
    factory.enable_payment_provider("stripe", {**STRIPE_SETTINGS, "api_base": stripe_url,
                                               "js_url": f"{stripe_url}/js.stripe.com/v3/"})
    return stripe_url
