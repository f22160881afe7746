"""Payers hear of a bill before it falls due and once more when it is overdue; never twice for the same thing."""

from datetime import date, datetime, timedelta

from sqlalchemy import select

from core.db import utcnow
from core.jobs.models import Job
from core.jobs.worker import run_one
from core.testing import bearer, run_jobs
from payments.bills import reminders
from payments.bills.models import BillReminder
from tests.helpers import SEPAY_KEY, free_port, post_sepay, sepay_body
from tests.payments.conftest import bill_for

TODAY = date(2026, 12, 1)


def owner_email(db, household, address, locale=None):
    owner = db.merge(household).owner
    owner.email, owner.locale = address, locale
    db.commit()


def sweep(app, db, on: date) -> int:
    """The morning's sweep, as the worker's job runs it on day `on`."""
    with app.app_context():
        return reminders.queue_due(db, on)


def body_of(message) -> str:
    return message.get_body().get_content() if message.is_multipart() else message.get_content()


def test_each_payer_is_reminded_before_the_due_date_and_once_more_when_overdue(app, client, billing, mailbox, db):
    an, binh, cuc = billing.households
    owner_email(db, an, "an@example.test")
    owner_email(db, binh, "binh@example.test", locale="en")
    owner_email(db, cuc, "cuc@example.test")
    soon = bill_for(client, billing, an, due_on=(TODAY + timedelta(days=2)).isoformat())
    late = bill_for(client, billing, binh, due_on=(TODAY - timedelta(days=1)).isoformat())
    later = bill_for(client, billing, cuc, due_on=(TODAY + timedelta(days=10)).isoformat())

    assert sweep(app, db, TODAY) == 2
    run_jobs(app)
    mail = {m["To"]: m for m in mailbox}
    assert set(mail) == {"an@example.test", "binh@example.test"}
    vi, en = mail["an@example.test"], mail["binh@example.test"]
    assert vi["Subject"] == f"Sắp đến hạn 03/12/2026: Phí thu gom rác, hoá đơn {soon['reference']}"
    assert "Còn phải trả: 30.000 ₫" in body_of(vi) and f"/b/{soon['link'][3:]}" in body_of(vi)
    assert en["Subject"] == f"Overdue: Phí thu gom rác, bill {late['reference']}"
    assert "was due on 30/11/2026" in body_of(en) and "Still to pay: 30,000 ₫" in body_of(en)

    # The next morning, and the one after: nothing new to say about these two; the third is not near yet.
    assert sweep(app, db, TODAY + timedelta(days=1)) == 0
    run_jobs(app)
    assert len(mailbox) == 2

    # Two days after the first fell due, still unpaid: it is overdue now; the third is 6 days away.
    assert sweep(app, db, TODAY + timedelta(days=4)) == 1
    run_jobs(app)
    assert sweep(app, db, TODAY + timedelta(days=4)) == 0
    kinds = {(r.bill_id, r.kind) for r in db.scalars(select(BillReminder))}
    assert kinds == {(soon["id"], "due_soon"), (late["id"], "overdue"), (soon["id"], "overdue")}
    assert "Quá hạn" in mailbox[-1]["Subject"] and mailbox[-1]["To"] == "an@example.test"
    assert sweep(app, db, TODAY + timedelta(days=7)) == 1  # three days before the third falls due
    run_jobs(app)
    assert mailbox[-1]["To"] == "cuc@example.test" and len(mailbox) == 4
    assert later["id"] in {r.bill_id for r in db.scalars(select(BillReminder))}


def test_paid_and_cancelled_bills_are_not_reminded_even_between_the_sweep_and_the_mail(
        app, client, billing, mailbox, factory, db):
    an, binh, cuc = billing.households
    for household in billing.households:
        owner_email(db, household, f"{household.id}@example.test")
    due = (TODAY + timedelta(days=1)).isoformat()
    paid_before = bill_for(client, billing, an, due_on=due)
    paid_after = bill_for(client, billing, binh, due_on=due)
    cancelled_after = bill_for(client, billing, cuc, due_on=due)
    factory.enable_payment_source("sepay", {"api_key": SEPAY_KEY})
    post_sepay(client, sepay_body(1, 30000, f"chuyen tien {paid_before['reference']}"))

    assert sweep(app, db, TODAY) == 2  # the paid bill is not even queued
    post_sepay(client, sepay_body(2, 30000, f"chuyen tien {paid_after['reference']}"))
    r = client.post(f"/api/v1/bills/{cancelled_after['id']}/cancel", headers=bearer(billing.token),
                    json={"reason": "Hộ đã chuyển đi"})
    assert r.status_code == 200, r.get_json()
    run_jobs(app)
    assert mailbox == [] and db.scalars(select(BillReminder)).all() == []


def test_a_mail_server_that_is_down_delays_the_reminder_and_it_goes_out_once(app, client, billing, mailbox, db):
    an = billing.households[0]
    owner_email(db, an, "an@example.test")
    bill = bill_for(client, billing, an, due_on=(TODAY + timedelta(days=1)).isoformat())
    working = app.config["SMTP_URL"]
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nobody listens there
    sweep(app, db, TODAY)
    with app.app_context():
        assert run_one(app)  # one attempt (a burst worker would keep retrying while the retry is near)
    job = db.scalars(select(Job).where(Job.kind == reminders.SEND_JOB)).one()
    assert job.state == "queued" and job.attempts == 1 and "Connection refused" in job.last_error
    assert job.run_at > utcnow()
    assert db.scalars(select(BillReminder)).all() == []
    assert sweep(app, db, TODAY) == 0  # a second sweep finds the reminder waiting, and leaves its retry time
    assert db.scalars(select(Job).where(Job.kind == reminders.SEND_JOB)).one().id == job.id

    app.config["SMTP_URL"] = working
    job.run_at = utcnow()  # the retry's time has come
    db.commit()
    run_jobs(app)
    assert [m["To"] for m in mailbox] == ["an@example.test"]
    assert db.scalars(select(BillReminder)).one().bill_id == bill["id"]


def test_without_an_address_the_reminder_is_still_recorded_and_shown(app, client, billing, db):
    bill = bill_for(client, billing, billing.households[0], due_on=(TODAY + timedelta(days=3)).isoformat())
    sweep(app, db, TODAY)
    run_jobs(app)  # no CHOSO_SMTP_URL: nothing can be mailed
    reminder = db.scalars(select(BillReminder)).one()
    assert reminder.emailed_to is None and reminder.due_on == TODAY + timedelta(days=3)
    api = client.get(f"/api/v1/communes/00583/bills?household={billing.households[0].id}",
                     headers=bearer(billing.token)).get_json()
    assert api["items"][0]["reminders"] == [{"kind": "due_soon", "due_on": "2026-12-04", "emailed": False,
                                             "sent_at": api["items"][0]["reminders"][0]["sent_at"]}]
    page = client.get(bill["link"]).get_data(as_text=True)
    assert "04/12/2026" in page and "Đã nhắc" in page and "sắp đến hạn" in page
    assert "Dec 4, 2026" in client.get(bill["link"] + "?lang=en").get_data(as_text=True)


def test_bills_long_overdue_are_left_to_staff(client, billing, db):
    bill_for(client, billing, billing.households[0], due_on=(TODAY - timedelta(days=31)).isoformat())
    bill_for(client, billing, billing.households[1], due_on=(TODAY - timedelta(days=30)).isoformat())
    bill_for(client, billing, billing.households[2])  # no due date: nothing to remind of
    assert [kind for _, kind in reminders.due(db, TODAY, 3)] == ["overdue"]


def test_workers_queue_one_morning_sweep_however_many_start(app, db):
    from core.jobs.worker import _schedule_periodic

    _schedule_periodic(app)
    _schedule_periodic(app)
    sweeps = db.scalars(select(Job).where(Job.kind == reminders.SWEEP_JOB)).all()
    assert len(sweeps) == 1
    at = sweeps[0].run_at.astimezone(reminders.VIETNAM)
    assert (at.hour, at.minute) == (8, 0) and timedelta(0) < sweeps[0].run_at - utcnow() <= timedelta(days=1)


def test_the_sweep_runs_at_the_configured_hour_in_vietnam(app):
    with app.app_context():
        before = datetime(2026, 12, 1, 0, 59, tzinfo=reminders.VIETNAM)  # 00:59 in Hà Nội, 17:59 UTC the day before
        assert reminders.next_sweep_at(before) == datetime(2026, 12, 1, 8, 0, tzinfo=reminders.VIETNAM)
        assert reminders.next_sweep_at(datetime(2026, 12, 1, 8, 0, tzinfo=reminders.VIETNAM)) == \
            datetime(2026, 12, 2, 8, 0, tzinfo=reminders.VIETNAM)
        app.config["REMINDER_HOUR"] = 17
        assert reminders.next_sweep_at(before) == datetime(2026, 12, 1, 17, 0, tzinfo=reminders.VIETNAM)


def test_the_command_queues_a_missed_morning_and_refuses_a_bad_date(choso, client, billing, db):
    bill_for(client, billing, billing.households[0], due_on="2026-12-02")
    assert "queued 1 reminder(s)" in choso("bills", "remind", "--on", "2026-12-01").stdout
    assert choso("bills", "remind", "--on", "2026-12-01").stdout.startswith("queued 0")
    bad = choso("bills", "remind", "--on", "1/12/2026", check=False)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
