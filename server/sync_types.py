"""What phones pull: each syncable model with the schema that writes its `data`."""
from __future__ import annotations

from server.api import schemas
from server.models import Asset, Building, Room
from sync.feed import register_pull_type


def register_core_types() -> None:
    for name, model, schema in (
        ("building", Building, schemas.BuildingSchema()),
        ("room", Room, schemas.RoomSchema()),
        ("asset", Asset, schemas.AssetSchema()),
    ):
        # Each dumps its own row only.
        register_pull_type(name, model, schema, same_per_version=True)
