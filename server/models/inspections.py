"""Checklist templates (versioned), inspection records with their judged items, and the corrective
actions (整改) that failed items become."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, SiteScoped, Syncable, utcnow
from server.models.core import Asset, Room, User

TEMPLATE_STATUSES = ("draft", "published", "retired")
TEMPLATE_CATEGORIES = ("dorm", "canteen", "food_safety", "fire", "facility")
SCORING_MODES = ("pass_rate", "deduction", "sum")
ITEM_KINDS = ("pass_fail", "deduction", "score", "number", "text", "choice", "photo")
ACTION_STATUSES = ("open", "done", "verified", "reopened")
OUTCOMES = ("pass", "fail", "na")


class TemplateVersion(Syncable, Base):
    """One version of a checklist. A family (`family`) has many versions; only drafts are edited, a
    published version is frozen so every record made with it can always be read against it."""

    __tablename__ = "template_version"
    __sync_type__ = "template"
    keyed_by_site = True
    __table_args__ = (UniqueConstraint("site_id", "family", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    category: Mapped[str] = mapped_column(String(16))
    # Room kinds it may be used on (empty: any room); asset categories it may be used on (empty: none).
    room_kinds: Mapped[list] = mapped_column(JSON, default=list)
    asset_categories: Mapped[list] = mapped_column(JSON, default=list)
    scoring: Mapped[str] = mapped_column(String(16), default="pass_rate")
    max_score: Mapped[float] = mapped_column(Float, default=100.0)
    # Deadline of a fix that is not a canteen hazard (those are due the same day: 整改不留宿).
    deadline_hours: Mapped[int] = mapped_column(Integer, default=72)
    items: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]

    def visible_to(self, viewer) -> bool:
        # Phones hold what they may start a check with; a retired version leaves them by the feed.
        return self.status == "published"


_OF_AN_ASSET = text("asset_id IS NOT NULL")


class Inspection(SiteScoped, Base):
    """One filled checklist, as the server judged it: score, flags, and each item's outcome in `answers`."""

    __tablename__ = "inspection"
    keyed_by_site = True
    __table_args__ = (
        UniqueConstraint("site_id", "uuid"),
        # Covers the coverage report (who checked what, when) without reading the rows.
        Index("ix_inspection_site_day_who", "site_id", "day", "inspector_id", "room_id", "category"),
        Index("ix_inspection_site_category_day", "site_id", "category", "day"),
        # None by (site, room, day): a push's checks of fifty rooms then wrote a leaf page of it per room (a
        # push of 50 into a year-old school: 116 WAL pages instead of 50), and only the coverage report's
        # last check per room read it (85 ms without it instead of 46; migration insp_4).
        # Checks of an asset alone: most are of a room, and an index holding their NULLs is written for
        # nothing. (Deleting an asset looks it up by asset_id = ?, which this index answers.) None by
        # inspector or checklist version: no query looks inspections up by either (migration insp_5).
        Index("ix_inspection_asset_id", "asset_id", sqlite_where=_OF_AN_ASSET, postgresql_where=_OF_AN_ASSET),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36))
    template_version_id: Mapped[int] = mapped_column(ForeignKey("template_version.id"))
    category: Mapped[str] = mapped_column(String(16))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"))
    inspector_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    recorded_at: Mapped[datetime]
    received_at: Mapped[datetime]
    # The time reports use: the phone's clock when plausible, else the server's (see inspections service).
    performed_at: Mapped[datetime]
    day: Mapped[date] = mapped_column(Date)
    scanned: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    phone_score: Mapped[float | None] = mapped_column(Float)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    flags: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    photos: Mapped[list] = mapped_column(JSON, default=list)
    # Every item in the template's order, judged (checklists.Judged.stored): {"key", "outcome" (pass /
    # fail / na, null for text and photo items), and where it has one "deduction", "points", "value",
    # "text", "note", "photos"}. One document with the inspection: an inspection is written once and
    # read whole, and rows per item cost a push more than the inspection itself (reports read the items
    # through sync.sql.json_array_items). The server default is for the rows the column was added to.
    answers: Mapped[list] = mapped_column(JSON, default=list, server_default=text("'[]'"))

    template_version: Mapped[TemplateVersion] = relationship()
    room: Mapped[Room | None] = relationship()
    asset: Mapped[Asset | None] = relationship()
    inspector: Mapped[User] = relationship()



class Action(Syncable, Base):
    """A corrective action (整改): a failed item with a person and a deadline, followed until re-checked."""

    __tablename__ = "corrective_action"
    __sync_type__ = "action"
    keyed_by_site = True
    __table_args__ = (
        Index("ix_corrective_action_site_status", "site_id", "status"),
        Index("ix_corrective_action_target", "site_id", "room_id", "item_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    hazard: Mapped[bool] = mapped_column(Boolean, default=False)
    deadline: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="open")
    evidence_note: Mapped[str | None] = mapped_column(Text)
    evidence_photos: Mapped[list] = mapped_column(JSON, default=list)
    fix_note: Mapped[str | None] = mapped_column(Text)
    fix_photos: Mapped[list] = mapped_column(JSON, default=list)
    done_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    verify_inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"))
    repeat_count: Mapped[int] = mapped_column(Integer, default=0)
    flags: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    inspection: Mapped[Inspection] = relationship(foreign_keys=[inspection_id])
    room: Mapped[Room | None] = relationship()
    asset: Mapped[Asset | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])

    def visible_to(self, viewer) -> bool:
        # A fixer's phone holds only the fixes assigned to them; a reassignment removes it from the old one.
        return self.assignee_id == viewer.id


class ActionEvent(SiteScoped, Base):
    """The trail of an action: who did what, when, with which record (有整改、有落实 is auditable)."""

    __tablename__ = "corrective_action_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("corrective_action.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    record_uuid: Mapped[str | None] = mapped_column(String(36))
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"))
    note: Mapped[str | None] = mapped_column(Text)
    photos: Mapped[list] = mapped_column(JSON, default=list)

    by_user: Mapped[User | None] = relationship()
