"""Casso: v2 webhooks (`X-Casso-Signature: t=…,v1=…`, HMAC-SHA512 over `t.` + key-sorted compact JSON) and,
with an API key, the transaction list (`GET /v2/transactions`, `Authorization: Apikey KEY`) for what a
webhook missed.

The list is Casso's API as documented at https://developer.casso.vn/casso-api/api/lay-giao-dich (docs/
payments.md keeps a copy of what each request looks like): days `fromDate`–`toDate`, pages of `pageSize`,
oldest first; its `id` is the webhook's `id`, so a transfer seen both ways is one row.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from datetime import datetime

from core.db import VIETNAM
from core.text import same_account
from payments.sources.common import (
    ListingSettings,
    api_address,
    get_json,
    http_client,
    vietnam_time,
    whole_dong,
)
from plugins import BankNotification, PaymentSource, labelled, secret_field

TOLERANCE_SECONDS = 300
PRODUCTION_API = "https://oauth.casso.vn"
PAGE_SIZE = 100
MOST_PAGES = 200  # 20,000 transactions in one poll's days: beyond that something is wrong; say so


def signature(secret: str, timestamp: str, data: dict) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(secret.encode(), f"{timestamp}.{canonical}".encode(), hashlib.sha512).hexdigest()


class CassoSettings(ListingSettings):
    checksum_key = secret_field(**labelled("Khóa checksum (Secure Token)", "Checksum key"))
    api_key = secret_field(required=False, **labelled(
        "API Key (để lấy giao dịch bị sót)", "API key (to fetch missed transfers)",
        help_vi="Tạo trên my.casso.vn; để trống thì không lấy giao dịch định kỳ",
        help_en="Create it on my.casso.vn; leave empty to switch fetching off"))
    api_url = api_address(PRODUCTION_API)


def _listed(row: Mapping) -> BankNotification:
    """A record of the transaction list, read as the webhook for the same transaction would be."""
    amount = whole_dong(row["amount"])
    return BankNotification(
        transaction_id=str(row["id"]), amount_vnd=abs(amount), content=row.get("description") or "",
        occurred_at=vietnam_time(row["when"]), incoming=amount > 0, account_number=row.get("bankSubAccId"),
        bank=row.get("bankCodeName") or row.get("bankName"), bank_reference=row.get("tid"), raw=dict(row))


class CassoSource(PaymentSource):
    name = "casso"
    display_name = "Casso"
    settings_schema = CassoSettings
    call_timeout = 60.0

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        parts = dict(p.split("=", 1) for p in headers.get("X-Casso-Signature", "").split(",") if "=" in p)
        timestamp, given = parts.get("t", ""), parts.get("v1", "")
        if not timestamp.isdigit():
            raise PermissionError("no Casso signature")
        # Casso's t is in milliseconds; allow seconds too.
        sent = int(timestamp) / (1000 if len(timestamp) > 11 else 1)
        if abs(time.time() - sent) > TOLERANCE_SECONDS:
            raise PermissionError("stale Casso signature")
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise PermissionError("unreadable Casso body") from exc
        if not hmac.compare_digest(signature(self.settings["checksum_key"], timestamp, data), given):
            raise PermissionError("bad Casso signature")

    def parse(self, body: bytes) -> list[BankNotification]:
        data = json.loads(body)["data"]
        items = data if isinstance(data, list) else [data]
        return [BankNotification(
            transaction_id=str(item["id"]), amount_vnd=abs(whole_dong(item["amount"])),
            content=item.get("description") or "", occurred_at=vietnam_time(item["transactionDateTime"]),
            incoming=whole_dong(item["amount"]) > 0, account_number=item.get("accountNumber"),
            bank=item.get("bankAbbreviation") or item.get("bankName"), bank_reference=item.get("reference"),
            raw=item) for item in items]

    def can_list(self) -> bool:
        return bool(self.settings.get("api_key"))

    def list_transactions(self, since: datetime, until: datetime) -> list[BankNotification]:
        params = {"fromDate": since.astimezone(VIETNAM).date().isoformat(),
                  "toDate": until.astimezone(VIETNAM).date().isoformat(), "pageSize": PAGE_SIZE, "sort": "ASC"}
        wanted = self.settings.get("account_number") or None
        found: list[BankNotification] = []
        with http_client(self.settings.get("api_url") or PRODUCTION_API) as http:
            for page in range(1, MOST_PAGES + 1):
                answer = get_json(http, "/v2/transactions", service="Casso", params={**params, "page": page},
                                  headers={"Authorization": f"Apikey {self.settings['api_key']}"})
                data = answer.get("data") if isinstance(answer, dict) else None
                if not isinstance(data, dict) or not isinstance(data.get("records"), list):
                    raise RuntimeError(f"Casso answered without records (error {answer.get('error')!r})"
                                       if isinstance(answer, dict) else "Casso answered without records")
                found += [n for n in map(_listed, data["records"])
                          if wanted is None or same_account(n.account_number, wanted)]
                if page >= int(data.get("totalPages") or 0):
                    return found
        raise RuntimeError(f"Casso listed more than {MOST_PAGES} pages for one poll")
