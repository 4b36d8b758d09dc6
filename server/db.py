"""Engine behaviour that both engines need: SQLite in WAL with foreign keys and one writer at a time,
site scoping of every ORM query, and change recording for the sync feed."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from server.models.base import SiteScoped
from sync import feed

SITE_KEY = "site_id"
READ_ONLY = "xunjian_read_only"


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
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin_immediate(conn) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


@contextmanager
def read_only(session: Session) -> Iterator[None]:
    """A transaction that only reads, rolled back at the end. On SQLite it begins deferred and so takes
    no write lock: it reads a snapshot (WAL) while another worker writes. Starts the session's next
    transaction, so the session must have none open."""
    session.connection(execution_options={READ_ONLY: True})
    try:
        yield
    finally:
        session.rollback()


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
