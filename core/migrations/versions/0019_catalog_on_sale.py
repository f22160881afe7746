"""catalog_versions.on_sale: how many products each commune's public catalog lists, kept by every change to
its shops and products (in the same transaction as the version bump), so a catalog page does not count
thousands of products on every request

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 22:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('catalog_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_sale', sa.Integer(), nullable=False, server_default='0'))
    # every commune with products gets its row (until now a row was made by its first change)
    op.execute("""
        INSERT INTO catalog_versions (commune_code, version, on_sale)
        SELECT DISTINCT commune_code, 1, 0 FROM products
        WHERE commune_code NOT IN (SELECT commune_code FROM catalog_versions)
    """)
    op.execute("""
        UPDATE catalog_versions SET on_sale = (
            SELECT count(*) FROM products JOIN households ON households.id = products.household_id
            WHERE products.commune_code = catalog_versions.commune_code
              AND products.status = 'active' AND households.status = 'active')
    """)


def downgrade() -> None:
    with op.batch_alter_table('catalog_versions', schema=None) as batch_op:
        batch_op.drop_column('on_sale')
