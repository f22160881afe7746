"""helpers act only for assigned households; server-side sessions; read-only, expiring API tokens

Helpers who already acted for a household (the audit log says so) keep that household as an assignment, and
those audit entries point at it, so the assisted-households figure of past months does not change; staff
assign the rest. Existing API tokens expire one year after they were made. Sessions signed in before this
release end (their cookies carry a user id, not a session), so everyone signs in once more.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 17:00:00
"""
from datetime import timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('helper_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('helper_id', sa.Integer(), nullable=False),
    sa.Column('commune_code', sa.String(length=5), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('end_reason', sa.String(length=12), nullable=True),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_helper_assignments_assigned_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['commune_code'], ['communes.code'], name=op.f('fk_helper_assignments_commune_code_communes')),
    sa.ForeignKeyConstraint(['ended_by_id'], ['users.id'], name=op.f('fk_helper_assignments_ended_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['helper_id'], ['users.id'], name=op.f('fk_helper_assignments_helper_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_helper_assignments_household_id_households'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_helper_assignments'))
    )
    with op.batch_alter_table('helper_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_helper_assignments_commune_code'), ['commune_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_helper_assignments_helper_id'), ['helper_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_helper_assignments_household_id'), ['household_id'], unique=False)

    op.create_table('user_sessions',
    sa.Column('id', sa.String(length=43), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('user_agent', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignment_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_log_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_audit_log_assignment_id_helper_assignments'), 'helper_assignments', ['assignment_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('read_only', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))

    _backfill()


def _backfill() -> None:
    conn = op.get_bind()
    helped = conn.execute(sa.text(
        "SELECT a.on_behalf_of_id, a.actor_id, h.commune_code, MIN(a.at) FROM audit_log a "
        "JOIN households h ON h.id = a.on_behalf_of_id "
        "JOIN memberships m ON m.user_id = a.actor_id AND m.commune_code = h.commune_code AND m.role = 'helper' "
        "WHERE h.owner_id <> a.actor_id GROUP BY a.on_behalf_of_id, a.actor_id, h.commune_code")).all()
    for household_id, helper_id, commune_code, first in helped:
        conn.execute(sa.text(
            "INSERT INTO helper_assignments (household_id, helper_id, commune_code, assigned_at) "
            "VALUES (:h, :u, :c, :at)"), {"h": household_id, "u": helper_id, "c": commune_code, "at": first})
        assignment = conn.execute(sa.text(
            "SELECT id FROM helper_assignments WHERE household_id = :h AND helper_id = :u"),
            {"h": household_id, "u": helper_id}).scalar_one()
        conn.execute(sa.text(
            "UPDATE audit_log SET assignment_id = :a WHERE on_behalf_of_id = :h AND actor_id = :u"),
            {"a": assignment, "h": household_id, "u": helper_id})
    for token_id, created in conn.execute(sa.text("SELECT id, created_at FROM api_tokens")).all():
        if isinstance(created, str):  # SQLite hands back text
            from datetime import datetime
            created = datetime.fromisoformat(created)
        if created.tzinfo is None:
            created = created.replace(tzinfo=timezone.utc)
        conn.execute(sa.text("UPDATE api_tokens SET expires_at = :e WHERE id = :i"),
                     {"e": created + timedelta(days=365), "i": token_id})


def downgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
        batch_op.drop_column('read_only')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_log_assignment_id_helper_assignments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_audit_log_assignment_id'))
        batch_op.drop_column('assignment_id')
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))
    op.drop_table('user_sessions')
    with op.batch_alter_table('helper_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_helper_assignments_household_id'))
        batch_op.drop_index(batch_op.f('ix_helper_assignments_helper_id'))
        batch_op.drop_index(batch_op.f('ix_helper_assignments_commune_code'))
    op.drop_table('helper_assignments')
