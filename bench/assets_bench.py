"""Asset ledger benchmarks: a 10,000-row XLSX ledger checked (dry run) and imported, and a
10,000-asset stocktake with 10,000 scans from 4 auditors reconciled.

    .venv/bin/python bench/assets_bench.py [--rows 10000] [--runs 3] [--database-url URL]

Each run starts from an empty database (a temporary SQLite file unless --database-url names a
PostgreSQL server, where a database of its own is created and dropped). Prints the median, min and
max of the runs; asserts nothing.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import database, database_name, machine, migrated_app, print_spreads, timed
from server.extensions import db
from server.models import Asset, Building, Room, Site, StocktakeScan, User
from server.services import ledger_import, stocktakes

HEADERS = ["资产编号", "资产名称", "资产类别", "规格型号", "数量", "单价", "购置日期", "使用部门", "存放地点", "保管人"]
CATALOG = [("学生课桌椅", "课桌椅", "升降式", 320), ("交互式一体机", "多媒体设备", "86寸", 12800),
           ("台式电脑", "电脑", "i5/16G/512G", 4600), ("壁挂空调", "空调", "1.5匹", 2999),
           ("干粉灭火器", "灭火器", "MFZ/ABC4", 85), ("文件柜", "办公家具", "钢制", 650)]
BUILDINGS, ROOMS_PER_BUILDING = 10, 50


def write_ledger(path: Path, rows: int) -> None:
    """A ledger as Excel or WPS save it. Not write-only: that mode leaves out the sheet's <dimension>,
    and openpyxl then reads the whole sheet once more just to size it (about +0.6 s per read here)."""
    book = Workbook()
    sheet = book.active
    sheet.append(["基准学校固定资产登记表"])
    sheet.append(HEADERS)
    rng = random.Random(7)
    for i in range(rows):
        name, category, spec, price = CATALOG[i % len(CATALOG)]
        b, r = rng.randrange(BUILDINGS), rng.randrange(ROOMS_PER_BUILDING)
        sheet.append([f"ZC-{i:06d}", name, category, spec, 1, price,
                      date(2015, 1, 1) + timedelta(days=rng.randrange(3000)), "总务处", f"{b + 1}号楼 {r + 101}",
                      f"保管人{i % 97}"])
    book.save(path)


@contextmanager
def fresh_app(database_url: str | None, workdir: Path):
    """An app on an empty, migrated database of its own."""
    with database(database_url, workdir) as url:
        app = migrated_app(url, LEDGER_IMPORT_DIR=str(workdir))
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()


def bench_user(site_id: int, username: str, role: str) -> User:
    """A user nobody logs in as: no password hash matches "!"."""
    user = User(site_id=site_id, username=username, display_name=username, password_hash="!", roles_csv=role)  # noqa: S106
    db.session.add(user)
    db.session.flush()
    return user


def school() -> tuple[int, int]:
    site = Site(code="bench", name="基准学校")
    db.session.add(site)
    db.session.flush()
    user = bench_user(site.id, "bench.admin", "admin")
    for b in range(BUILDINGS):
        building = Building(site_id=site.id, name=f"{b + 1}号楼", kind="teaching", floors=5)
        db.session.add(building)
        db.session.flush()
        db.session.add_all(Room(site_id=site.id, building_id=building.id, name=str(r + 101), kind="classroom")
                           for r in range(ROOMS_PER_BUILDING))
    db.session.commit()
    return site.id, user.id


def import_run(ledger: Path, database_url: str | None, workdir: Path) -> dict[str, float]:
    with fresh_app(database_url, workdir) as app:
        site_id, user_id = school()
        user = db.session.get(User, user_id)

        def upload():
            job = ledger_import.create_import(db.session, site_id, user, ledger.name, ledger.read_bytes(), workdir,
                                              app.config["LEDGER_MAX_BYTES"])
            db.session.commit()
            return job.id

        def run(job_id: int, apply: bool):
            job = ledger_import.get_import(db.session, job_id)
            ledger_import.start(job, apply=apply)
            db.session.commit()
            job = ledger_import.run_job(db.session, site_id, job_id, workdir, today=date.today())
            assert job.state == ("imported" if apply else "checked") and not job.bad_rows, (job.state, job.bad_rows)
            return job.summary

        t_upload, job_id = timed(upload)
        t_dry, summary = timed(lambda: run(job_id, False))
        t_import, _ = timed(lambda: run(job_id, True))
        t_again, again = timed(lambda: run(upload(), True))
        assert again["unchanged"] == summary["rows"], again
        return {"upload + header": t_upload, "dry run": t_dry, "import": t_import,
                "dry run + import": t_upload + t_dry + t_import, "same file again": t_again}


def reconcile_run(assets: int, scans: int, auditors: int, database_url: str | None, workdir: Path) -> dict:
    with fresh_app(database_url, workdir):
        site_id, user_id = school()
        rooms = db.session.scalars(select(Room.id).order_by(Room.id)).all()
        rng = random.Random(11)
        db.session.execute(insert(Asset), [
            {"site_id": site_id, "tag": f"ZC-{i:06d}", "name": "台式电脑", "category": "电脑",
             "room_id": rooms[i % len(rooms)], "status": "in_use", "quantity": 1, "version": 1}
            for i in range(assets)])
        auditor_ids = []
        for n in range(auditors):
            auditor_ids.append(bench_user(site_id, f"bench.a{n}", "auditor").id)
        stocktake = stocktakes.open_stocktake(db.session, site_id, db.session.get(User, user_id), "基准盘点")
        db.session.commit()
        book = db.session.execute(select(Asset.id, Asset.room_id)).all()
        now = datetime(2026, 11, 20, tzinfo=UTC)
        # 95% of sightings are assets on the book (90% of the book gets seen, some of it twice by
        # overlapping auditors; 1 in 20 somewhere other than its book room), the rest unknown labels.
        pool = rng.sample(book[: int(len(book) * 0.9)], int(len(book) * 0.9))
        rows = []
        for i in range(scans):
            known = i < scans * 0.95
            seen = pool[i] if i < len(pool) else rng.choice(pool)
            asset_id, room = seen if known else (None, rng.choice(rooms))
            if known and rng.random() < 0.05:
                room = rng.choice(rooms)
            rows.append({"site_id": site_id, "uuid": str(uuid.uuid4()), "stocktake_id": stocktake.id,
                         "asset_id": asset_id, "label": None if known else f"OLD-{i}", "room_id": room,
                         "condition": "damaged" if i % 50 == 0 else "good", "photos": [],
                         "description": None if known else "无帐物品", "auditor_id": auditor_ids[i % auditors],
                         "recorded_at": now + timedelta(seconds=i), "received_at": now + timedelta(hours=1)})
        db.session.execute(insert(StocktakeScan), rows)
        db.session.commit()
        stocktake = stocktakes.get(db.session, stocktake.id)

        def reconcile():
            return stocktakes.result(db.session, stocktake).totals()

        def progress():
            return stocktakes.live_progress(db.session, stocktakes.result(db.session, stocktake))

        def approve():
            stocktakes.approve(db.session, stocktake, db.session.get(User, user_id))
            db.session.commit()

        t_rec, totals = timed(reconcile)
        t_prog, _ = timed(progress)
        t_approve, _ = timed(approve)
        return {"reconcile (load + match)": t_rec, "live progress": t_prog, "approve (apply + freeze)": t_approve,
                "_totals": totals}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--scans", type=int, default=10_000)
    parser.add_argument("--auditors", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", help="a PostgreSQL server URL; default a temporary SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        ledger = workdir / "ledger.xlsx"
        write_ledger(ledger, args.rows)
        print(f"ledger: {args.rows} rows, {ledger.stat().st_size / 1e6:.1f} MB; "
              f"database: {database_name(args.database_url)}; {machine()}")
        print_spreads(f"{args.rows}-row XLSX ledger", [import_run(ledger, args.database_url, workdir)
                                                      for _ in range(args.runs)])
        runs = [reconcile_run(args.rows, args.scans, args.auditors, args.database_url, workdir)
                for _ in range(args.runs)]
        print_spreads(f"{args.rows} assets, {args.scans} scans by {args.auditors} auditors", runs)
        print(f"  {runs[0]['_totals']}")


if __name__ == "__main__":
    main()
