"""record times in UTC on SQLite: the ledger's and stocktake scans' recorded_at, set again from the text sent

A pushed record's time went into sync_record.recorded_at and stocktake_scan.recorded_at with the
phone's own offset, and SQLite keeps no offset: a scan made at 18:00+08:00 was stored as 18:00 and read
back as 18:00 UTC. The ledger kept each time as the phone sent it (recorded_at_text), from which both
are set again as the moment in UTC. PostgreSQL stored the moment itself (timestamptz): nothing to do.
Down: nothing to undo (the earlier code reads UTC times right).

Revision ID: sync_5
Revises: sync_4
Create Date: 2026-11-27 04:45:00

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'sync_5'
down_revision = 'sync_4'
branch_labels = None
depends_on = None

# In id order, a chunk at a time: a school's ledger holds a row for every record ever pushed.
SENT = sa.text("SELECT id, site_id, uuid, type, recorded_at_text FROM sync_record "
               "WHERE id > :after AND recorded_at IS NOT NULL ORDER BY id LIMIT :chunk")
SET_LEDGER = sa.text("UPDATE sync_record SET recorded_at = :at WHERE id = :id")
SET_SCAN = sa.text("UPDATE stocktake_scan SET recorded_at = :at WHERE site_id = :site_id AND uuid = :uuid")
CHUNK = 10_000


def _in_utc(sent: str) -> str | None:
    """As SQLAlchemy writes a SQLite DATETIME: the UTC clock time, microseconds always."""
    try:
        moment = datetime.fromisoformat(sent)
        if moment.tzinfo is None:  # not stored with a time (the phone's had no offset)
            return None
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    except (ValueError, OverflowError):
        return None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    after = 0
    while rows := bind.execute(SENT, {"after": after, "chunk": CHUNK}).all():
        after = rows[-1].id
        _set_again([(row, at) for row in rows if (at := _in_utc(row.recorded_at_text)) is not None])


def _set_again(rows: list) -> None:
    if not rows:
        return
    bind = op.get_bind()
    bind.execute(SET_LEDGER, [{"id": row.id, "at": at} for row, at in rows])
    scans = [{"site_id": row.site_id, "uuid": row.uuid, "at": at} for row, at in rows if row.type == "stocktake_scan"]
    if scans:
        bind.execute(SET_SCAN, scans)


def downgrade():
    pass
