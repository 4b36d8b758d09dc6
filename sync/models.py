"""Tables of the change feed: the last change of every pulled object, ordered per site by `seq`."""
from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base


class SyncSiteCounter(Base):
    """One row per site. Allocating seqs updates this row, and that row lock (held to commit) is what
    makes seq order equal commit order within a site on PostgreSQL; see sync.feed."""

    __tablename__ = "sync_site_counter"

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # Cursors at or below this were pruned (tombstones forgotten) and must restart from scratch.
    forgotten_seq: Mapped[int] = mapped_column(BigInteger, default=0)


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
