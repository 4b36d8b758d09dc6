"""Engine behaviour that both engines need: SQLite in WAL with foreign keys and one writer at a time,
site scoping of every ORM query, and change recording for the sync feed."""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import ORMExecuteState, Session, scoped_session, with_loader_criteria
from sqlalchemy.pool import Pool

from server.models.base import SiteScoped
from sync import feed

SITE_KEY = "site_id"
READ_ONLY = "xunjian_read_only"
BUSY_TIMEOUT_MS = 30_000
WRITE_LOCK_POLL = 0.001
# A pooled connection that rested this long is pinged before it is handed out again.
PING_AFTER_IDLE_SECONDS = 10.0
# Every commit reaches the disk before the phone is answered: with NORMAL, WAL's usual setting, a power
# cut could take back batches the phones were told are stored, and have since dropped.
SQLITE_SYNCHRONOUS = "FULL"
_LAST_USED = "xunjian_last_used"
# Set by ready_to_write on a SQLite connection: its next statement begins a write transaction first.
# Every transaction's own BEGIN clears it (_sqlite_begin_immediate), so it never outlives the one it
# was set in.
_WRITE_LOCK_DUE = "xunjian_write_lock_due"


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_conn, _record) -> None:
    if type(dbapi_conn).__module__ != "sqlite3":
        return
    # The driver's own transaction handling is turned off so that BEGIN IMMEDIATE below takes the
    # write lock up front: a deferred transaction that reads and then writes can fail with
    # SQLITE_BUSY no matter the timeout, and the sync feed relies on one writer at a time.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
    cur.close()


@event.listens_for(Pool, "checkin")
def _note_rest(dbapi_conn, record) -> None:
    if dbapi_conn is not None:
        record.info[_LAST_USED] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _ping_after_rest(dbapi_conn, record, _proxy) -> None:
    """Ping a PostgreSQL connection that has rested in the pool, and replace it if it is gone (a restarted
    server, a firewall's idle timeout). SQLAlchemy's pool_pre_ping pings at every check-out: under fifty
    phones a round trip to the server is a wait for its process to get a core, and the ping was a
    fifth of every photo upload's time. A connection that dies while in steady use fails that one call
    (which the phone repeats), and SQLAlchemy then renews the whole pool."""
    if type(dbapi_conn).__module__ == "sqlite3":
        return
    if time.monotonic() - record.info.get(_LAST_USED, 0.0) < PING_AFTER_IDLE_SECONDS:
        return
    try:
        with dbapi_conn.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_conn.rollback()
    except Exception as exc:  # whatever the driver raises for a dead connection
        raise DisconnectionError("the pooled connection is gone") from exc


@event.listens_for(Engine, "begin")
def _sqlite_begin_immediate(conn) -> None:
    if conn.dialect.name != "sqlite":
        return
    conn.info.pop(_WRITE_LOCK_DUE, None)
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        _take_write_lock(conn.connection.driver_connection)


@event.listens_for(Engine, "before_cursor_execute")
def _take_write_lock_when_due(conn, _cursor, _statement, _parameters, _context, _executemany) -> None:
    if conn.info.pop(_WRITE_LOCK_DUE, False):
        _take_write_lock(conn.connection.driver_connection)


def _take_write_lock(dbapi_conn) -> None:
    """BEGIN IMMEDIATE, waiting for another writer in steps of a millisecond. SQLite's own wait (the busy
    timeout) sleeps in growing steps of up to 100 ms, so a writer that has waited a while sleeps on long
    after the lock is free while the database idles: with two workers pushing batches, a quarter of
    the CPU went unused. The busy timeout stays for everything else."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    dbapi_conn.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                dbapi_conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(WRITE_LOCK_POLL)
    finally:
        dbapi_conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def begin_read_only(session: Session) -> None:
    """Begin the session's next transaction as one that only reads, from one snapshot of the database.
    On SQLite it begins deferred and so takes no write lock: it reads a snapshot (WAL) while another
    connection writes. (Writing in it could fail with SQLITE_BUSY_SNAPSHOT if another wrote meanwhile:
    end it before writing.) On PostgreSQL it is REPEATABLE READ: a pull reads the feed and then the
    objects it names, and under READ COMMITTED an update committed between the two handed out the
    object's newer version twice (now, and again at the update's own seq). The session must have no
    transaction open."""
    options: dict = {READ_ONLY: True}
    if _dialect(session) == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    session.connection(execution_options=options)


def end_read_only(session: Session) -> None:
    """End a read-only transaction but keep what it loaded (e.g. the caller's device and user) as it
    was read: using those objects then starts no new transaction, and a write transaction that follows
    does not refresh them in the middle of its changes (which would flush those changes early)."""
    session = _plain(session)
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def begin_call(session: Session, reads_only: bool) -> None:
    """Begin the transaction an API call looks its token up in. A call that only reads goes on in it
    (begin_read_only). One that writes: on SQLite the lookup's transaction is ended before the write
    (ready_to_write), since the write transaction must take the lock at its start; on PostgreSQL the
    lookup and the write share one READ COMMITTED transaction, which saves a photo upload three of its
    eight round trips to the server (a second connection check-out with its ping, BEGIN, COMMIT)."""
    if reads_only or _dialect(session) == "sqlite":
        begin_read_only(session)
    else:
        session.connection()


def ready_to_write(session: Session) -> None:
    """Before an API call that writes does so: on SQLite, end the token lookup's read-only transaction
    (begin_call); the call's next statement takes the write lock first. Both happen on the connection
    the lookup used, inside the session's one transaction, and what the lookup loaded stays as it was
    read: ending the session's transaction instead (end_read_only) handed the connection back to the
    pool and took it out again, which cost a photo upload more than its own insert."""
    if _dialect(session) != "sqlite" or not _plain(session).in_transaction():
        return
    conn = session.connection()
    conn.connection.driver_connection.execute("COMMIT")
    conn.info[_WRITE_LOCK_DUE] = True


def _dialect(session: Session | scoped_session) -> str:
    return session.get_bind().dialect.name


def _plain(session: Session | scoped_session) -> Session:
    """The request's own Session behind Flask-SQLAlchemy's scoped one (which does not pass on every
    attribute)."""
    return session() if isinstance(session, scoped_session) else session


@contextmanager
def reading(session: Session) -> Iterator[None]:
    """Read in a read-only transaction, ended afterwards with what it loaded kept (end_read_only); in
    the session's open transaction instead if it has one."""
    if _plain(session).in_transaction():
        yield
        return
    begin_read_only(session)
    yield
    end_read_only(session)


def _scope_to_site(state: ORMExecuteState) -> None:
    """Every ORM SELECT of a SiteScoped model is limited to the session's site once one is set."""
    site_id = state.session.info.get(SITE_KEY)
    if site_id is None or not state.is_select or state.execution_options.get("all_sites"):
        return
    state.statement = state.statement.options(with_loader_criteria(
        SiteScoped, lambda cls: cls.site_id == site_id, include_aliases=True))


def scope_session(session: Session, site_id: int) -> None:
    session.info[SITE_KEY] = site_id


def install(session_class) -> None:
    event.listen(session_class, "do_orm_execute", _scope_to_site)
    feed.install(session_class)
