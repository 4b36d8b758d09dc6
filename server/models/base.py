"""Declarative base, naming convention and the mixins every tenant-owned or pulled model uses.

Plain SQLAlchemy: the domain knows nothing of Flask or HTTP.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from sqlalchemy import DateTime, ForeignKey, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(dt: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    registry = registry(metadata=MetaData(naming_convention=NAMING_CONVENTION),
                        type_annotation_map={datetime: DateTime(timezone=True)})


class SiteScoped:
    """A row that belongs to one school; every ORM query is filtered to the caller's site (see scoping).

    `site_id` gets an index of its own unless the table sets `keyed_by_site`: a unique key or index
    that leads with site_id serves every lookup by school already, and a second one on site_id alone
    would only cost every insert another page written."""

    keyed_by_site: ClassVar[bool] = False

    @declared_attr
    def site_id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(Integer, ForeignKey("site.id"), index=not cls.keyed_by_site)


class Syncable(SiteScoped):
    """A row phones pull. `version` grows on every change (and guards updates against lost writes);
    every insert, update and delete is appended to the site's change feed by sync.feed."""

    __sync_type__: ClassVar[str]

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:  # noqa: N805
        return {"version_id_col": cls.version}

    def sync_id(self) -> str:
        return str(self.id)  # type: ignore[attr-defined]

    def visible_to(self, viewer) -> bool:
        """Whether a device of `viewer` (a User) may hold this object; reassignments rely on it."""
        return True
