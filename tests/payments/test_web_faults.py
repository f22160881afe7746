"""A web process killed with SIGKILL in the middle of bank webhooks: the source retries, nothing is lost or doubled."""

import os
import signal
import threading
import time

from sqlalchemy import func, select

from payments.bills.models import Bill
from payments.reconcile.models import BankTransaction, Payment
from tests.helpers import (
    SEPAY_KEY,
    deliver_webhook,
    free_port,
    gunicorn_env,
    running_gunicorn,
    sepay_body,
    worker_pids,
)
from tests.payments.conftest import bill_for


def test_killing_a_web_worker_mid_webhooks_loses_no_payment_and_doubles_none(
        app, client, billing, factory, db, choso_database_url, tmp_path):
    factory.enable_payment_source("sepay", {"api_key": SEPAY_KEY})
    bills = [bill_for(client, billing, billing.households[i % 3], period=f"{i % 12 + 1}/{2020 + i // 12}")
             for i in range(40)]
    port = free_port()
    env = gunicorn_env(app, choso_database_url, tmp_path, port)
    url = f"http://127.0.0.1:{port}/api/v1/webhooks/payments/sepay/00583"
    with running_gunicorn(env) as server:
        results: list[int] = []

        def send(batch):
            for i, bill in batch:
                body = sepay_body(900_000 + i, 30000, f"{bill['reference']} nop phi")
                results.append(deliver_webhook(url, body))

        numbered = list(enumerate(bills))
        senders = [threading.Thread(target=send, args=(numbered[k::4],)) for k in range(4)]
        for sender in senders:
            sender.start()
        time.sleep(0.3)
        workers = worker_pids(server.pid)
        assert workers, "gunicorn has no worker processes"
        os.kill(int(workers[0]), signal.SIGKILL)  # one web process dies mid-request; gunicorn starts another
        for sender in senders:
            sender.join(60)
    assert len(results) == 40
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(BankTransaction)) == 40
    assert db.scalar(select(func.count()).select_from(Payment)) == 40
    assert db.scalar(select(func.count()).select_from(Bill).where(Bill.state == "paid")) == 40
