"""Sandboxes of the bank-notification services: real HTTP servers on 127.0.0.1 that hold an account's
transactions, deliver each as a webhook signed or keyed like the real service (or hold it back, as a lost
delivery), and list them through the service's own transaction API, paginated and keyed like the real one.

Tests and `choso sandbox sepay|casso` use them; they build on the marketplace sandboxes' base (fault
injection, rate limits, start/stop), see plugins.sandbox.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from core.db import VIETNAM
from payments.sources import casso
from payments.sources.common import vietnam_time
from plugins.sandbox import Sandbox, json_response


class BankSandbox(Sandbox):
    """One service, one company's linked accounts. `transfer()` is money arriving (or leaving)."""

    def __init__(self, *, webhook_key: str | None = None, api_key: str | None = None,
                 account_number: str = "0011009999999", bank: str = "Vietcombank", **options: Any) -> None:
        super().__init__(**options)
        self.webhook_key = webhook_key or secrets.token_hex(16)
        self.api_key = api_key or secrets.token_hex(16)
        self.account_number, self.bank = account_number, bank
        self.transactions: list[dict[str, Any]] = []
        self.held: list[int] = []  # ids of transactions whose webhook was held back
        self.hold_webhooks = False
        self.deliveries: list[tuple[int, int | None]] = []  # (transaction id, HTTP status or None: unreachable)
        self._next_id = 90000
        self.url_map.add(Rule("/_sandbox/transfers", methods=["POST"], endpoint="control_transfer"))
        self.url_map.add(Rule("/_sandbox/transfers/<int:txn_id>/deliver", methods=["POST"],
                              endpoint="control_deliver"))
        self.url_map.add(Rule("/_sandbox/expire-key", methods=["POST"], endpoint="control_expire_key"))

    # --- what tests do -------------------------------------------------------------------------------

    def transfer(self, amount_vnd: int, content: str, *, account_number: str | None = None,
                 when: datetime | None = None, hold: bool | None = None) -> dict[str, Any]:
        """Money moves on a linked account; its webhook goes out unless held (`hold`, or `hold_webhooks`)."""
        with self.lock:
            self._next_id += 1
            txn = {"id": self._next_id, "amount": amount_vnd, "content": content,
                   "account_number": account_number or self.account_number,
                   "when": (when or datetime.now(VIETNAM)).astimezone(VIETNAM).replace(microsecond=0),
                   "reference": f"FT{self._next_id}{secrets.token_hex(3).upper()}"}
            self.transactions.append(txn)
        if self.hold_webhooks if hold is None else hold:
            self.held.append(txn["id"])
        else:
            self.deliver(txn["id"])
        return txn

    def deliver(self, txn_id: int) -> int | None:
        """Send a transaction's webhook now (a held one arrives late)."""
        txn = next(t for t in self.transactions if t["id"] == txn_id)
        if txn_id in self.held:
            self.held.remove(txn_id)
        status = None
        if self.webhook_url:
            body, headers = self.webhook(txn)
            try:
                status = httpx.post(self.webhook_url, content=body, headers=headers, timeout=10).status_code
            except httpx.HTTPError:
                status = None
        self.deliveries.append((txn_id, status))
        return status

    def expire_key(self) -> None:
        """The API key stops working, as when its owner deletes it or it lapses."""
        self.api_key = secrets.token_hex(16)

    # --- control endpoints (a sandbox started by `choso sandbox` is driven over HTTP) ---------------------

    def control_transfer(self, request: Request) -> Response:
        body = request.get_json(force=True)
        txn = self.transfer(int(body["amount"]), str(body.get("content", "")),
                            account_number=body.get("account_number"), hold=body.get("hold"))
        return json_response({**txn, "when": txn["when"].isoformat()}, 201)

    def control_deliver(self, request: Request, txn_id: int) -> Response:
        return json_response({"status": self.deliver(txn_id)})

    def control_expire_key(self, request: Request) -> Response:
        self.expire_key()
        return json_response({"ok": True})

    # --- subclasses ----------------------------------------------------------------------------------

    def webhook(self, txn: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        raise NotImplementedError

    def _in_window(self, start: datetime | None, end: datetime | None) -> list[dict[str, Any]]:
        with self.lock:
            return [t for t in self.transactions
                    if (start is None or t["when"] >= start) and (end is None or t["when"] <= end)]


def _vietnam(text: str | None, *, end_of_day: bool = False) -> datetime | None:
    """"2026-12-04 10:00:00" or "2026-12-04" (a whole day: its start, or with end_of_day its last second)."""
    if not text:
        return None
    if len(text.strip()) == 10:
        day = datetime.fromisoformat(text.strip()).replace(tzinfo=VIETNAM)
        return day + timedelta(days=1, seconds=-1) if end_of_day else day
    return vietnam_time(text)


class SePaySandbox(BankSandbox):
    """SePay: webhooks with `Authorization: Apikey …`; `GET /userapi/transactions/list` with a Bearer token,
    filtered by account, dates and since_id, the most recent `limit` (at most 5,000) first."""

    name = "sepay"
    rules = [Rule("/userapi/transactions/list", methods=["GET"], endpoint="list_transactions")]

    def webhook(self, txn: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        body = {"id": txn["id"], "gateway": self.bank, "transactionDate": txn["when"].strftime("%Y-%m-%d %H:%M:%S"),
                "accountNumber": txn["account_number"], "code": None, "content": txn["content"],
                "transferType": "in" if txn["amount"] > 0 else "out", "transferAmount": abs(txn["amount"]),
                "accumulated": 0, "subAccount": None, "referenceCode": txn["reference"], "description": ""}
        return (json.dumps(body, ensure_ascii=False).encode(),
                {"Content-Type": "application/json", "Authorization": f"Apikey {self.webhook_key}"})

    def list_transactions(self, request: Request) -> Response:
        if request.headers.get("Authorization", "") != f"Bearer {self.api_key}":
            return json_response({"status": 401, "error": "unauthenticated", "messages": {"success": False}}, 401)
        args = request.args
        rows = self._in_window(_vietnam(args.get("transaction_date_min")),
                               _vietnam(args.get("transaction_date_max"), end_of_day=True))
        if args.get("account_number"):
            rows = [t for t in rows if t["account_number"] == args["account_number"]]
        if args.get("since_id"):
            rows = [t for t in rows if t["id"] >= int(args["since_id"])]
        limit = min(5000, int(args.get("limit") or 5000))
        rows = sorted(rows, key=lambda t: t["id"], reverse=True)[:limit]
        return json_response({"status": 200, "error": None, "messages": {"success": True}, "transactions": [{
            "id": str(t["id"]), "bank_brand_name": self.bank, "account_number": t["account_number"],
            "transaction_date": t["when"].strftime("%Y-%m-%d %H:%M:%S"),
            "amount_out": f"{max(0, -t['amount'])}.00", "amount_in": f"{max(0, t['amount'])}.00",
            "accumulated": "0.00", "transaction_content": t["content"], "reference_number": t["reference"],
            "code": None, "sub_account": None, "bank_account_id": "19"} for t in rows]})


class CassoSandbox(BankSandbox):
    """Casso: v2 webhooks signed in `X-Casso-Signature`; `GET /v2/transactions` with `Apikey …`, days
    fromDate–toDate (default: the last 7), pages of pageSize, ASC or DESC."""

    name = "casso"
    rules = [Rule("/v2/transactions", methods=["GET"], endpoint="list_transactions")]

    def webhook(self, txn: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        data = {"error": 0, "data": {
            "id": txn["id"], "reference": txn["reference"], "description": txn["content"], "amount": txn["amount"],
            "runningBalance": 0, "transactionDateTime": txn["when"].strftime("%Y-%m-%d %H:%M:%S"),
            "accountNumber": txn["account_number"], "bankName": self.bank, "bankAbbreviation": "VCB",
            "virtualAccountNumber": "", "virtualAccountName": "", "counterAccountName": "",
            "counterAccountNumber": "", "counterAccountBankId": "", "counterAccountBankName": ""}}
        stamp = str(int(time.time() * 1000))
        return (json.dumps(data, ensure_ascii=False).encode(),
                {"Content-Type": "application/json",
                 "X-Casso-Signature": f"t={stamp},v1={casso.signature(self.webhook_key, stamp, data)}"})

    def list_transactions(self, request: Request) -> Response:
        given = request.headers.get("Authorization", "")
        if given not in (f"Apikey {self.api_key}", f"Bearer {self.api_key}"):
            return json_response({"error": 401, "message": "Unauthorized", "data": None}, 401)
        args = request.args
        today = datetime.now(VIETNAM).date()
        start = _vietnam(args.get("fromDate") or (today - timedelta(days=7)).isoformat())
        end = _vietnam(args.get("toDate") or today.isoformat(), end_of_day=True)
        rows = sorted(self._in_window(start, end), key=lambda t: (t["when"], t["id"]),
                      reverse=args.get("sort", "ASC").upper() == "DESC")
        size, page = max(1, int(args.get("pageSize") or 10)), max(1, int(args.get("page") or 1))
        pages = max(1, -(-len(rows) // size))
        chosen = rows[(page - 1) * size:page * size]
        return json_response({"error": 0, "message": "success", "data": {
            "page": page, "pageSize": size, "nextPage": page + 1 if page < pages else page,
            "prevPage": max(0, page - 1), "totalPages": pages, "totalRecords": len(rows), "records": [{
                "id": t["id"], "tid": t["reference"], "description": t["content"], "amount": t["amount"],
                "cusum_balance": 0, "when": t["when"].strftime("%Y-%m-%d %H:%M:%S"),
                "bankSubAccId": t["account_number"], "paymentChannel": "", "virtualAccount": "",
                "virtualAccountName": "", "corresponsiveName": "", "corresponsiveAccount": "",
                "corresponsiveBankId": "", "corresponsiveBankName": "", "accountId": 733,
                "bankCodeName": "vietcombank"} for t in chosen]}})
