"""OpenAPI document settings: schema names and the bearer scheme."""
from __future__ import annotations

from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask_smorest import Api

from server.api.schemas import ErrorSchema


class XunjianApi(Api):
    """Documents every operation's error answers with the contract's error envelope."""

    ERROR_SCHEMA = ErrorSchema


def schema_name(schema) -> str:
    """`RoomSchema` is "Room"; the partial one PATCH takes is "RoomPatch"."""
    name = resolve_schema_cls(schema).__name__.removesuffix("Schema")
    return name + "Patch" if getattr(schema, "partial", False) else name


def spec_kwargs() -> dict:
    return {
        "marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name),
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    }
