"""Users, passwords and device tokens."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from server.db import reading
from server.models import ROLES, Device, LoginFailure, Site, User, as_utc, utcnow
from server.services.errors import RateLimited, Unauthorized, ValidationFailed

# A hash to compare against when the username is unknown, so a miss costs as long as a hit.
_DUMMY_HASH = generate_password_hash("not-a-password")


def hash_token(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough; passwords get a slow one.
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str, method: str = "scrypt") -> str:
    return generate_password_hash(password, method=method)


def create_user(session: Session, site: Site, username: str, password: str, roles: list[str], *,
                display_name: str | None = None, hash_method: str = "scrypt") -> User:
    bad = sorted(set(roles) - set(ROLES))
    if bad or not roles:
        raise ValidationFailed("unknown or missing roles", {"fields": {"roles": [f"use {', '.join(ROLES)}"]}})
    if len(password) < 8:
        raise ValidationFailed("password too short", {"fields": {"password": ["at least 8 characters"]}})
    if session.scalar(select(User.id).where(User.username == username).execution_options(all_sites=True)):
        raise ValidationFailed("username taken", {"fields": {"username": ["already in use"]}})
    user = User(site_id=site.id, username=username, display_name=display_name or username,
                password_hash=hash_password(password, hash_method))
    user.roles = roles
    session.add(user)
    return user


def create_user_from_form(session: Session, site: Site, data: dict, hash_method: str) -> User:
    """A new user from validated admin input (API or console)."""
    if not data.get("password"):
        raise ValidationFailed("password is required", {"fields": {"password": ["required for a new user"]}})
    user = create_user(session, site, data["username"], data["password"], data["roles"],
                       display_name=data.get("display_name"), hash_method=hash_method)
    user.active, user.phone = data.get("active", True), data.get("phone")
    session.flush()
    return user


def update_user(session: Session, user: User, data: dict, *, acting: User, hash_method: str) -> User:
    if "username" in data and data["username"] != user.username:
        raise ValidationFailed("usernames cannot change", {"fields": {"username": ["cannot change"]}})
    locks_out = data.get("active") is False or "admin" not in data.get("roles", ["admin"])
    if user.id == acting.id and locks_out:
        raise ValidationFailed("you cannot lock yourself out", {"fields": {"roles": ["keep your own admin role"]}})
    password = data.pop("password", None)
    if password:
        user.password_hash = hash_password(password, hash_method)
    for key in ("display_name", "roles", "active", "phone"):
        if key in data:
            setattr(user, key, data[key])
    session.flush()
    return user


@dataclass
class LoginResult:
    token: str
    device: Device
    user: User


MAX_FAILURES = 10
FAILURE_WINDOW = timedelta(minutes=15)


def _throttle(session: Session, username: str) -> None:
    since = utcnow() - FAILURE_WINDOW
    failures = session.scalar(select(func.count(LoginFailure.id)).where(
        LoginFailure.username == username, LoginFailure.at >= since))
    if failures >= MAX_FAILURES:
        raise RateLimited("too many wrong passwords; wait a quarter of an hour",
                          {"retry_after_seconds": int(FAILURE_WINDOW.total_seconds())})


def check_password(session: Session, username: str, password: str) -> User | None:
    """The active user with that password, else None; failures are counted and throttled (429). The
    hash is checked with no transaction open: scrypt takes about a tenth of a second of CPU on purpose,
    and on SQLite a writing transaction holds the one write lock all that time (fifty phones logging in
    at once queued every push behind them)."""
    with reading(session):
        _throttle(session, username)
        user = session.scalar(select(User).where(User.username == username).execution_options(all_sites=True))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
    elif user.active and check_password_hash(user.password_hash, password):
        return user
    session.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - FAILURE_WINDOW))
    session.add(LoginFailure(username=username))
    # Failures must be kept even though the caller's request ends in an error.
    session.commit()
    return None


def login(session: Session, username: str, password: str, device_name: str) -> LoginResult:
    user = check_password(session, username, password)
    if user is None:
        raise Unauthorized("wrong username or password")
    token = secrets.token_urlsafe(32)
    device = Device(site_id=user.site_id, user_id=user.id, name=device_name,
                    token_hash=hash_token(token), last_seen_at=utcnow())
    session.add(device)
    return LoginResult(token, device, user)


@dataclass(frozen=True)
class Identity:
    """Who holds a live token, as plain values: valid after the lookup's transaction has ended."""

    site_id: int
    user_id: int
    device_id: int
    roles: frozenset[str]
    last_seen_at: datetime | None


def _token_query():
    device, user = Device.__table__, User.__table__
    return (select(device.c.site_id, device.c.user_id, device.c.id, user.c.roles, device.c.last_seen_at)
            .join_from(device, user, device.c.user_id == user.c.id)
            .where(device.c.token_hash == bindparam("token_hash"), device.c.revoked_at.is_(None),
                   user.c.active.is_(True)))


# Built once: constructing the statement cost as much as running it.
_TOKEN_QUERY = _token_query()


def identity_for_token(session: Session, token: str) -> Identity | None:
    """Who a bearer token belongs to; revoked devices and inactive users get None. A plain query: it
    runs before every API call (a phone uploads a hundred photos after a round), and loading the device
    and its user as ORM objects cost more than the photo's own database work."""
    row = session.connection().execute(_TOKEN_QUERY, {"token_hash": hash_token(token)}).first()
    if row is None:
        return None
    roles = frozenset(r for r in row.roles.split(",") if r)
    return Identity(row.site_id, row.user_id, row.id, roles, row.last_seen_at)


def touch(session: Session, identity: Identity) -> None:
    """Note that the device called, to a minute's precision. Written and committed on a connection of
    its own, so the caller's transaction stays read-only: a pull, and the token lookup of every call,
    then never waits for SQLite's write lock (server.db.begin_read_only)."""
    now = utcnow()
    last = identity.last_seen_at
    if last is None or (now - as_utc(last)).total_seconds() > 60:
        with session.get_bind().begin() as conn:
            conn.execute(update(Device).where(Device.id == identity.device_id).values(last_seen_at=now))


def revoke(device: Device) -> None:
    if device.revoked_at is None:
        device.revoked_at = utcnow()
