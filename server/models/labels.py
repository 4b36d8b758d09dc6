"""QR labels stuck on rooms and assets; phones pull them so a scan resolves offline."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from server.models.base import Base, Syncable, utcnow
from server.models.core import Asset, Room

LABEL_STATUSES = ("active", "replaced")


class Label(Syncable, Base):
    """One printed code. Reissuing a damaged label replaces it: the old code stops resolving and a new
    one (next generation) points at the same room or asset."""

    __tablename__ = "label"
    __sync_type__ = "label"
    keyed_by_site = True
    __table_args__ = (
        UniqueConstraint("site_id", "code"),
        CheckConstraint("(room_id IS NULL) <> (asset_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(8))  # room | asset, also the code's first character
    serial: Mapped[int] = mapped_column(Integer)  # the code's body, allocated per site and kind
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"), index=True)
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"), index=True)
    generation: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="active")
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("label.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Written with a plain UPDATE when a sheet is printed: phones do not pull it, so a print of
    # 10,000 labels adds nothing to the change feed.
    printed_at: Mapped[datetime | None]

    # A label goes with its room or asset: deleting one tombstones its labels for the phones too.
    room: Mapped[Room | None] = relationship(backref=backref("labels", cascade="all, delete-orphan"))
    asset: Mapped[Asset | None] = relationship(backref=backref("labels", cascade="all, delete-orphan"))
    replaced_by: Mapped[Label | None] = relationship(remote_side=[id])
