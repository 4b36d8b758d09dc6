"""Batch push: the uuid ledger, batch replay, handler apply with savepoints, quarantine, conflicts,
held records and photo links, all in the one transaction of the session it is given (the caller
commits). Contract: ../shared/contract/sync-api.md, "Push".

How a batch is stored, fast and exactly once:
1. The batch row (device, batch_id) is claimed first; a batch seen before is answered from the stored
   answer (same body) or refused (different body).
2. Every record is read and validated in memory (sync.records).
3. All uuids go into the ledger in one INSERT … ON CONFLICT DO NOTHING RETURNING: what comes back is
   new, the rest was stored before (a duplicate, or a conflict if the content differs). On PostgreSQL
   a concurrent push of the same uuid waits on the unique index, so a uuid is applied once.
4. New records are applied optimistically in one savepoint. When one raises, its outcome is noted and
   the rest is applied again without it; after a few rounds, or on a database error, each record gets
   a savepoint of its own.
5. Outcomes other than a plain `accepted` update the ledger and write quarantine, conflict rows; held
   records of the school are applied again.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import DataError, SQLAlchemyError
from sqlalchemy.orm import Session

from server.models.base import as_utc, utcnow
from sync import feed
from sync.handlers import (
    ApplyContext,
    IncomingRecord,
    RecordConflict,
    RecordHandler,
    RecordRejected,
    RecordRetry,
    RunFailed,
)
from sync.models import HELD, AttachmentLink, SyncBatch, SyncConflict, SyncQuarantine, SyncRecord
from sync.records import USED_UUID, Prepared, answer_for_known, prepare
from sync.sql import insert_if_new, insert_new, insert_rows, rows_by_key

log = logging.getLogger(__name__)

# A held record not applicable after this long is quarantined for an admin.
HOLD_FOR = timedelta(days=7)
# Held records tried again per push, oldest first; bounds the work one push does for others.
HELD_PER_PUSH = 200
# Optimistic rounds (each drops the record that failed) before falling back to one savepoint each.
MAX_BULK_ROUNDS = 3


LEDGER_COLUMNS = ("site_id", "uuid", "device_id", "user_id", "type", "content_hash", "status", "recorded_at_text",
                  "recorded_at", "received_at", "clock_skew", "result", "payload", "attempts")
LINK_COLUMNS = ("site_id", "record_uuid", "sha256", "record_type")
UNSTORABLE = "holds a value the database cannot store (e.g. a NUL character or a number out of range)"


class BatchMismatch(Exception):
    """This device already sent this batch_id with a different body."""


@dataclass(frozen=True)
class Caller:
    """Who pushes; everything comes from the token, never from the body."""

    site_id: int
    user_id: int
    device_id: int
    roles: frozenset[str]


@dataclass
class Batch:
    """A batch read and validated in memory, before any database work (see read_batch)."""

    records: list[Prepared]
    body_hash: str
    received_at: datetime


@dataclass
class Outcome:
    """What became of one new record."""

    status: str  # accepted | rejected | conflict | held
    server_version: int | None = None
    errors: dict | None = None
    conflict: RecordConflict | None = None
    held_reason: str | None = None
    quarantine_reason: str = "rejected"

    def result(self) -> dict | None:
        """What the ledger keeps, to answer a resend of the same content the same way."""
        result = {k: v for k, v in (("server_version", self.server_version), ("errors", self.errors),
                                    ("held", self.held_reason)) if v is not None}
        return result or None

    def answer(self, sent_uuid: Any) -> dict:
        answer: dict[str, Any] = {"uuid": sent_uuid, "status": "accepted" if self.status == "held" else self.status}
        if self.errors is not None:
            answer["errors"] = self.errors
        if self.server_version is not None:
            answer["server_version"] = self.server_version
        if self.status == "held":
            answer["held"] = True
        return answer


@dataclass(frozen=True)
class Known:
    """A uuid the ledger holds: how the first content was answered."""

    content_hash: str
    status: str
    result: dict | None


class _RecordFailed(Exception):
    def __init__(self, record: Prepared, outcome: Outcome):
        self.record, self.outcome = record, outcome


def read_batch(records: list, roles: frozenset[str], received_at: datetime | None = None) -> Batch:
    """Read and validate every record; needs no database, so it can run before the write transaction."""
    received_at = received_at or utcnow()
    prepared = [prepare(i, raw, roles, received_at) for i, raw in enumerate(records)]
    return Batch(prepared, batch_hash(prepared), received_at)


def precheck(session: Session, caller: Caller, batch: Batch) -> None:
    """Let handlers do, before the write transaction, the part of applying that reads only what no push
    changes (RecordHandler.precheck). Run it before the write transaction: on SQLite in a read-only one
    (the API runs it in the token lookup's, server.auth.token_required(reads_first=True))."""
    valid = [p for p in batch.records if p.errors is None]
    for _, run in groupby(valid, key=lambda p: p.type):
        run = list(run)
        if run[0].handler.precheck is not None:
            _precheck_run(session, caller.site_id, run[0].handler, [p.incoming for p in run])


def _precheck_run(session: Session, site_id: int, handler: RecordHandler, run: list[IncomingRecord]) -> None:
    """A handler's precheck is only a head start: if its code fails, applying does the work itself,
    record by record where need be, and a record it cannot apply is held, not lost. (A database error
    is not caught: the transaction may be unusable, and the phone sends the batch again later.)"""
    try:
        handler.precheck(session, site_id, run)
    except SQLAlchemyError:
        raise
    except Exception:
        log.exception("precheck of %d %s records failed; applying does the work", len(run), handler.type)
        for incoming in run:
            incoming.prechecked = None


def push(session: Session, caller: Caller, batch_id: str, batch: Batch) -> dict:
    """Store one batch and return the answer (`batch_id`, `results`, `cursor`)."""
    if not _claim_batch(session, caller, batch_id, batch.body_hash, batch.received_at):
        # Sent before, or by a twin of this request that committed while we waited for its lock.
        return _replay(session, caller, batch_id, batch.body_hash)
    ctx = ApplyContext(session, caller.site_id, caller.user_id, caller.device_id, batch.received_at)
    results = _store(session, ctx, batch.records)
    if any(r["status"] == "accepted" for r in results):
        retry_held(session, caller.site_id)
    answer = {"batch_id": batch_id, "results": results, "cursor": feed.current_cursor(session, caller.site_id)}
    session.connection().execute(_KEEP_ANSWER, {"device": caller.device_id, "batch": batch_id, "answer": answer})
    return answer


# -- batches ------------------------------------------------------------------------------------

_KEEP_ANSWER = update(SyncBatch.__table__).where(
    SyncBatch.__table__.c.device_id == bindparam("device"), SyncBatch.__table__.c.batch_id == bindparam("batch")
).values(answer=bindparam("answer"))


def batch_hash(prepared: list[Prepared]) -> str:
    """What "the same body" means: the same records in the same order (key order and spacing aside)."""
    digest = hashlib.sha256()
    for p in prepared:
        digest.update(f"{p.sent_uuid!r}:{p.content_hash}\n".encode())
    return digest.hexdigest()


def _replay(session: Session, caller: Caller, batch_id: str, body_hash: str) -> dict:
    row = session.execute(select(SyncBatch.body_hash, SyncBatch.answer).where(
        SyncBatch.device_id == caller.device_id, SyncBatch.batch_id == batch_id)).one()
    if row.body_hash != body_hash:
        raise BatchMismatch(batch_id)
    return row.answer


def _claim_batch(session: Session, caller: Caller, batch_id: str, body_hash: str, received_at: datetime) -> bool:
    row = {"site_id": caller.site_id, "device_id": caller.device_id, "batch_id": batch_id, "body_hash": body_hash,
           "received_at": received_at}
    return insert_if_new(session.connection(), SyncBatch.__table__, row)


# -- the ledger ---------------------------------------------------------------------------------

def _store(session: Session, ctx: ApplyContext, prepared: list[Prepared]) -> list[dict]:
    firsts, repeats = _split_repeats(prepared)
    keyed = [p for p in firsts if p.uuid]
    inserted = _insert_ledger(session, ctx, keyed)
    known = _known(session, ctx.site_id, [p.uuid for p in keyed if p.uuid not in inserted])
    outcomes = {p.index: Outcome("rejected", errors=p.errors)
                for p in firsts if p.errors is not None and (p.uuid is None or p.uuid in inserted)}
    outcomes.update(_apply_batch(session, ctx, [p for p in keyed if p.errors is None and p.uuid in inserted]))
    by_index = {p.index: p for p in prepared}
    pairs = [(by_index[i], o) for i, o in outcomes.items()]
    record_outcomes(session, ctx, pairs)
    _link_photos(session, ctx.site_id, [p for p, o in pairs if o.status in ("accepted", "held")])
    for p in keyed:
        if p.index in outcomes:
            known[p.uuid] = Known(p.content_hash, outcomes[p.index].status, outcomes[p.index].result())
    results: list[dict] = [{}] * len(prepared)
    for i, outcome in outcomes.items():
        results[i] = outcome.answer(by_index[i].sent_uuid)
    reused = []
    for p in [*(p for p in keyed if p.index not in outcomes), *repeats]:
        first = known[p.uuid]
        results[p.index] = answer_for_known(p.sent_uuid, p.content_hash, first.content_hash, first.status,
                                            first.result)
        if p.content_hash != first.content_hash:
            reused.append(p)
    _quarantine(session, ctx, [(p, USED_UUID) for p in reused], "uuid_reused")
    return results


def _split_repeats(prepared: list[Prepared]) -> tuple[list[Prepared], list[Prepared]]:
    """The first record of each uuid, and the later ones of the same batch (answered like a resend)."""
    seen: set[str] = set()
    firsts, repeats = [], []
    for p in prepared:
        if p.uuid and p.uuid in seen:
            repeats.append(p)
        else:
            firsts.append(p)
            if p.uuid:
                seen.add(p.uuid)
    return firsts, repeats


def _insert_ledger(session: Session, ctx: ApplyContext, records: list[Prepared]) -> set[str]:
    """Insert the uuids not seen before; return those (the new ones)."""
    if not records:
        return set()
    # In batch order: ledger ids are arrival order, which held records are applied in. (Two batches
    # sending shared uuids in opposite orders at the same moment can deadlock on PostgreSQL; one is
    # then rolled back whole and answered 5xx, and the phone sends it again.)
    rows = [(ctx.site_id, p.uuid, ctx.device_id, ctx.user_id, (p.type or "")[:32], p.content_hash,
             "rejected" if p.errors is not None else "accepted", p.recorded_at_text, p.recorded_at,
             ctx.received_at, p.clock_skew, {"errors": p.errors} if p.errors is not None else None, None, 0)
            for p in records]
    return set(insert_new(session.connection(), SyncRecord.__table__, LEDGER_COLUMNS, rows,
                          unique=("site_id", "uuid"), returning="uuid"))


def _known(session: Session, site_id: int, uuids: list[str]) -> dict[str, Known]:
    rows = rows_by_key(session.connection(), SyncRecord.__table__, ("uuid", "content_hash", "status", "result"),
                       site_id, "uuid", uuids)
    return {r.uuid: Known(r.content_hash, r.status, r.result) for r in rows}


# -- applying -----------------------------------------------------------------------------------

def _apply_batch(session: Session, ctx: ApplyContext, records: list[Prepared]) -> dict[int, Outcome]:
    outcomes: dict[int, Outcome] = {}
    remaining = list(records)
    for _ in range(MAX_BULK_ROUNDS):
        try:
            versions = _apply_in_one_savepoint(session, ctx, remaining)
        except _RecordFailed as failed:
            outcomes[failed.record.index] = failed.outcome
            remaining.remove(failed.record)
            continue
        except Exception:  # a database error names no record: find it one savepoint at a time
            break
        outcomes.update({p.index: Outcome("accepted", server_version=v)
                         for p, v in zip(remaining, versions, strict=True)})
        return outcomes
    outcomes.update({p.index: apply_one(session, ctx, p) for p in remaining})
    return outcomes


def _apply_in_one_savepoint(session: Session, ctx: ApplyContext, records: list[Prepared]) -> list[int | None]:
    versions: list[int | None] = []
    with feed.savepoint(session):
        for _, run in groupby(records, key=lambda p: p.type):
            versions += _apply_run(ctx, list(run))
        session.flush()
    return versions


def _apply_run(ctx: ApplyContext, run: list[Prepared]) -> list[int | None]:
    """Consecutive records of one type: through the handler's apply_many when it has one (an error
    there other than RunFailed names no record, so the caller falls back to one savepoint each), else
    one by one."""
    handler = run[0].handler
    if handler.apply_many is not None and len(run) > 1:
        try:
            return list(handler.apply_many(ctx, [p.incoming for p in run]))
        except RunFailed as failed:
            raise _RecordFailed(run[failed.index], _outcome_of(failed.reason)) from failed
    versions = []
    for p in run:
        try:
            versions.append(handler.apply(ctx, p.incoming))
        except (RecordRejected, RecordConflict, RecordRetry) as exc:
            raise _RecordFailed(p, _outcome_of(exc)) from exc
    return versions


def apply_one(session: Session, ctx: ApplyContext, p: Prepared) -> Outcome:
    """Apply one record in a savepoint of its own; whatever happens becomes its outcome."""
    try:
        with feed.savepoint(session):
            version = p.handler.apply(ctx, p.incoming)
            session.flush()
    except (RecordRejected, RecordConflict, RecordRetry) as exc:
        return _outcome_of(exc)
    except (DataError, OverflowError):
        # The database refuses the value itself (a NUL in PostgreSQL text, a number out of range; SQLite's
        # driver raises OverflowError for an integer beyond 64 bits): it would fail every time, so the
        # answer is final and the payload is quarantined.
        return Outcome("rejected", errors={"data": [UNSTORABLE]})
    except Exception:
        # Kept, not lost: the record is held and applied again after a later push.
        log.exception("applying %s record %s failed", p.type, p.uuid)
        return Outcome("held", held_reason="server_error")
    return Outcome("accepted", server_version=version)


def _outcome_of(exc: Exception) -> Outcome:
    if isinstance(exc, RecordRejected):
        return Outcome("rejected", errors=exc.errors)
    if isinstance(exc, RecordConflict):
        return Outcome("conflict", server_version=exc.server_version, conflict=exc,
                       errors={"base_version": [exc.message]})
    return Outcome("held", held_reason=str(exc)[:200] or "waiting")


# -- recording outcomes -------------------------------------------------------------------------

def record_outcomes(session: Session, ctx: ApplyContext, pairs: list[tuple[Prepared, Outcome]],
                    ledger_status: str = "accepted") -> None:
    """Write what the outcomes mean: ledger status, quarantine, conflicts. The ledger rows say
    `ledger_status` already (new records went in as accepted), so only the others are updated."""
    changed = [(p, o) for p, o in pairs
               if p.uuid and (o.status != ledger_status or o.server_version is not None or o.status == "held")]
    if changed:
        session.connection().execute(
            update(SyncRecord).where(SyncRecord.site_id == ctx.site_id, SyncRecord.uuid == bindparam("k"))
            .values(status=bindparam("s"), result=bindparam("r"), payload=bindparam("p"),
                    attempts=SyncRecord.attempts + 1),
            [{"k": p.uuid, "s": o.status, "r": o.result(), "p": p.raw if o.status == "held" else None}
             for p, o in changed])
    for reason in ("rejected", "never_applied"):
        _quarantine(session, ctx, [(p, o.errors or {}) for p, o in pairs
                                   if o.status == "rejected" and o.quarantine_reason == reason], reason)
    _write_conflicts(session, ctx, [(p, o.conflict) for p, o in pairs if o.conflict is not None])


def _quarantine(session: Session, ctx: ApplyContext, records: list[tuple[Prepared, dict]], reason: str) -> None:
    if not records:
        return
    session.connection().execute(SyncQuarantine.__table__.insert(), [
        {"site_id": ctx.site_id, "uuid": _as_text(p.sent_uuid, 64), "type": _as_text(p.type, 64),
         "device_id": ctx.device_id, "user_id": ctx.user_id, "reason": reason, "errors": errors,
         "payload": p.raw, "received_at": ctx.received_at}
        for p, errors in records])


def _as_text(value: Any, limit: int) -> str | None:
    """A value as sent, as a text column can hold it: cut to `limit`, an unpaired surrogate or a NUL
    character (which PostgreSQL's text refuses) replaced."""
    if value is None:
        return None
    return str(value)[:limit].encode("utf-8", "replace").decode().replace("\x00", "\ufffd")


def _write_conflicts(session: Session, ctx: ApplyContext, pairs: list[tuple[Prepared, RecordConflict]]) -> None:
    if not pairs:
        return
    session.connection().execute(SyncConflict.__table__.insert(), [
        {"site_id": ctx.site_id, "uuid": p.uuid, "type": p.type, "device_id": ctx.device_id,
         "user_id": ctx.user_id, "object_type": exc.object_type, "object_id": exc.object_id,
         "message": exc.message[:500], "base_version": p.incoming.base_version,
         "server_version": exc.server_version, "server_data": exc.server_data, "payload": p.raw,
         "received_at": ctx.received_at, "resolution": None, "resolved_by_id": None, "resolved_at": None}
        for p, exc in pairs])


def _link_photos(session: Session, site_id: int, records: list[Prepared]) -> None:
    """Link the photos of records new to the ledger in this transaction, which no link can name yet: a
    plain bulk insert, with no conflict to look for. (A held record was linked when it was first held.)"""
    rows = [(site_id, p.uuid, sha, p.type) for p in records for sha in dict.fromkeys(p.photos)]
    insert_rows(session.connection(), AttachmentLink.__table__, LINK_COLUMNS, rows)


# -- held records -------------------------------------------------------------------------------

_HELD_IDS = select(SyncRecord.__table__.c.id).where(SyncRecord.__table__.c.site_id == bindparam("site_id"), HELD) \
    .order_by(SyncRecord.__table__.c.id).limit(HELD_PER_PUSH)


def retry_held(session: Session, site_id: int, now: datetime | None = None) -> None:
    """Apply held records of the school again, oldest first; quarantine those held too long."""
    from server.models import Device

    now = now or utcnow()
    # Almost always there are none: a plain query finds out before any ORM work.
    ids = session.connection().execute(_HELD_IDS, {"site_id": site_id}).scalars().all()
    if not ids:
        return
    held = session.scalars(select(SyncRecord).where(SyncRecord.id.in_(ids)).order_by(SyncRecord.id)).all()
    for row in held:
        device = session.get(Device, row.device_id)
        ctx = ApplyContext(session, site_id, device.user_id, device.id, as_utc(row.received_at))
        p = prepare(0, row.payload, frozenset(device.user.roles), ctx.received_at)
        outcome = Outcome("rejected", errors=p.errors) if p.errors is not None else apply_one(session, ctx, p)
        if outcome.status == "held" and now - ctx.received_at > HOLD_FOR:
            outcome = Outcome("rejected", errors={"record": [f"could not be applied: {outcome.held_reason}"]},
                              quarantine_reason="never_applied")
        record_outcomes(session, ctx, [(p, outcome)], ledger_status="held")
