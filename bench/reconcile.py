"""Reconciliation throughput on PostgreSQL: N notifications matched against N open bills.

    .venv/bin/python bench/reconcile.py [--bills 100000] [--notifications 100000] [--http 5000]
                                        [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]

Creates a scratch database next to --database, N open bills with real references, then:
1. the matching path: `payments.reconcile.services.ingest` in-process, one notification per transaction
   (stored, matched, paid, receipt numbered), printing notifications per second (target: 2,000/s);
2. the HTTP path: SePay-style signed webhooks to gunicorn with 2 workers from 16 concurrent clients,
   printing notifications per second (target: 300/s); the load comes from wrk (Debian package) when
   installed, so that the load generator does not take the server's CPU, else from a Python client.
Reference peer: none published; the targets come from the issue and are printed beside the figures.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from bench.catalog import free_port  # noqa: E402
from bench.publish import drop_database, fresh_database, wait_for_port  # noqa: E402

COMMUNE = "00583"


def setup(url: str, bills: int) -> list[tuple[str, int]]:
    from sqlalchemy import create_engine, insert

    from core import schema
    from payments.bills import references
    from payments.bills.models import Bill, CollectionAccount, FeeType

    engine = create_engine(url)
    schema.upgrade(engine)
    schema.seed_communes(engine)
    with engine.begin() as conn:
        conn.execute(insert(CollectionAccount).values(commune_code=COMMUNE, bank_bin="970405",
                                                      account_number="1500201000583", account_name="UBND"))
        fee_id = conn.execute(insert(FeeType).values(
            commune_code=COMMUNE, code="phi-rac", name="Phí rác", default_amount_vnd=30000, fixed_amount=True,
            legal_basis="", active=True, created_at=datetime.now(UTC)).returning(FeeType.id)).scalar_one()
        refs, rows, seen = [], [], set()
        for n in range(bills):
            ref = references.new_reference(COMMUNE)
            while ref in seen:
                ref = references.new_reference(COMMUNE)
            seen.add(ref)
            amount = 30000 + (n % 7) * 1000
            refs.append((ref, amount))
            rows.append({"commune_code": COMMUNE, "fee_type_id": fee_id, "payer_name": f"Hộ {n}", "period": "11/2026",
                         "amount_vnd": amount, "paid_vnd": 0, "reference": ref, "token": secrets.token_urlsafe(32),
                         "state": "open", "issued_at": datetime.now(UTC)})
            if len(rows) == 5000:
                conn.execute(insert(Bill), rows)
                rows = []
        if rows:
            conn.execute(insert(Bill), rows)
    # A live database has planner statistics; one filled a second ago does not until autovacuum comes by.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return refs


def matching_path(url: str, refs: list[tuple[str, int]], count: int) -> float:
    os.environ.update({"DATABASE_URL": url, "CHOSO_SECRET_KEY": "bench-only"})
    from core.app import create_app
    from core.db import database
    from payments.reconcile.services import ingest
    from plugins.sdk import BankNotification

    app = create_app()
    now = datetime.now(UTC)
    notes = [BankNotification(transaction_id=f"M{i}", amount_vnd=refs[i % len(refs)][1],
                              content=f"CT DEN:{i} {refs[i % len(refs)][0].lower()} phi rac", occurred_at=now)
             for i in range(count)]
    with app.app_context():
        db = database(app).sessions()
        start = time.perf_counter()
        for i in range(0, count, 5000):
            ingest(db, COMMUNE, "bench", notes[i:i + 5000])
            print(f"  matched {min(i + 5000, count):,}/{count:,}", file=sys.stderr, end="\r")
        elapsed = time.perf_counter() - start
        db.close()
    database(app).engine.dispose()
    print(file=sys.stderr)
    return count / elapsed


def http_path(url: str, refs: list[tuple[str, int]], count: int, offset: int) -> float:
    import httpx

    env = {**os.environ, "DATABASE_URL": url, "CHOSO_SECRET_KEY": "bench-only",
           "CHOSO_INSTANCE_PATH": tempfile.mkdtemp(prefix="choso-bench-")}
    from sqlalchemy import create_engine

    from core.app import create_app
    from core.db import database
    from core.services import integrations
    from payments.sources.sepay import SePaySettings

    os.environ.update(env)
    app = create_app()
    with app.app_context():
        db = database(app).sessions()
        from core.services import users

        staff, _ = users.ensure_user(db, phone="0900000100", password="bench-only-password")  # noqa: S106
        users.grant(db, staff, "staff", COMMUNE)
        db.commit()
        integrations.configure(db, staff, COMMUNE, "payment_source", "sepay", SePaySettings, True,
                               {"api_key": "bench-key"})
        db.close()
    database(app).engine.dispose()
    create_engine(url).dispose()
    port = free_port()
    server = subprocess.Popen([str(BIN / "gunicorn"), "-w", "2",
                               "-b", f"127.0.0.1:{port}", "--log-level",
                               "warning", "wsgi:app"], env=env, cwd=ROOT)
    try:
        wait_for_port(port)
        time.sleep(1)
        pairs = [refs[(offset + i) % len(refs)] for i in range(count)]
        if shutil.which("wrk"):
            return _wrk(port, pairs)
        bodies = [{"id": f"H{i}", "gateway": "Agribank", "transactionDate": "2026-11-25 10:00:00",
                   "accountNumber": "1500201000583", "code": None, "content": f"{ref} chuyen tien",
                   "transferType": "in", "transferAmount": amount, "accumulated": 0, "subAccount": None,
                   "referenceCode": f"FT{i}"} for i, (ref, amount) in enumerate(pairs)]
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": "Apikey bench-key"},
                              timeout=30)

        def send(body) -> int:
            return client.post(f"/api/v1/webhooks/payments/sepay/{COMMUNE}", json=body).status_code

        print("  (wrk not installed: a Python client shares the CPU with the server)", file=sys.stderr)
        start = time.perf_counter()
        with ThreadPoolExecutor(16) as pool:
            codes = list(pool.map(send, bodies))
        elapsed = time.perf_counter() - start
        bad = sum(c != 200 for c in codes)
        if bad:
            print(f"  {bad} webhook deliveries failed", file=sys.stderr)
        return count / elapsed
    finally:
        server.terminate()
        server.wait(30)


WRK_SCRIPT = """
local refs = {%s}
local amounts = {%s}
local n = 0
offset = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Apikey bench-key"
request = function()
  n = n + 1
  -- each of the 2 wrk threads takes every other reference, so no bill is paid twice
  local i = (((n - 1) * 2 + offset) %% #refs) + 1
  local body = string.format('{"id":"W%%s-%%d","gateway":"Agribank","transactionDate":"2026-11-25 10:00:00",' ..
    '"accountNumber":"1500201000583","code":null,"content":"%%s chuyen tien","transferType":"in",' ..
    '"transferAmount":%%d,"accumulated":0,"subAccount":null,"referenceCode":"FT"}', wrk.thread:get("id"), n,
    refs[i], amounts[i])
  return wrk.format(nil, nil, nil, body)
end
local threads = 0
setup = function(thread)
  thread:set("id", tostring(math.random(1, 1000000000)))
  thread:set("offset", threads)
  threads = threads + 1
end
"""


def _wrk(port: int, pairs: list[tuple[str, int]], seconds: int = 10) -> float:
    """Signed SePay-style webhooks from wrk (C, so the load generator leaves the CPU to the server)."""
    script = WRK_SCRIPT % (",".join(f'"{ref}"' for ref, _ in pairs), ",".join(str(a) for _, a in pairs))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    out = subprocess.run(["wrk", "-t", "2", "-c", "16", "-d", f"{seconds}s", "-s", fh.name,
                          f"http://127.0.0.1:{port}/api/v1/webhooks/payments/sepay/{COMMUNE}"],
                         capture_output=True, text=True, check=True).stdout
    os.unlink(fh.name)
    import re

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        print(f"  {errors.group(1)} webhook deliveries failed", file=sys.stderr)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def http_outcome(url: str) -> tuple[int, int]:
    """How many of the HTTP phase's notifications paid a bill (a repeated reference would not)."""
    from sqlalchemy import create_engine, text

    with create_engine(url).connect() as conn:
        rows = conn.execute(text("SELECT state, count(*) FROM bank_transactions WHERE transaction_id LIKE 'W%' "
                                 "OR transaction_id LIKE 'H%' GROUP BY state")).all()
    counts = dict(rows)
    return counts.get("matched", 0), sum(counts.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bills", type=int, default=100_000)
    parser.add_argument("--notifications", type=int, default=100_000)
    parser.add_argument("--http", type=int, default=10_000, help="extra open bills kept for the HTTP phase")
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    scratch = f"choso_bench_reconcile_{os.getpid()}"
    url = fresh_database(args.database, scratch)
    try:
        print(f"creating {args.bills:,} open bills (+{args.http:,} for the HTTP phase) …", file=sys.stderr)
        everything = setup(url, args.bills + args.http)
        refs, http_refs = everything[:args.bills], everything[args.bills:]
        match_rate = matching_path(url, refs, args.notifications)
        print(f"matching path: {match_rate:8,.0f} notifications/s  ({args.notifications:,} against "
              f"{args.bills:,} open bills; target 2,000/s: {'met' if match_rate >= 2000 else 'missed'})")
        # Bills nobody paid yet, so that every webhook goes the whole way: stored, matched, paid, receipt.
        http_rate = http_path(url, http_refs, args.http, offset=0)
        matched, stored = http_outcome(url)
        print(f"HTTP webhook:  {http_rate:8,.0f} notifications/s  (gunicorn 2 workers, 16 clients; "
              f"{matched:,} of {stored:,} paid a bill; target 300/s: {'met' if http_rate >= 300 else 'missed'})")
    finally:
        drop_database(args.database, scratch)


if __name__ == "__main__":
    main()
