"""Command-line set-up: users from standard input and the demo schools."""
from __future__ import annotations

from sqlalchemy import func, select

from server.extensions import db
from server.models import Asset, Room, Site, User
from server.services.demo import CANTEEN_ZONES, DEMO_PASSWORD


def test_create_user_reads_the_password_from_stdin(app, factory, client):
    factory.site("s1")
    result = app.test_cli_runner().invoke(args=["create-user", "li", "--site", "s1", "--role", "inspector",
                                                "--role", "fixer"], input="a-good-password\n")
    assert result.exit_code == 0, result.output
    resp = client.post("/api/v1/auth/login", json={"username": "li", "password": "a-good-password",
                                                   "device_name": "p"})
    assert resp.get_json()["user"]["roles"] == ["inspector", "fixer"]


def test_create_user_for_an_unknown_school_fails_clearly(app):
    result = app.test_cli_runner().invoke(args=["create-user", "li", "--site", "nope", "--role", "admin"],
                                          input="a-good-password\n")
    assert result.exit_code != 0 and "no site" in result.output


def test_seed_demo_builds_two_realistic_schools_once(app, factory):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    again = runner.invoke(args=["seed-demo"])
    assert "already" in again.output
    with app.app_context():
        sites = db.session.scalars(select(Site).order_by(Site.code)).all()
        assert [s.code for s in sites] == ["demo1", "demo2"]
        for site in sites:
            def count(model, *where, site=site):
                return db.session.scalar(select(func.count(model.id)).where(model.site_id == site.id, *where))
            assert count(Room, Room.kind == "dorm") == 3 * 5 * 12
            zones = db.session.scalars(select(Room.name).where(Room.site_id == site.id,
                                                               Room.kind == "canteen_zone")).all()
            assert sorted(zones) == sorted(CANTEEN_ZONES)
            assert count(Room, Room.kind == "classroom") > 0 and count(Room, Room.kind == "office") > 0
            assert 500 <= count(Asset) <= 700
            categories = set(db.session.scalars(select(Asset.category).where(Asset.site_id == site.id)))
            assert {"课桌椅", "多媒体设备", "电脑", "空调", "灭火器", "床铺", "厨房设备"} <= categories
            roles = {r for u in db.session.scalars(select(User).where(User.site_id == site.id)) for r in u.roles}
            assert roles == {"admin", "inspector", "auditor", "fixer"}
    # every room and asset carries a label, so a scan on the phone resolves
    api = factory.login("demo1.inspector", password=DEMO_PASSWORD)
    pulled = _pull_everything(api)
    labels = [c for c in pulled if c["type"] == "label"]
    assert len(labels) == len([c for c in pulled if c["type"] in ("room", "asset")])
    assert api.get(f"/api/v1/labels/resolve/{labels[0]['data']['code']}").status_code == 200


def _pull_everything(api):
    changes, cursor = [], None
    while True:
        page = api.get("/api/v1/sync/pull?limit=2000" + (f"&cursor={cursor}" if cursor else "")).get_json()
        changes += page["changes"]
        cursor = page["cursor"]
        if not page["has_more"]:
            return changes
