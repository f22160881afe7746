"""Looking communes up by official code or by name, accents and case ignored."""

from __future__ import annotations

from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.orm import Session

from core.models import Commune, Province
from core.text import fold


def commune_query(q: str = "", province: str | None = None) -> Select:
    stmt = select(Commune).order_by(Commune.name_folded, Commune.code)
    q = (q or "").strip()
    if q.isdigit():
        return stmt.where(Commune.code == q.zfill(5))
    for term in fold(q).split():
        stmt = stmt.where(Commune.name_folded.contains(term, autoescape=True))
    if province:
        stmt = stmt.where(Commune.province_code == province.zfill(2))
    return stmt


def find(db: Session, q: str, province: str | None = None, limit: int = 20) -> list[Commune]:
    return list(db.scalars(commune_query(q, province).limit(limit)))


def count(db: Session, stmt: Select) -> int:
    return db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def province_name(db: Session, code: str) -> str | None:
    p = db.get(Province, code)
    return p.name if p else None


def place(db: Session, code: str) -> Row | None:
    """A commune's name and its province's, for a page heading: one plain row (`name`, `province_name`),
    not a Commune object with its province, which costs several times more on a page served this often."""
    return db.connection().execute(_PLACE, {"code": code}).first()


_PLACE = (select(Commune.name, Province.name.label("province_name"))
          .join(Province, Province.code == Commune.province_code).where(Commune.code == bindparam("code")))
