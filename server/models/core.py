"""Schools, their buildings, rooms and assets, and the people and devices that work in them."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, SiteScoped, Syncable, utcnow

ROOM_KINDS = ("dorm", "canteen_zone", "classroom", "office", "public_area", "other")
ROLES = ("admin", "inspector", "auditor", "fixer")
ASSET_STATUSES = ("in_use", "idle", "lent", "repair", "scrapped", "missing")
# What one line of the asset ledger may say, however it comes in (API, console, spreadsheet import): a
# quantity a school counts, a unit price below what its column holds (12 digits, 2 after the point).
MAX_ASSET_QUANTITY = 1_000_000
UNIT_PRICE_LIMIT = Decimal("10000000000")


class Site(Base):
    """A school. Everything else belongs to exactly one site."""

    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(SiteScoped, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(256))
    roles_csv: Mapped[str] = mapped_column("roles", String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    calibration_x_mm: Mapped[float] = mapped_column(default=0.0)
    calibration_y_mm: Mapped[float] = mapped_column(default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    site: Mapped[Site] = relationship()

    @property
    def roles(self) -> list[str]:
        return [r for r in self.roles_csv.split(",") if r]

    @roles.setter
    def roles(self, value: list[str]) -> None:
        self.roles_csv = ",".join(r for r in ROLES if r in set(value))

    def has_role(self, *wanted: str) -> bool:
        return bool(set(wanted) & set(self.roles))


class Device(SiteScoped, Base):
    """A phone or client that logged in; its bearer token is stored only as a SHA-256 hash."""

    __tablename__ = "device"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class Building(Syncable, Base):
    __tablename__ = "building"
    __sync_type__ = "building"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32), default="other")
    floors: Mapped[int] = mapped_column(Integer, default=1)


class Room(Syncable, Base):
    __tablename__ = "room"
    __sync_type__ = "room"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    floor: Mapped[int | None]
    class_name: Mapped[str | None] = mapped_column(String(64))
    capacity: Mapped[int | None]
    responsible_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str | None] = mapped_column(Text)

    building: Mapped[Building | None] = relationship()
    responsible_user: Mapped[User | None] = relationship()


class Asset(Syncable, Base):
    __tablename__ = "asset"
    __sync_type__ = "asset"
    keyed_by_site = True
    __table_args__ = (UniqueConstraint("site_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tag: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))
    spec: Mapped[str | None] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    purchase_date: Mapped[date | None] = mapped_column(Date)
    department: Mapped[str | None] = mapped_column(String(100))
    custodian: Mapped[str | None] = mapped_column(String(100))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="in_use")

    room: Mapped[Room | None] = relationship()


class LoginFailure(Base):
    """A failed password attempt, kept briefly so guessing is slowed (429) across all app processes."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
