"""shop_connections: each household's own shop on a per-seller marketplace (Shopee, TikTok Shop), its
sealed tokens and when its authorisation lapses; listings.sent_stock, so that a change of stock alone goes
to a marketplace in one call; listings.category_override, the category a household chose

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 03:43:00.376911
"""
import sqlalchemy as sa
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('shop_connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('commune_code', sa.String(length=5), nullable=False),
    sa.Column('marketplace', sa.String(length=40), nullable=False),
    sa.Column('remote_shop_id', sa.String(length=64), nullable=False),
    sa.Column('shop_name', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('sealed', sa.Text(), nullable=False),
    sa.Column('access_expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('refresh_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('authorization_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('connected_by_id', sa.Integer(), nullable=True),
    sa.Column('connected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('warned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('orders_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connected_by_id'], ['users.id'],
                            name=op.f('fk_shop_connections_connected_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'],
                            name=op.f('fk_shop_connections_household_id_households'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_connections')),
    sa.UniqueConstraint('household_id', 'marketplace', name=op.f('uq_shop_connections_household_id')),
    sa.UniqueConstraint('marketplace', 'remote_shop_id', name=op.f('uq_shop_connections_marketplace'))
    )
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_stock', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('category_override', sa.String(length=64), nullable=True))
    with op.batch_alter_table('shop_connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shop_connections_access_expires_at'), ['access_expires_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_shop_connections_commune_code'), ['commune_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_shop_connections_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shop_connections_state'), ['state'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('shop_connections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shop_connections_state'))
        batch_op.drop_index(batch_op.f('ix_shop_connections_household_id'))
        batch_op.drop_index(batch_op.f('ix_shop_connections_commune_code'))
        batch_op.drop_index(batch_op.f('ix_shop_connections_access_expires_at'))

    op.drop_table('shop_connections')
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_column('category_override')
        batch_op.drop_column('sent_stock')
