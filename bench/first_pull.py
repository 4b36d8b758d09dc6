"""A phone's first pull of a whole school: 1,000 rooms, 5,000 assets, every built-in checklist and 500
open fixes assigned to the phone's user, paged as the phone app pulls (500 changes a page), gzip
accepted as every phone browser does.

    .venv/bin/python bench/first_pull.py [--rooms 1000] [--assets 5000] [--fixes 500] [--limit 500]
                                         [--runs 3] [--database-url postgresql+psycopg://…]

The app is served as gunicorn serves it (what exists before the first request frozen out of the
garbage collector, as server.served does) from a school whose statistics PostgreSQL has gathered.
Each run pulls twice: the first phone, with nothing kept from earlier pulls (sync.feed.dumps cleared),
and the next phone, which gets the objects the first one's pull kept. Server time is the WSGI app's
time for every page (routing, token, feed query, dump, JSON, gzip) with no network in between; server
CPU is this process's CPU time for the same (on SQLite that is all the work but for a few percent of
the bench's own JSON parsing, and it does not grow when other programs crowd the machine); wire bytes
are the gzip bodies. The floor it is compared to, timed in the same run: one plain SELECT of each
pulled table, and JSON-encoding and gzipping the very pages the server sent.
Prints median (min–max) of the runs; asserts nothing.
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from bench import school
from bench.common import Spread, analysed, database, database_name, machine, migrated_app, timed
from server import served
from server.extensions import db
from server.models import Action, Asset, Building, Room, TemplateVersion
from sync import feed
from sync.models import SyncChange

TARGETS = {"server time": 1.0, "wire MB (gzip)": 1.5}


def login(client, username: str) -> str:
    resp = client.post("/api/v1/auth/login", json={"username": username, "password": school.PASSWORD,
                                                  "device_name": "bench phone"})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["token"]


def pull_everything(client, token: str, limit: int) -> dict:
    """Every page from no cursor to has_more false; time and bytes of each."""
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
    cursor, seconds, wire, raw, pages, kinds = None, 0.0, 0, 0, [], Counter()
    cpu_start = time.process_time()
    while True:
        url = f"/api/v1/sync/pull?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        took, resp = timed(lambda url=url: client.get(url, headers=headers))
        assert resp.status_code == 200, resp.data[:300]
        body = gzip.decompress(resp.data) if resp.headers.get("Content-Encoding") == "gzip" else resp.data
        page = json.loads(body)
        seconds, wire, raw = seconds + took, wire + len(resp.data), raw + len(body)
        pages.append(page)
        kinds.update(c["type"] for c in page["changes"])
        cursor = page["cursor"]
        if not page["has_more"]:
            return {"server time": seconds, "server CPU": time.process_time() - cpu_start,
                    "wire MB (gzip)": wire / 1e6, "JSON MB": raw / 1e6,
                    "_pages": pages, "_kinds": kinds}


def floor(pages: list[dict]) -> float:
    """The least any pull could do: read the rows, encode the same JSON, gzip it."""
    def work():
        for model in (SyncChange, Building, Room, Asset, TemplateVersion, Action):
            db.session.execute(select(*model.__table__.columns)).all()
        for page in pages:
            gzip.compress(json.dumps(page, ensure_ascii=False).encode(), compresslevel=6)
    return timed(work)[0]


def run(args, workdir: Path) -> list[dict]:
    with database(args.database_url, workdir) as url:
        app = migrated_app(url)
        with app.app_context():
            built, bench_school = timed(lambda: school.build(db.session, "pull", rooms=args.rooms, assets=args.assets,
                                                            fixes=args.fixes))
            print(f"school built in {built:.1f} s")
            analysed(db.session)
            client = app.test_client()
            token = login(client, bench_school.fixer)
            # What exists before the first request (here the app, and the school built through the ORM) out
            # of the collector's generations, as under gunicorn. Without it a full collection in the middle
            # of the pull walked it all: one page took four times the others.
            db.session.expunge_all()
            served(app)
            runs = []
            for _ in range(args.runs):
                feed.dumps.clear()
                result = pull_everything(client, token, args.limit)
                result["floor"] = floor(result["_pages"])
                result["server time / floor"] = result["server time"] / result["floor"]
                later = pull_everything(client, token, args.limit)
                result["next phone: server time"] = later["server time"]
                result["next phone: server CPU"] = later["server CPU"]
                runs.append(result)
            db.session.remove()
            db.engine.dispose()
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=1000)
    parser.add_argument("--assets", type=int, default=5000)
    parser.add_argument("--fixes", type=int, default=500)
    parser.add_argument("--limit", type=int, default=500, help="changes per page (the phone app asks 500)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", help="a PostgreSQL server URL; default a temporary SQLite file")
    args = parser.parse_args()
    print(f"first pull, {database_name(args.database_url)}; {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        runs = run(args, Path(tmp))
    kinds = runs[0]["_kinds"]
    print(f"{sum(kinds.values())} objects in {len(runs[0]['_pages'])} pages of {args.limit}: "
          + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())))
    print(f"median of {len(runs)} runs (min–max):")
    for key in ("server time", "server CPU", "wire MB (gzip)", "JSON MB", "floor", "server time / floor",
                "next phone: server time", "next phone: server CPU"):
        target = f"   target ≤ {TARGETS[key]}" if key in TARGETS else ""
        unit = " s" if key.endswith(("time", "CPU", "floor")) else ""
        print(f"  {key:22s} {Spread.of([r[key] for r in runs]).format('{:.2f}', unit)}{target}")


if __name__ == "__main__":
    main()
