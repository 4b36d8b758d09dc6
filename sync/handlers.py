"""Record types a phone can push. Each capability registers a handler: a schema for the record's
`data` and an apply function that writes the domain rows. The batch engine (sync.push) owns
everything else: the uuid ledger, idempotency, savepoints, quarantine, clocks and conflicts.

How an apply function answers:
- return normally (optionally the new `server_version` of a mutable object): `accepted`;
- raise RecordRejected(errors): `rejected`, final, the payload is kept for an admin;
- raise RecordConflict(...): `conflict`, nothing overwritten, both versions kept for an admin;
- raise RecordRetry(reason): not applicable yet (e.g. an update that arrived before the record creating
  its object). The engine holds it: the record is stored in the ledger as `held` (answered `accepted`
  with `"held": true`, so the phone may drop it) and applied again, in arrival order, after later
  pushes of the school, so the end state is that of in-order delivery. A record still held after
  `sync.push.HOLD_FOR` is quarantined for an admin.

An apply function may run more than once for one record (the engine applies a batch optimistically
in one savepoint and replays it record by record when one fails), so it must only write through the
session it is given.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from marshmallow import Schema
from sqlalchemy.orm import Session


class RecordRejected(Exception):
    """The record can never be stored as sent; `errors` are field errors the inspector can read."""

    def __init__(self, errors: dict[str, Any]):
        super().__init__(str(errors))
        self.errors = errors


class RecordConflict(Exception):
    """A change to a mutable object whose server copy moved on since `base_version`."""

    def __init__(self, message: str, *, server_version: int | None, server_data: dict | None = None,
                 object_type: str | None = None, object_id: str | None = None):
        super().__init__(message)
        self.message = message
        self.server_version = server_version
        self.server_data = server_data or {}
        self.object_type = object_type
        self.object_id = object_id


class RecordRetry(Exception):
    """Not yet: something the record needs has not arrived; the engine holds it and applies it later."""


class RunFailed(Exception):
    """Raised by an `apply_many`: the record at `index` of the run cannot be applied, whatever the others
    do (`reason` is its RecordRejected, RecordConflict or RecordRetry). The engine gives that record its
    outcome and applies the rest of the run at once again, instead of one record at a time."""

    def __init__(self, index: int, reason: RecordRejected | RecordConflict | RecordRetry):
        super().__init__(f"record {index}: {reason}")
        self.index, self.reason = index, reason


@dataclass
class ApplyContext:
    """What an apply function may use. The site comes from the token, never from the record. Who pushed
    is given by id: most records need no more, and a handler that needs the user loads it."""

    session: Session
    site_id: int
    user_id: int
    device_id: int | None
    received_at: datetime


@dataclass
class IncomingRecord:
    uuid: str
    type: str
    recorded_at: datetime  # the phone's clock, in UTC
    base_version: int | None
    data: dict  # already loaded by the handler's schema
    raw: dict = field(default_factory=dict)  # the record exactly as the phone sent it
    # The phone's clock was more than a day off the server's: do not trust recorded_at for reports.
    clock_skew: bool = False
    # What the handler's `precheck` worked out for this record, if it ran (a hint, never required).
    prechecked: Any = None


@dataclass(frozen=True)
class RecordHandler:
    type: str
    schema: type[Schema]
    apply: Callable[[ApplyContext, IncomingRecord], int | None]
    # Roles that may push this type (any one of them).
    roles: tuple[str, ...] = ()
    # For mutable objects: apply the phone's version over the server's when an admin takes it.
    force_apply: Callable[[ApplyContext, IncomingRecord], int | None] | None = None
    # Photo hashes the record names; the engine links them and lists missing ones.
    photos: Callable[[dict], list[str]] = field(default=lambda data: list(data.get("photos") or []))
    # Optional, for speed: apply consecutive records of this type at once (one query for all of them),
    # doing exactly what `apply` does for each, in order; returns one server_version (or None) each.
    # If it raises RunFailed, that record gets its outcome and the rest are applied again; if it raises
    # anything else, the engine applies the records one by one with `apply` to find which one failed.
    apply_many: Callable[[ApplyContext, list[IncomingRecord]], list[int | None]] | None = None
    # Optional, for speed: work on consecutive records of this type that needs only what no push changes
    # (e.g. judging answers against an immutable checklist version), given the session and the site. The
    # engine runs it in a read-only transaction before the batch's write transaction, so on SQLite it
    # runs while another worker writes. It may set each record's `prechecked`; apply and apply_many use
    # that when present and do the work themselves when it is None (held records, resolved conflicts).
    precheck: Callable[[Session, int, list[IncomingRecord]], None] | None = None

    @cached_property
    def loader(self) -> Schema:
        """The one instance of `schema` every record of this type is loaded with: building a schema costs
        more than loading a record with it, and loading changes nothing in it."""
        return self.schema()


_handlers: dict[str, RecordHandler] = {}


def register(handler: RecordHandler) -> None:
    _handlers[handler.type] = handler


def get(type_name: str) -> RecordHandler | None:
    return _handlers.get(type_name)


def registered_types() -> list[str]:
    return sorted(_handlers)
