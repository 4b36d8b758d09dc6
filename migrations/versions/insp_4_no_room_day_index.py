"""inspection: drop ix_inspection_site_room_day

A push's checks of fifty rooms wrote a leaf page of this index per room: into a school with a year of
history (720 dorms), a push of 50 checklists wrote 116 WAL pages with it and 50 without, and took 6.8 ms
instead of 7.6 in-process. It served only the coverage report's last check per room, which now reads the
(site, day, inspector, room, category) index: 85 ms instead of 46 on SQLite over that year, the same on
PostgreSQL.

Revision ID: insp_4
Revises: sync_5
Create Date: 2026-11-27 05:40:00

"""
from alembic import op


revision = 'insp_4'
down_revision = 'sync_5'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_inspection_site_room_day", table_name="inspection")


def downgrade():
    op.create_index("ix_inspection_site_room_day", "inspection", ["site_id", "room_id", "day"])
