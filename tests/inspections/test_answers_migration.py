"""Inspections stored before their answers moved into the inspection row (migration insp_3) keep every
item's judgement, note and photos, both ways."""
from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from server.extensions import db
from server.models import Inspection
from tests.inspections.conftest import passing_answers, photo, push, record, template_items


def test_answers_survive_the_move_into_the_inspection_and_back(app, school):
    dorm = school.templates["dorm_hygiene"]
    answers = passing_answers(template_items(app, dorm))
    first, second = list(answers)[:2]
    answers[first] = {"deduct": 3, "note": "被子未叠", "photos": [photo("bed")]}
    answers[second] = {"deduct": 0, "note": "地面干净"}
    [result] = push(app, school.inspector, [record("inspection", {"template_id": dorm, "room_id": school.dorms[0],
                                                                  "answers": answers})])
    assert result["status"] == "accepted", result
    with app.app_context():
        stored = db.session.scalars(select(Inspection.answers)).one()
        db.session.remove()
        assert stored[:2] == [{"key": first, "outcome": "fail", "deduction": 3.0, "note": "被子未叠",
                               "photos": [photo("bed")]},
                              {"key": second, "outcome": "pass", "note": "地面干净"}]

        downgrade(revision="sync_3")
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT item_key, outcome, deduction, note FROM inspection_answer "
                                     "ORDER BY id")).all()
        upgrade()
        assert [tuple(r) for r in rows[:2]] == [(first, "fail", 3.0, "被子未叠"), (second, "pass", 0.0, "地面干净")]
        assert len(rows) == len(stored)
        assert db.session.scalars(select(Inspection.answers)).one() == stored
