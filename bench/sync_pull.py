"""A phone's first pull of a whole school: 1,000 rooms, 5,000 assets, every built-in checklist and 500
open fixes (made by pushing 500 failed dorm inspections), pulled from scratch through real HTTP from a
gunicorn server on loopback, on SQLite and PostgreSQL.

    .venv/bin/python bench/sync_pull.py [--db sqlite postgresql] [--runs 3] [--limit 2000]

Prints the time to pull every page (wall time of the page requests on loopback: server work plus a
loopback transfer) and the bytes on the wire (gzip), median (min–max) of the runs.
"""
from __future__ import annotations

import argparse
import gzip
import json
import time
import uuid

import requests
from sync_school import build_school, fresh_database, inspections, login, serve, summary


def make_fixes(base: str, token: str, school, count: int) -> None:
    """`count` open fixes, each from a dorm inspection that found a leak."""
    headers = {"Authorization": f"Bearer {token}"}
    for start in range(0, count, 250):
        records = inspections(school, min(250, count - start), failed="leaks", first_room=start)
        resp = requests.post(f"{base}/api/v1/sync/push", json={"batch_id": str(uuid.uuid4()), "records": records},
                             headers=headers, timeout=600)
        resp.raise_for_status()
        assert {r["status"] for r in resp.json()["results"]} == {"accepted"}


def first_pull(base: str, token: str, limit: int) -> tuple[float, int, dict[str, int]]:
    """Seconds, bytes on the wire and objects by type, for pulling everything from scratch."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
    cursor, seconds, wire, types = None, 0.0, 0, {}
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        start = time.perf_counter()
        resp = session.get(f"{base}/api/v1/sync/pull", params=params, headers=headers, timeout=600, stream=True)
        raw = resp.raw.read(decode_content=False)
        seconds += time.perf_counter() - start
        assert resp.status_code == 200 and resp.headers.get("Content-Encoding") == "gzip"
        wire += len(raw)
        page = json.loads(gzip.decompress(raw))
        for change in page["changes"]:
            types[change["type"]] = types.get(change["type"], 0) + 1
        cursor = page["cursor"]
        if not page["has_more"]:
            return seconds, wire, types


def bench(kind: str, args) -> None:
    times, sizes = [], []
    with fresh_database(kind) as url:
        school = build_school(url, rooms=1000, assets=5000)
        with serve(url, workers=1) as base:
            token = login(base, school.username)
            make_fixes(base, token, school, 500)
            for _ in range(args.runs):
                seconds, wire, types = first_pull(base, token, args.limit)
                times.append(seconds * 1000)
                sizes.append(wire / 1000)
    print(f"{kind:10} objects {types} · server time {summary(times)} ms · on the wire (gzip) {summary(sizes)} kB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=2000, help="changes per page (the server allows 2000)")
    args = parser.parse_args()
    for kind in args.db:
        bench(kind, args)


if __name__ == "__main__":
    main()
