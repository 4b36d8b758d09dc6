"""The demo schools carry a week of checks and fixes, so every report has something to show."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Action, Inspection, Site
from server.services import demo, reports


@pytest.mark.slow
def test_the_demo_week_fills_every_report(app):
    today = date.today()
    with app.app_context():
        demo.seed_demo(db.session, app.config["PASSWORD_HASH_METHOD"], today=today)
        db.session.commit()
        site_id = db.session.scalar(select(Site.id).where(Site.code == "demo1"))
        statuses = dict(db.session.execute(select(Action.status, func.count()).where(Action.site_id == site_id)
                                           .group_by(Action.status)).all())
        assert {"open", "verified"} <= set(statuses)
        daily = reports.daily_notice(db.session, site_id, today.fromordinal(today.toordinal() - 1))
        assert daily["scores"] and daily["unchecked"]
        assert any(s["deductions"] for s in daily["scores"])
        ranking = reports.weekly_ranking(db.session, site_id, today)
        assert ranking["levels"]["class"] and ranking["best"]
        first, last = reports.period({})
        canteen = reports.canteen_compliance(db.session, site_id, first, last)
        assert canteen["zones"] and any(i["failed"] for i in canteen["items"])
        coverage = reports.coverage(db.session, site_id, reports.CoverageArgs(first, last, 3))
        assert len(coverage["inspectors"]) >= 4
        assert db.session.scalar(select(func.count(Inspection.id)).where(Inspection.site_id == site_id)) > 500
