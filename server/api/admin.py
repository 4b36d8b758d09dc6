"""Admin API: the school's buildings, rooms, assets, users and devices."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from sqlalchemy import select

from server.api import schemas as s
from server.api.crud import Resource, register
from server.api.jsonio import Blueprint
from server.auth import current_site_id, current_user, token_required
from server.extensions import db
from server.models import Asset, Building, Device, Room, Site, User
from server.services import accounts, catalog

blp = Blueprint("admin", __name__, url_prefix="/api/v1", description="School catalogue (admin)")


def _create_user(data: dict) -> User:
    site = db.session.get(Site, current_site_id())
    return accounts.create_user_from_form(db.session, site, data, current_app.config["PASSWORD_HASH_METHOD"])


def _update_user(user: User, data: dict) -> User:
    return accounts.update_user(db.session, user, data, acting=current_user(),
                                hash_method=current_app.config["PASSWORD_HASH_METHOD"])


RESOURCES = [
    Resource("buildings", "/buildings", Building, s.BuildingSchema, s.BuildingArgsSchema),
    Resource("rooms", "/rooms", Room, s.RoomSchema, s.RoomArgsSchema,
             equal_filters=("building_id", "kind", "floor"), search=("name", "class_name"),
             order_by="name"),
    Resource("assets", "/assets", Asset, s.AssetSchema, s.AssetArgsSchema,
             equal_filters=("category", "room_id", "status"), search=("tag", "name"), order_by="tag"),
    Resource("users", "/users", User, s.UserSchema, s.UserArgsSchema, search=("username", "display_name"),
             read_roles=("admin",), order_by="username", create=_create_user, update=_update_user),
]
for resource in RESOURCES:
    register(blp, resource)


@blp.route("/devices")
class Devices(MethodView):
    @token_required("admin")
    @blp.arguments(s.DeviceArgsSchema, location="query")
    @blp.response(200, s.page_schema(s.DeviceSchema, "DevicePage"))
    def get(self, args):
        """Devices that logged in to this school, newest first."""
        stmt = select(Device).order_by(Device.created_at.desc(), Device.id.desc())
        if args.get("user_id"):
            stmt = stmt.where(Device.user_id == args["user_id"])
        if args.get("revoked") is not None:
            stmt = stmt.where(Device.revoked_at.is_not(None) if args["revoked"] else Device.revoked_at.is_(None))
        return catalog.page(db.session, stmt, args["page"], args["per_page"])


@blp.route("/devices/<int:device_id>/revoke", methods=["POST"])
@token_required("admin")
@blp.response(200, s.DeviceSchema)
def revoke_device(device_id: int):
    """Revoke a device: its token gets 401 on every call from now on."""
    device = catalog.get(db.session, Device, device_id)
    accounts.revoke(device)
    db.session.commit()
    return device
