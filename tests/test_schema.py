"""Migrations are the only source of the schema, and they match the models."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from core import schema
from core.db import Base, database
from core.models import Commune, Province


def test_migrations_match_the_models(app):
    with database(app).engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_upgrade_and_seed_run_twice_change_nothing(app):
    engine = database(app).engine
    assert schema.current_revision(engine) == schema.head_revision()
    schema.upgrade(engine)
    assert schema.seed_communes(engine) == 0
    assert schema.current_revision(engine) == schema.head_revision()


def test_official_units_after_the_2025_reform_are_seeded(db):
    assert db.scalar(select(func.count()).select_from(Province)) == 34
    assert db.scalar(select(func.count()).select_from(Commune)) == 3321
    bat_trang = db.get(Commune, "00583")
    assert bat_trang.name == "Xã Bát Tràng"
    assert bat_trang.province.name == "Thành phố Hà Nội"
