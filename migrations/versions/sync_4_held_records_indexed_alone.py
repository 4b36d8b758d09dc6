"""held records indexed alone: (site_id, id) where status = 'held' instead of (site_id, status)

Only held records are looked up by status (every push retries them; the admin lists them), and they
are few. The old index took a row for every record ever pushed; this one holds the held ones only, so
an accepted record's ledger row writes no page to it.

Revision ID: sync_4
Revises: schema_1
Create Date: 2026-11-27 03:50:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'sync_4'
down_revision = 'schema_1'
branch_labels = None
depends_on = None

HELD_ONLY = sa.text("status = 'held'")


def upgrade():
    op.drop_index("ix_sync_record_site_status", table_name="sync_record")
    op.create_index("ix_sync_record_held", "sync_record", ["site_id", "id"],
                    sqlite_where=HELD_ONLY, postgresql_where=HELD_ONLY)


def downgrade():
    op.drop_index("ix_sync_record_held", table_name="sync_record")
    op.create_index("ix_sync_record_site_status", "sync_record", ["site_id", "status"])
