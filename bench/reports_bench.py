"""Report benchmarks over a year of history: 720 dorm rooms checked (nearly) every day for 365 days, ten
canteen zones with daily 四防 and food-safety checks, and the fixes they opened.

    .venv/bin/python bench/reports_bench.py [--rooms 720] [--days 365] [--runs 5] [--database-url URL]

The history is written straight into the tables (one row per inspection, its judged items with it, as
the record handler writes them); on PostgreSQL the tables are then analysed, as autovacuum does soon after
any large change (without statistics its planner took the week's 2,700 checks for one row, and the
weekly ranking took 7 s instead of 0.1 s); then each report is computed the way the API computes it, on a
warm database. Prints the median, min and max of the runs; asserts nothing. Target: 500 ms per report.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import analysed, database, database_name, machine, migrated_app, print_spreads, timed
from server.extensions import db
from server.models import Action, Building, Inspection, Room, Site, TemplateVersion, User
from server.services import exports, reports, templates
from server.services.checklists import Checklist

ROOMS_PER_FLOOR, FLOORS = 20, 6
CHUNK = 2_000  # inspections per INSERT
ZONES = ["主食库", "副食库", "粗加工间", "切配间", "烹饪间", "备餐间", "留样间", "餐具消毒间", "学生餐厅", "教师餐厅"]


def _catalogue(site_id: int, rooms: int) -> tuple[list[int], list[int], list[int]]:
    """Dorm buildings of 6 floors × 20 rooms, a canteen of ten zones, five inspectors."""
    users = [User(site_id=site_id, username=f"bench{i}", display_name=f"检查员{i}", roles_csv="inspector,fixer",
                  password_hash="!") for i in range(5)]  # noqa: S106 - no password: nobody logs in
    db.session.add_all(users)
    dorms, zones = [], []
    per_building = ROOMS_PER_FLOOR * FLOORS
    for b in range((rooms + per_building - 1) // per_building):
        building = Building(site_id=site_id, name=f"{b + 1}号宿舍楼", kind="dorm", floors=FLOORS)
        db.session.add(building)
        db.session.flush()
        for n in range(min(per_building, rooms - b * per_building)):
            floor = n // ROOMS_PER_FLOOR + 1
            dorms.append(Room(site_id=site_id, building_id=building.id, name=f"{b + 1}-{floor}{n % 20 + 1:02d}",
                              kind="dorm", floor=floor, class_name=f"高{floor % 3 + 1}({n % 20 // 2 + 1})班",
                              responsible_user_id=users[0].id))
    canteen = Building(site_id=site_id, name="学生食堂", kind="canteen", floors=2)
    db.session.add(canteen)
    db.session.flush()
    zones = [Room(site_id=site_id, building_id=canteen.id, name=z, kind="canteen_zone", floor=1,
                  responsible_user_id=users[1].id) for z in ZONES]
    db.session.add_all(dorms + zones)
    db.session.flush()
    return [r.id for r in dorms], [r.id for r in zones], [u.id for u in users]


def _answers(template: TemplateVersion, rng: random.Random, fail_rate: float) -> dict:
    answers = {}
    for item in template.items:
        failing = rng.random() < fail_rate
        kind = item["kind"]
        if kind == "pass_fail":
            answers[item["key"]] = {"result": "fail" if failing else "pass"}
        elif kind == "deduction":
            answers[item["key"]] = {"deduct": rng.randint(1, int(item["points"]) // 2) if failing else 0}
        elif kind == "number":
            low, high = item.get("min"), item.get("max")
            answers[item["key"]] = {"value": (low if low is not None else high) - (50 if failing else 0)}
        elif kind == "choice":
            answers[item["key"]] = {"choice": item["options"][-1 if failing else 0]["key"]}
    return answers


class _Writer:
    """Inspections as the handler would store them, written in large batches."""

    def __init__(self, site_id: int):
        self.site_id, self.next_id = site_id, 1
        self.inspections: list[dict] = []
        self.actions: list[dict] = []
        self.checklists: dict[int, Checklist] = {}

    def add(self, template: TemplateVersion, room_id: int, inspector_id: int, at: datetime, answers: dict,
            with_actions: bool) -> None:
        if template.id not in self.checklists:
            self.checklists[template.id] = Checklist(template.items, template.scoring, template.max_score)
        result = self.checklists[template.id].evaluate(answers)
        inspection_id, self.next_id = self.next_id, self.next_id + 1
        self.inspections.append(dict(
            id=inspection_id, site_id=self.site_id, uuid=f"00000000-0000-4000-8000-{inspection_id:012d}",
            template_version_id=template.id, category=template.category, room_id=room_id, asset_id=None,
            inspector_id=inspector_id, device_id=None, recorded_at=at, received_at=at, performed_at=at,
            day=(at + timedelta(hours=8)).date(), scanned=True, score=result.score, max_score=result.max_score,
            phone_score=None, failed_count=len(result.failures), flags=[], note=None, photos=[],
            answers=result.stored))
        if with_actions:
            self.actions += [dict(
                site_id=self.site_id, version=1, inspection_id=inspection_id, item_key=j.item["key"],
                title=j.item["text"], title_en=j.item.get("text_en", ""), room_id=room_id, asset_id=None,
                assignee_id=inspector_id, hazard=bool(j.item.get("hazard")), deadline=at + timedelta(hours=24),
                status="verified" if at.date() < date.today() - timedelta(days=3) else "open",
                evidence_photos=[], fix_photos=[], repeat_count=0, flags=[], created_at=at)
                for j in result.failures if j.item.get("creates_action", True)]
        if len(self.inspections) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        for model, rows in ((Inspection, self.inspections), (Action, self.actions)):
            if rows:
                db.session.execute(insert(model), rows)
            rows.clear()


def build_history(site_id: int, rooms: int, days: int, today: date) -> dict[str, int]:
    rng = random.Random(1)
    dorms, zones, inspectors = _catalogue(site_id, rooms)
    templates.install_builtin(db.session, site_id)
    versions = {v.family: v for v in db.session.scalars(select(TemplateVersion).where(
        TemplateVersion.site_id == site_id))}
    writer = _Writer(site_id)
    for days_ago in range(days - 1, -1, -1):
        day = today - timedelta(days=days_ago)
        morning = datetime.combine(day, time(0), tzinfo=UTC)  # 08:00 in the school
        for i, room in enumerate(dorms):
            if rng.random() < 0.95:
                writer.add(versions["dorm_hygiene"], room, inspectors[i % 3], morning + timedelta(seconds=i),
                           _answers(versions["dorm_hygiene"], rng, 0.1), with_actions=False)
        for i, zone in enumerate(zones):
            writer.add(versions["canteen_four_preventions"], zone, inspectors[3],
                       morning + timedelta(hours=2, minutes=i),
                       _answers(versions["canteen_four_preventions"], rng, 0.03), with_actions=True)
        writer.add(versions["food_safety_daily"], zones[4], inspectors[4], morning + timedelta(hours=3),
                   _answers(versions["food_safety_daily"], rng, 0.03), with_actions=True)
    writer.flush()
    analysed(db.session)
    return {"inspections": writer.next_id - 1, "dorm rooms": len(dorms)}


def measure(site_id: int, today: date) -> dict[str, float]:
    week_ago, month_ago, year_ago = today - timedelta(days=7), today - timedelta(days=27), today - timedelta(days=364)
    cases = {
        "daily notice (today)": lambda: reports.daily_notice(db.session, site_id, today),
        "daily notice (a week ago)": lambda: reports.daily_notice(db.session, site_id, week_ago),
        "weekly ranking": lambda: reports.weekly_ranking(db.session, site_id, today),
        "canteen compliance (28 days)": lambda: reports.canteen_compliance(db.session, site_id, month_ago, today),
        "canteen compliance (365 days)": lambda: reports.canteen_compliance(db.session, site_id, year_ago, today),
        "coverage (28 days, stale 3 d)": lambda: reports.coverage(
            db.session, site_id, reports.CoverageArgs(month_ago, today, 3), today),
        "coverage (365 days)": lambda: reports.coverage(
            db.session, site_id, reports.CoverageArgs(year_ago, today, 3), today),
        "daily notice as XLSX": lambda: exports.to_xlsx(exports.tables(
            "daily-notice", reports.daily_notice(db.session, site_id, today))),
        "weekly ranking as XLSX": lambda: exports.to_xlsx(exports.tables(
            "weekly-ranking", reports.weekly_ranking(db.session, site_id, today))),
    }
    figures = {}
    for name, run in cases.items():
        seconds, _ = timed(run)
        figures[name] = seconds * 1000
        db.session.rollback()  # nothing cached in the session between reports
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", type=int, default=720)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server URL; default a SQLite file")
    parser.add_argument("--keep", type=Path, default=None,
                        help="a SQLite file to build once and measure again on later runs (tuning indexes)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        if args.keep:
            run_on(f"sqlite:///{args.keep.resolve()}", args, "SQLite")
        else:
            with database(args.database_url, Path(workdir)) as url:
                run_on(url, args, database_name(args.database_url))
    print(f"\n{machine()}")


def run_on(url: str, args, engine_name: str) -> None:
    today = reports.today()
    app = migrated_app(url)
    with app.app_context():
        site_id = db.session.scalar(select(Site.id).where(Site.code == "bench"))
        if site_id is None:
            site = Site(code="bench", name="基准学校")
            db.session.add(site)
            db.session.flush()
            site_id = site.id
            seconds, sizes = timed(lambda: build_history(site_id, args.rooms, args.days, today))
            print(f"{engine_name}: {sizes['inspections']:,} inspections "
                  f"({sizes['dorm rooms']} dorm rooms × {args.days} days) written in {seconds:.0f} s")
        measure(site_id, today)  # warm the caches once
        runs = [measure(site_id, today) for _ in range(args.runs)]
    print_spreads(f"{engine_name}: reports over {args.days} days", runs, fmt="{:.0f}", unit=" ms")


if __name__ == "__main__":
    main()
