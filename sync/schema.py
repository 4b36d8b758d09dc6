"""marshmallow with less of its machinery where sync runs it for every record or object: the base of
every record type's `data` schema (RecordHandler.schema), and the dump of every pulled object (dumper)."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

from marshmallow import RAISE, Schema, ValidationError, fields
from marshmallow.decorators import POST_DUMP, PRE_DUMP
from marshmallow.error_store import ErrorStore
from marshmallow.utils import missing
from marshmallow.validate import And

# The fields that load a value of exactly this type as the value itself, and dump it so too (String: str(value),
# Integer: int(value)): RecordDataSchema and `dumper` take such values as they are.
_AS_IS = {fields.String: str, fields.Integer: int}


def _no_validators(value: Any) -> None:
    """A field without validators finds nothing wrong with any value it has read."""


class _FieldPlan(NamedTuple):
    """How RecordDataSchema loads one field's commonest values without the field's own calls; each is
    what marshmallow's Field.deserialize makes of that value."""

    name: str
    field: fields.Field
    as_is: type | None  # a value of exactly this type loads as itself, validators run
    absent: Callable[[], Any] | None  # what a value left out loads to (None: required, marshmallow's way)
    none_loads: bool  # None loads as None, unvalidated (allow_none)
    empty_list: bool  # [] loads as a new empty list, validators run (a List: no element to load)


def _plan_for(name: str, field: fields.Field) -> _FieldPlan:
    if field.pre_load or field.post_load:  # functions of the field's own, run around its loading
        return _FieldPlan(name, field, None, None, False, False)
    default = field.load_default
    absent = None if field.required else default if callable(default) else functools.partial(_same, default)
    return _FieldPlan(name, field, _loaded_as_is(field), absent, field.allow_none, type(field) is fields.List)


def _same(value: Any) -> Any:
    return value


def _loaded_as_is(field: fields.Field) -> type | None:
    """The type whose values the field loads unchanged: a Boolean takes True and False as they are
    unless its truthy and falsy values say otherwise."""
    if type(field) is fields.Boolean:
        plain = not field.truthy or (True in field.truthy and False not in field.truthy and False in field.falsy)
        return bool if plain else None
    return _AS_IS.get(type(field))


class RecordDataSchema(Schema):
    """Loads exactly as marshmallow's Schema does, with less of its machinery per field. A push of 500
    checklists loads 4,000 fields, and for each marshmallow's own loop builds a closure and a dict of
    keyword arguments and goes through two more calls; the plain loop here took one checklist's `data`
    from 19 to 12 µs, and each field's validators built once to 8.4 µs (bench/HISTORY.md, "The app's
    work per push, in instructions"). It stands in for marshmallow's loop only where these schemas need no
    more: every field read under its own name (no `data_key`, no `attribute`), not partial, unknown fields
    refused. A String or Integer field whose value is already exactly a str or int (as JSON reads it), or a
    Boolean's True or False, is loaded as it is, its validators run: what marshmallow's field would make
    of it is the same value, through four more calls. So is a value left out (the field's load_default),
    a None the field allows, and an empty list for a List: a checklist's own `photos`, `score` and
    `asset_id` are mostly these (a push of 500 checklists −3 % of the app's instructions).
    Anything else goes marshmallow's own way, and tests/test_record_schema.py holds the two to the same
    results and errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain_fields = all(f.data_key is None and f.attribute is None for f in self.load_fields.values())
        for field in self.load_fields.values():
            # marshmallow 4 builds an And of a field's validators for every value it checks (a fifth of
            # loading a checklist); these fields are this instance's own copies, and their validators
            # are fixed once the schema is built.
            field._validate = And(*field.validators) if field.validators else _no_validators
        self._plan = [_plan_for(name, field) for name, field in self.load_fields.items()]

    def _deserialize(self, data: Any, *, error_store: ErrorStore, many: bool = False, partial=None,
                     unknown: str = RAISE, index: int | None = None) -> Any:
        if many or partial is not None or unknown != RAISE or not isinstance(data, dict) or not self._plain_fields:
            return super()._deserialize(data, error_store=error_store, many=many, partial=partial, unknown=unknown,
                                        index=index)
        index = index if self.opts.index_errors else None
        loaded = self.dict_class()
        for name, field, as_is, absent, none_loads, empty_list in self._plan:
            value = data.get(name, missing)
            try:
                if type(value) is as_is:
                    field._validate(value)
                elif value is missing and absent is not None:
                    value = absent()
                elif value is None and none_loads:
                    pass
                elif empty_list and type(value) is list and not value:
                    value = []
                    field._validate(value)
                else:
                    value = field.deserialize(value, name, data)
            except ValidationError as error:
                error_store.store_error(error.messages, name, index=index)
                value = error.valid_data or missing
            if value is not missing:
                loaded[name] = value
        for name in data.keys() - self.load_fields.keys():
            error_store.store_error([self.error_messages["unknown"]], name, index)
        return loaded


def dumper(schema: Schema) -> Callable[[Any], dict]:
    """What `schema.dump(obj)` answers for one object (a model instance), reading each String and Integer
    field's value off the object, where marshmallow goes through the schema's accessor (which first asks
    whether the object is a mapping), the field's get_value and its _serialize. A value of any other type,
    and every other field, still goes marshmallow's way; so does a schema with dump hooks or its own
    accessor. A school's 5,000 assets are most of a phone's first pull: 28 µs each to dump, 12 this way
    (bench/HISTORY.md, "A phone's first pull"). tests/test_dumper.py holds the two to the same answers."""
    if schema._hooks[PRE_DUMP] or schema._hooks[POST_DUMP] or type(schema).get_attribute is not Schema.get_attribute:
        return schema.dump
    steps = []
    for name, field in schema.dump_fields.items():
        as_is = None if getattr(field, "as_string", False) else _AS_IS.get(type(field))  # not a number as text
        attribute = field.attribute if field.attribute is not None else name
        steps.append((field.data_key if field.data_key is not None else name, name, attribute, field, as_is))

    def dump(obj: Any) -> dict:
        if hasattr(obj, "__getitem__"):  # marshmallow reads a mapping's items, not its attributes
            return schema.dump(obj)
        out = schema.dict_class()
        for key, name, attribute, field, as_is in steps:
            value = getattr(obj, attribute, missing) if as_is is not None else missing
            # Missing (a dotted attribute is, read this way) goes marshmallow's way too.
            if value is not None and type(value) is not as_is:
                value = field.serialize(name, obj, accessor=schema.get_attribute)
                if value is missing:
                    continue
            out[key] = value
        return out

    return dump
