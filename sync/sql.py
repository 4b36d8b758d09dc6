"""SQL the two engines spell differently, and bulk writes at the driver's speed."""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta, timezone
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import JSON, Date, DateTime, String, Table, func, select, text
from sqlalchemy.engine import Connection, Dialect, Row
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import TextualSelect

from sync import jsontext

# The most parameters one SQLite statement takes (SQLITE_MAX_VARIABLE_NUMBER since SQLite 3.32).
_SQLITE_MAX_VARIABLES = 32766


def _insert_for(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def dialect_insert(conn, model):
    """An INSERT that knows ON CONFLICT on both PostgreSQL and SQLite."""
    return _insert_for(conn.dialect.name)(model)


@functools.cache
def _insert_if_new(dialect: str, table: Table):
    return _insert_for(dialect)(table).on_conflict_do_nothing().returning(*table.primary_key.columns)


def insert_if_new(conn: Connection, table: Table, values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING of one row given as a dict; True if it was new. The statement is
    built once per table: on the calls made for every photo and every batch, building it and its cache
    key from the values cost more than running it."""
    return conn.execute(_insert_if_new(conn.dialect.name, table), values).first() is not None


def json_array_items(dialect: str, column: ColumnElement, alias: str, *fields: str):
    """The elements of a JSON array of objects in `column`, as a FROM item named `alias`, and each of
    `fields` of an element as a text column expression. Join it ON true: the function reads the row
    it is joined to (LATERAL by nature on both engines)."""
    if dialect == "postgresql":
        items = func.json_array_elements(column).table_valued("value").render_derived(name=alias)
        return items, [items.c.value.op("->>", return_type=String)(name) for name in fields]
    items = func.json_each(column).table_valued("value").alias(alias)
    return items, [func.json_extract(items.c.value, f"$.{name}", type_=String) for name in fields]


def rows_by_key(conn: Connection, table: Table, columns: Sequence[str], site_id: int, key: str,
                keys: Sequence[Any]) -> list[Row]:
    """`columns` of the school's rows whose `key` is one of `keys` (select_by_key)."""
    if not keys:
        return []
    return conn.execute(select_by_key(conn.dialect, table, columns, site_id, key, keys)).all()


def objects_by_key(session: Session, model: type, site_id: int, key: str, keys: Sequence[Any],
                   options: Sequence[Any] = ()) -> list[Any]:
    """The school's `model` objects whose unique `key` is one of `keys` (select_by_key), loaded with
    `options`."""
    table = model.__table__
    by_key = select_by_key(session.connection().dialect, table, table.c.keys(), site_id, key, keys)
    return session.scalars(select(model).from_statement(by_key).options(*options)).all()


def select_by_key(dialect: Dialect, table: Table, columns: Sequence[str], site_id: int, key: str,
                  keys: Sequence[Any]) -> Executable:
    """A SELECT of `columns` of the school's rows whose unique `key` is one of `keys`, each found by one
    probe of the key's index. PostgreSQL plans `site_id = … AND key IN (…)` from its statistics: when
    they say the school has few rows (none taken yet, as in a new or restored database, or a district's
    taken before this school pushed most of its records), the plan read every row of the school and
    compared it with the whole list: 0.36 s for a push of 500 records already stored with 37,500 in the
    ledger, 23 ms a page of a first pull of 5,000 assets, growing with the school. A key looked up in a
    LATERAL subquery with LIMIT 1 can only be planned as one probe of the index. SQLite plans the IN
    list that way by itself."""
    if dialect.name == "postgresql":
        return _by_key_postgresql(dialect, table, tuple(columns), key).bindparams(site_id=site_id, keys=list(keys))
    return select(*(table.c[name] for name in columns)).where(table.c.site_id == site_id, table.c[key].in_(keys))


@functools.lru_cache(maxsize=256)
def _by_key_postgresql(dialect: Dialect, table: Table, columns: tuple[str, ...], key: str) -> TextualSelect:
    array = f"{table.c[key].type.compile(dialect=dialect)}[]"
    return text(f"SELECT found.* FROM unnest(CAST(:keys AS {array})) AS wanted(key) CROSS JOIN LATERAL "
                f"(SELECT {_names(table, columns)} FROM {table.name} "
                f"WHERE site_id = :site_id AND {table.c[key].name} = wanted.key LIMIT 1) AS found"
                ).columns(*(table.c[name] for name in columns))


def insert_rows(conn: Connection, table: Table, columns: Sequence[str], rows: list[Sequence[Any]]) -> None:
    """Plain rows (values in `columns` order) into `table`, in the connection's transaction: COPY on
    PostgreSQL, the driver's executemany on SQLite. Each column's type still converts its values as
    SQLAlchemy would (dates, JSON), but nothing else runs per row: for thousands of small rows
    SQLAlchemy's own executemany spends more time building parameters than the database storing them.
    No RETURNING: a caller that needs the new rows' ids reads them back by a unique key."""
    if not rows:
        return
    columns, rows = _bound_rows(conn, table, columns, rows)
    if conn.dialect.name == "postgresql":
        _copy(conn, table.name, _names(table, columns), rows)
    else:
        conn.exec_driver_sql(_sqlite_insert(table, columns) + _row_marks(columns), rows)


def insert_new(conn: Connection, table: Table, columns: Sequence[str], rows: list[Sequence[Any]],
               unique: Sequence[str], returning: str) -> list[Any]:
    """Insert, in their order, the rows whose `unique` columns are not taken yet (the others are left
    alone) and return `returning` of those inserted. Values are those orjson writes: text, numbers,
    booleans, dates and times, and what JSON columns hold."""
    if not rows:
        return []
    if conn.dialect.name != "postgresql":
        return _insert_new_sqlite(conn, table, columns, rows, unique, returning)
    return _insert_new_postgresql(conn, table, columns, rows, unique, returning)


def _bound_rows(conn: Connection, table: Table, columns: Sequence[str],
                rows: list[Sequence[Any]]) -> tuple[list[str], list[tuple]]:
    """The columns worth sending and the rows' values as the driver takes them."""
    columns, rows = _without_null_columns(table, columns, rows)
    return columns, _bind(conn, table, columns, rows)


def _sqlite_insert(table: Table, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table.name} ({_names(table, columns)}) VALUES "


def _row_marks(columns: Sequence[str]) -> str:
    """One row's parameters in a VALUES list."""
    return f"({', '.join('?' * len(columns))})"


def _insert_new_postgresql(conn: Connection, table: Table, columns: Sequence[str], rows: list[Sequence[Any]],
                           unique: Sequence[str], returning: str) -> list[Any]:
    """The rows go as one JSON array of objects, read by json_to_recordset in one INSERT … SELECT … ON
    CONFLICT DO NOTHING RETURNING: one round trip. (A temporary table took four: its CREATE IF NOT EXISTS,
    the COPY's two and the INSERT … SELECT, and the server emptied it at every commit, 7 % of its work on
    a push; a long multi-row VALUES costs psycopg more time to split than the server takes to store the
    rows, and arrays through unnest() more still.)"""
    columns, bound = _bound_rows(conn, table, columns, rows)
    statement = _recordset_insert(conn.dialect, table, tuple(columns), tuple(unique), returning)
    objects = [dict(zip(columns, row, strict=True)) for row in bound]
    return conn.exec_driver_sql(statement, (orjson.dumps(objects).decode(),)).scalars().all()


@functools.lru_cache(maxsize=256)
def _recordset_insert(dialect: Dialect, table: Table, columns: tuple[str, ...], unique: tuple[str, ...],
                      returning: str) -> str:
    """JSON columns arrive as the text jsontext.stored wrote (json_to_recordset would read a JSON null as
    SQL NULL, where SQLAlchemy stores JSON null) and are cast back; every other value is read by its
    column's own type. WITH ORDINALITY keeps the rows in the order sent."""
    names = _names(table, columns)
    kinds = ", ".join(f"{table.c[c].name} {_recordset_type(dialect, table.c[c].type)}" for c in columns)
    picked = ", ".join(f"{table.c[c].name}::json" if isinstance(table.c[c].type, JSON) else table.c[c].name
                       for c in columns)
    return (f"INSERT INTO {table.name} ({names}) SELECT {picked} FROM ROWS FROM "
            f"(json_to_recordset(%s::json) AS ({kinds})) WITH ORDINALITY AS xj_rows ({names}, xj_row) "
            f"ORDER BY xj_row ON CONFLICT ({_names(table, unique)}) DO NOTHING "
            f"RETURNING {table.c[returning].name}")


def _names(table: Table, columns: Sequence[str]) -> str:
    """The column list of an INSERT, a COPY or an ON CONFLICT."""
    return ", ".join(table.c[name].name for name in columns)


def _copy(conn: Connection, table_name: str, names: str, rows: list[tuple]) -> None:
    with conn.connection.driver_connection.cursor() as cur, \
            cur.copy(f"COPY {table_name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _insert_new_sqlite(conn: Connection, table: Table, columns: Sequence[str], rows: list[Sequence[Any]],
                       unique: Sequence[str], returning: str) -> list[Any]:
    """One INSERT of many rows … ON CONFLICT DO NOTHING RETURNING per statement's worth of parameters:
    SQLite answers with the rows it inserted, where reading the keys already taken first cost a
    statement more. (sqlite3's executemany takes no RETURNING.)"""
    columns, bound = _bound_rows(conn, table, columns, rows)
    head, one_row = _sqlite_insert(table, columns), _row_marks(columns)
    tail = (f" ON CONFLICT ({_names(table, unique)}) DO NOTHING "
            f"RETURNING {table.c[returning].name}")
    inserted: list[Any] = []
    for chunk in _chunks(bound, _SQLITE_MAX_VARIABLES // len(columns)):
        statement = head + ", ".join([one_row] * len(chunk)) + tail
        inserted += conn.exec_driver_sql(statement, tuple(value for row in chunk for value in row)).scalars()
    return inserted


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _recordset_type(dialect: Dialect, column_type: Any) -> str:
    return "text" if isinstance(column_type, JSON) else column_type.compile(dialect=dialect)


def _without_null_columns(table: Table, columns: Sequence[str], rows: list[Sequence[Any]]) -> tuple[list[str], list]:
    """Leave out the columns that are None in every row, which the database then stores as NULL itself:
    answer rows are mostly NULL (no note, no value), and binding values is most of what a row costs.
    Not columns with a default in the database, nor JSON ones (SQLAlchemy stores None as JSON null)."""
    keep = [i for i, name in enumerate(columns)
            if table.c[name].server_default is not None or isinstance(table.c[name].type, JSON)
            or any(row[i] is not None for row in rows)]
    if len(keep) == len(columns):
        return list(columns), rows
    pick = itemgetter(*keep) if len(keep) > 1 else lambda row: (row[keep[0]],)
    return [columns[i] for i in keep], [pick(row) for row in rows]


def _bind(conn: Connection, table: Table, columns: Sequence[str], rows: list[Sequence[Any]]) -> list[tuple]:
    """The rows with each value as the column's type hands it to the driver. Converted column by column:
    thousands of rows of a few columns each, and only some columns need converting."""
    values_by_column = list(zip(*rows, strict=True))
    for index, name in enumerate(columns):
        convert = _converter(conn.dialect, table.c[name].type)
        if convert is not None:
            values_by_column[index] = tuple(map(convert, values_by_column[index]))
    return list(zip(*values_by_column, strict=True))


@functools.lru_cache(maxsize=1024)
def _converter(dialect: Dialect, column_type: Any) -> Callable | None:
    """How a column's values go to the driver, found once per engine and column: finding it asks the type
    for its processor and, on SQLite, writes a probe value through it, a few dozen times a push."""
    if isinstance(column_type, JSON):
        return jsontext.stored  # as the engines' json_serializer writes it (server.extensions)
    convert = column_type.dialect_impl(dialect).bind_processor(dialect)
    if dialect.name != "sqlite" or convert is None:
        return convert
    if isinstance(column_type, DateTime):
        return _sqlite_datetime(convert)
    if isinstance(column_type, Date):
        return _sqlite_date(convert)
    return convert


_PROBE = datetime(1987, 6, 5, 4, 3, 2, 1, tzinfo=timezone(timedelta(hours=8)))
# SQLite DATETIME texts already written, by value and offset (see _sqlite_datetime); emptied when full.
_SQLITE_TIMES: dict[tuple, str] = {}
_SQLITE_TIMES_KEPT = 4096


def _sqlite_datetime(convert: Callable) -> Callable:
    """SQLAlchemy's SQLite DATETIME text, "2026-11-27 08:30:15.123456" (the value's own clock time,
    microseconds always), written by isoformat at half the cost of SQLAlchemy's formatting, which
    was most of binding an inspection's row; other values, or a column whose storage format was changed
    (its text then differs on the probe), go to SQLAlchemy's own conversion.

    Each time is written once: a record's time goes into its ledger row and its inspection's (twice: as
    recorded and as performed), a batch's arrival into every row. Remembered across calls and columns,
    keyed with the offset too: 08:00+08:00 equals 00:00+00:00, but each is written as its own clock time."""
    if convert(_PROBE) != _PROBE.isoformat(" ", "microseconds")[:26]:
        return convert

    def converted(value: Any) -> Any:
        if type(value) is not datetime:
            return convert(value)
        key = (value, value.tzinfo)
        text = _SQLITE_TIMES.get(key)
        if text is None:
            if len(_SQLITE_TIMES) >= _SQLITE_TIMES_KEPT:
                _SQLITE_TIMES.clear()
            text = _SQLITE_TIMES[key] = value.isoformat(" ", "microseconds")[:26]
        return text

    return converted


def _sqlite_date(convert: Callable) -> Callable:
    """SQLAlchemy's SQLite DATE text, "2026-11-27", written by isoformat: a tenth of the cost of its
    formatting (a dict of the parts and a % format); other values, or another storage format, as
    _sqlite_datetime does."""
    if convert(_PROBE.date()) != _PROBE.date().isoformat():
        return convert

    def converted(value: Any) -> Any:
        return value.isoformat() if type(value) is date else convert(value)

    return converted
