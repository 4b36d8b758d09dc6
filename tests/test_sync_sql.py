"""The bulk writes of sync.sql store exactly what SQLAlchemy itself would, on both engines: the push
engine and the inspection handler write through them, and every report reads those rows back."""
from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    select,
    text,
)

from server.db import begin_read_only, reading
from server.extensions import db
from sync.sql import insert_new, insert_rows

metadata = MetaData()
sample = Table(
    "xj_test_bulk", metadata,
    Column("id", Integer, primary_key=True),
    Column("site", Integer, nullable=False),
    Column("key", String(36), nullable=False),
    Column("at", DateTime(timezone=True)),
    Column("day", Date),
    Column("flag", Boolean),
    Column("score", Float),
    Column("photos", JSON),
    Column("result", JSON),
    UniqueConstraint("site", "key"),
)
COLUMNS = ("site", "key", "at", "day", "flag", "score", "photos", "result")


def row(key: str, site: int = 1, **changes) -> tuple:
    values = {"site": site, "key": key, "at": datetime(2026, 11, 25, 8, 30, 15, 123456, tzinfo=UTC),
              "day": date(2026, 11, 25), "flag": True, "score": 92.5, "photos": ["a" * 64],
              "result": {"errors": {"note": ["太长"]}}, **changes}
    return tuple(values[name] for name in COLUMNS)


def params(values: tuple) -> dict:
    """A row as SQLAlchemy's own insert takes it."""
    return dict(zip(COLUMNS, values, strict=True))


@pytest.fixture
def conn(app):
    with app.app_context():
        metadata.create_all(db.engine)
        try:
            yield db.session.connection()
            db.session.rollback()
        finally:
            db.session.remove()
            metadata.drop_all(db.engine)


def stored(conn) -> list[tuple]:
    """The rows as the database holds them (driver values, not SQLAlchemy's), by key."""
    names = ", ".join(COLUMNS)
    return [tuple(r) for r in conn.exec_driver_sql(f"SELECT {names} FROM xj_test_bulk ORDER BY key")]


def insert_new_rows(conn, table, columns, rows) -> None:
    insert_new(conn, table, columns, rows, unique=("site", "key"), returning="key")


@pytest.mark.parametrize("write", [insert_rows, insert_new_rows])
def test_bulk_writes_store_the_values_sqlalchemy_would_store(conn, write):
    beijing = timezone(timedelta(hours=8))
    conn.execute(sample.insert(), [params(row("core")), params(row("core-empty", photos=[], result=None, flag=False)),
                                   params(row("core-beijing", at=datetime(2026, 11, 25, 7, 1, tzinfo=beijing)))])
    write(conn, sample, COLUMNS, [row("fast"), row("fast-empty", photos=[], result=None, flag=False),
                                  row("fast-beijing", at=datetime(2026, 11, 25, 7, 1, tzinfo=beijing))])
    core, core_beijing, core_empty, fast, fast_beijing, fast_empty = stored(conn)
    assert (fast[2:], fast_beijing[2:], fast_empty[2:]) == (core[2:], core_beijing[2:], core_empty[2:])
    read_back = conn.execute(select(sample).where(sample.c.key == "fast")).one()
    assert (read_back.day, read_back.photos, read_back.result) == (date(2026, 11, 25), ["a" * 64],
                                                                   {"errors": {"note": ["太长"]}})
    assert conn.execute(select(sample.c.result.is_(None)).where(sample.c.key == "fast-empty")).scalar() is False


def test_times_repeated_are_stored_as_sqlalchemy_stores_each(conn):
    """insert_rows converts each distinct time once, within a batch and across calls; the same instant
    at another offset is another time to convert (on SQLite its own clock time is stored)."""
    at_utc = datetime(2026, 11, 25, 0, 30, tzinfo=UTC)
    at_beijing = at_utc.astimezone(timezone(timedelta(hours=8)))
    times = [at_utc, at_beijing, at_utc, at_beijing]
    conn.execute(sample.insert(), [params(row(f"core{i}", at=at)) for i, at in enumerate(times)])
    insert_rows(conn, sample, COLUMNS, [row(f"fast{i}", at=at) for i, at in enumerate(times)])
    insert_rows(conn, sample, COLUMNS, [row(f"later{i}", at=at) for i, at in enumerate(reversed(times))])
    rows = stored(conn)
    core, fast, later = rows[:4], rows[4:8], rows[8:]
    assert [r[2:] for r in core] == [r[2:] for r in fast] == [r[2:] for r in reversed(later)]
    assert core[0][2] != core[1][2] or db.engine.dialect.name != "sqlite"


def test_a_column_empty_in_every_row_is_stored_as_null(conn):
    conn.execute(sample.insert(), [params(row("core", score=None, day=None, result=None))])
    insert_rows(conn, sample, COLUMNS, [row("fast", score=None, day=None, result=None),
                                        row("fast-2", score=None, day=None, result=None)])
    core, fast, fast_2 = stored(conn)
    assert fast[2:] == core[2:] == fast_2[2:]


def test_insert_new_inserts_only_keys_not_taken_and_returns_them(conn):
    insert_rows(conn, sample, COLUMNS, [row("a"), row("b", score=1.0)])
    returned = insert_new(conn, sample, COLUMNS, [row("b", score=2.0), row("c"), row("c", score=3.0),
                                                  row("b", site=2)],
                          unique=("site", "key"), returning="key")
    assert sorted(returned) == ["b", "c"]
    rows = conn.execute(select(sample.c.site, sample.c.key, sample.c.score).order_by(sample.c.site, sample.c.key))
    assert [tuple(r) for r in rows] == [(1, "a", 92.5), (1, "b", 1.0), (1, "c", 92.5), (2, "b", 92.5)]


def test_a_read_only_transaction_reads_while_another_holds_sqlites_write_lock(app):
    """Pushes judge their batch in such a transaction, so on SQLite they do not queue behind a writer."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's write lock")
        writer = db.engine.connect()
        writer.begin()  # BEGIN IMMEDIATE (server.db): holds the write lock until rolled back
        answer: list = []
        reader = threading.Thread(target=_read_in_read_only_transaction, args=(app, answer))
        try:
            reader.start()
            reader.join(timeout=20)
            read_while_locked = list(answer)
        finally:
            writer.rollback()
            writer.close()
            reader.join()
        assert read_while_locked == [1]


def _read_in_read_only_transaction(app, answer: list) -> None:
    with app.app_context():
        with reading(db.session):
            answer.append(db.session.execute(text("SELECT 1")).scalar())
        db.session.remove()


def test_a_read_only_transaction_reads_one_snapshot(app):
    """A pull reads the feed, then the objects it names: what another commits in between must not
    show, or the newer version would be handed out twice (once early, once at its own seq)."""
    with app.app_context():
        metadata.create_all(db.engine)
        try:
            with db.engine.begin() as setup:
                insert_rows(setup, sample, COLUMNS, [row("a", score=1.0)])
            begin_read_only(db.session)
            first = db.session.execute(select(sample.c.score)).scalar_one()
            with db.engine.begin() as writer:
                writer.execute(sample.update().values(score=2.0))
            again = db.session.execute(select(sample.c.score)).scalar_one()
            db.session.rollback()
            after = db.session.execute(select(sample.c.score)).scalar_one()
            assert (first, again, after) == (1.0, 1.0, 2.0)
        finally:
            db.session.remove()
            metadata.drop_all(db.engine)
