"""Reports against a hand-counted fixture week: 每日通报, 每周评比, canteen compliance, coverage, and
their CSV/XLSX exports. The dorm checklist gets a new version mid-way; older records keep reading
against the version they were made with."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from server.services.reports import today, week_start
from tests.inspections.conftest import passing_answers, photo, push, record, template_items

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOMS = ("1-101", "1-102", "1-201", "1-202")

# (week: 0 this fixture week / -1 the week before, weekday, room, deductions, hour); score = 100 - deductions
DORM_CHECKS = [
    (-1, 0, "1-101", {"quilt": 10}, 9),
    (-1, 1, "1-102", {"floor": 15, "clutter": 5}, 9),
    (-1, 2, "1-202", {}, 9),
    (0, 0, "1-101", {"quilt": 5}, 9),
    (0, 1, "1-101", {"line": 15}, 9),
    (0, 1, "1-101", {}, 15),  # re-check after tidying: the day's last check counts
    (0, 2, "1-101", {"clutter": 10}, 9),
    (0, 0, "1-102", {"quilt": 15, "floor": 15}, 9),
    (0, 2, "1-102", {"water": 10, "tidy": 10}, 9),
    (0, 0, "1-201", {}, 9),
    (0, 1, "1-201", {"quilt": 4}, 9),
    (0, 1, "1-202", {"line": 12}, 9),
]


def fixture_monday() -> date:
    # The last full week, so every record is a few days old (a phone's clock is believed up to 30 days back).
    return week_start(today()) - timedelta(days=7)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


@pytest.fixture
def week(app, school):
    """The fixture week pushed by phones; version 2 of the dorm checklist is used from Wednesday on."""
    v1 = school.templates["dorm_hygiene"]
    draft = school.admin.post(f"/api/v1/templates/{v1}/copy").get_json()
    items = draft["items"]
    items[0].update(text="被子叠放整齐", points=10)
    items.insert(6, {"key": "balcony", "kind": "deduction", "text": "阳台整洁", "text_en": "Balcony tidy", "points": 5,
                     "creates_action": False})
    assert school.admin.patch(f"/api/v1/templates/{draft['id']}", json={"items": items}).status_code == 200
    v2 = school.admin.post(f"/api/v1/templates/{draft['id']}/publish").get_json()["id"]
    rooms = dict(zip(ROOMS, school.dorms, strict=True))
    monday = fixture_monday()
    records = []
    for week_no, weekday, room, deductions, hour in DORM_CHECKS:
        version = v2 if week_no == 0 and weekday >= 2 else v1
        answers = passing_answers(template_items(app, version))
        answers.update({k: {"deduct": v, "photos": [photo(f"{room}-{k}")]} for k, v in deductions.items()})
        day = monday + timedelta(days=7 * week_no + weekday)
        inspector = school.admin if hour == 15 else school.inspector
        records.append((inspector, record("inspection", {"template_id": version, "room_id": rooms[room],
                                                         "answers": answers, "scanned": True}, _at(day, hour))))
    for inspector, rec in records:
        [result] = push(app, inspector, [rec])
        assert result["status"] == "accepted", result
    return {"monday": monday, "v1": v1, "v2": v2}


def test_daily_notice_of_the_fixture_tuesday(school, week):
    tuesday = week["monday"] + timedelta(days=1)
    notice = school.admin.get(f"/api/v1/reports/daily-notice?day={tuesday}").get_json()
    assert notice["summary"] == {"rooms": 4, "checked": 3, "unchecked": 1, "average": 94.67, "best": 100,
                                 "worst": 88}
    scores = {s["room"]: s for s in notice["scores"]}
    assert {room: s["score"] for room, s in scores.items()} == {"1-101": 100, "1-201": 96, "1-202": 88}
    assert scores["1-101"]["deductions"] == []
    assert [(d["text"], d["points"]) for d in scores["1-201"]["deductions"]] == [("被子叠成豆腐块", 4)]
    assert scores["1-202"]["photos"] == [photo("1-202-line")]
    assert [u["room"] for u in notice["unchecked"]] == ["1-102"]


def test_old_records_read_against_their_version_after_a_new_one_is_published(school, week):
    monday, wednesday = week["monday"], week["monday"] + timedelta(days=2)
    before = {s["room"]: s for s in school.admin.get(f"/api/v1/reports/daily-notice?day={monday}")
              .get_json()["scores"]}
    assert before["1-102"]["score"] == 70
    assert [(d["text"], d["points"]) for d in before["1-102"]["deductions"]] == [
        ("被子叠成豆腐块", 15), ("地面洁净干燥", 15)]
    after = {s["room"]: s for s in school.admin.get(f"/api/v1/reports/daily-notice?day={wednesday}")
             .get_json()["scores"]}
    assert {room: s["score"] for room, s in after.items()} == {"1-101": 90, "1-102": 80}


def _by_name(rows):
    return {r["name"]: (r["rank"], r["average"], r["checks"], r["last_week"], r["change"]) for r in rows}


def test_weekly_ranking_of_the_fixture_week(school, week):
    ranking = school.admin.get(f"/api/v1/reports/weekly-ranking?day={week['monday'] + timedelta(days=3)}").get_json()
    assert ranking["week_start"] == week["monday"].isoformat()
    levels = ranking["levels"]
    assert _by_name(levels["room"]) == {
        "1-201": (1, 98, 2, None, None),
        "1-101": (2, 95, 3, 90, 5),
        "1-202": (3, 88, 1, 100, -12),
        "1-102": (4, 75, 2, 80, -5),
    }
    assert _by_name(levels["floor"]) == {"1号宿舍楼 2F": (1, 94.67, 3, 100, -5.33),
                                         "1号宿舍楼 1F": (2, 87, 5, 85, 2)}
    assert _by_name(levels["building"]) == {"1号宿舍楼": (1, 89.88, 8, 90, -0.12)}
    assert _by_name(levels["class"]) == {"高一(1)班": (1, 96.2, 5, 90, 6.2), "高一(2)班": (2, 79.33, 3, 90, -10.67)}
    assert [r["name"] for r in ranking["best"]] == ["1-201", "1-101", "1-202", "1-102"]
    assert [r["name"] for r in ranking["worst"]] == ["1-102", "1-202", "1-101", "1-201"]


def test_coverage_counts_who_checked_what(school, week):
    monday = week["monday"]
    report = school.admin.get(f"/api/v1/reports/coverage?first={monday}&last={monday + timedelta(days=6)}"
                              "&stale_days=30").get_json()
    people = {p["name"]: (p["checks"], p["days"], p["rooms"], p["by_category"]["dorm"]) for p in report["inspectors"]}
    assert people == {"zhang": (8, 3, 4, 8), "boss": (1, 1, 1, 1)}
    assert sorted(r["room"] for r in report["stale_rooms"]) == ["主食库", "烹饪间"]
    assert all(r["last_day"] is None for r in report["stale_rooms"])


def test_canteen_compliance_per_zone_and_item(app, school):
    four = school.templates["canteen_four_preventions"]
    day = today() - timedelta(days=1)
    failing = passing_answers(template_items(app, four))
    failing["rodent_signs"] = {"result": "fail", "photos": [photo("droppings")]}
    failing["screens"] = {"result": "fail"}
    # Not applicable (no fly lamp in this zone): neither passed nor failed, so not counted.
    without_lamps = passing_answers(template_items(app, four)) | {"fly_lamps": {"result": "na"}}
    checks = [(school.zones[0], failing), (school.zones[0], without_lamps),
              (school.zones[1], passing_answers(template_items(app, four)))]
    results = push(app, school.inspector, [record("inspection", {"template_id": four, "room_id": room,
                                                                 "answers": answers}, _at(day, 10 + i))
                                           for i, (room, answers) in enumerate(checks)])
    assert [r["status"] for r in results] == ["accepted"] * 3
    report = school.admin.get(f"/api/v1/reports/canteen?first={day}&last={day}").get_json()
    zones = {z["name"]: (z["checks"], z["evaluated"], z["failed"], z["pass_rate"]) for z in report["zones"]}
    assert zones == {"主食库": (2, 19, 2, 89.5), "烹饪间": (1, 10, 0, 100.0)}
    items = {i["item_key"]: (i["evaluated"], i["failed"], i["pass_rate"]) for i in report["items"]}
    assert items["rodent_signs"] == (3, 1, 66.7) and items["fly_lamps"] == (2, 0, 100.0)
    assert [(d["day"], d["pass_rate"]) for d in report["days"]] == [(day.isoformat(), 93.1)]
    assert report["actions"]["open"] == 2


def test_exports_carry_the_same_numbers(school, week):
    tuesday = week["monday"] + timedelta(days=1)
    resp = school.admin.get(f"/api/v1/reports/daily-notice/export?format=xlsx&day={tuesday}")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(resp.data), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert {r[2]: r[4] for r in rows[1:]} == {"1-101": 100, "1-201": 96, "1-202": 88}
    assert [r[2] for r in book.worksheets[1].iter_rows(min_row=2, values_only=True)] == ["1-102"]

    ranking = school.admin.get(f"/api/v1/reports/weekly-ranking/export?format=xlsx&day={tuesday}")
    sheets = {ws.title: list(ws.iter_rows(min_row=2, values_only=True))
              for ws in load_workbook(io.BytesIO(ranking.data)).worksheets}
    assert [(r[1], r[2], r[6]) for r in sheets["room ranking"]] == [
        ("1-201", 98, None), ("1-101", 95, 5), ("1-202", 88, -12), ("1-102", 75, -5)]

    text = school.admin.get(f"/api/v1/reports/weekly-ranking/export?format=csv&day={tuesday}&table=class ranking")
    assert text.headers["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(text.data.decode("utf-8-sig"))))
    assert table[1][:3] == ["1", "高一(1)班", "96.2"]


def test_reports_need_an_inspector_or_admin(school):
    assert school.fixer.get("/api/v1/reports/daily-notice").status_code == 403
    assert school.inspector.get("/api/v1/reports/daily-notice").status_code == 200
