"""All ORM models, imported here so metadata (and Alembic) sees every table."""
from server.models.base import Base, SiteScoped, Syncable, as_utc, utcnow
from server.models.core import (
    ASSET_STATUSES,
    ROLES,
    ROOM_KINDS,
    Asset,
    Building,
    Device,
    LoginFailure,
    Room,
    Site,
    User,
)
from server.models.labels import LABEL_STATUSES, Label
from sync.models import SyncChange, SyncSiteCounter

__all__ = [
    "ASSET_STATUSES", "LABEL_STATUSES", "ROLES", "ROOM_KINDS", "Asset", "Base", "Building", "Device", "Label",
    "LoginFailure", "Room", "Site",
    "SiteScoped", "SyncChange", "SyncSiteCounter", "Syncable", "User", "as_utc", "utcnow",
]
