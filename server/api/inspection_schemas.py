"""Wire formats of checklists, inspection records, corrective actions and reports."""
from __future__ import annotations

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate

from server.api.schemas import DatabaseId, PageArgsSchema
from server.models import ACTION_STATUSES, ITEM_KINDS, ROOM_KINDS, SCORING_MODES
from server.services.actions import is_overdue, to_utc
from sync.schema import RecordDataSchema


class UtcDateTime(fields.DateTime):
    """RFC 3339 with its offset, also for the naive UTC values SQLite hands back."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(None if value is None else to_utc(value), attr, obj, **kwargs)

PhotoHash = fields.String(validate=validate.Regexp(r"^[0-9a-f]{64}$", error="a photo is named by its sha256 (hex)"))
Photos = fields.List(PhotoHash, load_default=list, validate=validate.Length(max=20))
Note = fields.String(allow_none=True, validate=validate.Length(max=2000))


class ChoiceOptionSchema(Schema):
    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_]{1,32}$"))
    text = fields.String(required=True, validate=validate.Length(min=1, max=100))
    text_en = fields.String(load_default="", validate=validate.Length(max=100))
    fail = fields.Boolean(load_default=False)


class TemplateItemSchema(Schema):
    key = fields.String(required=True, validate=validate.Regexp(
        r"^[a-z][a-z0-9_]{0,63}$", error="lower-case letters, digits and _"),
        metadata={"description": "stable across versions: reports follow an item by its key"})
    kind = fields.String(required=True, validate=validate.OneOf(ITEM_KINDS))
    text = fields.String(required=True, validate=validate.Length(min=1, max=200))
    text_en = fields.String(load_default="", validate=validate.Length(max=200))
    points = fields.Float(allow_none=True, validate=validate.Range(min=0, max=1000),
                          metadata={"description": "deduction/score: the maximum; pass_fail: points lost on failure"})
    unit = fields.String(allow_none=True, validate=validate.Length(max=16))
    min = fields.Float(allow_none=True)
    max = fields.Float(allow_none=True)
    pass_min = fields.Float(allow_none=True)
    options = fields.List(fields.Nested(ChoiceOptionSchema), validate=validate.Length(max=20))
    hazard = fields.Boolean(load_default=False)
    photo_on_fail = fields.Boolean(load_default=False)
    note_on_fail = fields.Boolean(load_default=False)
    creates_action = fields.Boolean(load_default=True)
    required = fields.Boolean()


class TemplateEditSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    name_en = fields.String(validate=validate.Length(max=100))
    room_kinds = fields.List(fields.String(validate=validate.OneOf(ROOM_KINDS)))
    asset_categories = fields.List(fields.String(validate=validate.Length(min=1, max=64)))
    scoring = fields.String(validate=validate.OneOf(SCORING_MODES))
    max_score = fields.Float(validate=validate.Range(min=1, max=1000))
    deadline_hours = fields.Integer(validate=validate.Range(min=1, max=24 * 90))
    items = fields.List(fields.Nested(TemplateItemSchema), validate=validate.Length(min=1, max=200))


class TemplateSchema(TemplateEditSchema):
    """A template version as phones pull it (`template`) and the API answers it."""

    id = fields.Integer(dump_only=True)
    version = fields.Integer(dump_only=True)
    family = fields.String(dump_only=True)
    number = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True)
    category = fields.String(dump_only=True)
    published_at = UtcDateTime(dump_only=True, allow_none=True)
    retired_at = UtcDateTime(dump_only=True, allow_none=True)


class TemplateArgsSchema(PageArgsSchema):
    family = fields.String()
    status = fields.String(validate=validate.OneOf(("draft", "published", "retired")))


class Answers(fields.Field):
    """Answers keyed by item key, each an object. Only their shape is read here, in one pass: the
    inspection handler judges each answer against its item in the template version (checklists.evaluate),
    and a generic Dict of String keys and Dict values cost more than everything else in a pushed
    inspection's validation (22 field objects a checklist). What any answer may carry, whatever its
    item, is read here too: its photos (listed before judging) and its note."""

    MAX_ANSWERS = 200
    MAX_KEY = 64
    MAX_PHOTOS = 20
    MAX_NOTE = 2000

    def __init__(self, **kwargs):
        super().__init__(metadata={"type": "object", "additionalProperties": {"type": "object"},
                                   "description": "keyed by item key; see the template's items for each kind's answer"},
                         **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("an object of answers keyed by item key")
        if len(value) > self.MAX_ANSWERS:
            raise ValidationError(f"at most {self.MAX_ANSWERS} answers")
        errors = {}
        for key, answer in value.items():
            if len(key) > self.MAX_KEY:
                errors[key[:self.MAX_KEY]] = [f"an item key has at most {self.MAX_KEY} characters"]
            elif not isinstance(answer, dict):
                errors[key] = ["each answer is an object"]
            elif "photos" in answer or "note" in answer:  # most answers have neither
                problems = self._attachment_problems(answer)
                if problems:
                    errors[key] = problems
        if errors:
            raise ValidationError(errors)
        return value

    def _attachment_problems(self, answer: dict) -> list[str]:
        problems = []
        photos, note = answer.get("photos"), answer.get("note")
        if photos is not None and (not isinstance(photos, list) or len(photos) > self.MAX_PHOTOS
                                   or not all(isinstance(p, str) for p in photos)):
            problems.append(f"photos is a list of at most {self.MAX_PHOTOS} photo hashes")
        if note is not None and (not isinstance(note, str) or len(note) > self.MAX_NOTE):
            problems.append(f"note is a text of at most {self.MAX_NOTE} characters")
        return problems


class InspectionDataSchema(RecordDataSchema):
    """`data` of a pushed `inspection` record."""

    template_id = fields.Integer(required=True, validate=DatabaseId,
                                 metadata={"description": "the pulled template version's id"})
    room_id = fields.Integer(allow_none=True, validate=DatabaseId)
    asset_id = fields.Integer(allow_none=True, validate=DatabaseId)
    scanned = fields.Boolean(load_default=False, metadata={"description": "target read from its QR label"})
    answers = Answers(required=True)
    score = fields.Float(allow_none=True, metadata={"description": "the phone's own score, compared only"})
    note = Note
    photos = Photos


def inspection_photos(data: dict) -> list[str]:
    """Every photo a loaded inspection names: its own and those of its answers."""
    hashes = list(data.get("photos") or [])
    for answer in (data.get("answers") or {}).values():
        if answer.get("photos"):  # a list of text (Answers); most answers have none
            hashes += answer["photos"]
    return list(dict.fromkeys(hashes))


class ActionUpdateDataSchema(RecordDataSchema):
    """`data` of a pushed `action_update` record."""

    action_id = fields.Integer(required=True, validate=DatabaseId)
    status = fields.String(required=True, validate=validate.OneOf(ACTION_STATUSES))
    note = Note
    photos = Photos


class ActionSchema(Schema):
    """A corrective action as the fixer's phone pulls it (`action`) and the API answers it."""

    id = fields.Integer(dump_only=True)
    version = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True)
    title = fields.String(dump_only=True)
    title_en = fields.String(dump_only=True)
    item_key = fields.String(dump_only=True)
    inspection_id = fields.Integer(dump_only=True)
    room_id = fields.Integer(dump_only=True, allow_none=True)
    room_name = fields.String(attribute="room.name", dump_only=True, allow_none=True)
    asset_id = fields.Integer(dump_only=True, allow_none=True)
    assignee_id = fields.Integer(dump_only=True, allow_none=True)
    assignee_name = fields.String(attribute="assignee.display_name", dump_only=True, allow_none=True)
    hazard = fields.Boolean(dump_only=True)
    deadline = UtcDateTime(dump_only=True)
    overdue = fields.Function(lambda action: is_overdue(action), dump_only=True)
    evidence_note = fields.String(dump_only=True, allow_none=True)
    evidence_photos = fields.List(fields.String(), dump_only=True)
    fix_note = fields.String(dump_only=True, allow_none=True)
    fix_photos = fields.List(fields.String(), dump_only=True)
    done_at = UtcDateTime(dump_only=True, allow_none=True)
    verified_at = UtcDateTime(dump_only=True, allow_none=True)
    repeat_count = fields.Integer(dump_only=True)
    flags = fields.List(fields.String(), dump_only=True)
    created_at = UtcDateTime(dump_only=True)


class ActionEventSchema(Schema):
    kind = fields.String()
    status = fields.String()
    by = fields.String(attribute="by_user.display_name", allow_none=True)
    at = UtcDateTime()
    inspection_id = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    photos = fields.List(fields.String())


class ActionDetailSchema(ActionSchema):
    events = fields.List(fields.Nested(ActionEventSchema), dump_only=True)


class ActionArgsSchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(ACTION_STATUSES))
    assignee_id = fields.Integer(validate=DatabaseId)
    room_id = fields.Integer(validate=DatabaseId)
    overdue = fields.Boolean()
    hazard = fields.Boolean()


class ReassignSchema(Schema):
    assignee_id = fields.Integer(required=True, validate=DatabaseId)
    version = fields.Integer(required=True, metadata={"description": "the version you read; 409 if it moved on"})


class StatusChangeSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("verified", "reopened")))
    note = Note


# -- reports --------------------------------------------------------------------------------------

# The days a report may ask about: the week or the four weeks around one must still be dates.
ReportDay = validate.Range(min=date(1900, 1, 1), max=date(2999, 12, 31), error="a day from {min} to {max}")


class DayArgsSchema(Schema):
    day = fields.Date(validate=ReportDay, metadata={"description": "default: today (school time)"})


class PeriodArgsSchema(Schema):
    first = fields.Date(validate=ReportDay, metadata={"description": "default: 27 days before `last`"})
    last = fields.Date(validate=ReportDay, metadata={"description": "default: today (school time)"})


class CoverageArgsSchema(PeriodArgsSchema):
    stale_days = fields.Integer(load_default=7, validate=validate.Range(min=1, max=3650))
    room_kind = fields.String(validate=validate.OneOf(ROOM_KINDS))


class ExportArgsSchema(Schema):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(("csv", "xlsx")))
    table = fields.String(metadata={"description": "CSV only: which table (default the first)"})


class DeductionSchema(Schema):
    item_key = fields.String()
    text = fields.String()
    text_en = fields.String()
    points = fields.Float()
    note = fields.String(allow_none=True)
    photos = fields.List(fields.String())


class RoomRefSchema(Schema):
    room_id = fields.Integer()
    room = fields.String()
    building = fields.String(allow_none=True)
    floor = fields.Integer(allow_none=True)
    class_name = fields.String(allow_none=True)


class DailyScoreSchema(RoomRefSchema):
    score = fields.Float(allow_none=True)
    inspector = fields.String(allow_none=True)
    inspection_id = fields.Integer()
    note = fields.String(allow_none=True)
    photos = fields.List(fields.String())
    deductions = fields.List(fields.Nested(DeductionSchema))


class DailySummarySchema(Schema):
    rooms = fields.Integer()
    checked = fields.Integer()
    unchecked = fields.Integer()
    average = fields.Float(allow_none=True)
    best = fields.Float(allow_none=True)
    worst = fields.Float(allow_none=True)


class DailyNoticeSchema(Schema):
    day = fields.Date()
    summary = fields.Nested(DailySummarySchema)
    scores = fields.List(fields.Nested(DailyScoreSchema))
    unchecked = fields.List(fields.Nested(RoomRefSchema))


class RankingRowSchema(Schema):
    rank = fields.Integer()
    name = fields.String()
    key = fields.String()
    average = fields.Float()
    checks = fields.Integer()
    rooms = fields.Integer()
    building = fields.String(allow_none=True)
    class_name = fields.String(allow_none=True)
    last_week = fields.Float(allow_none=True)
    change = fields.Float(allow_none=True)


class WeeklyRankingSchema(Schema):
    week_start = fields.Date()
    week_end = fields.Date()
    levels = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(RankingRowSchema)))
    best = fields.List(fields.Nested(RankingRowSchema))
    worst = fields.List(fields.Nested(RankingRowSchema))


class ComplianceRowSchema(Schema):
    room_id = fields.Integer()
    family = fields.String()
    item_key = fields.String()
    day = fields.Date()
    name = fields.String()
    checks = fields.Integer()
    evaluated = fields.Integer()
    failed = fields.Integer()
    pass_rate = fields.Float(allow_none=True)


class OverdueActionSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    room = fields.String()
    deadline = UtcDateTime()
    status = fields.String()


class CanteenActionsSchema(Schema):
    open = fields.Integer()
    overdue = fields.Integer()
    awaiting_recheck = fields.Integer()
    overdue_list = fields.List(fields.Nested(OverdueActionSchema))


class CanteenComplianceSchema(Schema):
    first = fields.Date()
    last = fields.Date()
    zones = fields.List(fields.Nested(ComplianceRowSchema))
    items = fields.List(fields.Nested(ComplianceRowSchema))
    days = fields.List(fields.Nested(ComplianceRowSchema))
    actions = fields.Nested(CanteenActionsSchema)


class InspectorCoverageSchema(Schema):
    user_id = fields.Integer()
    name = fields.String()
    checks = fields.Integer()
    days = fields.Integer()
    rooms = fields.Integer()
    per_week = fields.Float()
    by_category = fields.Dict(keys=fields.String(), values=fields.Integer())


class StaleRoomSchema(Schema):
    room_id = fields.Integer()
    room = fields.String()
    kind = fields.String()
    building = fields.String(allow_none=True)
    last_day = fields.Date(allow_none=True)
    days_since = fields.Integer(allow_none=True)


class CoverageSchema(Schema):
    first = fields.Date()
    last = fields.Date()
    stale_days = fields.Integer()
    inspectors = fields.List(fields.Nested(InspectorCoverageSchema))
    stale_rooms = fields.List(fields.Nested(StaleRoomSchema))
