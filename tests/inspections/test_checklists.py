"""Checklist rules without a database: judging answers, scores, the status order of fixes."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from server.api.inspection_schemas import InspectionDataSchema
from server.services import checklists
from server.services.actions import merge_status
from server.services.builtin_templates import BUILTIN_TEMPLATES, DORM_HYGIENE, FOOD_SAFETY
from server.services.checklists import Checklist, evaluate, item_problems, score_mismatch
from tests.inspections.conftest import ANSWER_KEYS, passing_answers, photo


def test_built_in_templates_are_well_formed_and_pass_when_all_is_well():
    for spec in BUILTIN_TEMPLATES:
        assert item_problems(spec["items"]) == {}, spec["family"]
        result = evaluate(spec["items"], spec["scoring"], spec["max_score"], passing_answers(spec["items"]))
        assert result.errors == {} and result.failures == [] and result.score == 100, spec["family"]


def test_dorm_rubric_is_a_hundred_points_and_deductions_subtract():
    assert sum(i["points"] for i in DORM_HYGIENE["items"] if i["kind"] == "deduction") == 100
    answers = passing_answers(DORM_HYGIENE["items"])
    answers["quilt"] = {"deduct": 5}
    answers["floor"] = {"deduct": 2.5}
    answers["appliances"] = {"deduct": 15, "photos": [photo("kettle")]}
    result = evaluate(DORM_HYGIENE["items"], "deduction", 100, answers)
    assert result.errors == {}
    assert result.score == 77.5
    assert [j.item["key"] for j in result.failures] == ["quilt", "floor", "appliances"]


def test_a_deduction_above_the_item_maximum_is_refused():
    answers = passing_answers(DORM_HYGIENE["items"])
    answers["quilt"] = {"deduct": 16}
    assert "quilt" in evaluate(DORM_HYGIENE["items"], "deduction", 100, answers).errors


def test_numbers_outside_the_allowed_range_fail_and_hazards_need_a_photo():
    answers = passing_answers(FOOD_SAFETY["items"])
    answers["sample_grams"] = {"value": 100}
    result = evaluate(FOOD_SAFETY["items"], "pass_rate", 100, answers)
    assert result.errors == {"sample_grams": ["a failed item needs a photo"]}
    answers["sample_grams"] = {"value": 100, "photos": [photo("scale")]}
    answers["tableware"] = {"choice": "none", "photos": [photo("cupboard")]}
    result = evaluate(FOOD_SAFETY["items"], "pass_rate", 100, answers)
    assert result.errors == {}
    judged = 14  # every item but the free-text one
    assert result.score == round(100 * (judged - 2) / judged, 2)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
              st.sampled_from(["pass", "fail", "na", "none", "ok", photo("x")])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=5)


BY_KIND = {}
for _template in BUILTIN_TEMPLATES:
    for _item in _template["items"]:
        BY_KIND.setdefault(_item["kind"], []).append((_template, _item))


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(sorted(BY_KIND)), data=st.data())
def test_whatever_a_phone_answers_is_judged_or_refused_by_field(kind, data):
    """Judging runs for a whole batch before anything is stored: an answer it cannot read must become a
    field error, never an exception (a choice sent as a list failed the whole push)."""
    template, item = data.draw(st.sampled_from(BY_KIND[kind]))
    answers = passing_answers(template["items"])
    answers[item["key"]] = data.draw(st.dictionaries(st.sampled_from(ANSWER_KEYS), json_values, max_size=3))
    try:
        loaded = InspectionDataSchema().load({"template_id": 1, "room_id": 1, "answers": answers})
    except ValidationError:
        return
    evaluate(template["items"], template.get("scoring", "pass_rate"), 100.0, loaded["answers"])


# Answers around each item's plain pass ({"result": "pass"}, {"deduct": 0}): what a phone sends most.
near_plain = st.one_of(
    st.sampled_from([{"result": "pass"}, {"deduct": 0}, {"deduct": 0.0}, {"deduct": -0.0}, {"deduct": False},
                     {"result": "pass", "note": ""}, {"result": "pass", "note": "门锁"}, {"deduct": 0, "photos": []},
                     {"result": "fail"}, {"deduct": 1}, {"result": True}, {"deduct": None}]),
    st.dictionaries(st.sampled_from(ANSWER_KEYS), json_values, max_size=3))


@settings(max_examples=300, deadline=None)
@given(template=st.sampled_from(BUILTIN_TEMPLATES), data=st.data())
def test_a_plain_pass_is_judged_as_the_long_way_judges_it(template, data):
    """Checklist takes an item's plain passing answer as judged once; whatever is answered, its judgement
    is what judging every answer item by item gives."""
    answers = {item["key"]: data.draw(near_plain) for item in template["items"]}
    try:
        answers = InspectionDataSchema().load({"template_id": 1, "room_id": 1, "answers": answers})["answers"]
    except ValidationError:
        return
    quick = Checklist(template["items"], template["scoring"], template["max_score"]).evaluate(answers)
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(checklists, "_PLAIN_PASSES", {})
        long_way = Checklist(template["items"], template["scoring"], template["max_score"]).evaluate(answers)
    assert quick == long_way


def test_a_false_is_no_deduction_of_zero():
    answers = passing_answers(DORM_HYGIENE["items"])
    answers["quilt"] = {"deduct": False}
    assert evaluate(DORM_HYGIENE["items"], "deduction", 100, answers).errors == {
        "quilt": ["deduct must be a number from 0 to 15"]}


def test_an_item_whose_rules_refuse_its_plain_pass_refuses_it_every_time():
    items = [{"key": "a", "kind": "deduction", "text": "A", "points": -5}]
    checklist = Checklist(items, "deduction", 100)
    for _ in range(2):
        assert checklist.evaluate({"a": {"deduct": 0}}).errors == {"a": ["deduct must be a number from 0 to -5"]}


def test_missing_and_unknown_answers_are_field_errors():
    answers = passing_answers(FOOD_SAFETY["items"])
    del answers["cooking"]
    answers["smuggled"] = {"result": "pass"}
    errors = evaluate(FOOD_SAFETY["items"], "pass_rate", 100, answers).errors
    assert errors == {"cooking": ["not answered"], "smuggled": ["no such item in this template version"]}


def test_not_applicable_items_do_not_count_in_a_pass_rate():
    items = [{"key": "a", "kind": "pass_fail", "text": "A"}, {"key": "b", "kind": "pass_fail", "text": "B"},
             {"key": "c", "kind": "pass_fail", "text": "C"}]
    answers = {"a": {"result": "pass"}, "b": {"result": "fail"}, "c": {"result": "na"}}
    assert evaluate(items, "pass_rate", 100, answers).score == 50


def test_template_item_mistakes_are_named():
    problems = item_problems([{"key": "a", "kind": "deduction", "text": "A"},
                              {"key": "a", "kind": "number", "text": "B"}])
    assert problems == {"a": ["deduction and score items need points (the maximum)", "item keys must be unique",
                              "number items need an allowed min or max"]}


@pytest.mark.parametrize(("server", "phone", "flagged"), [(90, 90, False), (90, None, False), (90, 95, True),
                                                            (90, 90.001, False)])
def test_the_phones_score_is_compared_not_trusted(server, phone, flagged):
    assert score_mismatch(server, phone) is flagged


@pytest.mark.parametrize(("current", "incoming", "result", "stale"), [
    ("open", "done", "done", False),
    ("reopened", "done", "done", False),
    ("done", "open", "done", True),
    ("verified", "done", "verified", True),
    ("verified", "open", "verified", True),
    ("done", "done", "done", False),
])
def test_a_status_never_goes_back(current, incoming, result, stale):
    decision = merge_status(current, incoming)
    assert (decision.status, decision.stale) == (result, stale)
