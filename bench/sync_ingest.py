"""Push ingest through real HTTP: batches of 500 inspections (about 1 KB each, validated against their
checklist) posted to gunicorn on loopback; then the same records again in new batches (all
duplicates); and, timed in the same run (three times just before the first pushes and three times just
after, the median), the raw sqlite3 executemany INSERT OR IGNORE of the same rows into a table with a UNIQUE
uuid, the limit SQLite itself sets for one row per record. On SQLite it also
times the rows the server actually stores per inspection (its ledger row and the inspection)
written the same raw way into a copy of the server's database: the floor of this schema.

    .venv/bin/python bench/sync_ingest.py [--runs 3] [--batches 24] [--type inspection|bench_note]
        [--workers 2] [--clients 2] [--database-url postgresql+psycopg://…]

`--type bench_note` pushes records that store nothing but their ledger row: the engine and HTTP alone,
apart from any domain handler. Prints median (min–max) of the runs; asserts nothing.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests
from sqlalchemy import select

from bench import school
from bench.common import ROOT, Spread, database, database_name, machine, migrated_app
from server.db import SQLITE_SYNCHRONOUS
from server.extensions import db
from server.models import Room, TemplateVersion
from sync.ids import uuid7

BATCH = 500
RAW_PASSES = 3  # timings of the raw write on each side of the pushes (see around_raw)
TARGETS = {"SQLite": 8000, "PostgreSQL": 6000}


def bench_app():
    """The app as gunicorn serves it here, plus `bench_note`: a record type that stores nothing but its
    ledger row."""
    from marshmallow import INCLUDE, Schema

    from server import create_app, served
    from sync import handlers

    class NoteSchema(Schema):
        class Meta:
            unknown = INCLUDE

    handlers.register(handlers.RecordHandler("bench_note", NoteSchema, lambda ctx, rec: None,
                                             apply_many=lambda ctx, recs: [None] * len(recs)))
    return served(create_app())


@contextmanager
def serve(url: str, workers: int) -> Iterator[str]:
    """gunicorn on a free loopback port; stopped (and waited for) afterwards."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "PYTHONPATH": str(ROOT),
           "ATTACHMENT_DIR": tempfile.mkdtemp(prefix="xj-bench-")}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
                             "--timeout", "900", "--log-level", "warning", "bench.sync_ingest:bench_app()"],
                            cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                requests.get(f"{base}/api/v1/openapi.json", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def dorm_checklist() -> tuple[dict, list[int]]:
    template = db.session.scalar(select(TemplateVersion).where(TemplateVersion.family == "dorm_hygiene"))
    dorms = db.session.scalars(select(Room.id).where(Room.kind == "dorm").execution_options(all_sites=True)).all()
    return {"id": template.id, "items": template.items}, list(dorms)


def make_batches(template: dict, dorms: list[int], batches: int, type_: str, size: int = BATCH) -> list[list[dict]]:
    out = []
    for b in range(batches):
        records = [school.record(school.inspection_data(template, dorms[(b * size + i) % len(dorms)], "room", []))
                   for i in range(size)]
        for rec in records:
            rec["type"] = type_
            rec["data"]["note"] = "抽查:被子叠放整齐,鞋子摆放一条线,地面洁净干燥,无违章用电。"
        out.append(records)
    return out


def encode(records: list[dict]) -> bytes:
    return json.dumps({"batch_id": uuid7(), "records": records}, ensure_ascii=False).encode()


def post_all(base: str, token: str, bodies: list[bytes], clients: int, expect: str) -> float:
    """Send every body over `clients` keep-alive connections; records per second."""
    sessions = [requests.Session() for _ in range(clients)]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def send(i: int) -> None:
        resp = sessions[i % clients].post(f"{base}/api/v1/sync/push", data=bodies[i], headers=headers, timeout=900)
        resp.raise_for_status()
        statuses = {r["status"] for r in resp.json()["results"]}
        assert statuses == {expect}, (statuses, resp.json()["results"][:2])

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(send, range(len(bodies))))
    return len(bodies) * BATCH / (time.perf_counter() - start)


def around_raw(batches: list[list[dict]], workdir: Path, pushes: Callable[[], float]) -> tuple[float, float]:
    """The pushes' rate, and the raw write's: the median of RAW_PASSES timings just before the pushes and
    as many just after. The box's speed drifts within a run (one side timed alone moved the ratio by a
    fifth), and one raw write is a commit per batch synced to the disk, whose timing moved by nearly a
    factor of two between runs a minute apart."""
    before = [raw_sqlite(batches, workdir) for _ in range(RAW_PASSES)]
    rate = pushes()
    after = [raw_sqlite(batches, workdir) for _ in range(RAW_PASSES)]
    return rate, statistics.median(before + after)


def raw_sqlite(batches: list[list[dict]], workdir: Path) -> float:
    """The same rows straight into SQLite: executemany INSERT OR IGNORE, UNIQUE uuid, a commit per batch."""
    conn = sqlite3.connect(workdir / f"raw-{uuid.uuid4().hex[:6]}.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")  # as durable as the server's commits
    conn.execute("CREATE TABLE record (id INTEGER PRIMARY KEY, uuid TEXT UNIQUE NOT NULL, type TEXT, "
                 "recorded_at TEXT, data TEXT)")
    start = time.perf_counter()
    for batch in batches:
        conn.execute("BEGIN")
        conn.executemany("INSERT OR IGNORE INTO record (uuid, type, recorded_at, data) VALUES (?, ?, ?, ?)",
                         [(r["uuid"], r["type"], r["recorded_at"], json.dumps(r["data"], ensure_ascii=False))
                          for r in batch])
        conn.execute("COMMIT")
    rate = sum(len(b) for b in batches) / (time.perf_counter() - start)
    conn.close()
    return rate


def raw_sqlite_schema(database: Path, records: int, workdir: Path) -> float:
    """The rows the server stores per inspection (its ledger row and the inspection, answers included),
    written with sqlite3 executemany into a copy of the server's own database (its indexes and foreign
    keys included), a commit per 500: what this schema costs SQLite itself, in records per second. The
    rows are copies of a stored inspection's, with new ids and uuids, built before the clock starts."""
    copy = workdir / f"schema-{uuid.uuid4().hex[:6]}.sqlite3"
    with sqlite3.connect(database) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    conn = sqlite3.connect(copy, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")  # as durable as the server's commits
    conn.execute("PRAGMA foreign_keys=ON")
    tables = {name: _sample_rows(conn, name, where, limit) for name, where, limit in (
        ("sync_record", "type = 'inspection'", 1), ("inspection", "1", 1))}
    next_id = conn.execute("SELECT max(id) FROM inspection").fetchone()[0] + 1
    batches = []
    for start in range(0, records, BATCH):
        ids = range(next_id + start, next_id + min(start + BATCH, records))
        batches.append({
            "sync_record": [_copy_of(tables["sync_record"], 0, uuid=uuid7()) for _ in ids],
            "inspection": [_copy_of(tables["inspection"], 0, id=i, uuid=uuid7()) for i in ids]})
    start = time.perf_counter()
    for batch in batches:
        conn.execute("BEGIN IMMEDIATE")
        for name, rows in batch.items():
            columns = tables[name][0]
            conn.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                             rows)
        conn.execute("COMMIT")
    rate = records / (time.perf_counter() - start)
    conn.close()
    return rate


def _sample_rows(conn, table: str, where: str, limit: int) -> tuple[list[str], list[tuple]]:
    """Column names (the id left to SQLite, except the inspection's) and some stored rows of `table`."""
    cursor = conn.execute(f"SELECT * FROM {table} WHERE {where} ORDER BY id LIMIT {limit}")
    names = [d[0] for d in cursor.description]
    keep = [i for i, name in enumerate(names) if name != "id" or table == "inspection"]
    return [names[i] for i in keep], [tuple(row[i] for i in keep) for row in cursor]


def _copy_of(sample: tuple[list[str], list[tuple]], index: int, **changes) -> tuple:
    names, rows = sample
    return tuple(changes.get(name, value) for name, value in zip(names, rows[index], strict=True))


def run(args, workdir: Path) -> list[dict]:
    with database(args.database_url, workdir) as url:
        app = migrated_app(url)
        with app.app_context():
            bench_school = school.build(db.session, "ingest", rooms=200, assets=0, fixes=0)
            template, dorms = dorm_checklist()
            db.session.remove()
            db.engine.dispose()
        runs = []
        with serve(url, args.workers) as base:
            token = requests.post(f"{base}/api/v1/auth/login", timeout=60, json={
                "username": bench_school.fixer, "password": school.PASSWORD, "device_name": "bench"}).json()["token"]
            # Every worker warmed (a worker's first push fills its caches): two batches at once per worker,
            # so a busy worker leaves the next to another.
            warm_up = make_batches(template, dorms, 2 * args.workers, args.type)
            post_all(base, token, [encode(b) for b in warm_up], args.workers, "accepted")
            for _ in range(args.runs):
                batches = make_batches(template, dorms, args.batches, args.type)
                first, raw = around_raw(batches, workdir, functools.partial(
                    post_all, base, token, [encode(b) for b in batches], args.clients, "accepted"))
                again = post_all(base, token, [encode(b) for b in batches], args.clients, "duplicate")
                figures = {"first push, records/s": first, "all duplicates, records/s": again,
                           "raw sqlite3 executemany, rows/s": raw, "first push / raw sqlite3": first / raw}
                if url.startswith("sqlite") and args.type == "inspection":
                    floor = raw_sqlite_schema(Path(url.removeprefix("sqlite:///")), len(batches) * BATCH, workdir)
                    figures.update({"raw sqlite3, this schema's rows, records/s": floor,
                                    "first push / this schema's raw": first / floor})
                runs.append(figures)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    # 24 (12,000 records): six were 0.1 s of pushes, started and ended with a core idle, and 3,000 raw
    # rows (2 MB of write-ahead log) never reached SQLite's checkpoint at 4 MB, which the server's
    # pushes, into a database that keeps growing, do reach (bench/README.md, "Sync push ingest").
    parser.add_argument("--batches", type=int, default=24, help="batches of 500 per run")
    parser.add_argument("--type", default="inspection", choices=["inspection", "bench_note"])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--clients", type=int, default=2, help="concurrent connections")
    parser.add_argument("--database-url", help="a PostgreSQL server URL; default a temporary SQLite file")
    args = parser.parse_args()
    name = database_name(args.database_url)
    print(f"push ingest, {name}, {args.type}, {args.batches}×{BATCH} records a run, {args.workers} workers, "
          f"{args.clients} clients; {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        runs = run(args, Path(tmp))
    print(f"median of {len(runs)} runs (min–max):")
    targets = {"first push, records/s": f"target ≥ {TARGETS[name]:,}", "first push / raw sqlite3": "target ≥ 0.25"}
    for key in runs[0]:
        fmt = "{:.3f}" if " / " in key else "{:,.0f}"
        target = f"   {targets[key]}" if key in targets else ""
        print(f"  {key:42s} {Spread.of([r[key] for r in runs]).format(fmt)}{target}")


if __name__ == "__main__":
    main()
