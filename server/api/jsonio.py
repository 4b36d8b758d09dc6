"""How the API reads and writes JSON: as sync.jsontext reads it, so that a number JSON cannot carry
(NaN, Infinity, beyond float range, an integer of over 4,300 digits) reaches the schemas as a
jsontext.BadNumber, which typed fields refuse with their usual errors, and is written back (echoed in
a push's answer) as the text it was sent as."""
from __future__ import annotations

import flask_smorest
import marshmallow as ma
import orjson
from flask.json.provider import DefaultJSONProvider
from flask_smorest.utils import resolve_schema_instance
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from server import input_guard
from sync import jsontext


class JsonParser(FlaskParser):
    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        # Decoded here as webargs does: bytes that are not UTF-8 get its usual 400.
        body = req.get_data(cache=True)
        body.decode()
        return jsontext.loads(body)

    def load_json(self, req, schema):
        """A body whose text holds a NUL is refused field by field, unless its schema reads its parts one
        by one and answers each (`nul_checked_apart`: a push's records)."""
        data = super().load_json(req, schema)
        if data is not core.missing and not getattr(schema, "nul_checked_apart", False):
            errors = input_guard.nul_errors(req.get_data(cache=True), data)
            if errors:
                raise ma.ValidationError(errors)
        return data


class Blueprint(flask_smorest.Blueprint):
    """The API's blueprints, reading bodies with JsonParser."""

    ARGUMENTS_PARSER = JsonParser()

    def arguments(self, schema, *args, **kwargs):
        """As flask-smorest's, the schema made once here: given a class, webargs makes an instance for
        every request, and marshmallow copies every declared field to make one (a twentieth of a pull of
        the day's changes, counted in instructions)."""
        return super().arguments(resolve_schema_instance(schema), *args, **kwargs)


class JsonProvider(DefaultJSONProvider):
    """Answers written by orjson (a push's answer of 500 results, a pull page of 500 objects), in the
    same form as Flask's own: sorted keys, dates and dataclasses as Flask writes them. What orjson does
    not write, and any other form asked for (indented, in debug mode), is left to Flask."""

    _ORJSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

    @staticmethod
    def default(o):
        if isinstance(o, jsontext.BadNumber):
            return o.text
        return DefaultJSONProvider.default(o)

    def dumps(self, obj, **kwargs) -> str:
        if kwargs.keys() <= {"separators"} and kwargs.get("separators", (",", ":")) == (",", ":"):
            try:
                return orjson.dumps(obj, default=self.default, option=self._ORJSON_OPTIONS).decode()
            except TypeError:  # beyond orjson: integers beyond 64 bits, unpaired surrogates, non-string keys
                pass
        return super().dumps(obj, **kwargs)
