"""The OpenAPI document describes the contract's routes and error envelope."""
from __future__ import annotations


def test_openapi_lists_the_routes_and_the_error_envelope(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/auth/login", "/api/v1/auth/logout", "/api/v1/sync/pull", "/api/v1/rooms/{obj_id}"):
        assert path in spec["paths"], path
    error = spec["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["$ref"].endswith("/ErrorBody")
    assert {"code", "message", "details"} <= set(spec["components"]["schemas"]["ErrorBody"]["properties"])
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
