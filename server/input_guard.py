"""What no database here can hold is refused where it enters, the same way on both engines.

PostgreSQL's text cannot hold a NUL character; SQLite's can. Reaching the database, a NUL in a search
was a 500 page in the console and a 422 `unstorable_value` from the API on PostgreSQL, and a name
holding one was stored as sent on SQLite. It is now a field error before any view runs. (A pushed
record holding one is rejected alone, with its reason: sync.records.) Likewise an id in a URL beyond
the integer columns ids live in: a 500 page or a 422 on PostgreSQL, a 404 on SQLite; a 404 on both."""
from __future__ import annotations

from typing import Any

from flask import abort, request
from werkzeug.routing import IntegerConverter

from server.errors import error_response, wants_json
from sync.records import MAX_DB_INT

NUL = "\x00"
MESSAGE = "must not contain a NUL character (\\u0000)"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_nul_in_queries_and_forms():
    """Before every request: a query string's or a console form's field naming or holding a NUL. (The API
    takes JSON, and a form sent to it is not read here: its routes' own body limits apply after this.)"""
    reads_form = request.mimetype in _FORM_TYPES and not wants_json()
    sources = (request.args, request.form) if reads_form else (request.args,)
    named = [name for source in sources for name, value in source.items(multi=True)
             if NUL in name or NUL in value]
    if not named:
        return None
    fields = {name.replace(NUL, "\ufffd"): [MESSAGE] for name in named}
    if not wants_json():
        abort(400, description=f"{', '.join(fields)}: {MESSAGE}")
    return error_response(422, "validation_failed", "some fields are not valid", {"fields": fields})


def nul_errors(body: bytes, data: Any) -> dict:
    """The fields of a JSON body whose text holds a NUL, as marshmallow nests field errors ({} if none).
    JSON spells a NUL only as an escape, so a body without one is not walked."""
    if b"\\u0000" not in body:
        return {}
    errors: dict = {}
    pending: list[tuple[tuple, Any]] = [((), data)]  # a stack, not recursion: JSON may nest deep
    while pending:
        path, value = pending.pop()
        if isinstance(value, str) and NUL in value:
            _set(errors, path)
        elif isinstance(value, dict):
            for key, item in value.items():
                if NUL in key:
                    _set(errors, (*path, key.replace(NUL, "\ufffd")))
                else:
                    pending.append(((*path, key), item))
        elif isinstance(value, list):
            pending.extend(((*path, index), item) for index, item in enumerate(value))
    return errors


def _set(errors: dict, path: tuple) -> None:
    if not path:  # the body itself is text
        errors.setdefault("_schema", [MESSAGE])
        return
    for key in path[:-1]:
        errors = errors.setdefault(key, {})
        if not isinstance(errors, dict):  # a field already refused whole
            return
    errors[path[-1]] = [MESSAGE]


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` in every route: each names a row by its id, and no row has an id beyond MAX_DB_INT."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_DB_INT)
        super().__init__(url_map, *args, **kwargs)
