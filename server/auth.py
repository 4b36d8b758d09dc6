"""Who is calling: bearer device tokens for the API, scoped to the caller's site and roles."""
from __future__ import annotations

from functools import wraps

from flask import g, request

from server.db import scope_session
from server.extensions import db
from server.models import Device, User
from server.services import accounts
from server.services.errors import Forbidden, Unauthorized


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        # Query-string tokens are deliberately not accepted: they end up in logs and histories.
        raise Unauthorized("a bearer token is required")
    return token.strip()


def authenticate() -> Device:
    device = accounts.device_for_token(db.session, _bearer_token())
    if device is None:
        raise Unauthorized("this token is not valid; log in again", code="token_invalid")
    accounts.touch(db.session, device)
    g.device, g.user = device, device.user
    scope_session(db.session, device.site_id)
    return device


def token_required(*roles: str):
    """Authenticate the bearer token; with roles, the user needs at least one of them."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            device = authenticate()
            if roles and not device.user.has_role(*roles):
                raise Forbidden(f"this needs one of the roles: {', '.join(roles)}")
            return view(*args, **kwargs)

        return wrapper

    return decorator


def current_user() -> User:
    return g.user


def current_site_id() -> int:
    return g.user.site_id
