"""Grow the demo catalog to N products by copying demo rows (photos shared): `python bench/grow_catalog.py N`.

Runs against the instance named by the environment (CHOSO_INSTANCE_PATH / DATABASE_URL), like `choso`.
"""

import sys

from sqlalchemy import insert, select, update

from core.app import create_app
from core.catalog_cache import recount
from core.db import database
from core.models import CatalogVersion, Product, ProductImage


def grow(target: int) -> int:
    engine = database(create_app()).engine
    with engine.begin() as conn:
        base = [dict(r._mapping) for r in conn.execute(select(Product.__table__))]
        photos = {r.product_id: dict(r._mapping) for r in conn.execute(select(ProductImage.__table__))}
        next_id = max(p["id"] for p in base) + 1
        rows, pics = [], []
        for n in range(len(base), target):
            src = base[n % len(base)]
            rows.append({**src, "id": next_id, "sku": f"BENCH-{n}", "name": f"{src['name']} {n}",
                         "search_text": f"{src['search_text']} {n}"})
            pic = {**photos[src["id"]], "product_id": next_id}
            pic.pop("id")
            pics.append(pic)
            next_id += 1
        for i in range(0, len(rows), 1000):
            conn.execute(insert(Product.__table__), rows[i:i + 1000])
            conn.execute(insert(ProductImage.__table__), pics[i:i + 1000])
        # rows inserted below the ORM bump no catalog version and count nothing: do both here
        communes = {row["commune_code"] for row in rows}
        conn.execute(update(CatalogVersion).where(CatalogVersion.commune_code.in_(communes))
                     .values(version=CatalogVersion.version + 1))
        recount(conn, communes)
        return len(base) + len(rows)


if __name__ == "__main__":
    print(grow(int(sys.argv[1])))
