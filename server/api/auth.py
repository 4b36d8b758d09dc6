"""Login and logout of devices (contract: Auth)."""
from __future__ import annotations

from server.api.jsonio import Blueprint
from server.api.schemas import LoginResultSchema, LoginSchema, LoginUserSchema
from server.auth import current_device, current_user, token_required
from server.extensions import db
from server.services import accounts

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Device login")


@blp.route("/login", methods=["POST"])
@blp.arguments(LoginSchema)
@blp.response(200, LoginResultSchema)
def login(data):
    """Log in with a password and get a bearer token bound to a new device."""
    result = accounts.login(db.session, data["username"], data["password"], data["device_name"])
    db.session.commit()
    return result


@blp.route("/logout", methods=["POST"])
@token_required()
@blp.response(204)
def logout():
    """Revoke the calling device's token."""
    accounts.revoke(current_device())
    db.session.commit()


@blp.route("/me", methods=["GET"])
@token_required()
@blp.response(200, LoginUserSchema)
def me():
    """The user behind the token."""
    return current_user()
