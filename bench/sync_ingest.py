"""Push ingest through real HTTP: batches of 500 dorm inspections (about 1 KB each, validated against
their checklist) posted to a gunicorn server on loopback, on SQLite and PostgreSQL; then the same
records again in new batches (all duplicates); and, in the same run, the raw sqlite3 executemany
INSERT OR IGNORE of the same rows into a table with a UNIQUE uuid, the limit SQLite itself sets.

    .venv/bin/python bench/sync_ingest.py [--db sqlite postgresql] [--runs 3] [--batches 6]
        [--type inspection|bench_note] [--workers 2] [--clients 2]

`--type bench_note` pushes records that store nothing but their ledger row: the engine and HTTP alone.
Prints median (min–max) of the runs.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from sync_school import build_school, fresh_database, inspections, login, serve, summary

BATCH = 500


def _bodies(school, batches: int, type_: str) -> tuple[list[list[dict]], list[bytes]]:
    records = [inspections(school, BATCH) for _ in range(batches)]
    for batch in records:
        for rec in batch:
            rec["type"] = type_
    return records, [_encode(batch) for batch in records]


def _encode(records: list[dict]) -> bytes:
    return json.dumps({"batch_id": str(uuid.uuid4()), "records": records}, ensure_ascii=False).encode()


def _post_all(base: str, token: str, bodies: list[bytes], clients: int, expect: str) -> float:
    """Send every body over `clients` keep-alive connections; records per second."""
    sessions = [requests.Session() for _ in range(clients)]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def send(i: int) -> None:
        resp = sessions[i % clients].post(f"{base}/api/v1/sync/push", data=bodies[i], headers=headers, timeout=300)
        resp.raise_for_status()
        statuses = {r["status"] for r in resp.json()["results"]}
        assert statuses == {expect}, statuses

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(send, range(len(bodies))))
    return len(bodies) * BATCH / (time.perf_counter() - start)


def raw_sqlite(records: list[list[dict]]) -> float:
    """The same rows straight into SQLite: executemany INSERT OR IGNORE, UNIQUE uuid, a commit per batch."""
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(Path(tmp) / "raw.sqlite3", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE record (id INTEGER PRIMARY KEY, uuid TEXT UNIQUE NOT NULL, type TEXT, "
                     "recorded_at TEXT, data TEXT)")
        start = time.perf_counter()
        for batch in records:
            conn.execute("BEGIN")
            conn.executemany("INSERT OR IGNORE INTO record (uuid, type, recorded_at, data) VALUES (?, ?, ?, ?)",
                             [(r["uuid"], r["type"], r["recorded_at"], json.dumps(r["data"], ensure_ascii=False))
                              for r in batch])
            conn.execute("COMMIT")
        rate = sum(len(b) for b in records) / (time.perf_counter() - start)
        conn.close()
    return rate


def bench(kind: str, args) -> None:
    first, again, raw = [], [], []
    with fresh_database(kind) as url:
        school = build_school(url)
        with serve(url, workers=args.workers) as base:
            token = login(base, school.username)
            _post_all(base, token, _bodies(school, 1, args.type)[1], 1, "accepted")  # warm up
            for _ in range(args.runs):
                records, bodies = _bodies(school, args.batches, args.type)
                first.append(_post_all(base, token, bodies, args.clients, "accepted"))
                again.append(_post_all(base, token, [_encode(b) for b in records], args.clients, "duplicate"))
                raw.append(raw_sqlite(records))
    print(f"{kind:10} {args.type:10} first push {summary(first)} records/s · all duplicates {summary(again)} "
          f"records/s · raw sqlite3 executemany {summary(raw)} rows/s · ratio {_ratio(first, raw)}")


def _ratio(first: list[float], raw: list[float]) -> str:
    ratios = sorted(f / r for f, r in zip(first, raw, strict=True))
    return f"{ratios[len(ratios) // 2]:.3f} ({ratios[0]:.3f}–{ratios[-1]:.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batches", type=int, default=6, help="batches of 500 per run")
    parser.add_argument("--type", default="inspection", choices=["inspection", "bench_note"])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--clients", type=int, default=2, help="concurrent connections")
    args = parser.parse_args()
    print(f"{args.runs} runs of {args.batches} batches of {BATCH}, {args.workers} workers, {args.clients} clients")
    for kind in args.db:
        bench(kind, args)


if __name__ == "__main__":
    main()
