"""SePay-style webhooks: one bank transaction per POST, authenticated by `Authorization: Apikey KEY`."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping

from marshmallow import Schema

from payments.sources.common import vietnam_time, whole_dong
from plugins import BankNotification, PaymentSource, labelled, secret_field


class SePaySettings(Schema):
    api_key = secret_field(**labelled("Khóa API (Apikey)", "API key", help_vi="Cấu hình webhook trên SePay",
                                     help_en="From the webhook settings on SePay"))


class SePaySource(PaymentSource):
    name = "sepay"
    display_name = "SePay"
    settings_schema = SePaySettings

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        given = headers.get("Authorization", "")
        expected = f"Apikey {self.settings['api_key']}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise PermissionError("bad SePay API key")

    def parse(self, body: bytes) -> list[BankNotification]:
        data = json.loads(body)
        return [BankNotification(
            transaction_id=str(data["id"]), amount_vnd=whole_dong(data["transferAmount"]),
            content=data.get("content") or "", occurred_at=vietnam_time(data["transactionDate"]),
            incoming=data.get("transferType", "in") == "in", account_number=data.get("accountNumber"),
            bank=data.get("gateway"), bank_reference=data.get("referenceCode"), raw=data)]
