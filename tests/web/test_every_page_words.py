"""Every page, in Vietnamese and in English, shows words, never an untranslated message or an internal code.

A small commune is built (two shops with products, an order half paid by transfer, a bill partly paid, a
helper, staff, an admin); then each person, and an anonymous buyer, follows every link from where they land,
in both languages. On a Vietnamese page no text may be an English message id that the catalog translates, and
on either page no text may be a code from choso's tables (`partially_paid`, `group.tourism`, `vietqr`) or look
like one (`snake_case`, `prefix.code`). Code a person should copy (references, account numbers) sits in
<code> or carries translate="no", and is not read.
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from babel.messages.pofile import read_po

from core import labels
from core.models import BankAccount
from core.testing import bearer, login, run_jobs
from tests.orders.buying import place, sepay_transfer, token_of

PASSWORD = "mat-khau-kiem-tra"
CATALOG = Path(__file__).resolve().parents[2] / "core" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"
SKIP_TAGS = {"script", "style", "code", "pre", "textarea", "svg"}
SKIP_PATHS = ("/api/", "/static/", "/media/", "/logout", "/metrics/prometheus")
CODE_LIKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$|^[a-z_]+\.(?!(?:vn|com|net|org|test|example|local)$)[a-z_]+$")
PER_ENDPOINT = 3  # pages of one kind (every product page looks alike): a few are enough


class _Text(HTMLParser):
    """Visible text and the attributes people read (title, alt, placeholder, aria-label, button values)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip: list[str] = []
        self.texts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in ("br", "img", "input", "meta", "link", "hr"):
            if tag == "img" and attrs.get("alt"):
                self.texts.append(attrs["alt"])
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.texts.append(attrs["value"])
            if tag == "input" and attrs.get("placeholder"):
                self.texts.append(attrs["placeholder"])
            return
        if tag in SKIP_TAGS or attrs.get("translate") == "no" or self.skip:
            self.skip.append(tag)
        for name in ("title", "aria-label", "placeholder"):
            if attrs.get(name) and not self.skip:
                self.texts.append(attrs[name])

    def handle_endtag(self, tag):
        if self.skip and tag in self.skip:
            while self.skip and self.skip.pop() != tag:
                pass

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.texts.append(data.strip())


def _fragments(text: str) -> list[str]:
    parts = re.split(r"\s+[·—|→]\s+|:\s+|\s*[()\[\]]\s*|,\s+", text)
    return [p.strip(" .:") for p in parts if p.strip(" .:")]


@pytest.fixture(scope="module")
def english_ids() -> set[str]:
    """English message ids the Vietnamese catalog translates to something else."""
    catalog = read_po(CATALOG.open("rb"), locale="vi")
    out = set()
    for m in catalog:
        if (m.id and isinstance(m.id, str) and m.string and m.string != m.id and "%(" not in m.id
                and re.search(r"[A-Za-z]{3}", m.id)):
            out.add(m.id.strip(" .:"))
    return out


def _codes() -> set[str]:
    found = set()
    for table in (labels.ORDER_STATES, labels.BILL_STATES, labels.PAYMENT_STATES, labels.ORDER_ACTIONS,
                  labels.ACTORS):
        found |= {code for code in table if code}
    return found | {"vietqr", "stripe", "sepay", "casso", "payos", "postmart", "voso"}


def _world(app, client, factory, db):
    """Two shops, an order with one part paid by transfer, a bill partly paid, and one person per role."""
    people = {}
    for role in ("household", "helper", "staff", "admin"):
        people[role] = factory.user(role, password=PASSWORD)
    shop = factory.shop(people["household"], name="Hộ chè Thái")
    db.add(BankAccount(household_id=shop.id, bank_bin="970436", account_number="0011001234567",
                       account_name="HO CHE THAI", verified=True))
    other = factory.shop(name="Hộ mật ong")
    db.add(BankAccount(household_id=other.id, bank_bin="970415", account_number="10987654321",
                       account_name="HO MAT ONG", verified=True))
    db.commit()
    tea = factory.product(shop, name="Chè Tân Cương", price_vnd=120_000, stock=10, ocop_stars=4)
    honey = factory.product(other, name="Mật ong hoa nhãn", price_vnd=180_000, stock=6, product_group="beverage")
    factory.assign_helper(people["helper"], shop)
    for identifier in ("vietqr", "cash"):
        factory.enable_payment_provider(identifier)
    factory.enable_payment_source("sepay", {"api_key": "sepay-order-key-0001"})
    order = place(client, (tea, 1), (honey, 2))
    r = client.post(f"/api/v1/orders/{token_of(order)}/parts/{order['parts'][0]['id']}/payments",
                    json={"method": "vietqr"})
    assert r.status_code == 201, r.get_json()
    reference = order["parts"][0]["reference"]
    assert sepay_transfer(client, 900001, 120_000, f"{reference} chuyen tien").status_code == 200

    staff_token = factory.token(people["staff"])
    assert client.put("/api/v1/communes/00583/collection-account", headers=bearer(staff_token), json={
        "bank_bin": "970436", "account_number": "0011009999999", "account_name": "UBND XA BAT TRANG"}
    ).status_code == 200
    fee = client.post("/api/v1/communes/00583/fee-types", headers=bearer(staff_token), json={
        "code": "phi-rac", "name": "Phí thu gom rác", "default_amount_vnd": 30000,
        "legal_basis": "Nghị quyết HĐND"}).get_json()
    bill = client.post("/api/v1/communes/00583/bills", headers=bearer(staff_token), json={
        "fee_type_id": fee["id"], "household_id": shop.id, "period": "11/2026"}).get_json()
    client.post("/api/v1/webhooks/payments/sepay/00583", headers={"Authorization": "Apikey sepay-order-key-0001"},
                json={"id": 900002, "gateway": "Vietcombank", "transactionDate": "2026-11-20 10:00:00",
                      "accountNumber": "0011009999999", "transferType": "in", "transferAmount": 10000,
                      "content": f"{bill['reference']} nop phi", "referenceCode": "FT1"})
    run_jobs(app)
    return people, [f"/orders/{token_of(order)}", bill["link"], "/c/00583"]


def _crawl(client, starts: list[str], lang: str) -> dict[str, str]:
    client.set_cookie("choso_lang", lang)
    pages: dict[str, str] = {}
    seen_endpoints: dict[str, int] = {}
    queue = deque(starts)
    while queue and len(pages) < 150:
        url = queue.popleft()
        path = urlsplit(url).path
        if url in pages or path.startswith(SKIP_PATHS):
            continue
        shape = re.sub(r"/\d+|/[A-Za-z0-9_-]{20,}", "/N", path)
        if seen_endpoints.get(shape, 0) >= PER_ENDPOINT:
            continue
        seen_endpoints[shape] = seen_endpoints.get(shape, 0) + 1
        response = client.get(url)
        assert response.status_code < 500, f"{url} answered {response.status_code}"
        if response.status_code != 200 or response.mimetype != "text/html":
            pages[url] = ""
            continue
        html = response.get_data(as_text=True)
        pages[url] = html
        parser = _Text()
        parser.feed(html)
        for href in parser.links:
            target = urljoin(url, href)
            parts = urlsplit(target)
            if parts.netloc in ("", "localhost") and "lang=" not in parts.query:
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return pages


def test_every_page_shows_words_not_codes_in_both_languages(app, client, factory, db, english_ids):
    people, starts = _world(app, client, factory, db)
    codes = _codes()
    problems: list[str] = []
    visited = 0
    for who in ("anonymous", "household", "helper", "staff", "admin"):
        for lang in ("vi", "en"):
            browser = app.test_client()
            if who != "anonymous":
                login(browser, people[who], PASSWORD)
            pages = _crawl(browser, ["/", "/cart", "/dashboard/", "/staff/00583/bills", *starts], lang)
            for url, html in pages.items():
                if not html:
                    continue
                visited += 1
                parser = _Text()
                parser.feed(html)
                for text in parser.texts:
                    for fragment in _fragments(text):
                        if CODE_LIKE.match(fragment) or (lang == "vi" and fragment in codes):
                            problems.append(f"{who}/{lang} {url}: code {fragment!r} in {text!r}")
                        elif lang == "vi" and fragment in english_ids:
                            problems.append(f"{who}/{lang} {url}: English {fragment!r} in {text!r}")
    assert visited > 40, f"only {visited} pages were reached: the crawl is not seeing the site"
    assert not problems, "\n".join(sorted(set(problems)))
