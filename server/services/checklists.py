"""Checklist rules as pure functions: whether a template's items make sense, and how a filled
checklist is judged and scored. No database, so every rule is unit-tested on its own.

An item is a dict (see the `template` pull type); an answer is a dict keyed by item key:
`{"result": "pass"|"fail"|"na"}` (pass_fail), `{"deduct": n}` (deduction), `{"score": n}` (score),
`{"value": n}` (number), `{"text": s}` (text), `{"choice": key}` (choice), and for any kind
`"note"` and `"photos"` (sha256 hashes).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from server.models import ITEM_KINDS

# Kinds whose answer can fail; text and photo items record, they do not judge.
JUDGED_KINDS = ("pass_fail", "deduction", "score", "number", "choice")
SCORE_TOLERANCE = 0.01
_JSON_NUMBERS = (int, float)


@dataclass(frozen=True)
class ChecklistFacts:
    """What judging and storing an inspection need of its checklist version, as plain values. The
    inspections service reads them with a query built once: loading the versions as ORM objects cost a
    push of 50 checklists 6 % of the app's instructions, and one of 500 4 % (bench/app_instructions.py)."""

    id: int
    status: str
    category: str
    room_kinds: list
    asset_categories: list
    scoring: str
    max_score: float
    deadline_hours: int
    items: list

    @cached_property
    def checklist(self) -> Checklist:
        """Its items made ready to judge with (once for the records of a push that use it)."""
        return Checklist(self.items, self.scoring, self.max_score)


@dataclass(slots=True)
class Judged:
    item: dict
    outcome: str | None  # pass / fail / na, None for text and photo
    deduction: float = 0.0
    points: float | None = None
    value: float | None = None
    text: str | None = None
    note: str | None = None
    photos: list[str] = field(default_factory=list)

    def stored(self) -> dict[str, Any]:
        """The item as its inspection keeps it (Inspection.answers): key and judgement, with only the
        values it has (most items of a passed check have no note, value, text or photos)."""
        kept: dict[str, Any] = {"key": self.item["key"], "outcome": self.outcome}
        # Spelled out, not a loop over the names: this runs for every item of every pushed checklist.
        if self.deduction:
            kept["deduction"] = self.deduction
        if self.points is not None:
            kept["points"] = self.points
        if self.value is not None:
            kept["value"] = self.value
        if self.text is not None:
            kept["text"] = self.text
        if self.note is not None:
            kept["note"] = self.note
        if self.photos:
            kept["photos"] = self.photos
        return kept


@dataclass
class Evaluation:
    judged: list[Judged]
    score: float | None
    max_score: float | None
    errors: dict[str, list[str]]
    failures: list[Judged]  # the judged items that failed, in checklist order
    stored: list[dict]  # each judged item as its inspection keeps it (Judged.stored)


def item_problems(items: list[dict]) -> dict[str, list[str]]:
    """Cross-field mistakes in a template's items (types are the wire schema's job)."""
    problems: dict[str, list[str]] = {}
    seen: set[str] = set()
    for index, item in enumerate(items):
        key = item.get("key", "")
        where = key or f"#{index + 1}"
        found = []
        if key in seen:
            found.append("item keys must be unique")
        seen.add(key)
        if item.get("kind") not in ITEM_KINDS:
            found.append(f"kind must be one of {', '.join(ITEM_KINDS)}")
        if item.get("kind") in ("deduction", "score") and not item.get("points"):
            found.append("deduction and score items need points (the maximum)")
        if item.get("kind") == "number" and item.get("min") is None and item.get("max") is None:
            found.append("number items need an allowed min or max")
        if item.get("kind") == "choice" and not item.get("options"):
            found.append("choice items need options")
        if found:
            problems.setdefault(where, []).extend(found)
    if not items:
        problems["items"] = ["a checklist needs at least one item"]
    return problems


def _number(answer: dict, name: str) -> float | None:
    value = answer.get(name)
    # The exact types JSON reads numbers as: not a bool (an int to isinstance), not a BadNumber.
    if type(value) not in _JSON_NUMBERS:
        return None
    return float(value)


def _judge_pass_fail(item: dict, answer: dict, errors: list[str]) -> Judged:
    result = answer.get("result")
    if result not in ("pass", "fail", "na"):
        errors.append("result must be pass, fail or na")
    return Judged(item, result if result in ("pass", "fail", "na") else None)


def _judge_deduction(item: dict, answer: dict, errors: list[str]) -> Judged:
    deduct = _number(answer, "deduct")
    if deduct is None or not 0 <= deduct <= item["points"]:
        errors.append(f"deduct must be a number from 0 to {item['points']}")
        deduct = 0.0
    return Judged(item, "fail" if deduct > 0 else "pass", deduct)


def _judge_score(item: dict, answer: dict, errors: list[str]) -> Judged:
    score = _number(answer, "score")
    if score is None or not 0 <= score <= item["points"]:
        errors.append(f"score must be a number from 0 to {item['points']}")
        score = 0.0
    pass_min = item.get("pass_min")
    return Judged(item, "fail" if pass_min is not None and score < pass_min else "pass", points=score)


def _judge_number(item: dict, answer: dict, errors: list[str]) -> Judged:
    value = _number(answer, "value")
    if value is None:
        errors.append("value must be a number")
        return Judged(item, None)
    low, high = item.get("min"), item.get("max")
    inside = (low is None or value >= low) and (high is None or value <= high)
    return Judged(item, "pass" if inside else "fail", value=value)


def _judge_choice(item: dict, answer: dict, errors: list[str]) -> Judged:
    options = {o["key"]: o for o in item["options"]}
    choice = answer.get("choice")
    if not isinstance(choice, str) or choice not in options:  # a list or object is no option's key
        errors.append(f"choice must be one of {', '.join(options)}")
        return Judged(item, None)
    return Judged(item, "fail" if options[choice].get("fail") else "pass", text=choice)


def _judge_text(item: dict, answer: dict, errors: list[str]) -> Judged:
    text = answer.get("text")
    if text is not None and not isinstance(text, str):
        errors.append("text must be a string")
        text = None
    if _required(item) and not text:
        errors.append("this item needs a text")
    return Judged(item, None, text=text)


def _judge_photo(item: dict, answer: dict, errors: list[str]) -> Judged:
    if _required(item) and not answer.get("photos"):
        errors.append("this item needs a photo")
    return Judged(item, None)


_JUDGES = {"pass_fail": _judge_pass_fail, "deduction": _judge_deduction, "score": _judge_score,
           "number": _judge_number, "choice": _judge_choice, "text": _judge_text, "photo": _judge_photo}


def _required(item: dict) -> bool:
    """Judged items always need an answer; a photo item unless marked optional; text only if marked."""
    return item.get("required", item["kind"] != "text")


def _judge(item: dict, answer: dict | None, errors: list[str]) -> Judged:
    if answer is None:
        if _required(item):
            errors.append("not answered")
        return Judged(item, None)
    judged = _JUDGES[item["kind"]](item, answer, errors)
    # Set only when given: most answers of a passed check have neither.
    note, photos = answer.get("note"), answer.get("photos")
    if note:
        judged.note = note
    if photos:
        judged.photos = list(photos)
    if judged.outcome == "fail":
        if item.get("photo_on_fail") and not judged.photos:
            errors.append("a failed item needs a photo")
        if item.get("note_on_fail") and not judged.note:
            errors.append("a failed item needs a note")
    return judged


def _score(items_judged: list[Judged], failures: list[Judged], scoring: str,
           max_score: float) -> tuple[float | None, float | None]:
    if scoring == "deduction":
        lost = sum(j.deduction if j.item["kind"] == "deduction" else float(j.item.get("points") or 0)
                   for j in failures)
        return max(0.0, round(max_score - lost, 2)), max_score
    if scoring == "sum":
        counted = [j for j in items_judged if j.outcome in ("pass", "fail")]
        got = sum(j.points if j.points is not None else (float(j.item.get("points") or 0) if j.outcome == "pass"
                                                          else 0.0) for j in counted)
        return round(got, 2), round(sum(float(j.item.get("points") or 0) for j in counted), 2)
    evaluated = [j for j in items_judged if j.outcome in ("pass", "fail")]
    if not evaluated:
        return None, max_score
    passed = sum(1 for j in evaluated if j.outcome == "pass")
    return round(max_score * passed / len(evaluated), 2), max_score


class Checklist:
    """A checklist version's items, made ready once to judge the many filled checklists of a push.

    Most answers of a check pass an item and say nothing more ({"result": "pass"}, {"deduct": 0}), and
    judging each such answer anew was most of judging a checklist. Each item's plain passing answer is
    judged here once; an answer equal to it is that judgement (shared: nothing changes a Judged after
    evaluate). A False is equal to 0 but is no number, so it goes the long way and is refused there."""

    def __init__(self, items: list[dict], scoring: str, max_score: float):
        self.scoring, self.max_score = scoring, max_score
        self.keys = frozenset(item["key"] for item in items)
        self._plan = [(item["key"], item, *_plain_pass(item)) for item in items]

    def evaluate(self, answers: dict[str, Any]) -> Evaluation:
        """Judge every item of a filled checklist and compute its score; `errors` keyed by item key."""
        errors: dict[str, list[str]] = {}
        if not answers.keys() <= self.keys:
            errors.update((key, ["no such item in this template version"]) for key in answers if key not in self.keys)
        judged, stored = [], []
        item_errors: list[str] = []
        for key, item, passing, value_key, passed, kept in self._plan:
            answer = answers.get(key)
            if answer == passing and answer[value_key] is not False:
                judged.append(passed)
                stored.append(kept)
                continue
            one = _judge(item, answer if isinstance(answer, dict) else None, item_errors)
            judged.append(one)
            stored.append(one.stored())
            if item_errors:
                errors[key] = item_errors
                item_errors = []
        failures = [j for j in judged if j.outcome == "fail"]
        score, top = _score(judged, failures, self.scoring, self.max_score)
        return Evaluation(judged, score, top, errors, failures, stored)


_PLAIN_PASSES = {"pass_fail": ("result", "pass"), "deduction": ("deduct", 0)}
_NEVER = object()  # the plain answer of an item that has none: equal to no answer


def _plain_pass(item: dict) -> tuple[Any, str | None, Judged | None, dict | None]:
    """The answer that passes `item` and says nothing more, the field that holds its value, the item
    judged on it, and as stored. An item with no such answer (its kind has none, or its rules refuse it)
    is judged the long way every time."""
    value_key, value = _PLAIN_PASSES.get(item["kind"], (None, None))
    if value_key is None:
        return _NEVER, None, None, None
    answer, errors = {value_key: value}, []
    passed = _judge(item, answer, errors)
    if errors or passed.outcome != "pass":
        return _NEVER, None, None, None
    return answer, value_key, passed, passed.stored()


def evaluate(items: list[dict], scoring: str, max_score: float, answers: dict[str, Any]) -> Evaluation:
    """Judge one filled checklist (see Checklist to judge many against the same version)."""
    return Checklist(items, scoring, max_score).evaluate(answers)


def score_mismatch(server_score: float | None, phone_score: float | None) -> bool:
    """The phone's own score is only compared, never trusted; a difference is flagged for an admin."""
    if phone_score is None:
        return False
    return server_score is None or abs(server_score - phone_score) > SCORE_TOLERANCE
