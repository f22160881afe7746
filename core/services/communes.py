"""Looking communes up by official code or by name, accents and case ignored."""

from __future__ import annotations

from sqlalchemy import Select, func, select
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
