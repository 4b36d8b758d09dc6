"""The asset ledger's history and imports, and stocktakes (盘点) with the scans auditors send."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, SiteScoped, Syncable, utcnow
from server.models.core import Asset, Room, User

# What a person records about an asset (验收入帐, 领用, 借用, 归还, 送修, 修复, 调拨, 报废) ...
LIFECYCLE_KINDS = ("accept", "issue", "lend", "return", "repair", "repaired", "move", "scrap")
# ... and what the system records on their behalf: ledger imports, auditors' corrections, stocktakes.
SYSTEM_EVENT_KINDS = ("imported", "import_update", "corrected", "stocktake_moved", "stocktake_missing",
                      "stocktake_found", "stocktake_condition")
SCAN_CONDITIONS = ("good", "damaged", "needs_repair")
STOCKTAKE_STATUSES = ("open", "approved")
IMPORT_STATES = ("uploaded", "reading", "checked", "imported", "failed")


class AssetEvent(SiteScoped, Base):
    """One dated step in an asset's life, with who did it and, when a stocktake or an import caused
    it, which one. Deleting an asset takes its history with it (scrapping is how assets leave)."""

    __tablename__ = "asset_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    from_room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"))
    to_room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    # Field changes as {field: [old, new]}, and who received or borrowed the asset.
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    stocktake_id: Mapped[int | None] = mapped_column(ForeignKey("stocktake.id"), index=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_import.id"))

    actor: Mapped[User | None] = relationship()
    from_room: Mapped[Room | None] = relationship(foreign_keys=[from_room_id])
    to_room: Mapped[Room | None] = relationship(foreign_keys=[to_room_id])
    asset: Mapped[Asset] = relationship()


class LedgerImport(SiteScoped, Base):
    """An uploaded ledger file and the job that checks or imports it; its row is the job's status.

    The file is stored under a name the server chose; `filename` is only ever displayed."""

    __tablename__ = "ledger_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64))
    file_format: Mapped[str] = mapped_column(String(8))
    size: Mapped[int] = mapped_column(Integer)
    header_row: Mapped[int] = mapped_column(Integer, default=1)
    headers: Mapped[list] = mapped_column(JSON, default=list)
    # One entry per column: the ledger field it fills, or null to ignore the column.
    mapping: Mapped[list] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16), default="uploaded")
    # True while an import (not a dry run) is under way.
    applying: Mapped[bool] = mapped_column(default=False)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    bad_rows: Mapped[list] = mapped_column(JSON, default=list)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    message: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship()


class Stocktake(Syncable, Base):
    """A stocktake with its scope; empty scope lists mean "all". Phones derive the expected list
    from the assets and rooms they already pull (see server.services.reconcile.in_scope)."""

    __tablename__ = "stocktake"
    __sync_type__ = "stocktake"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="open")
    building_ids: Mapped[list] = mapped_column(JSON, default=list)
    room_kinds: Mapped[list] = mapped_column(JSON, default=list)
    categories: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None]
    # Bucket counts frozen at approval, so the list page need not reconcile closed stocktakes.
    summary: Mapped[dict] = mapped_column(JSON, default=dict)

    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])

    def visible_to(self, viewer) -> bool:
        # Only auditors' and admins' phones scan; once approved it leaves the phones (a tombstone).
        return self.status == "open" and viewer.has_role("auditor", "admin")


class StocktakeScan(SiteScoped, Base):
    """One sighting an auditor recorded: an asset (or a label not on the book, 盘盈) in a room.
    Every scan is kept; findings and totals are derived from them on the server."""

    __tablename__ = "stocktake_scan"
    keyed_by_site = True
    __table_args__ = (UniqueConstraint("site_id", "uuid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36))
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktake.id"), index=True)
    # SET NULL: an asset deleted later turns its sightings into "not on the book", the label stays.
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id", ondelete="SET NULL"))
    label: Mapped[str | None] = mapped_column(String(200))
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"))
    condition: Mapped[str] = mapped_column(String(16), default="good")
    note: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    photos: Mapped[list] = mapped_column(JSON, default=list)
    auditor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    auditor: Mapped[User] = relationship()
    room: Mapped[Room] = relationship()


class StocktakeFinding(SiteScoped, Base):
    """One finding of an approved stocktake, frozen at approval: the book then moves on (the approval
    itself corrects it), but the stocktake's result must stay what the admin approved."""

    __tablename__ = "stocktake_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktake.id"), index=True)
    bucket: Mapped[str] = mapped_column(String(16))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id", ondelete="SET NULL"))
    label: Mapped[str | None] = mapped_column(String(200))
    book_room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"))
    seen_room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"))
    condition: Mapped[str | None] = mapped_column(String(16))
    out_of_scope: Mapped[bool] = mapped_column(default=False)
    rooms_seen: Mapped[list] = mapped_column(JSON, default=list)
    auditors: Mapped[list] = mapped_column(JSON, default=list)
    scans: Mapped[list] = mapped_column(JSON, default=list)
    description: Mapped[str | None] = mapped_column(Text)
