"""one index per school lookup: drop site_id indexes that a key leading with site_id already serves

Eight tables had an index on site_id alone beside a unique key or index that leads with site_id. The
leading key serves every lookup by school on SQLite and PostgreSQL; the second index only cost every
insert one more page written (for a push of 50 checklists, 2 of its 63 pages on SQLite).

Revision ID: schema_1
Revises: insp_3
Create Date: 2026-11-27 03:15:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'schema_1'
down_revision = 'insp_3'
branch_labels = None
depends_on = None

TABLES = ("attachment", "attachment_link", "template_version", "asset", "inspection", "label",
          "stocktake_scan", "corrective_action")


def upgrade():
    for table in TABLES:
        op.drop_index(f"ix_{table}_site_id", table_name=table)


def downgrade():
    for table in TABLES:
        op.create_index(f"ix_{table}_site_id", table, ["site_id"])
