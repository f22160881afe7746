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


def test_0013_keeps_the_households_helpers_already_helped_and_dates_old_tokens(tmp_path):
    """An install upgraded to helper assignments: a helper keeps the households the audit log shows it acted
    for (and those entries point at the new assignment, so past figures stay); tokens get a year."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text

    from core.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    schema.upgrade(engine, "0012")
    schema.seed_communes(engine)
    made = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    with engine.begin() as conn:
        for uid, phone in ((1, "0900000001"), (2, "0900000002"), (3, "0900000003")):
            conn.execute(text("INSERT INTO users (id, phone, name, is_active, created_at) "
                              "VALUES (:i, :p, '', 1, :at)"), {"i": uid, "p": phone, "at": made})
        conn.execute(text("INSERT INTO memberships (user_id, commune_code, role, created_at) VALUES "
                          "(1, '00583', 'household', :at), (2, '00583', 'helper', :at), (3, '00583', 'staff', :at)"),
                     {"at": made})
        conn.execute(text("INSERT INTO households (id, commune_code, owner_id, name, slug, name_folded, description, "
                          "address, status, created_at, updated_at) VALUES (7, '00583', 1, 'Hộ A', 'ho-a', 'ho a', "
                          "'', '', 'active', :at, :at)"), {"at": made})
        for actor in (2, 3):  # the helper's edit, and staff moderating: only the first becomes an assignment
            conn.execute(text("INSERT INTO audit_log (at, actor_id, on_behalf_of_id, commune_code, action, entity, "
                              "details) VALUES (:at, :a, 7, '00583', 'shop.update', 'household', '{}')"),
                         {"at": made, "a": actor})
        conn.execute(text("INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) "
                          "VALUES (1, 't', 'h', 'choso_x', :at)"), {"at": made})
    schema.upgrade(engine)
    with engine.connect() as conn:
        assignments = conn.execute(text("SELECT id, household_id, helper_id FROM helper_assignments")).all()
        assert [(h, u) for _i, h, u in assignments] == [(7, 2)]
        linked = conn.execute(text("SELECT actor_id, assignment_id FROM audit_log ORDER BY actor_id")).all()
        assert linked == [(2, assignments[0][0]), (3, None)]
        expires = conn.execute(text("SELECT expires_at FROM api_tokens")).scalar_one()
    expires = datetime.fromisoformat(str(expires)).replace(tzinfo=UTC)
    assert expires - made == timedelta(days=365)
    engine.dispose()
