"""photo links keyed by record first: (site_id, record_uuid, sha256) instead of (site_id, sha256, record_uuid)

Photo hashes are random, so every link of a push went to a random page of the old index; record uuids
are time-ordered (sync.ids), so a push's links now go in side by side. Same uniqueness.

Revision ID: sync_3
Revises: sync_2
Create Date: 2026-11-26 02:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'sync_3'
down_revision = 'sync_2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attachment_link', schema=None) as batch_op:
        batch_op.drop_constraint('uq_attachment_link_site_id_sha256_record_uuid', type_='unique')
        batch_op.create_unique_constraint('uq_attachment_link_site_id_record_uuid_sha256',
                                          ['site_id', 'record_uuid', 'sha256'])


def downgrade():
    with op.batch_alter_table('attachment_link', schema=None) as batch_op:
        batch_op.drop_constraint('uq_attachment_link_site_id_record_uuid_sha256', type_='unique')
        batch_op.create_unique_constraint('uq_attachment_link_site_id_sha256_record_uuid',
                                          ['site_id', 'sha256', 'record_uuid'])
