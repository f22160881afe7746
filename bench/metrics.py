"""Figures at province scale: one commune's dashboard, the province rollup, a month's snapshot.

    .venv/bin/python bench/seed_scale.py      # once: 100 communes, 1M products, 5M bills …
    .venv/bin/python bench/metrics.py [--name choso_scale] [--database postgresql+psycopg://…/test]

Times `core.metrics.services.live` (counting, not reading snapshots) for one commune (what the dashboard
computes for the current month; target under 300 ms) and for all 100 communes of the province (target under
2 s), each the median of 5 runs after one warm-up, and one month's `snapshot` of every commune.
Reference peer: none published; targets from the issue.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(fn, runs: int = 5) -> float:
    fn()  # warm-up: caches, plans
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--name", default="choso_scale")
    args = parser.parse_args()
    from sqlalchemy import func, select
    from sqlalchemy.engine import make_url

    url = make_url(args.database).set(database=args.name).render_as_string(hide_password=False)
    os.environ.update({"DATABASE_URL": url, "CHOSO_SECRET_KEY": "bench-only"})
    from core.app import create_app
    from core.db import database
    from core.metrics import services
    from core.models import HouseholdBusiness, Product
    from payments.reconcile.models import Payment

    app = create_app()
    with app.app_context():
        db = database(app).sessions()
        counts = {name: db.scalar(select(func.count()).select_from(model))
                  for name, model in (("households", HouseholdBusiness), ("products", Product),
                                      ("payments", Payment))}
        print("data: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()), file=sys.stderr)
        province = "01"
        codes = services.communes_with_households(db, province)
        month = services.previous_months(services.current_month(), 2)[0]
        # Counted, never read back from a snapshot: what the dashboard does for the current month.
        one = timed(lambda: (services.live(db, [codes[0]], month), db.rollback()))
        rollup = timed(lambda: (services.live(db, codes, month), db.rollback()))
        start = time.perf_counter()
        written = services.snapshot(db, month, codes, replace=True)
        snap = time.perf_counter() - start
    print(f"commune dashboard: {one * 1000:7.0f} ms  (one commune, {month}; target under 300 ms: "
          f"{'met' if one < 0.3 else 'missed'})")
    print(f"province rollup:   {rollup * 1000:7.0f} ms  ({len(codes)} communes; target under 2 s: "
          f"{'met' if rollup < 2 else 'missed'})")
    print(f"monthly snapshot:  {snap:7.1f} s   ({written:,} figures for {len(codes)} communes)")


if __name__ == "__main__":
    main()
