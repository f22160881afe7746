"""A province on one machine: two gunicorn instances and four workers against one PostgreSQL and one Redis.

    .venv/bin/python bench/scale.py [--seconds 60] [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]
                                    [--redis redis://127.0.0.1:6379/14]

Mixed traffic from wrk (Debian package), one wrk per web instance: 80% catalog browsing and search, 10%
signed SePay-style bank webhooks (each paying its own bill), 10% publishing requests (sellers tapping
"publish to all marketplaces", repeats included). Prints throughput, p50/p95/p99 latency and non-2xx answers
per instance, waits for the job queue to drain, then checks that every webhook became exactly one stored
transfer and at most one payment, and every live listing exactly one remote product on its sandbox.
Everything listens on 127.0.0.1 only and is stopped at the end; the scratch database is dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from bench.catalog import free_port  # noqa: E402
from bench.publish import drop_database, fresh_database, start_sandboxes, switch_on, wait_for_port  # noqa: E402

COMMUNE = "00583"
WRK = """
local bills = {%(bills)s}
local publish = {%(publish)s}
local browse = {"/c/00583", "/c/00583?page=2", "/api/v1/products?commune=00583&q=gom",
                "/api/v1/products?commune=00583", "/c/00583?q=mat+ong", "/api/v1/products?commune=00583&page=2"}
local n = 0
local statuses = {}
request = function()
  n = n + 1
  local kind = n %% 10
  if kind == 0 then
    local i = (math.floor(n / 10) %% #bills) + 1
    local ref, amount = bills[i][1], bills[i][2]
    local body = string.format('{"id":"%(prefix)s-%%d","gateway":"Agribank","transactionDate":"2026-11-25 10:00:00",' ..
      '"accountNumber":"1500201000583","code":null,"content":"%%s chuyen tien","transferType":"in",' ..
      '"transferAmount":%%d,"accumulated":0,"subAccount":null,"referenceCode":"FT"}', n, ref, amount)
    return wrk.format("POST", "/api/v1/webhooks/payments/sepay/00583",
                      {["Content-Type"]="application/json", ["Authorization"]="Apikey scale-key"}, body)
  elseif kind == 1 then
    local p = publish[(math.floor(n / 10) %% #publish) + 1]
    return wrk.format("POST", "/api/v1/products/" .. p[1] .. "/listings",
                      {["Content-Type"]="application/json", ["Authorization"]="Bearer " .. p[2]},
                      '{"marketplaces":["postmart","voso"]}')
  end
  return wrk.format("GET", browse[(n %% #browse) + 1])
end
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
done = function(summary, latency, requests)
  local out = {requests = summary.requests, seconds = summary.duration / 1e6,
               errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
               p50 = latency:percentile(50) / 1000, p95 = latency:percentile(95) / 1000,
               p99 = latency:percentile(99) / 1000}
  io.write("RESULT " .. string.format('{"requests":%%d,"seconds":%%f,"errors":%%d,"p50":%%f,"p95":%%f,"p99":%%f}',
    out.requests, out.seconds, out.errors, out.p50, out.p95, out.p99) .. "\\n")
end
"""


def prepare(env: dict, bills: int) -> tuple[list[tuple[str, int]], list[tuple[int, str]], dict[str, int], list]:
    """The demo commune, its two marketplaces' sandboxes, a SePay source, open bills, and owners' API tokens."""
    subprocess.run([str(BIN / "choso"), "demo"], env=env, check=True, capture_output=True)
    ports, procs = start_sandboxes(env)
    os.environ.update(env)
    from sqlalchemy import insert, select

    from core.app import create_app
    from core.auth.tokens import create_token
    from core.db import database
    from core.models import Product
    from core.services import demo, integrations, users
    from payments.bills import references
    from payments.bills.models import Bill, FeeType
    from payments.sources.sepay import SePaySettings

    app = create_app()
    with app.app_context():
        db = database(app).sessions()
        staff = users.find_by_login(db, demo.STAFF_PHONE)
        switch_on(db, staff, COMMUNE, ports)
        integrations.configure(db, staff, COMMUNE, "payment_source", "sepay", SePaySettings, True,
                               {"api_key": "scale-key"})
        fee = db.scalars(select(FeeType).where(FeeType.commune_code == COMMUNE)).first()
        rows = [{"commune_code": COMMUNE, "fee_type_id": fee.id, "payer_name": f"Người nộp {i}", "period": "11/2026",
                 "amount_vnd": 30000 + i, "paid_vnd": 0, "reference": references.new_reference(COMMUNE),
                 "token": f"scale{i:038d}", "state": "open"} for i in range(bills)]
        db.execute(insert(Bill), rows)
        tokens = {}
        publish = []
        for product in db.scalars(select(Product).where(Product.status == "active")):
            owner = product.household.owner
            if owner.id not in tokens:
                tokens[owner.id] = create_token(db, owner, "scale")[1]
            publish.append((product.id, tokens[owner.id]))
        db.commit()
        db.close()
    database(app).engine.dispose()
    return [(r["reference"], r["amount_vnd"]) for r in rows], publish, ports, procs


def load(port: int, seconds: int, bills, publish, prefix: str) -> dict:
    script = WRK % {"bills": ",".join(f'{{"{r}",{a}}}' for r, a in bills),
                    "publish": ",".join(f'{{{p},"{t}"}}' for p, t in publish), "prefix": prefix}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    proc = subprocess.Popen(["wrk", "-t", "1", "-c", "8", "-d", f"{seconds}s", "-s", fh.name,
                             f"http://127.0.0.1:{port}"], stdout=subprocess.PIPE, text=True)
    return {"proc": proc, "script": fh.name}


# Jobs still to run now (the monthly figures snapshot waits for the 1st of next month, and does not count).
DUE = "SELECT count(*) FROM jobs WHERE state = 'running' OR (state = 'queued' AND run_at <= now())"


def check(env: dict, ports: dict[str, int], timeout: float = 300) -> dict:
    from sqlalchemy import create_engine, text

    from plugins.sandbox import SandboxControl

    engine = create_engine(env["DATABASE_URL"])
    deadline = time.time() + timeout
    with engine.connect() as conn:
        while time.time() < deadline:
            waiting = conn.execute(text(DUE)).scalar()
            if not waiting:
                break
            time.sleep(1)
            conn.rollback()
        q = lambda sql: conn.execute(text(sql)).scalar()  # noqa: E731
        result = {
            "jobs_left": q(DUE),
            "webhooks_stored": q("SELECT count(*) FROM bank_transactions WHERE source = 'sepay'"),
            "webhook_ids_twice": q("SELECT count(*) FROM (SELECT transaction_id FROM bank_transactions "
                                   "GROUP BY transaction_id, source HAVING count(*) > 1) t"),
            "payments": q("SELECT count(*) FROM payments"),
            "payments_twice": q("SELECT count(*) FROM (SELECT transaction_id FROM payments WHERE transaction_id "
                                "IS NOT NULL GROUP BY transaction_id HAVING count(*) > 1) t"),
            "matched": q("SELECT count(*) FROM bank_transactions WHERE state = 'matched'"),
            "listings_live": q("SELECT count(*) FROM listings WHERE state = 'live'"),
            "listings_other": q("SELECT count(*) FROM listings WHERE state <> 'live'"),
        }
    engine.dispose()
    remote = {name: SandboxControl(f"http://127.0.0.1:{port}").products() for name, port in ports.items()}
    result["remote_products"] = sum(len(v) for v in remote.values())
    result["remote_duplicates"] = sum(len(v) - len({json.dumps(p.get("sku") or p.get("seller_sku") or p.get("id"))
                                                    for p in v}) for v in remote.values())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--bills", type=int, default=20_000)
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (Debian: apt-get install wrk)")
    from redis import Redis

    Redis.from_url(args.redis).flushdb()
    scratch = f"choso_bench_scale_{os.getpid()}"
    instance = Path(tempfile.mkdtemp(prefix="choso-scale-"))
    env = {**os.environ, "DATABASE_URL": fresh_database(args.database, scratch), "CHOSO_SECRET_KEY": "bench-only",
           "CHOSO_INSTANCE_PATH": str(instance), "CHOSO_JOBS_BACKEND": "redis", "CHOSO_REDIS_URL": args.redis,
           "CHOSO_RATELIMIT_STORAGE_URL": args.redis, "CHOSO_LOG_FORMAT": "text", "CHOSO_LOG_LEVEL": "WARNING",
           "CHOSO_PUBLISH_RETRY_BASE_SECONDS": "0.5"}
    procs = []
    try:
        print("preparing the demo commune, sandboxes and bills …", file=sys.stderr)
        bills, publish, ports, sandboxes = prepare(env, args.bills)
        procs += sandboxes
        web = [free_port(), free_port()]
        access_logs = [instance / f"access-{name}.log" for name in "AB"]
        for port, log in zip(web, access_logs, strict=True):
            procs.append(subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                                          env={**env, "CHOSO_BIND": f"127.0.0.1:{port}", "CHOSO_WEB_WORKERS": "2"},
                                          stdout=log.open("w"), stderr=subprocess.DEVNULL))
        for _ in range(4):
            procs.append(subprocess.Popen([str(BIN / "choso"), "worker"], env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        for port in web:
            wait_for_port(port, 30)
        print(f"loading 2 web instances for {args.seconds} s …", file=sys.stderr)
        half = len(bills) // 2
        runs = [load(web[0], args.seconds, bills[:half], publish, "A"),
                load(web[1], args.seconds, bills[half:], publish, "B")]
        results = []
        for run in runs:
            out, _ = run["proc"].communicate()
            os.unlink(run["script"])
            line = next(line for line in out.splitlines() if line.startswith("RESULT "))
            results.append(json.loads(line[len("RESULT "):]))
            non2xx = next((line for line in out.splitlines() if "Non-2xx" in line), "Non-2xx or 3xx responses: 0")
            results[-1]["non2xx"] = int(non2xx.rsplit(":", 1)[1])
        total = sum(r["requests"] for r in results)
        seconds = max(r["seconds"] for r in results)
        print(f"throughput: {total / seconds:,.0f} requests/s over {seconds:.0f} s (2 gunicorn × 2 workers, "
              f"4 job workers, PostgreSQL + Redis, 2 cores)")
        for name, r in zip("AB", results, strict=True):
            print(f"  instance {name}: p50 {r['p50']:.0f} ms  p95 {r['p95']:.0f} ms  p99 {r['p99']:.0f} ms  "
                  f"non-2xx {r['non2xx']}  socket errors {r['errors']}")
        refused = not_ok(access_logs)
        if refused:
            print("  non-2xx by status and path: " + ", ".join(f"{k} × {v}" for k, v in refused.most_common()))
        print("waiting for the job queue to drain …", file=sys.stderr)
        outcome = check(env, ports)
        print("after the load: " + ", ".join(f"{k} {v}" for k, v in outcome.items()))
        ok = (outcome["jobs_left"] == 0 and outcome["webhook_ids_twice"] == 0 and outcome["payments_twice"] == 0
              and outcome["payments"] == outcome["matched"] and outcome["remote_duplicates"] == 0
              and outcome["remote_products"] == outcome["listings_live"])
        print("exactly once: " + ("yes" if ok else "NO"))
        if not ok:
            sys.exit(1)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
        drop_database(args.database, scratch)
        shutil.rmtree(instance, ignore_errors=True)


def not_ok(access_logs: list[Path]) -> Counter:
    """Answers other than 2xx in gunicorn's JSON access logs, by status and path (numbers folded to <id>)."""
    found: Counter = Counter()
    for log in access_logs:
        for line in log.read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if not 200 <= int(entry.get("status", 200)) < 300:
                found[f"{entry['status']} {entry['method']} {re.sub(r'/[0-9]+', '/<id>', entry['path'])}"] += 1
    return found


if __name__ == "__main__":
    main()
