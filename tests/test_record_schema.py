"""Every record type's `data` is loaded by RecordDataSchema's own loop (sync/schema.py) instead of
marshmallow's: for anything a phone may send, the same data or the same field errors the inspector
reads."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, validate

from server.api.asset_schemas import AssetUpdateRecordSchema, ScanRecordSchema
from server.api.inspection_schemas import ActionUpdateDataSchema, InspectionDataSchema
from sync.schema import RecordDataSchema

RECORD_SCHEMAS = (InspectionDataSchema, ActionUpdateDataSchema, ScanRecordSchema, AssetUpdateRecordSchema)
SHA = "a" * 64

scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2 ** 70, max_value=2 ** 70),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
                    st.sampled_from(["pass", "good", "in_use", "done", SHA, "1", ""]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=8)


def _as_marshmallow_loads(schema_class: type[Schema]) -> Schema:
    """The same schema, hooks and all, loading through marshmallow's own loop and validation."""
    return type("Reference", (schema_class,), {"_deserialize": Schema._deserialize, "__init__": Schema.__init__})()


def _outcome(schema: Schema, data) -> tuple:
    try:
        return "loaded", schema.load(data)
    except ValidationError as error:
        return "refused", error.messages, error.valid_data


@st.composite
def record_data(draw, schema_class: type[Schema]) -> object:
    """Mostly objects with some of the schema's fields (and sometimes others); now and then not an object."""
    if draw(st.integers(0, 9)) == 0:
        return draw(values)
    names = draw(st.lists(st.sampled_from(sorted(schema_class().load_fields)), unique=True))
    data = {name: draw(values) for name in names}
    data.update(draw(st.dictionaries(st.sampled_from(["extra", "uuid", "Note", ""]), values, max_size=2)))
    return data


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_record_data_loads_as_marshmallow_loads_it(data):
    schema_class = data.draw(st.sampled_from(RECORD_SCHEMAS))
    sent = data.draw(record_data(schema_class))
    assert _outcome(schema_class(), sent) == _outcome(_as_marshmallow_loads(schema_class), sent)


def test_a_checklist_as_phones_send_it_loads_as_marshmallow_loads_it():
    sent = {"template_id": 3, "room_id": 1, "scanned": True, "score": 96.5, "note": "被子叠放整齐",
            "photos": [SHA], "answers": {"quilt": {"deduct": 0}, "stranger": {"result": "pass", "photos": [SHA]}}}
    loaded = _outcome(InspectionDataSchema(), sent)
    assert loaded == _outcome(_as_marshmallow_loads(InspectionDataSchema), sent)
    assert loaded[0] == "loaded" and loaded[1]["photos"] == [SHA]


def test_a_field_read_under_another_name_goes_marshmallows_own_way():
    class Renamed(RecordDataSchema):
        room = fields.Integer(data_key="roomId", required=True)

    assert Renamed().load({"roomId": 7}) == {"room": 7}
    assert _outcome(Renamed(), {"room": 7})[1] == {"roomId": ["Missing data for required field."],
                                                   "room": ["Unknown field."]}


class Assorted(RecordDataSchema):
    """Fields of the kinds RecordDataSchema loads its own way, each way a field may be declared."""

    flag = fields.Boolean()
    strict_flag = fields.Boolean(required=True, allow_none=True, validate=lambda v: v is True)
    yes_no = fields.Boolean(truthy={"yes"}, falsy={"no"})
    upside_down = fields.Boolean(truthy={0}, falsy={1})
    tags = fields.List(fields.String(), validate=validate.Length(min=1))
    hashes = fields.List(fields.String(), load_default=list, allow_none=True)
    some = fields.List(fields.Integer(), required=True)
    count = fields.Integer(load_default=7, validate=validate.Range(min=0))
    maybe = fields.Float(allow_none=True, validate=validate.Range(min=0))
    note = fields.String(load_default=None, allow_none=False)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_every_way_a_field_is_declared_loads_as_marshmallow_loads_it(data):
    sent = data.draw(record_data(Assorted))
    assert _outcome(Assorted(), sent) == _outcome(_as_marshmallow_loads(Assorted), sent)


def test_an_empty_or_left_out_list_loads_as_a_list_of_its_own():
    """As marshmallow loads them: the loaded data shares no list with what was sent or with other loads."""
    sent = {"some": [], "strict_flag": True}
    first, second = Assorted().load(sent), Assorted().load(sent)
    assert first["hashes"] == [] and first["hashes"] is not second["hashes"]
    assert first["some"] == [] and first["some"] is not sent["some"]
    assert first["count"] == 7 and "flag" not in first
