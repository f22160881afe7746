"""Fetching what webhooks missed (issue 16.1–16.3): the SePay and Casso sandboxes hold back a webhook, choso's
poll finds the transfer through the service's own listing API, and the transfer counts once however it
arrives; a refused key or a quiet source warns staff; every message leaves a trail staff can search and
re-run matching from."""

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from core.containment import PluginFailed
from core.db import utcnow
from core.models.audit import AuditLog
from core.models.integrations import IntegrationSetting
from core.testing import bearer, login, run_jobs
from core.testing_server import live_server
from payments.bills.models import Bill
from payments.receipts.models import Receipt
from payments.reconcile import polling
from payments.reconcile.models import BankTransaction, Delivery, Payment, SourceStatus
from payments.sources import common, sepay
from payments.sources.sandbox import CassoSandbox, SePaySandbox
from plugins import SourceAuthError
from tests.helpers import SEPAY_KEY, post_sepay, sepay_body
from tests.payments.conftest import bill_for

WEBHOOK_KEY, API_KEY = "webhook-key-0123456789", "listing-key-0123456789"
PASSWORD = "mat-khau-can-bo-xa"
SETTINGS = {"sepay": lambda url: {"api_key": WEBHOOK_KEY, "api_token": API_KEY, "api_url": url},
            "casso": lambda url: {"checksum_key": WEBHOOK_KEY, "api_key": API_KEY, "api_url": url}}
SANDBOXES = {"sepay": SePaySandbox, "casso": CassoSandbox}


@pytest.fixture
def job(app):
    """Run a service call as a job does: in its own application context (not shared with the test client's
    requests, which would then share its `g`)."""
    def run(fn, *args, **kwargs):
        with app.app_context():
            return fn(*args, **kwargs)
    return run


@pytest.fixture(params=["sepay", "casso"])
def bank(request, factory):
    """A running sandbox of the service, switched on for the test commune with both of its keys."""
    with SANDBOXES[request.param](webhook_key=WEBHOOK_KEY, api_key=API_KEY).running() as sandbox:
        factory.enable_payment_source(request.param, SETTINGS[request.param](sandbox.url))
        yield sandbox


def _payments(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Payment))


def _receipts(db) -> int:
    return db.scalar(select(func.count()).select_from(Receipt))


def test_a_lost_webhook_is_found_by_the_poll_and_its_late_delivery_changes_nothing(job, app, client, billing, bank, db):
    bill = bill_for(client, billing, billing.households[0])
    with live_server(app) as base:
        bank.webhook_url = f"{base}/api/v1/webhooks/payments/{bank.name}/00583"
        txn = bank.transfer(30000, f"NGUYEN VAN AN chuyen tien {bill['reference']}", hold=True)
        assert bank.deliveries == []  # the webhook was lost: nobody knows the household paid

        result = job(polling.poll, db, "00583", bank.name)
        assert (result.new, result.matched) == (1, 1)
        assert (_payments(db), _receipts(db)) == (1, 1)
        assert db.get(Bill, bill["id"]).state == "paid"

        assert job(polling.poll, db, "00583", bank.name).new == 0  # asked again: nothing new
        assert bank.deliver(txn["id"]) == 200  # the webhook arrives after all, late
    assert (_payments(db), _receipts(db)) == (1, 1)
    trail = db.scalars(select(Delivery).where(Delivery.transaction_id == str(txn["id"])).order_by(Delivery.id)).all()
    assert [(d.channel, d.outcome) for d in trail] == [("poll", "matched"), ("poll", "duplicate"),
                                                        ("webhook", "duplicate")]


def test_a_webhook_then_a_poll_is_one_payment(job, app, client, billing, bank, db):
    bill = bill_for(client, billing, billing.households[1])
    with live_server(app) as base:
        bank.webhook_url = f"{base}/api/v1/webhooks/payments/{bank.name}/00583"
        bank.transfer(30000, f"phi rac {bill['reference']}")
        assert [status for _id, status in bank.deliveries] == [200]
    assert job(polling.poll, db, "00583", bank.name).new == 0
    assert (_payments(db), _receipts(db)) == (1, 1)
    status = db.scalar(select(SourceStatus).where(SourceStatus.source == bank.name))
    assert status.last_ok_at is not None and not status.auth_failed


def test_the_scheduled_sweep_polls_every_source_that_can_list(job, app, client, billing, bank, db):
    bill = bill_for(client, billing, billing.households[2])
    bank.transfer(30000, bill["reference"], hold=True)
    job(polling.schedule_next, db, now=True)  # what a worker does when it starts
    run_jobs(app)
    assert _payments(db) == 1


def test_a_window_fuller_than_one_answer_is_read_in_halves(job, client, billing, factory, db, monkeypatch):
    monkeypatch.setattr(sepay, "MOST_PER_CALL", 3)  # SePay answers at most `limit` rows, the newest first
    # and, like SePay, the sandbox allows a few calls a second: the halves wait out its 429s
    with SePaySandbox(webhook_key=WEBHOOK_KEY, api_key=API_KEY, rate_limit=3).running() as sandbox:
        factory.enable_payment_source("sepay", SETTINGS["sepay"](sandbox.url))
        now = utcnow()
        for minute in range(8):
            sandbox.transfer(1000 + minute, f"ung ho {minute}", when=now - timedelta(minutes=40 - 5 * minute),
                             hold=True)
        result = job(polling.poll, db, "00583", "sepay")
    assert result.new == 8
    assert db.scalar(select(func.count()).select_from(BankTransaction)) == 8


def test_a_refused_key_warns_staff_on_their_pages_by_mail_and_through_the_hook(
        job, app, client, billing, bank, db, factory, mailbox, monkeypatch):
    staff = factory.user("staff", password=PASSWORD)
    staff.email = "can-bo@xa.example"
    db.commit()
    heard = []
    monkeypatch.setattr(polling, "fire", lambda hook, **kw: heard.append((hook, kw["warning"].kind)))
    bank.expire_key()
    with pytest.raises(SourceAuthError):
        job(polling.poll, db, "00583", bank.name)
    assert job(polling.tell_staff, db, "00583")
    assert job(polling.tell_staff, db, "00583") == []  # told once per episode, not every 15 minutes
    assert heard == [("payment_source_warning", "auth")]
    assert len(mailbox) == 1 and "can-bo@xa.example" in mailbox[0]["To"]
    login(client, staff, PASSWORD)
    page = client.get("/staff/00583/bills").get_data(as_text=True)
    assert "source-warning" in page and "API" in page

    bank.api_key = API_KEY  # a new key is entered: the next poll works and the warning goes
    job(polling.poll, db, "00583", bank.name)
    assert job(polling.warnings, db, "00583") == []
    assert "source-warning" not in client.get("/staff/00583/bills").get_data(as_text=True)


def test_a_quiet_source_warns_while_bills_are_open(job, client, billing, factory, db):
    factory.enable_payment_source("sepay", {"api_key": SEPAY_KEY})
    assert job(polling.warnings, db, "00583") == []  # no open bill: a quiet account is nothing to worry about
    bill = bill_for(client, billing, billing.households[0])
    db.execute(update(IntegrationSetting).values(updated_at=utcnow() - timedelta(hours=30)))
    db.commit()
    found = job(polling.warnings, db, "00583")
    assert [(w.source, w.kind) for w in found] == [("sepay", "quiet")] and found[0].hours >= 30
    post_sepay(client, sepay_body(5150, 30000, bill["reference"]))  # money arrives: the source is alive
    assert job(polling.warnings, db, "00583") == []


def test_the_trail_is_searchable_and_matching_runs_again_once_the_cause_is_fixed(client, billing, factory, db):
    factory.enable_payment_source("sepay", {"api_key": SEPAY_KEY})
    bill = bill_for(client, billing, billing.households[0])
    # The money reached an account staff had not yet entered as the commune's collection account.
    post_sepay(client, sepay_body(7001, 30000, f"nop phi {bill['reference']}", account="1903555666777"))
    post_sepay(client, sepay_body(7002, 30000, "x"), key="forged-key-000000000")
    r = client.get("/api/v1/communes/00583/deliveries?amount=30000", headers=bearer(billing.token))
    assert [(d["outcome"], d["reason"]) for d in r.get_json()["items"]] == [("unmatched", "wrong_account")]
    r = client.get(f"/api/v1/communes/00583/deliveries?q={bill['reference'][:6]}", headers=bearer(billing.token))
    assert len(r.get_json()["items"]) == 1
    r = client.get("/api/v1/communes/00583/deliveries?outcome=refused", headers=bearer(billing.token))
    assert [d["reason"] for d in r.get_json()["items"]] == ["signature"]
    txn = db.scalar(select(BankTransaction).where(BankTransaction.transaction_id == "7001"))

    household = factory.token(billing.households[0].owner)  # only staff re-run matching
    assert client.post(f"/api/v1/transactions/{txn.id}/rematch", headers=bearer(household)).status_code == 403
    r = client.post(f"/api/v1/transactions/{txn.id}/rematch", headers=bearer(billing.token))
    assert r.get_json()["state"] == "unmatched" and _payments(db) == 0  # nothing fixed yet: still waits

    client.put("/api/v1/communes/00583/collection-account", headers=bearer(billing.token),
               json={"bank_bin": "970436", "account_number": "1903555666777", "account_name": "UBND xã Bát Tràng"})
    r = client.post(f"/api/v1/transactions/{txn.id}/rematch", headers=bearer(billing.token))
    assert r.get_json()["state"] == "matched" and (_payments(db), _receipts(db)) == (1, 1)
    assert client.post(f"/api/v1/transactions/{txn.id}/rematch", headers=bearer(billing.token)).status_code == 409
    assert db.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "transaction.rematch")) == 2
    login(client, factory.user("staff", password=PASSWORD), PASSWORD)
    page = client.get("/staff/00583/transactions/log?q=7001").get_data(as_text=True)
    assert page.count('class="outcome"') == 3  # as it arrived, matched again too early, then after the fix


def test_staff_ask_for_a_poll_from_their_page_and_see_what_it_found(app, client, billing, bank, db, factory):
    bill = bill_for(client, billing, billing.households[0])
    bank.transfer(30000, bill["reference"], hold=True)
    login(client, factory.user("staff", password=PASSWORD), PASSWORD)
    page = client.get("/staff/00583/transactions").get_data(as_text=True)
    assert 'id="sources"' in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/staff/00583/transactions", data={"csrf_token": token, "action": "poll", "source": bank.name})
    assert r.status_code == 302
    run_jobs(app)
    assert _payments(db) == 1
    page = client.get("/staff/00583/transactions/log").get_data(as_text=True)
    assert bill["reference"] in page


def test_the_listing_api_refuses_a_wrong_key_as_the_real_service_does(bank):
    path = "/userapi/transactions/list" if bank.name == "sepay" else "/v2/transactions"
    auth = {"sepay": "Bearer wrong-key", "casso": "Apikey wrong-key"}[bank.name]
    assert httpx.get(f"{bank.url}{path}", headers={"Authorization": auth}).status_code == 401


def test_a_poll_and_the_late_webhook_at_the_same_moment_are_one_payment(app, client, billing, bank, db):
    from core.db import database

    bill = bill_for(client, billing, billing.households[0])
    with live_server(app) as base:
        bank.webhook_url = f"{base}/api/v1/webhooks/payments/{bank.name}/00583"
        txn = bank.transfer(30000, bill["reference"], hold=True)
        barrier, errors = threading.Barrier(2), []

        def poll():
            with app.app_context():
                session = database(app).sessions()
                try:
                    barrier.wait()
                    polling.poll(session, "00583", bank.name)
                except Exception as exc:  # noqa: BLE001  (reported below)
                    errors.append(exc)
                finally:
                    session.close()

        def webhook():
            barrier.wait()
            bank.deliver(txn["id"])

        threads = [threading.Thread(target=poll), threading.Thread(target=webhook)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == [] and [status for _id, status in bank.deliveries] == [200]
    assert (_payments(db), _receipts(db)) == (1, 1)


def test_two_staff_matching_the_same_transfer_again_at_once_pay_once(app, client, billing, factory, db):
    factory.enable_payment_source("sepay", {"api_key": SEPAY_KEY})
    bill = bill_for(client, billing, billing.households[0])
    post_sepay(client, sepay_body(8001, 30000, f"nop phi {bill['reference']}", account="1903555666777"))
    client.put("/api/v1/communes/00583/collection-account", headers=bearer(billing.token),
               json={"bank_bin": "970436", "account_number": "1903555666777", "account_name": "UBND xã Bát Tràng"})
    txn = db.scalar(select(BankTransaction).where(BankTransaction.transaction_id == "8001"))
    tokens = [billing.token, factory.token(factory.user("staff"))]
    with live_server(app) as base:
        barrier, statuses = threading.Barrier(2), []

        def press(token):
            barrier.wait()
            statuses.append(httpx.post(f"{base}/api/v1/transactions/{txn.id}/rematch", headers=bearer(token),
                                       timeout=30).status_code)

        threads = [threading.Thread(target=press, args=(t,)) for t in tokens]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(statuses) == [200, 409]
    assert (_payments(db), _receipts(db)) == (1, 1)


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="no Redis: set TEST_REDIS_URL (CI does)")
def test_an_rq_worker_polls_at_start_and_finds_the_lost_transfer(app, client, billing, db, factory,
                                                                  choso_database_url):
    from redis import Redis

    from core.app import create_app
    from core.db import database
    from core.testing import config_for_tests

    redis_url = os.environ["TEST_REDIS_URL"]
    Redis.from_url(redis_url).flushdb()
    bill = bill_for(client, billing, billing.households[0])
    with SePaySandbox(webhook_key=WEBHOOK_KEY, api_key=API_KEY).running() as sandbox:
        factory.enable_payment_source("sepay", SETTINGS["sepay"](sandbox.url))
        sandbox.transfer(30000, bill["reference"], hold=True)
        redis_app = create_app(config_for_tests(choso_database_url, Path(app.config["INSTANCE_PATH"]),
                                                JOBS_BACKEND="redis", REDIS_URL=redis_url,
                                                SECRET_KEY=app.config["SECRET_KEY"]))
        with redis_app.app_context():
            polling.schedule_next(database(redis_app).sessions(), now=True)  # what `choso worker` does at start
        env = {**os.environ, "DATABASE_URL": choso_database_url, "CHOSO_SECRET_KEY": app.config["SECRET_KEY"],
               "CHOSO_INSTANCE_PATH": app.config["INSTANCE_PATH"], "CHOSO_UPLOAD_DIR": app.config["UPLOAD_DIR"],
               "CHOSO_JOBS_BACKEND": "redis", "CHOSO_REDIS_URL": redis_url}
        worker = subprocess.run([str(Path(sys.executable).with_name("choso")), "worker", "--burst"], env=env,
                                capture_output=True, text=True, timeout=180)
        assert worker.returncode == 0, worker.stderr[-2000:]
    Redis.from_url(redis_url).flushdb()
    assert (_payments(db), _receipts(db)) == (1, 1)


def test_a_flood_of_forged_notifications_leaves_a_bounded_trail(app, client, factory, db):
    factory.enable_payment_source("sepay", {"api_key": SEPAY_KEY})
    limit = int(app.config["REFUSED_LIMIT"].split()[0])
    statuses = [post_sepay(client, sepay_body(n, 1000, "x"), key="forged-key-000000000").status_code
                for n in range(limit + 10)]
    assert statuses[0] == 401 and statuses[-1] == 429
    refused = db.scalar(select(func.count()).select_from(Delivery).where(Delivery.outcome == "refused"))
    assert 0 < refused <= limit  # the trail shows the attack without growing with it


def test_an_answer_too_large_to_be_a_banks_is_a_failed_poll(job, client, billing, factory, db, monkeypatch):
    monkeypatch.setattr(common, "MOST_BYTES", 2000)
    with SePaySandbox(webhook_key=WEBHOOK_KEY, api_key=API_KEY).running() as sandbox:
        factory.enable_payment_source("sepay", SETTINGS["sepay"](sandbox.url))
        for n in range(20):
            sandbox.transfer(1000 + n, f"ung ho {n} " + "x" * 80, hold=True)
        with pytest.raises(PluginFailed):
            job(polling.poll, db, "00583", "sepay")
    db.expire_all()
    status = db.scalar(select(SourceStatus).where(SourceStatus.source == "sepay"))
    assert "answered more than" in status.last_error and not status.auth_failed
    assert db.scalar(select(func.count()).select_from(BankTransaction)) == 0
