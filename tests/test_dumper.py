"""Every pulled object's `data` is written by sync.schema.dumper, which reads plain fields off the object
instead of going through marshmallow's dump: for any object, the same data (or the same error) as the
schema's own dump."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, fields, post_dump

from server.api.asset_schemas import StocktakeSchema
from server.api.inspection_schemas import ActionSchema, TemplateSchema
from server.api.labels import LabelSchema
from server.api.schemas import AssetSchema, BuildingSchema, RoomSchema
from server.models import Asset, Building, Room
from sync import feed
from sync.schema import dumper

PULLED = {"building": BuildingSchema, "room": RoomSchema, "asset": AssetSchema, "label": LabelSchema,
          "template": TemplateSchema, "action": ActionSchema, "stocktake": StocktakeSchema}
ABSENT = object()  # the object has no such attribute

values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
                   st.binary(max_size=4), st.decimals(allow_nan=False, allow_infinity=False, places=3),
                   st.dates(), st.datetimes(), st.lists(st.integers(), max_size=2), st.just(ABSENT))


class Everything(Schema):
    """A field of every kind dumper treats apart."""

    id = fields.Integer()
    name = fields.String()
    counted = fields.Integer(as_string=True)
    renamed = fields.String(data_key="shown_as")
    elsewhere = fields.String(attribute="other")
    deep = fields.String(attribute="inner.text")
    price = fields.Decimal(places=2, as_string=True)
    day = fields.Date()
    flag = fields.Boolean()
    ratio = fields.Float()
    fallback = fields.String(dump_default="none given")
    secret = fields.String(load_only=True)


def outcome(dump, obj) -> tuple:
    try:
        return "dumped", dump(obj)
    except Exception as exc:  # the same failure, whatever it is
        return "failed", type(exc)


def an_object(draw, names) -> SimpleNamespace:
    attributes = {name: draw(values) for name in names}
    return SimpleNamespace(**{name: value for name, value in attributes.items() if value is not ABSENT})


def assert_each_field_dumps_alike(schema_class: type[Schema], obj) -> None:
    """Field by field: a value one field cannot dump would otherwise hide what the others made of theirs."""
    for name in schema_class().dump_fields:
        schema = schema_class(only=(name,))
        assert outcome(dumper(schema), obj) == outcome(schema.dump, obj), name


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_object_dumps_as_marshmallow_dumps_it(data):
    obj = an_object(data.draw, [*Everything._declared_fields, "other"])
    obj.inner = an_object(data.draw, ["text"])
    assert_each_field_dumps_alike(Everything, obj)
    assert_each_field_dumps_alike(Everything, {**vars(obj), "inner": vars(obj.inner)})  # a mapping's items


@pytest.mark.parametrize("name", sorted(PULLED))
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_every_pulled_type_dumps_as_its_schema_does(name, data):
    obj = an_object(data.draw, PULLED[name]().dump_fields)
    obj.room = obj.assignee = obj.replaced_by = None
    assert_each_field_dumps_alike(PULLED[name], obj)


def test_the_pulled_types_are_those_checked_here(app):
    assert set(feed._pull_types) == set(PULLED)


def test_model_objects_dump_as_their_schema_does():
    objects = {
        "building": Building(id=3, version=2, name="教学楼", kind="teaching", floors=5),
        "room": Room(id=7, version=1, name="101", kind="dorm", building_id=3, floor=None, capacity=6),
        "asset": Asset(id=9, version=4, tag="ZC-0001", name="台式电脑", category="电脑", quantity=2,
                       unit_price=Decimal("7828.2"), purchase_date=date(2019, 1, 8), room_id=7, status="in_use"),
    }
    for name, obj in objects.items():
        schema = PULLED[name]()
        assert dumper(schema)(obj) == schema.dump(obj), name
    assert dumper(AssetSchema())(objects["asset"])["unit_price"] == "7828.20"


def test_a_schema_with_dump_hooks_dumps_its_own_way():
    class Hooked(Schema):
        name = fields.String()

        @post_dump
        def shout(self, data, **kwargs):
            return {key: value.upper() for key, value in data.items()}

    assert dumper(Hooked())(SimpleNamespace(name="a", when=datetime(2026, 1, 1))) == {"name": "A"}


def test_a_mapping_is_dumped_from_its_items_not_its_attributes():
    class Row(dict):
        name = "attribute"

    assert dumper(Everything(only=("name",)))(Row(name="item")) == {"name": "item"}
