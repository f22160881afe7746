"""SePay: webhooks (one bank transaction per POST, `Authorization: Apikey KEY`) and, with an API token, the
transaction list (`GET /userapi/transactions/list`, `Authorization: Bearer TOKEN`) for what a webhook missed.

The list is SePay's user API as documented at https://docs.sepay.vn/api-giao-dich.html (docs/payments.md
keeps a copy of what each request looks like): its `id` is the webhook's `id`, so a transfer seen both ways is
one row. It answers at most `limit` (5,000) transactions, the most recent first; a full answer means the
window holds more, so it is split in two and each half read again.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from datetime import datetime

from payments.sources.common import (
    ListingSettings,
    api_address,
    get_json,
    http_client,
    vietnam_text,
    vietnam_time,
    whole_dong,
)
from plugins import BankNotification, PaymentSource, labelled, secret_field

PRODUCTION_API = "https://my.sepay.vn"
MOST_PER_CALL = 5000


class SePaySettings(ListingSettings):
    api_key = secret_field(**labelled("Khóa API (Apikey)", "API key", help_vi="Cấu hình webhook trên SePay",
                                     help_en="From the webhook settings on SePay"))
    api_token = secret_field(required=False, **labelled(
        "API Token (để lấy giao dịch bị sót)", "API token (to fetch missed transfers)",
        help_vi="Cấu hình công ty → API Access trên my.sepay.vn; để trống thì không lấy giao dịch định kỳ",
        help_en="Company settings → API Access on my.sepay.vn; leave empty to switch fetching off"))
    api_url = api_address(PRODUCTION_API)


def _note(data: Mapping) -> BankNotification:
    return BankNotification(
        transaction_id=str(data["id"]), amount_vnd=whole_dong(data["transferAmount"]),
        content=data.get("content") or "", occurred_at=vietnam_time(data["transactionDate"]),
        incoming=data.get("transferType", "in") == "in", account_number=data.get("accountNumber"),
        bank=data.get("gateway"), bank_reference=data.get("referenceCode"), raw=dict(data))


def _listed(row: Mapping) -> BankNotification:
    """A row of the transaction list, read as the webhook for the same transaction would be."""
    money_in = whole_dong(row.get("amount_in") or 0)
    return BankNotification(
        transaction_id=str(row["id"]), amount_vnd=money_in or whole_dong(row.get("amount_out") or 0),
        content=row.get("transaction_content") or "", occurred_at=vietnam_time(row["transaction_date"]),
        incoming=money_in > 0, account_number=row.get("account_number"), bank=row.get("bank_brand_name"),
        bank_reference=row.get("reference_number"), raw=dict(row))


class SePaySource(PaymentSource):
    name = "sepay"
    display_name = "SePay"
    settings_schema = SePaySettings
    call_timeout = 60.0

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        given = headers.get("Authorization", "")
        expected = f"Apikey {self.settings['api_key']}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise PermissionError("bad SePay API key")

    def parse(self, body: bytes) -> list[BankNotification]:
        return [_note(json.loads(body))]

    def can_list(self) -> bool:
        return bool(self.settings.get("api_token"))

    def list_transactions(self, since: datetime, until: datetime) -> list[BankNotification]:
        with http_client(self.settings.get("api_url") or PRODUCTION_API) as http:
            return [_listed(row) for row in self._window(http, since, until)]

    def _window(self, http, since: datetime, until: datetime) -> list[Mapping]:
        params = {"transaction_date_min": vietnam_text(since), "transaction_date_max": vietnam_text(until),
                  "limit": MOST_PER_CALL}
        if self.settings.get("account_number"):
            params["account_number"] = self.settings["account_number"]
        answer = get_json(http, "/userapi/transactions/list", service="SePay", params=params,
                          headers={"Authorization": f"Bearer {self.settings['api_token']}"})
        rows = answer.get("transactions") if isinstance(answer, dict) else None
        if not isinstance(rows, list):
            raise RuntimeError("SePay answered without a transaction list")
        if len(rows) < MOST_PER_CALL or (until - since).total_seconds() < 2:
            return rows
        middle = since + (until - since) / 2  # a full page: more happened than one answer holds
        return self._window(http, since, middle) + self._window(http, middle, until)
