"""The pull feed: every insert, update and delete of a Syncable object is recorded per site, and a
cursor walks that record without skipping or repeating a change.

Why it never skips on PostgreSQL: a plain sequence can hand seq 11 to a transaction that commits
before the one holding seq 10, and a reader between the two commits would move its cursor past 10
for good. Here seqs come from one counter row per site, and every writing transaction locks that row
(before its first flush writes anything, so the lock order is always counter-first and writers cannot
deadlock) and keeps the lock until it commits. Within a site, seq order is therefore commit order,
and a reader that sees seq N has already seen everything below N. SQLite gets the same guarantee
from its single writer (transactions begin IMMEDIATE, see server.db).
"""
from __future__ import annotations

import base64
import binascii
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema
from sqlalchemy import Row, bindparam, delete, event, inspect, select, update
from sqlalchemy.orm import Session

from server.models.base import Syncable
from sync.models import SyncChange, SyncSiteCounter, new_epoch
from sync.schema import dumper
from sync.sql import dialect_insert, objects_by_key

_LOCKED_SITES = "sync_locked_sites"


class CursorError(ValueError):
    """A cursor that is not one of ours (400)."""


class CursorExpired(Exception):
    """A cursor older than the tombstones the server still keeps (410 reset_required)."""


@dataclass(frozen=True)
class PullType:
    """How one object type reaches phones: its model and how to turn a row into `data`."""

    name: str
    model: type
    dump: Callable[[Any], dict]
    # Loader options (e.g. selectinload) for the relationships `dump` reads: without them a page of
    # 500 objects lazy-loads one row per object.
    options: tuple = ()
    # True when `dump` and the model's `visible_to` read only the object's own row (and what never
    # changes once set), not the viewer: one version then always looks the same to every phone, and is
    # kept for the next one (see DumpCache).
    same_per_version: bool = False


_pull_types: dict[str, PullType] = {}


def register_pull_type(name: str, model: type, schema: Schema, options: tuple = (),
                       same_per_version: bool = False) -> None:
    """Phones pull objects of `model` as `name`, their `data` what `schema` dumps."""
    _pull_types[name] = PullType(name, model, dumper(schema), tuple(options), same_per_version)


class DumpCache:
    """What recent versions of objects look like to phones (their `data`, and whether phones hold them),
    least recently used dropped first. Every phone of a school pulls the same rooms, assets and
    checklists; loading and dumping them was nearly all of a first pull, done again for each phone.
    Kept only for types that are `same_per_version`, keyed by type, id and version: every change bumps
    the version, so nothing is served stale, and a hit needs no object at all (the feed row carries the
    version). The key starts with the site counter's epoch, drawn at random when the row is made: a
    database emptied or made anew under a running server (tests do it between tests) starts over at
    id 1, version 1, in another epoch. (A backup restored under running servers does not: restart
    them.) The dicts are shared between answers and must not be changed. Per process; a lock, since the
    dev server runs threads."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[tuple[int, str, str, int], tuple[dict, bool]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[int, str, str, int]) -> tuple[dict, bool] | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def put(self, key: tuple[int, str, str, int], data: dict, visible: bool) -> None:
        with self._lock:
            self._items[key] = (data, visible)
            if len(self._items) > self.size:
                self._items.popitem(last=False)


class _AnyViewer:
    """The viewer a `same_per_version` type is shown to: every phone at once. Its visibility is kept and
    reused for all, so a visible_to that reads the viewer fails here, loudly, rather than showing one
    phone's answer to the others."""

    def __getattr__(self, name: str):
        raise TypeError(f"visible_to reads the viewer ({name}): such a type cannot be same_per_version")


ANY_VIEWER = _AnyViewer()

# Room for a large school's rooms, assets, labels and checklists (about 1 KB each).
dumps = DumpCache(size=20_000)


# -- recording changes -------------------------------------------------------------------------

def _site_ids_touched(session: Session) -> set[int]:
    sites = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Syncable) and obj.site_id is not None:
            sites.add(obj.site_id)
            sites.update(_previous_site_ids(obj))
    return sites


def _previous_site_ids(obj: Syncable) -> list[int]:
    history = inspect(obj).attrs.site_id.history
    return [s for s in history.deleted if s is not None]


def _lock_counters(session: Session, site_ids: set[int]) -> None:
    """Take each site's counter row lock before anything else is written (see module doc)."""
    locked = session.info.setdefault(_LOCKED_SITES, set())
    for site_id in sorted(site_ids - locked):
        conn = session.connection()
        stmt = dialect_insert(conn, SyncSiteCounter).values(site_id=site_id, last_seq=0, forgotten_seq=0,
                                                            epoch=new_epoch())
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["site_id"], set_={"last_seq": SyncSiteCounter.last_seq}))
        locked.add(site_id)


@dataclass
class _Pending:
    site_id: int
    object_type: str
    object_id: str
    version: int
    deleted: bool


def _pending_changes(session: Session) -> list[_Pending]:
    out: list[_Pending] = []
    for obj in session.new:
        if isinstance(obj, Syncable):
            out.append(_Pending(obj.site_id, obj.__sync_type__, obj.sync_id(), obj.version, False))
    for obj in session.dirty:
        if isinstance(obj, Syncable) and session.is_modified(obj, include_collections=False):
            out.append(_Pending(obj.site_id, obj.__sync_type__, obj.sync_id(), obj.version, False))
            out.extend(_Pending(old, obj.__sync_type__, obj.sync_id(), obj.version, True)
                       for old in _previous_site_ids(obj) if old != obj.site_id)
    for obj in session.deleted:
        if isinstance(obj, Syncable):
            out.append(_Pending(obj.site_id, obj.__sync_type__, obj.sync_id(), obj.version + 1, True))
    return out


def _allocate(conn, site_id: int, count: int) -> int:
    """Reserve `count` seqs for the site and return the first."""
    last = conn.execute(
        update(SyncSiteCounter).where(SyncSiteCounter.site_id == site_id)
        .values(last_seq=SyncSiteCounter.last_seq + count).returning(SyncSiteCounter.last_seq)
    ).scalar_one()
    return last - count + 1


def _write_changes(session: Session, pending: list[_Pending]) -> None:
    conn = session.connection()
    by_site: dict[int, list[_Pending]] = {}
    for p in pending:
        by_site.setdefault(p.site_id, []).append(p)
    for site_id, changes in by_site.items():
        seq = _allocate(conn, site_id, len(changes))
        rows = [dict(site_id=site_id, object_type=c.object_type, object_id=c.object_id,
                     version=c.version, deleted=c.deleted, seq=seq + i) for i, c in enumerate(changes)]
        stmt = dialect_insert(conn, SyncChange)
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["site_id", "object_type", "object_id"],
            set_={"seq": stmt.excluded.seq, "version": stmt.excluded.version,
                  "deleted": stmt.excluded.deleted}), rows)


def _before_flush(session: Session, flush_context, instances) -> None:
    sites = _site_ids_touched(session)
    if sites:
        _lock_counters(session, sites)


def _after_flush(session: Session, flush_context) -> None:
    pending = _pending_changes(session)
    if pending:
        _write_changes(session, pending)


def _forget_locks(session: Session, *args) -> None:
    session.info.pop(_LOCKED_SITES, None)


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """`session.begin_nested()` that keeps the counter-first lock order: PostgreSQL releases a row
    lock taken inside a savepoint that rolls back, so such a lock is forgotten and taken again first."""
    locked = set(session.info.get(_LOCKED_SITES, ()))
    try:
        with session.begin_nested():
            yield
    except BaseException:
        session.info[_LOCKED_SITES] = locked
        raise


def install(session_class) -> None:
    """Record changes of Syncable objects for every session of `session_class`."""
    event.listen(session_class, "before_flush", _before_flush)
    event.listen(session_class, "after_flush", _after_flush)
    event.listen(session_class, "after_commit", _forget_locks)
    event.listen(session_class, "after_rollback", _forget_locks)


# -- reading the feed ---------------------------------------------------------------------------

def encode_cursor(site_id: int, seq: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{site_id}:{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, site_id: int) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        tag, site, seq = raw.split(":")
        if tag != "v1" or int(site) != site_id or int(seq) < 0:
            raise ValueError
        return int(seq)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise CursorError("cursor is not valid for this school") from exc


@dataclass
class PullPage:
    cursor: str
    has_more: bool
    changes: list[dict] = field(default_factory=list)
    deleted: list[dict] = field(default_factory=list)


_COUNTER = SyncSiteCounter.__table__.c
_LAST_SEQ = select(_COUNTER.last_seq).where(_COUNTER.site_id == bindparam("site_id"))


# Built once, as plain rows (not ORM objects: a first pull reads thousands and needs only these
# columns): building the statements and their cache keys for every pull cost more than running them.
_FORGOTTEN_AND_EPOCH = select(_COUNTER.forgotten_seq, _COUNTER.epoch).where(_COUNTER.site_id == bindparam("site_id"))
_CHANGE = SyncChange.__table__.c
_CHANGES = (select(_CHANGE.seq, _CHANGE.object_type, _CHANGE.object_id, _CHANGE.version, _CHANGE.deleted)
            .where(_CHANGE.site_id == bindparam("site_id"), _CHANGE.seq > bindparam("after"))
            .order_by(_CHANGE.seq).limit(bindparam("rows")))


def current_cursor(session: Session, site_id: int) -> str:
    last = session.connection().scalar(_LAST_SEQ, {"site_id": site_id})
    return encode_cursor(site_id, last or 0)


def pull(session: Session, site_id: int, viewer: Callable[[], Any], cursor: str | None, limit: int) -> PullPage:
    """One page of changes after `cursor` that the viewer may see; hidden objects come as deletions.
    `viewer` gives the viewer (the API's: the caller as a User), asked only for an object whose
    visibility depends on who looks: a pull of a day's changes to rooms never needs it, and loading
    the caller cost a fifth of such a pull."""
    after = decode_cursor(cursor, site_id) if cursor else 0
    conn = session.connection()
    counter = conn.execute(_FORGOTTEN_AND_EPOCH, {"site_id": site_id}).first()
    if counter is None:  # nothing has changed in this school yet
        return PullPage(cursor=encode_cursor(site_id, after), has_more=False)
    if cursor and after < counter.forgotten_seq:
        raise CursorExpired()
    rows = conn.execute(_CHANGES, {"site_id": site_id, "after": after, "rows": limit + 1}).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    page = PullPage(cursor=encode_cursor(site_id, rows[-1].seq if rows else after), has_more=has_more)
    for row, (data, visible) in zip(rows, _views(session, site_id, counter.epoch, viewer, rows), strict=True):
        if visible:
            page.changes.append({"type": row.object_type, "id": row.object_id, "version": row.version, "data": data})
        elif cursor:  # a first pull has nothing to delete
            page.deleted.append({"type": row.object_type, "id": row.object_id})
    return page


def _views(session: Session, site_id: int, epoch: int, viewer: Callable[[], Any],
           rows: list[Row]) -> list[tuple[dict | None, bool]]:
    """For each feed row, the object's `data` and whether the viewer may hold it: from DumpCache where it
    can, else from the object, loaded with the others that missed."""
    views: list[tuple[dict | None, bool] | None] = [
        dumps.get(_cache_key(epoch, row)) if _same_per_version(row) else None for row in rows]
    objects = _load_objects(session, site_id, [row for row, view in zip(rows, views, strict=True) if view is None])
    for i, row in enumerate(rows):
        if views[i] is None:
            views[i] = _view(site_id, epoch, viewer, row, objects.get((row.object_type, row.object_id)))
    return views


def _view(site_id: int, epoch: int, viewer: Callable[[], Any], row: Row, obj: Any) -> tuple[dict | None, bool]:
    if row.deleted or obj is None or obj.site_id != site_id:
        return None, False
    pull_type = _pull_types[row.object_type]
    view = (pull_type.dump(obj), obj.visible_to(ANY_VIEWER if pull_type.same_per_version else viewer()))
    # The feed row is read in the same snapshot as the object, so their versions agree; checked anyway,
    # because a wrong key would serve one version's data under another's number for good.
    if pull_type.same_per_version and obj.version == row.version:
        dumps.put(_cache_key(epoch, row), *view)
    return view


def _same_per_version(row: Row) -> bool:
    pull_type = _pull_types.get(row.object_type)
    return not row.deleted and pull_type is not None and pull_type.same_per_version


def _cache_key(epoch: int, row: Row) -> tuple[int, str, str, int]:
    return epoch, row.object_type, row.object_id, row.version


def _load_objects(session: Session, site_id: int, rows: list[Row]) -> dict[tuple[str, str], Any]:
    wanted: dict[str, list[str]] = {}
    for row in rows:
        if not row.deleted and row.object_type in _pull_types:
            wanted.setdefault(row.object_type, []).append(row.object_id)
    found: dict[tuple[str, str], Any] = {}
    for type_name, ids in wanted.items():
        pull_type = _pull_types[type_name]
        pk = inspect(pull_type.model).primary_key[0]
        keys = [pk.type.python_type(i) for i in ids]
        for obj in objects_by_key(session, pull_type.model, site_id, pk.name, keys, pull_type.options):
            found[(type_name, obj.sync_id())] = obj
    return found


def forget_tombstones(session: Session, site_id: int, up_to_seq: int) -> int:
    """Drop tombstones at or below `up_to_seq`; cursors older than that will get reset_required."""
    deleted = session.execute(delete(SyncChange).where(
        SyncChange.site_id == site_id, SyncChange.deleted.is_(True), SyncChange.seq <= up_to_seq))
    session.execute(update(SyncSiteCounter).where(SyncSiteCounter.site_id == site_id)
                    .values(forgotten_seq=up_to_seq))
    return deleted.rowcount


def prune_tombstones(session: Session, site_id: int, keep: int) -> int:
    """Forget all but the newest `keep` tombstones of a site."""
    cutoff = session.scalar(
        select(SyncChange.seq).where(SyncChange.site_id == site_id, SyncChange.deleted.is_(True))
        .order_by(SyncChange.seq.desc()).offset(keep).limit(1))
    return 0 if cutoff is None else forget_tombstones(session, site_id, cutoff)
