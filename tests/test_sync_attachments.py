"""Photos by hash over real HTTP: verified, typed, sized, deduplicated, never half-written, per school."""
from __future__ import annotations

import hashlib
import io
import os
import shutil
import time
from pathlib import Path

import pytest
from PIL import Image

from server.models import Attachment, AttachmentLink
from sync.attachments import FolderStore
from tests.sync_kit import (
    BROKEN_NAMES,
    count,
    phone_for,
    record,
    register_test_handlers,
    send_cut_short,
    sent_halfway,
)

register_test_handlers()


def image_bytes(fmt: str = "JPEG", color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(out, fmt)
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def phone(factory, live_server):
    return phone_for(factory, live_server)


def stored_files(app) -> list[Path]:
    return [p for p in Path(app.config["ATTACHMENT_DIR"]).rglob("*") if p.is_file()]


@pytest.fixture(autouse=True)
def _empty_store(app):
    yield
    for path in stored_files(app):
        path.unlink()


def test_upload_then_download_as_a_download(phone):
    data = image_bytes()
    assert phone.put(f"/api/v1/attachments/{sha(data)}", data).status_code == 201
    resp = phone.get(f"/api/v1/attachments/{sha(data)}")
    assert resp.status_code == 200 and resp.content == data
    assert resp.headers["Content-Type"] == "image/jpeg"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("fmt,content_type", [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_png_and_webp(phone, fmt, content_type):
    data = image_bytes(fmt)
    assert phone.put(f"/api/v1/attachments/{sha(data)}", data, content_type).status_code == 201


def test_bytes_must_really_be_the_declared_type(phone, app):
    html = b"<html><script>alert(1)</script></html>"
    resp = phone.put(f"/api/v1/attachments/{sha(html)}", html, "image/jpeg")
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "not_that_image"
    png = image_bytes("PNG")
    assert phone.put(f"/api/v1/attachments/{sha(png)}", png, "image/jpeg").status_code == 422
    assert phone.put(f"/api/v1/attachments/{sha(png)}", png, "text/html").status_code == 415
    assert stored_files(app) == [] and count(app, Attachment) == 0


def test_case9_photo_before_its_record_is_linked_when_the_record_comes(phone, app):
    data = image_bytes()
    phone.put(f"/api/v1/attachments/{sha(data)}", data)
    assert phone.statuses([record(data={"name": "A", "photos": [sha(data)]})]) == ["accepted"]
    assert phone.get("/api/v1/attachments/missing").json() == {"missing": []}
    assert count(app, AttachmentLink) == 1 and count(app, Attachment) == 1


def test_case10_record_whose_photo_never_arrives_is_stored_and_listed_missing(phone, app):
    data = image_bytes()
    rec = record(data={"name": "A", "photos": [sha(data)]})
    assert phone.statuses([rec]) == ["accepted"]
    assert phone.get("/api/v1/attachments/missing").json() == {"missing": [sha(data)]}
    from server.extensions import db
    from sync.attachments import missing_for
    with app.app_context():
        assert missing_for(db.session, phone_site(app), [rec["uuid"]]) == {rec["uuid"]: [sha(data)]}
    phone.put(f"/api/v1/attachments/{sha(data)}", data)
    assert phone.get("/api/v1/attachments/missing").json() == {"missing": []}


def test_a_held_records_photo_is_asked_for_while_it_waits_and_linked_once_when_it_is_applied(phone, app):
    data = image_bytes()
    held = record(data={"name": "H", "photos": [sha(data)]})
    BROKEN_NAMES.add("H")
    try:
        assert phone.push([held]).json()["results"][0].get("held") is True
    finally:
        BROKEN_NAMES.discard("H")
    assert phone.get("/api/v1/attachments/missing").json() == {"missing": [sha(data)]}
    assert phone.statuses([record(data={"name": "next"})]) == ["accepted"]  # the server applies the held one
    assert phone.get("/api/v1/attachments/missing").json() == {"missing": [sha(data)]}
    assert count(app, AttachmentLink) == 1
    phone.put(f"/api/v1/attachments/{sha(data)}", data)
    assert phone.get("/api/v1/attachments/missing").json() == {"missing": []}


def phone_site(app) -> int:
    from server.extensions import db
    from server.models import Site
    with app.app_context():
        return db.session.scalar(db.select(Site.id).where(Site.code == "s1"))


def test_case11_bytes_not_matching_the_hash_are_422_and_stored_nowhere(phone, app):
    data = image_bytes()
    resp = phone.put(f"/api/v1/attachments/{sha(b'other')}", data)
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "hash_mismatch"
    assert stored_files(app) == [] and count(app, Attachment) == 0


def test_case12_upload_cut_mid_stream_leaves_no_file_and_reupload_works(phone, app):
    data = image_bytes() + b"\0" * 5000
    answer = send_cut_short(phone.base_url, phone.token, "PUT", f"/api/v1/attachments/{sha(data)}", "image/jpeg",
                            len(data), data[:1000])
    assert not answer.startswith(b"HTTP/1.1 2")  # the server saw the cut (or nothing): never a success
    assert stored_files(app) == [] and count(app, Attachment) == 0
    assert phone.put(f"/api/v1/attachments/{sha(data)}", data).status_code == 201
    assert [p.name for p in stored_files(app)] == [sha(data)]


def test_a_phone_slow_to_send_a_photo_holds_up_no_other_phones_push(factory, live_server, app):
    """Nothing holds the database's write lock while a photo's bytes come in (only its row waits for
    it): one phone on a slow network must not stall every other phone's sync."""
    slow, other = phone_for(factory, live_server), phone_for(factory, live_server)
    data = image_bytes() + b"\0" * 100_000
    with sent_halfway(live_server, slow.token, "PUT", f"/api/v1/attachments/{sha(data)}", "image/jpeg",
                      data) as answer:
        time.sleep(0.3)  # the server has the headers, has looked the token up, and waits for the rest
        resp = other.push([record(data={"name": "R1"})], timeout=10)
        assert resp.status_code == 200 and [r["status"] for r in resp.json()["results"]] == ["accepted"]
    assert answer[0].startswith(b"HTTP/1.1 201")
    assert count(app, Attachment) == 1


def test_case13_same_photo_twice_or_in_two_records_is_stored_once(phone, app):
    data = image_bytes()
    assert phone.put(f"/api/v1/attachments/{sha(data)}", data).status_code == 201
    again = phone.put(f"/api/v1/attachments/{sha(data)}", data)
    assert again.status_code == 200 and again.json()["created"] is False
    phone.statuses([record(data={"name": n, "photos": [sha(data)]}) for n in ("A", "B")])
    assert len(stored_files(app)) == 1 and count(app, Attachment) == 1 and count(app, AttachmentLink) == 2


def test_case14_huge_photo_is_413_before_the_body_is_read(phone, app):
    fifty_mb = 50 * 1024 * 1024
    # Only the headers are sent: an answer at all proves the server did not wait for the body.
    answer = send_cut_short(phone.base_url, phone.token, "PUT", f"/api/v1/attachments/{'a' * 64}", "image/jpeg",
                            fifty_mb, b"")
    assert answer.startswith(b"HTTP/1.1 413")
    assert str(app.config["ATTACHMENT_MAX_BYTES"]).encode() in answer
    assert stored_files(app) == []


def test_case14_chunked_upload_over_the_limit_is_cut_at_the_limit(phone, app):
    limit = app.config["ATTACHMENT_MAX_BYTES"]
    data = image_bytes() + b"\0" * limit

    def chunks():
        for i in range(0, len(data), 1 << 20):
            yield data[i:i + (1 << 20)]

    resp = phone.put(f"/api/v1/attachments/{sha(data)}", chunks())
    assert resp.status_code == 413 and resp.json()["error"]["details"]["max_bytes"] == limit
    assert stored_files(app) == []


@pytest.mark.parametrize("path", ["..%2F..%2Fetc%2Fpasswd", "../../etc/passwd", "A" * 64, "g" * 64])
def test_case15_hostile_names_never_become_paths(phone, path):
    assert phone.get(f"/api/v1/attachments/{path}").status_code == 404
    assert phone.put(f"/api/v1/attachments/{path}", image_bytes()).status_code in (404, 405)


def test_case15_hostile_photo_names_in_a_record_are_rejected(phone):
    resp = phone.push([record(data={"name": "A", "photos": ["../../etc/passwd"]})])
    assert resp.json()["results"][0]["status"] == "rejected"


def test_case28_another_schools_photo_is_neither_readable_nor_linkable(factory, live_server, app):
    a = phone_for(factory, live_server, "a")
    b = phone_for(factory, live_server, "b")
    data = image_bytes()
    a.put(f"/api/v1/attachments/{sha(data)}", data)
    assert b.get(f"/api/v1/attachments/{sha(data)}").status_code == 404
    assert b.statuses([record(data={"name": "B", "photos": [sha(data)]})]) == ["accepted"]
    assert b.get("/api/v1/attachments/missing").json() == {"missing": [sha(data)]}
    # uploading the bytes itself makes it B's too, still stored once
    assert b.put(f"/api/v1/attachments/{sha(data)}", data).status_code == 201
    assert b.get(f"/api/v1/attachments/{sha(data)}").content == data
    assert len(stored_files(app)) == 1


def _put(store: FolderStore, data: bytes) -> None:
    store.put(sha(data), [data], len(data), lambda head: None)


def test_a_stored_photo_is_on_the_disk_before_its_row_can_commit(tmp_path, monkeypatch):
    """Bytes and name are synced before `put` returns (the row commits after it): a photo the phone was
    told is stored, and so never sends again, survives a power cut. Pulling the plug is out of a test's reach;
    what reaches the disk, and in which order, is not."""
    store = FolderStore(tmp_path / "photos")
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace
    # Each noted once done (a rename into a folder not made yet fails, and is tried again).
    monkeypatch.setattr(os, "fsync", lambda fd: (real_fsync(fd),
                                                 events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))))
    monkeypatch.setattr(os, "replace", lambda src, dst: (real_replace(src, dst), events.append(("rename", str(dst)))))
    data = image_bytes()
    _put(store, data)
    target = tmp_path / "photos" / sha(data)[:2] / sha(data)
    assert target.read_bytes() == data
    [(first, temp_file), *rest] = events
    assert first == "fsync" and Path(temp_file).parent == (tmp_path / "photos" / "tmp").resolve()
    assert rest == [("rename", str(target)), ("fsync", str(target.parent.resolve()))]


def test_a_photo_folder_taken_away_under_a_running_server_is_made_again(tmp_path):
    store = FolderStore(tmp_path / "photos")
    first, second = image_bytes(color="red"), image_bytes(color="blue")
    _put(store, first)
    shutil.rmtree(tmp_path / "photos")
    _put(store, second)
    with store.open(sha(second)) as stored:
        assert stored.read() == second
    assert not store.exists(sha(first))
