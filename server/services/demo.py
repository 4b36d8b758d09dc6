"""The demo schools: realistic enough that every page and report has something to show.

Other capabilities add their own history with `register_seeder` (inspections, stocktakes...).
"""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Asset, Building, Room, Site, User
from server.services.accounts import create_user

DEMO_PASSWORD = "xunjian123"  # noqa: S105 - printed on purpose: demo schools only

CANTEEN_ZONES = ["主食库", "副食库", "粗加工间", "切配间", "烹饪间", "备餐间", "留样间", "餐具消毒间",
                 "学生餐厅", "教师餐厅"]

DEMO_USERS = [
    # suffix, display name, roles
    ("admin", "王主任(总务)", ["admin", "inspector"]),
    ("principal", "李校长", ["inspector"]),
    ("inspector", "张老师(值班)", ["inspector"]),
    ("dorm", "刘宿管", ["inspector", "fixer"]),
    ("canteen", "陈经理(食堂)", ["inspector", "fixer"]),
    ("auditor", "赵会计(盘点)", ["auditor"]),
    ("fixer", "孙师傅(维修)", ["fixer"]),
]

# category, names with spec and price, how many per classroom/office/dorm/canteen/elsewhere
ASSET_CATALOG = {
    "课桌椅": [("学生课桌椅", "升降式 单人", "320.00")],
    "多媒体设备": [("交互式一体机", "86寸", "12800.00"), ("投影仪", "3LCD 4000流明", "4200.00")],
    "电脑": [("台式电脑", "i5/16G/512G", "4600.00"), ("笔记本电脑", "14寸", "5200.00")],
    "空调": [("壁挂空调", "1.5匹 变频", "2999.00"), ("柜式空调", "3匹", "6800.00")],
    "灭火器": [("干粉灭火器", "MFZ/ABC4 4kg", "85.00")],
    "床铺": [("上下铺铁床", "1900×900", "680.00")],
    "厨房设备": [("双门冷藏柜", "1.2m", "3600.00"), ("消毒柜", "高温 800L", "5400.00"),
                ("蒸饭车", "24盘", "4100.00"), ("留样冰箱", "专用 -18℃", "1800.00")],
    "办公家具": [("办公桌", "1.4m", "900.00"), ("文件柜", "钢制", "650.00")],
}

Seeder = Callable[[Session, Site, "DemoSchool"], None]
_seeders: list[Seeder] = []


def register_seeder(seeder: Seeder) -> None:
    """Add history to each demo school after its catalogue is built (called in registration order).
    Registering the same seeder again (another create_app in one process) changes nothing."""
    if seeder not in _seeders:
        _seeders.append(seeder)


@dataclass
class DemoSchool:
    site: Site
    users: dict[str, User]
    rooms: list[Room]
    rng: random.Random
    today: date


def seed_demo(session: Session, hash_method: str = "scrypt", today: date | None = None) -> list[DemoSchool]:
    """Build demo1 and demo2 if they do not exist yet; running it again changes nothing."""
    schools = []
    for index, (code, name) in enumerate((("demo1", "示范第一中学"), ("demo2", "示范实验学校")), start=1):
        if session.scalar(select(Site).where(Site.code == code)):
            continue
        schools.append(_seed_school(session, code, name, index, hash_method, today or date.today()))
    return schools


def _seed_school(session: Session, code: str, name: str, index: int, hash_method: str,
                 today: date) -> DemoSchool:
    rng = random.Random(index)
    site = Site(code=code, name=name)
    session.add(site)
    session.flush()
    users = {suffix: _user(session, site, f"{code}.{suffix}", display, roles, hash_method)
             for suffix, display, roles in DEMO_USERS}
    session.flush()
    rooms = _rooms(session, site, users)
    session.flush()
    _assets(session, site, rooms, rng, today)
    school = DemoSchool(site, users, rooms, rng, today)
    session.flush()
    for seeder in _seeders:
        seeder(session, site, school)
    session.flush()
    return school


def _user(session, site, username, display, roles, hash_method) -> User:
    return create_user(session, site, username, DEMO_PASSWORD, roles, display_name=display,
                       hash_method=hash_method)


def _building(session, site, name, kind, floors) -> Building:
    building = Building(site_id=site.id, name=name, kind=kind, floors=floors)
    session.add(building)
    session.flush()
    return building


def _rooms(session: Session, site: Site, users: dict[str, User]) -> list[Room]:
    rooms: list[Room] = []
    grades = ["高一", "高二", "高三"]
    for b, gender in enumerate(("男生", "女生", "男生")):
        building = _building(session, site, f"{b + 1}号{gender}宿舍楼", "dorm", 5)
        for floor in range(1, 6):
            for n in range(1, 13):
                klass = f"{grades[(floor - 1) % 3]}({(n - 1) // 2 + 1 + (b * 6) % 12})班"
                rooms.append(Room(site_id=site.id, building_id=building.id, name=f"{b + 1}-{floor}{n:02d}",
                                  kind="dorm", floor=floor, class_name=klass, capacity=8,
                                  responsible_user_id=users["dorm"].id))
    canteen = _building(session, site, "学生食堂", "canteen", 2)
    for i, zone in enumerate(CANTEEN_ZONES):
        rooms.append(Room(site_id=site.id, building_id=canteen.id, name=zone, kind="canteen_zone",
                          floor=1 if i < 8 else 2, responsible_user_id=users["canteen"].id))
    teaching = _building(session, site, "教学楼", "teaching", 4)
    for floor in range(1, 5):
        for n in range(1, 7):
            rooms.append(Room(site_id=site.id, building_id=teaching.id, name=f"教{floor}{n:02d}",
                              kind="classroom", floor=floor, class_name=f"{grades[min(floor, 3) - 1]}({n})班",
                              capacity=50, responsible_user_id=users["fixer"].id))
    office = _building(session, site, "行政楼", "office", 3)
    for floor, names in enumerate((["总务处", "财务室", "保卫处"], ["校长室", "教务处", "政教处"],
                                   ["会议室", "档案室", "信息中心", "广播室"]), start=1):
        for room_name in names:
            rooms.append(Room(site_id=site.id, building_id=office.id, name=room_name, kind="office",
                              floor=floor, responsible_user_id=users["fixer"].id))
    rooms.append(Room(site_id=site.id, name="操场", kind="public_area", responsible_user_id=users["fixer"].id))
    rooms.append(Room(site_id=site.id, name="配电房", kind="other", responsible_user_id=users["fixer"].id))
    session.add_all(rooms)
    return rooms


def _asset_plan(room: Room) -> list[tuple[str, int]]:
    """Which categories stand in a room of this kind, and how many rows of the ledger."""
    return {
        "dorm": [("床铺", 1), ("灭火器", 1)],
        "classroom": [("课桌椅", 1), ("多媒体设备", 1), ("空调", 2), ("灭火器", 1)],
        "office": [("电脑", 2), ("办公家具", 2), ("空调", 1)],
        "canteen_zone": [("厨房设备", 2), ("灭火器", 1)],
    }.get(room.kind, [("灭火器", 2)])


def _assets(session: Session, site: Site, rooms: list[Room], rng: random.Random, today: date) -> None:
    counter = 0
    for room in rooms:
        for category, count in _asset_plan(room):
            for _ in range(count):
                counter += 1
                name, spec, price = rng.choice(ASSET_CATALOG[category])
                quantity = 4 if category == "床铺" else (50 if category == "课桌椅" else 1)
                session.add(Asset(
                    site_id=site.id, tag=f"{site.code.upper()}-{counter:05d}", name=name, category=category,
                    spec=spec, quantity=quantity, unit_price=Decimal(price),
                    purchase_date=today - timedelta(days=rng.randint(60, 3000)),
                    department=_department(room), custodian=room.class_name or "总务处",
                    room_id=room.id, status="in_use"))


def _department(room: Room) -> str:
    return {"dorm": "学生处", "classroom": "教务处", "canteen_zone": "食堂", "office": room.name}.get(
        room.kind, "总务处")
