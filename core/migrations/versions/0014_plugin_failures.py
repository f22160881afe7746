"""plugin failures: every failed call into plugin code, for the admin page and `choso plugins --check`

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 17:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('plugin_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plugin', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('what', sa.String(length=120), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('commune_code', sa.String(length=5), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plugin_failures'))
    )
    with op.batch_alter_table('plugin_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plugin_failures_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_plugin_failures_commune_code'), ['commune_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_plugin_failures_plugin'), ['plugin'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('plugin_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plugin_failures_plugin'))
        batch_op.drop_index(batch_op.f('ix_plugin_failures_commune_code'))
        batch_op.drop_index(batch_op.f('ix_plugin_failures_at'))
    op.drop_table('plugin_failures')
