"""Who is calling: bearer device tokens for the API, scoped to the caller's site and roles."""
from __future__ import annotations

from functools import wraps

from flask import g, request

from server.db import begin_call, ready_to_write, scope_session
from server.extensions import db
from server.models import Device, User
from server.services import accounts
from server.services.accounts import Identity
from server.services.errors import Forbidden, Unauthorized


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        # Query-string tokens are deliberately not accepted: they end up in logs and histories.
        raise Unauthorized("a bearer token is required")
    return token.strip()


# Calls that only read; the others write, in a transaction of their own after the token lookup.
READING_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))


def authenticate() -> Identity:
    """Look the token up in the call's first transaction (server.db.begin_call): on SQLite a read-only
    one, which waits for no writer."""
    if not db.session().in_transaction():
        begin_call(db.session, reads_only=request.method in READING_METHODS)
    identity = accounts.identity_for_token(db.session, _bearer_token())
    if identity is None:
        raise Unauthorized("this token is not valid; log in again", code="token_invalid")
    accounts.touch(db.session, identity)
    g.identity = identity
    scope_session(db.session, identity.site_id)
    return identity


def token_required(*roles: str, reads_first: bool = False):
    """Authenticate the bearer token; with roles, the user needs at least one of them. A call that only
    reads goes on in the lookup's read-only transaction; for any other, on SQLite, the lookup's
    transaction ends here, so that the view writes in a transaction that holds the write lock from its
    start, and only while it needs to. A view that `reads_first` (a push reads and judges its batch)
    goes on reading in the lookup's transaction and calls server.db.ready_to_write itself before it
    writes. On PostgreSQL a call that writes goes on in the lookup's transaction (server.db.begin_call)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            identity = authenticate()
            if roles and not identity.roles.intersection(roles):
                raise Forbidden(f"this needs one of the roles: {', '.join(roles)}")
            if request.method not in READING_METHODS and not reads_first:
                ready_to_write(db.session)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def current_user() -> User:
    """The caller as a User, loaded on first use (most calls, photo uploads among them, need only
    g.identity)."""
    if "user" not in g:
        g.user = db.session.get(User, g.identity.user_id)
    return g.user


def current_device() -> Device:
    return db.session.get(Device, g.identity.device_id)


def current_site_id() -> int:
    return g.identity.site_id
