"""JSON answers travel gzip-compressed to clients that accept it, and plain to the others."""
from __future__ import annotations

import gzip
import json


def _rooms(api, count: int) -> None:
    for i in range(count):
        assert api.post("/api/v1/rooms", json={"name": f"宿舍 {i:03d}", "kind": "dorm"}).status_code == 201


def test_a_pull_with_accept_encoding_gzip_is_compressed(admin_api):
    _rooms(admin_api, 30)
    plain = admin_api.get("/api/v1/sync/pull")
    packed = admin_api.get("/api/v1/sync/pull", headers={"Accept-Encoding": "gzip, deflate"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data) / 3
    assert json.loads(gzip.decompress(packed.data)) == plain.get_json()


def test_small_answers_and_refused_gzip_stay_plain(admin_api):
    _rooms(admin_api, 30)
    small = admin_api.get("/api/v1/sync/pull?limit=1", headers={"Accept-Encoding": "gzip"})
    refused = admin_api.get("/api/v1/sync/pull", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in small.headers and small.get_json()["has_more"]
    assert "Content-Encoding" not in refused.headers and len(refused.get_json()["changes"]) == 30
