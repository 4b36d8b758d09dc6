"""feed epoch: a random number per site counter row, so that cached pulls never outlive the data

Revision ID: sync_2
Revises: insp_2
Create Date: 2026-11-25 19:55:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'sync_2'
down_revision = 'insp_2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sync_site_counter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('epoch', sa.BigInteger(), nullable=False, server_default='0'))
    # Each existing row gets its own random epoch, as new rows do (sync.models.new_epoch).
    counter = sa.table('sync_site_counter', sa.column('site_id', sa.Integer), sa.column('epoch', sa.BigInteger))
    conn = op.get_bind()
    for site_id in conn.execute(sa.select(counter.c.site_id)).scalars().all():
        conn.execute(counter.update().where(counter.c.site_id == site_id).values(epoch=secrets.randbits(62)))


def downgrade():
    with op.batch_alter_table('sync_site_counter', schema=None) as batch_op:
        batch_op.drop_column('epoch')
