"""Tables of sync: the change feed (the last change of every pulled object, ordered per site by `seq`),
the uuid ledger of pushed records, replayable batches, quarantine, conflicts and photos."""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import literal_column

from server.models.base import Base, SiteScoped, utcnow
from server.models.core import Device, User


def new_epoch() -> int:
    return secrets.randbits(62)


class SyncSiteCounter(Base):
    """One row per site. Allocating seqs updates this row, and that row lock (held to commit) is what
    makes seq order equal commit order within a site on PostgreSQL; see sync.feed."""

    __tablename__ = "sync_site_counter"

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # Cursors at or below this were pruned (tombstones forgotten) and must restart from scratch.
    forgotten_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # Random, drawn when the row is made: a database emptied or made anew under a running server starts
    # another epoch, so what the server cached of the old one's objects is never served (sync.feed).
    epoch: Mapped[int] = mapped_column(BigInteger, default=new_epoch, server_default="0")


class SyncChange(Base):
    """The latest change of one object for one site; a deletion is kept as a tombstone row."""

    __tablename__ = "sync_change"
    __table_args__ = (
        UniqueConstraint("site_id", "object_type", "object_id"),
        Index("ix_sync_change_site_seq", "site_id", "seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


# -- push: the uuid ledger, batches, quarantine and conflicts -----------------------------------

RECORD_STATUSES = ("accepted", "rejected", "conflict", "held")
# Held records are the only ones looked up by status, and they are few: their index holds them alone,
# so an accepted record's ledger row writes no page to it.
_HELD_ONLY = text("status = 'held'")


class SyncRecord(Base):
    """Every record uuid a phone pushed, kept for good: the idempotency key. `status` is what the
    server made of it; `held` means stored but not applied yet (see sync.push)."""

    __tablename__ = "sync_record"
    __table_args__ = (
        UniqueConstraint("site_id", "uuid"),
        Index("ix_sync_record_held", "site_id", "id", sqlite_where=_HELD_ONLY, postgresql_where=_HELD_ONLY),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    uuid: Mapped[str] = mapped_column(String(36))
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    type: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    # The phone's clock exactly as sent, and parsed to UTC; reports order by received_at.
    recorded_at_text: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime | None]
    received_at: Mapped[datetime]
    clock_skew: Mapped[bool] = mapped_column(Boolean, default=False)
    # {"server_version": n} or {"errors": {...}}: what a resend of the same content is answered.
    result: Mapped[dict | None] = mapped_column(JSON)
    # Only while held: the record as sent, applied again after later pushes.
    payload: Mapped[dict | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


# Held records, as a query must ask for them to be read by their index: the status written into the
# statement. PostgreSQL matches a query to a partial index by what the query says, and once the driver
# prepares a statement (from its sixth run) the server may plan it for any value of its parameters: asked
# with the status as a parameter, every push read the whole ledger (2.3 ms at 10,000 records).
HELD = SyncRecord.__table__.c.status == literal_column("'held'")


class SyncBatch(Base):
    """A batch a device pushed and the answer it got, so a resent batch gets the same answer."""

    __tablename__ = "sync_batch"
    __table_args__ = (UniqueConstraint("device_id", "batch_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    batch_id: Mapped[str] = mapped_column(String(36))
    body_hash: Mapped[str] = mapped_column(String(64))
    answer: Mapped[dict | None] = mapped_column(JSON)
    received_at: Mapped[datetime]


class SyncQuarantine(SiteScoped, Base):
    """A record the server could not store as sent, kept verbatim with its reason for an admin."""

    __tablename__ = "sync_quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str | None] = mapped_column(String(64))
    type: Mapped[str | None] = mapped_column(String(64))
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # rejected | uuid_reused | never_applied
    reason: Mapped[str] = mapped_column(String(32))
    errors: Mapped[dict] = mapped_column(JSON)
    payload: Mapped[Any] = mapped_column(JSON)
    received_at: Mapped[datetime]

    device: Mapped[Device] = relationship()
    user: Mapped[User] = relationship()


class SyncConflict(SiteScoped, Base):
    """A phone's change to an object whose server copy moved on: both versions, until an admin decides."""

    __tablename__ = "sync_conflict"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(32))
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(String(500))
    base_version: Mapped[int | None]
    server_version: Mapped[int | None]
    server_data: Mapped[dict] = mapped_column(JSON)
    # The record as the phone sent it.
    payload: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime]
    # None while open; then "server" (kept the server's copy) or "phone" (took the phone's).
    resolution: Mapped[str | None] = mapped_column(String(16))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolved_at: Mapped[datetime | None]

    device: Mapped[Device] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


# -- photos -------------------------------------------------------------------------------------

class Attachment(SiteScoped, Base):
    """A photo a school uploaded. The bytes live in the attachment store under their sha256; this row
    is what makes them the school's (another school with the same hash has a row of its own)."""

    __tablename__ = "attachment"
    keyed_by_site = True
    __table_args__ = (UniqueConstraint("site_id", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AttachmentLink(SiteScoped, Base):
    """A photo hash a pushed record names; missing photos are links without an Attachment. Keyed by
    record first: a batch's links then go in side by side (record uuids are time-ordered, sync.ids), and
    "which photos does this record still miss" reads one range."""

    __tablename__ = "attachment_link"
    keyed_by_site = True
    __table_args__ = (UniqueConstraint("site_id", "record_uuid", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    record_uuid: Mapped[str] = mapped_column(String(36))
    record_type: Mapped[str] = mapped_column(String(32))
