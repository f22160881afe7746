"""Schema upgrades through Alembic, and seeding of reference data (provinces and communes)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from core.db import Base
from core.models import Commune, Province
from core.text import fold

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection=None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; running it on an up-to-date database changes nothing."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def seed_communes(engine: Engine) -> int:
    """Insert the official provinces and communes that are missing; returns how many communes were added."""
    from vietnam_provinces import Province as VNProvince
    from vietnam_provinces import Ward

    with engine.begin() as conn:
        have_p = set(conn.scalars(select(Province.code)))
        provinces = [
            {"code": f"{p.code.value:02d}", "name": p.name, "name_folded": fold(p.name),
             "division_type": p.division_type.value}
            for p in VNProvince.iter_all() if f"{p.code.value:02d}" not in have_p
        ]
        if provinces:
            conn.execute(Province.__table__.insert(), provinces)
        have_c = set(conn.scalars(select(Commune.code)))
        communes = [
            {"code": f"{w.code.value:05d}", "name": w.name, "name_folded": fold(w.name),
             "division_type": w.division_type.value, "province_code": f"{w.province_code.value:02d}"}
            for w in Ward.iter_all() if f"{w.code.value:05d}" not in have_c
        ]
        if communes:
            conn.execute(Commune.__table__.insert(), communes)
        return len(communes)


def commune_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Commune)) or 0


__all__ = ["Base", "commune_count", "current_revision", "head_revision", "seed_communes", "upgrade"]
