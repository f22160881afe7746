"""CSV export and all-or-nothing import of a shop's products.

Import validates every row before writing anything; a file with one bad row changes nothing and the
report names each bad row by its line number in the file. UTF-8 with a BOM, as Excel writes and reads it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.auth import policy
from core.errors import Invalid
from core.i18n import translate_errors
from core.models import HouseholdBusiness, Product, User
from core.schemas.products import ProductSchema
from core.services import audit
from core.services.products import create_product, product_changed, update_product
from core.services.shops import require
from core.spreadsheets import csv_text, unguard

COLUMNS = (
    "id", "sku", "name", "product_group", "price_vnd", "stock", "unit", "net_weight_g", "origin", "season",
    "shelf_life_days", "ocop_stars", "ocop_certificate_no", "ocop_issued_on", "ocop_expires_on", "status",
    "description",
)
MAX_ROWS = 5000
OPTIONAL_NULLABLE = {"net_weight_g", "shelf_life_days", "ocop_stars", "ocop_certificate_no", "ocop_issued_on",
                     "ocop_expires_on", "sku"}


@dataclass(frozen=True)
class RowProblem:
    line: int
    field: str
    message: str


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def export_csv(db: Session, shop: HouseholdBusiness) -> str:
    products = db.scalars(select(Product).where(Product.household_id == shop.id).order_by(Product.id))
    rows = ([v.isoformat() if hasattr(v, "isoformat") else v for v in (getattr(p, c) for c in COLUMNS)]
            for p in products)
    return csv_text(COLUMNS, rows)


def _read(data: bytes) -> list[tuple[int, dict[str, str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(_("The file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8”.")) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    unknown = [h for h in header if h not in COLUMNS]
    missing = [c for c in ("name", "product_group", "price_vnd") if c not in header]
    if unknown or missing:
        raise Invalid(_("The header row must use these columns: %(cols)s.", cols=", ".join(COLUMNS)),
                      {"unknown_columns": unknown, "missing_columns": missing})
    reader.fieldnames = header
    # choso's own export guards cells against spreadsheet formulas; an export imported back is unchanged
    rows = [(reader.line_num, {k: unguard(v) if isinstance(v, str) else v for k, v in row.items()})
            for row in reader]
    if len(rows) > MAX_ROWS:
        raise Invalid(_("At most %(n)d products per file.", n=MAX_ROWS))
    return rows


def _row_data(row: dict[str, str | None]) -> dict[str, object]:
    data: dict[str, object] = {}
    for key, value in row.items():
        if key is None or key == "id":
            continue
        value = (value or "").strip()
        if value == "":
            if key in OPTIONAL_NULLABLE:
                data[key] = None
            continue
        data[key] = value
    return data


def import_csv(db: Session, actor: User, shop: HouseholdBusiness, data: bytes) -> ImportResult:
    require(policy.can_edit_shop(actor, shop))
    rows = _read(data)
    existing = {p.id: p for p in db.scalars(select(Product).where(Product.household_id == shop.id))}
    by_sku = {p.sku: p for p in existing.values() if p.sku}
    schema = ProductSchema()
    problems: list[RowProblem] = []
    plan: list[tuple[Product | None, dict]] = []
    for line, row in rows:
        target = None
        raw_id = (row.get("id") or "").strip()
        if raw_id:
            target = existing.get(int(raw_id)) if raw_id.isdigit() else None
            if target is None:
                problems.append(RowProblem(line, "id", _("No product of this shop has this id.")))
                continue
        fields = _row_data(row)
        if target is None and fields.get("sku"):
            target = by_sku.get(str(fields["sku"]))
        try:
            loaded = schema.load({**fields, "household_id": shop.id})
        except ValidationError as err:
            for field, messages in translate_errors(err.messages).items():
                for message in messages if isinstance(messages, list) else [messages]:
                    problems.append(RowProblem(line, field, str(message)))
            continue
        plan.append((target, loaded))
    if problems:
        raise Invalid(_("%(n)d rows have problems; nothing was imported.", n=len({p.line for p in problems})),
                      {"rows": [p.__dict__ for p in problems]})
    created = updated = 0
    saved = []
    try:
        for target, loaded in plan:
            if target is None:
                saved.append((create_product(db, actor, loaded, commit=False), True))
                created += 1
            else:
                saved.append((update_product(db, actor, target, loaded, commit=False), False))
                updated += 1
        audit.record(db, actor, "products.import", "household", shop.id, shop=shop,
                     details={"created": created, "updated": updated})
        db.commit()
    except Exception:
        db.rollback()
        raise
    for product, was_created in saved:
        product_changed(product, created=was_created, archived=product.status == "archived")
    return ImportResult(created, updated)
