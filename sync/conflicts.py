"""Conflicts an admin resolves, and the quarantine they read: keep the server's copy, or take the
phone's through the handler's `force_apply`."""
from __future__ import annotations

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from server.models.base import as_utc, utcnow
from server.services.errors import Conflict, NotFound, ValidationFailed
from sync import handlers
from sync.handlers import ApplyContext, RecordConflict, RecordRejected, RecordRetry
from sync.models import HELD, SyncConflict, SyncQuarantine, SyncRecord
from sync.records import prepare

CHOICES = ("server", "phone")


def conflicts_query(open_only: bool = True) -> Select:
    """Newest first; the session's site scoping keeps it to the admin's school."""
    stmt = select(SyncConflict).order_by(SyncConflict.id.desc())
    return stmt.where(SyncConflict.resolution.is_(None)) if open_only else stmt


def quarantine_query(reason: str | None = None) -> Select:
    stmt = select(SyncQuarantine).order_by(SyncQuarantine.id.desc())
    return stmt.where(SyncQuarantine.reason == reason) if reason else stmt


def held_query(site_id: int) -> Select:
    """Records stored but not applied yet (see sync.push); they are applied by later pushes."""
    return select(SyncRecord).where(SyncRecord.site_id == site_id, HELD) \
        .order_by(SyncRecord.id)


def resolve(session: Session, conflict_id: int, admin, choice: str) -> SyncConflict:
    """Close a conflict: "server" keeps the server's copy as it is, "phone" applies the phone's version."""
    if choice not in CHOICES:
        raise ValidationFailed("choose server or phone", {"choice": list(CHOICES)})
    conflict = session.scalar(select(SyncConflict).where(SyncConflict.id == conflict_id))
    if conflict is None:
        raise NotFound("no such conflict")
    if conflict.resolution is not None:
        raise Conflict("this conflict was resolved already", {"resolution": conflict.resolution})
    if choice == "phone":
        _take_phone(session, conflict)
    conflict.resolution, conflict.resolved_by_id, conflict.resolved_at = choice, admin.id, utcnow()
    session.flush()
    return conflict


def _take_phone(session: Session, conflict: SyncConflict) -> None:
    handler = handlers.get(conflict.type)
    if handler is None or handler.force_apply is None:
        raise Conflict("this kind of record cannot be forced; change the object by hand",
                       {"type": conflict.type})
    device = conflict.device
    received_at = as_utc(conflict.received_at)
    rec = prepare(0, conflict.payload, frozenset(device.user.roles), received_at)
    if rec.errors is not None:
        raise ValidationFailed("the phone's version is no longer valid", {"fields": rec.errors})
    ctx = ApplyContext(session, conflict.site_id, device.user_id, device.id, received_at)
    try:
        version = handler.force_apply(ctx, rec.incoming)
    except RecordRejected as exc:
        raise ValidationFailed("the phone's version can no longer apply", {"fields": exc.errors}) from exc
    except (RecordConflict, RecordRetry) as exc:
        raise Conflict(f"the phone's version can no longer apply: {exc}") from exc
    session.execute(update(SyncRecord).where(SyncRecord.site_id == conflict.site_id,
                                             SyncRecord.uuid == conflict.uuid)
                    .values(status="accepted", result={"server_version": version} if version else None))
