"""Test-only record handlers and a phone that talks real HTTP, for the sync engine's tests.

The handlers write rooms (real tables, real versions): `test_room` creates one (an append-only fact)
under a phone-made `key` (kept in class_name), `test_room_rename` changes one from a `base_version` (a
mutable object), `test_room_status` moves a room's status (kept in capacity) forward only, like a fix
that never goes back from done.
"""
from __future__ import annotations

import re
import socket
import uuid as uuid_lib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import requests
from marshmallow import Schema, fields, validate
from sqlalchemy import event, func, select, text

from server.extensions import db
from server.models import Room
from sync import handlers
from sync.handlers import RecordConflict, RecordHandler, RecordRejected, RecordRetry

# Names whose room insert hits a database error, while they are in here (fault case 7).
BROKEN_NAMES: set[str] = set()
KNOWN_TEMPLATE_VERSIONS = {1: "retired", 2: "current"}
STATUS_ORDER = ("open", "doing", "done")


class RoomSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    key = fields.String(load_default=None)
    kind = fields.String(load_default="dorm")
    note = fields.String(load_default=None, allow_none=True)
    template_version = fields.Integer(load_default=2)
    photos = fields.List(fields.String(), load_default=list)


def _new_room(ctx, rec) -> Room:
    data = rec.data
    if data["template_version"] not in KNOWN_TEMPLATE_VERSIONS:
        raise RecordRejected({"template_version": ["this checklist version is unknown to the server"]})
    if data["name"] in BROKEN_NAMES:
        ctx.session.execute(text("SELECT * FROM no_such_table"))
    note = f"template v{data['template_version']} ({KNOWN_TEMPLATE_VERSIONS[data['template_version']]})"
    return Room(site_id=ctx.site_id, name=data["name"], kind=data["kind"], note=data["note"] or note,
                class_name=data["key"] or data["name"], capacity=0)


def _create_room(ctx, rec) -> None:
    ctx.session.add(_new_room(ctx, rec))


def _create_rooms(ctx, recs) -> list[None]:
    """The bulk path: one add_all (and so one INSERT) for the run."""
    ctx.session.add_all([_new_room(ctx, rec) for rec in recs])
    return [None] * len(recs)


class RenameSchema(Schema):
    key = fields.String(load_default=None)
    room_id = fields.Integer(load_default=None)
    new_name = fields.String(required=True, validate=validate.Length(min=1, max=100))


def _room_keyed(ctx, key: str) -> Room:
    room = ctx.session.scalar(select(Room).where(Room.class_name == key))
    if room is None:
        raise RecordRetry(f"room {key} has not arrived yet")
    return room


def _target(ctx, rec) -> Room:
    """By server id (must still exist) or by the phone's key (may not have arrived yet)."""
    if rec.data["room_id"] is None:
        return _room_keyed(ctx, rec.data["key"])
    room = ctx.session.scalar(select(Room).where(Room.id == rec.data["room_id"]))
    if room is None:
        raise RecordConflict("the room was deleted on the server", server_version=None, object_type="room",
                             object_id=str(rec.data["room_id"]))
    return room


def _rename(ctx, rec) -> int:
    room = _target(ctx, rec)
    if rec.base_version is not None and rec.base_version < room.version:
        raise RecordConflict("the room was changed on the server", server_version=room.version,
                             server_data={"name": room.name}, object_type="room", object_id=str(room.id))
    return _force_rename(ctx, rec, room)


def _force_rename(ctx, rec, room: Room | None = None) -> int:
    room = room or _target(ctx, rec)
    room.name = rec.data["new_name"]
    ctx.session.flush()
    return room.version


class StatusSchema(Schema):
    key = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUS_ORDER))


def _set_status(ctx, rec) -> int:
    room = _room_keyed(ctx, rec.data["key"])
    current = STATUS_ORDER[room.capacity]
    if STATUS_ORDER.index(rec.data["status"]) < room.capacity:
        raise RecordConflict(f"the fix is already {current}", server_version=room.version,
                             server_data={"status": current}, object_type="room", object_id=str(room.id))
    room.capacity = STATUS_ORDER.index(rec.data["status"])
    ctx.session.flush()
    return room.version


def _fragile_photos(data: dict) -> list[str]:
    """A handler's own code failing on a record it was not written for."""
    if data["name"] == "unreadable":
        raise KeyError("photos")
    return list(data["photos"])


def _fragile_precheck(session, site_id, recs) -> None:
    if any(rec.data["name"] == "precheck-bug" for rec in recs):
        raise ZeroDivisionError("a bug in the precheck")


def register_test_handlers() -> None:
    handlers.register(RecordHandler("test_room", RoomSchema, _create_room, roles=("inspector", "admin"),
                                    apply_many=_create_rooms))
    handlers.register(RecordHandler("test_room_rename", RenameSchema, _rename, roles=("auditor", "admin"),
                                    force_apply=_force_rename))
    handlers.register(RecordHandler("test_room_status", StatusSchema, _set_status, roles=("fixer", "admin")))
    handlers.register(RecordHandler("test_fragile_room", RoomSchema, _create_room, roles=("inspector", "admin"),
                                    photos=_fragile_photos, precheck=_fragile_precheck))


def now_text() -> str:
    return datetime.now(UTC).isoformat()


def record(type_: str = "test_room", data: dict | None = None, *, uuid: str | None = None,
           recorded_at: str | None = None, base_version: int | None = None) -> dict:
    return {"uuid": uuid or str(uuid_lib.uuid4()), "type": type_, "recorded_at": recorded_at or now_text(),
            "base_version": base_version, "data": data if data is not None else {"name": f"R-{uuid_lib.uuid4()}"}}


@dataclass
class Phone:
    """A device talking to a live server over real HTTP."""

    base_url: str
    token: str
    device_id: int
    http: requests.Session = field(default_factory=requests.Session)

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def push(self, records: list[dict], batch_id: str | None = None, timeout: float = 30) -> requests.Response:
        body = {"device_id": self.device_id, "batch_id": batch_id or str(uuid_lib.uuid4()), "records": records}
        return self.http.post(f"{self.base_url}/api/v1/sync/push", json=body, headers=self.headers(),
                              timeout=timeout)

    def statuses(self, records: list[dict]) -> list[str]:
        resp = self.push(records)
        assert resp.status_code == 200, resp.text
        return [r["status"] for r in resp.json()["results"]]

    def get(self, path: str, **kw) -> requests.Response:
        headers = {**self.headers(), **kw.pop("headers", {})}
        return self.http.get(f"{self.base_url}{path}", headers=headers, timeout=30, **kw)

    def put(self, path: str, data: bytes, content_type: str = "image/jpeg", **kw) -> requests.Response:
        headers = {**self.headers(), "Content-Type": content_type, **kw.pop("headers", {})}
        return self.http.put(f"{self.base_url}{path}", data=data, headers=headers, timeout=30, **kw)


def phone_for(factory, base_url: str, site: str = "s1", roles: tuple[str, ...] = ("inspector",)) -> Phone:
    api = factory.api_user(site, roles)
    return Phone(base_url, api.token, api.device_id)


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def room_names(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(Room.name).execution_options(all_sites=True)))


def _request_head(netloc: str, token: str, method: str, path: str, content_type: str, announced: int) -> bytes:
    return (f"{method} {path} HTTP/1.1\r\nHost: {netloc}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {announced}\r\nConnection: close\r\n\r\n").encode()


def _read_answer(sock: socket.socket) -> bytes:
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
    return answer


def send_cut_short(base_url: str, token: str, method: str, path: str, content_type: str, announced: int,
                   body: bytes) -> bytes:
    """A request that announces `announced` bytes, sends only `body`, and hangs up; returns the raw answer."""
    url = urlparse(base_url)
    with socket.create_connection((url.hostname, url.port)) as sock:
        sock.sendall(_request_head(url.netloc, token, method, path, content_type, announced) + body)
        sock.shutdown(socket.SHUT_WR)
        return _read_answer(sock)


@contextmanager
def sent_halfway(base_url: str, token: str, method: str, path: str, content_type: str,
                 body: bytes) -> Iterator[list[bytes]]:
    """A request whose body stops halfway, as on a slow network, until the block ends; then the rest is
    sent and the raw answer put in the yielded list."""
    url = urlparse(base_url)
    half = len(body) // 2
    with socket.create_connection((url.hostname, url.port)) as sock:
        sock.sendall(_request_head(url.netloc, token, method, path, content_type, len(body)) + body[:half])
        answer: list[bytes] = []
        yield answer
        sock.sendall(body[half:])
        answer.append(_read_answer(sock))


# -- how PostgreSQL plans a lookup ------------------------------------------------------------------

def assert_reads_by_key(table: str, lookup, found: int) -> None:
    """`lookup()` (run in the app context) returns `found` rows of `table` and reads them by key, with
    statistics saying the table holds 200 schools' rows; the statistics are rolled back afterwards."""
    conn = db.session.connection()
    _district_statistics(conn, table)
    try:
        for statement, parameters in _statements_run(db.engine, table, lambda: len(lookup()) == found):
            _assert_probes_by_key(conn, table, statement, parameters, found)
    finally:
        db.session.rollback()


def _district_statistics(conn, table: str) -> None:
    """Statistics (in the connection's transaction) saying `table` holds 200 schools' rows: planned
    from them, a school's rows look few, however many it has."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ALTER TABLE {table} ALTER COLUMN site_id SET (n_distinct = 200)")
        conn.exec_driver_sql(f"ANALYZE {table}")


def _statements_run(engine, table: str, work) -> list[tuple[str, Any]]:
    """The statements naming `table` that `work()` ran (as the driver got them), once it returned true."""
    ran = []

    def note(_conn, _cursor, statement, parameters, _context, _executemany):
        ran.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        assert work()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    named = [(statement, parameters) for statement, parameters in ran if f" {table}" in statement]
    assert named
    return named


def _assert_probes_by_key(conn, table: str, statement: str, parameters: Any, found: int) -> None:
    """The statement reads `table` by key: on SQLite a search of an index; on PostgreSQL, planned for
    any values (as a statement the driver prepared) and for these, it reads the `found` rows it
    returns and no other."""
    if conn.dialect.name == "sqlite":
        plan = str(conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all())
        assert f"SEARCH {table} USING" in plan and f"SCAN {table}" not in plan, plan
        return
    for mode in ("force_generic_plan", "force_custom_plan"):
        assert _rows_read(conn, table, statement, parameters, mode) == found, mode


def _rows_read(conn, table: str, statement: str, parameters: dict, plan_cache_mode: str) -> int:
    """Rows of `table` a PostgreSQL statement (as the driver ran it) reads, run again under EXPLAIN
    ANALYZE as a prepared statement planned in `plan_cache_mode`: the rows it returns and those it
    read and threw away."""
    names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", statement)))
    numbered = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m.group(1)) + 1}", statement)

    def literal(value) -> str:
        if isinstance(value, list):
            return "ARRAY[" + ", ".join(literal(v) for v in value) + "]"
        return str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"

    conn.exec_driver_sql(f"SET LOCAL plan_cache_mode = {plan_cache_mode}")
    conn.exec_driver_sql(f"PREPARE planned AS {numbered}")
    try:
        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE planned("
                                    + ", ".join(literal(parameters[n]) for n in names) + ")").scalar()
    finally:
        conn.exec_driver_sql("DEALLOCATE planned")
    pending, read = [plan[0]["Plan"]], 0
    while pending:
        node = pending.pop()
        pending += node.get("Plans", [])
        if node.get("Relation Name") == table:
            per_loop = node["Actual Rows"] + node.get("Rows Removed by Filter", 0) \
                + node.get("Rows Removed by Index Recheck", 0)
            read += per_loop * node["Actual Loops"]
    return read
