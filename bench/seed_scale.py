"""Province-scale data on PostgreSQL, fast: every table filled by INSERT … SELECT over generate_series.

    .venv/bin/python bench/seed_scale.py [--scale 1.0] [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]
                                         [--name choso_scale]

At scale 1: 100 communes of one province, 100,000 households (with owners), 80,000 bank accounts (60,000
verified), 1,000,000 products (1 in 7 OCOP), 2,000,000 listings (Postmart and Voso, a third live),
5,000,000 bills and 5,000,000 payments spread over the last 12 months (a quarter in cash). Prints each step's
time; target: under 15 minutes in all. The database is kept (bench/metrics.py reads it); --name chooses it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.publish import fresh_database  # noqa: E402

PROVINCE = "01"  # Hà Nội: 126 communes and wards since 2025


def steps(n_households: int, n_products: int, n_bills: int, codes: list[str]) -> list[tuple[str, str]]:
    communes = "ARRAY[" + ",".join(f"'{c}'" for c in codes) + "]"
    k = len(codes)
    return [
        ("users", f"""INSERT INTO users (phone, name, is_active, created_at)
            SELECT '08' || lpad(g::text, 8, '0'), 'Chủ hộ ' || g, true, now() - interval '2 years'
            FROM generate_series(1, {n_households}) g"""),
        ("households", f"""INSERT INTO households (commune_code, owner_id, name, slug, name_folded, description,
                address, status, created_at, updated_at)
            SELECT ({communes})[(g % {k}) + 1], g, 'Hộ kinh doanh ' || g, 'ho-kinh-doanh-' || g,
                'ho kinh doanh ' || g, '', '', CASE WHEN g % 50 = 0 THEN 'suspended' ELSE 'active' END,
                now() - (g % 700) * interval '1 day', now()
            FROM generate_series(1, {n_households}) g"""),
        ("bank accounts", f"""INSERT INTO bank_accounts (household_id, bank_bin, account_number, account_name,
                verified, created_at)
            SELECT g, '970436', lpad(g::text, 13, '0'), 'HO KINH DOANH', g % 4 <> 0, now()
            FROM generate_series(1, {n_households}) g WHERE g % 5 <> 0"""),
        ("products", f"""INSERT INTO products (household_id, commune_code, name, slug, search_text, description,
                product_group, ocop_stars, ocop_certificate_no, origin, unit, season, price_vnd, stock, status,
                created_at, updated_at)
            SELECT h, ({communes})[(h % {k}) + 1], 'Sản phẩm ' || g, 'san-pham-' || g, 'san pham ' || g, '',
                (ARRAY['food','beverage','herbal','textile','handicraft','tourism'])[(g % 6) + 1],
                CASE WHEN g % 7 = 0 THEN 3 + (g % 3) END, CASE WHEN g % 7 = 0 THEN 'OCOP-' || g END,
                '', '', '', 10000 + (g % 200) * 1000, g % 50,
                CASE WHEN g % 20 = 0 THEN 'draft' ELSE 'active' END, now() - (g % 365) * interval '1 day', now()
            FROM (SELECT g, ((g - 1) / {max(1, n_products // n_households)}) % {n_households} + 1 AS h
                  FROM generate_series(1, {n_products}) g) s"""),
        ("listings", """INSERT INTO listings (product_id, commune_code, marketplace, state, desired, problems,
                attempts, generation, requested_at, created_at, updated_at)
            SELECT p.id, p.commune_code, m.name,
                CASE WHEN p.id % 3 = 0 THEN 'live' WHEN p.id % 3 = 1 THEN 'failed' ELSE 'unpublished' END,
                'live', '[]', 1, 1, now(), now(), now() - (p.id % 60) * interval '1 day'
            FROM products p CROSS JOIN (VALUES ('postmart'), ('voso')) AS m(name)"""),
        ("fee types", f"""INSERT INTO fee_types (commune_code, code, name, default_amount_vnd, fixed_amount,
                legal_basis, active, created_at)
            SELECT c, 'phi-rac', 'Phí thu gom rác', 30000, true, '', true, now() FROM unnest({communes}) c"""),
        ("bills", f"""INSERT INTO bills (commune_code, fee_type_id, household_id, payer_name, period, amount_vnd,
                paid_vnd, reference, token, state, issued_at)
            SELECT f.commune_code, f.id, h, 'Chủ hộ ' || h, '', 30000, 30000, 'B' || lpad(g::text, 11, '0'),
                md5(g::text) || lpad(g::text, 11, '0'), 'paid', now() - (g % 365) * interval '1 day'
            FROM (SELECT g, (g % {n_households}) + 1 AS h FROM generate_series(1, {n_bills}) g) s
            JOIN households hh ON hh.id = s.h JOIN fee_types f ON f.commune_code = hh.commune_code"""),
        ("payments", """INSERT INTO payments (bill_id, commune_code, amount_vnd, method, created_at)
            SELECT id, commune_code, 30000, CASE WHEN id % 4 = 0 THEN 'cash' ELSE 'vietqr' END,
                now() - (id % 365) * interval '1 day' FROM bills"""),
        ("analyze", "ANALYZE"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--name", default="choso_scale")
    args = parser.parse_args()
    from sqlalchemy import create_engine, select, text

    from core import schema
    from core.models import Commune

    url = fresh_database(args.database, args.name)
    engine = create_engine(url)
    began = time.perf_counter()
    schema.upgrade(engine)
    schema.seed_communes(engine)
    with engine.connect() as conn:
        codes = list(conn.scalars(select(Commune.code).where(Commune.province_code == PROVINCE)
                                  .order_by(Commune.code).limit(100)))
    n_households = int(100_000 * args.scale)
    plan = steps(n_households, int(1_000_000 * args.scale), int(5_000_000 * args.scale), codes)
    for name, sql in plan:
        start = time.perf_counter()
        with engine.begin() as conn:
            rows = conn.execute(text(sql)).rowcount
        print(f"  {name:14} {rows:>10,} rows  {time.perf_counter() - start:7.1f} s", file=sys.stderr)
    total = time.perf_counter() - began
    print(f"seeded {len(codes)} communes of province {PROVINCE} into {args.name} in {total / 60:.1f} min "
          f"(target: under 15 min)")


if __name__ == "__main__":
    main()
