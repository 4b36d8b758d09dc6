"""The Python client against a live server: outbox, retries, photos, pull resets, the CLI uploader."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from urllib.parse import urlparse

import pytest
from PIL import Image

from server.extensions import db
from server.models import Attachment, Room, SyncBatch
from sync import feed
from sync.client import Backoff, GiveUp, Outbox, SyncClient, main
from tests.conftest import PASSWORD
from tests.sync_kit import count, register_test_handlers, room_names

register_test_handlers()


@pytest.fixture
def phone_client(factory, live_server, tmp_path):
    factory.user(factory.site("s1"), "li", ["inspector", "admin"])
    sync_client = SyncClient(live_server, Outbox(tmp_path / "outbox.sqlite3"), sleep=lambda s: None)
    sync_client.login("li", PASSWORD, "test phone")
    yield sync_client
    sync_client.outbox.close()


def photo(path, color="blue"):
    Image.new("RGB", (4, 4), color).save(path, "JPEG")
    return path


def test_outbox_lands_in_batches_and_keeps_answers(phone_client, app):
    for i in range(7):
        phone_client.outbox.add("test_room", {"name": f"R{i}"})
    bad = phone_client.outbox.add("test_room", {"name": ""})
    phone_client.batch_size = 3
    assert phone_client.push() == {"stored": 7, "rejected": 1}
    assert count(app, SyncBatch) == 3 and len(room_names(app)) == 7
    assert phone_client.outbox.answers("rejected")[0]["uuid"] == bad
    assert phone_client.push() == {"stored": 7, "rejected": 1}  # nothing left to send


def test_records_reach_the_server_as_queued_whatever_their_text(phone_client, app):
    # The client splices the records into the body as the outbox stored them.
    names = ['宿舍 "A" 栋', "back\\slash, [bracket]", "消防 🚒", "two\nlines", "}]"]
    for name in names:
        phone_client.outbox.add("test_room", {"name": name})
    assert phone_client.push() == {"stored": len(names)}
    assert sorted(room_names(app)) == sorted(names)


def test_413_shrinks_the_batch_and_nothing_is_lost(phone_client, app):
    app.config["SYNC_MAX_RECORDS"] = 4
    try:
        for i in range(10):
            phone_client.outbox.add("test_room", {"name": f"R{i}"})
        assert phone_client.push() == {"stored": 10}
    finally:
        app.config["SYNC_MAX_RECORDS"] = 1000
    assert phone_client.batch_size <= 4 and len(room_names(app)) == 10


def test_photos_go_by_hash_once(phone_client, app, tmp_path):
    picture = photo(tmp_path / "a.jpg")
    phone_client.outbox.add("test_room", {"name": "A"}, photos=[picture])
    phone_client.outbox.add("test_room", {"name": "B"}, photos=[picture])
    phone_client.sync()
    assert phone_client.missing_photos() == [] and count(app, Attachment) == 1
    with app.app_context():
        assert db.session.scalar(db.select(Attachment.size)) == picture.stat().st_size


def test_a_lost_photo_mark_only_sends_the_photo_again_and_records_stay_synced(phone_client, app, tmp_path):
    """Marking a photo sent does not wait for the disk: a mark lost to a power cut sends the photo again,
    which the server takes as one it has; what the phone queues afterwards is still synced to the disk."""
    picture = photo(tmp_path / "a.jpg")
    phone_client.outbox.add("test_room", {"name": "A"}, photos=[picture])
    phone_client.sync()
    phone_client.outbox.db.execute("UPDATE photo SET uploaded = 0")  # the mark, lost
    assert phone_client.upload_photos() == 1
    assert phone_client.outbox.photos_to_upload() == [] and count(app, Attachment) == 1
    assert phone_client.outbox.db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL


def test_a_netrc_entry_for_the_server_does_not_replace_the_token(factory, live_server, tmp_path, monkeypatch):
    # requests looked the server up in ~/.netrc for every call and sent that password in place of the token.
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine {urlparse(live_server).hostname} login li password not-the-token\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    factory.user(factory.site("s1"), "li", ["inspector", "admin"])
    client = SyncClient(live_server, Outbox(tmp_path / "outbox.sqlite3"), sleep=lambda s: None)
    client.login("li", PASSWORD, "test phone")
    client.outbox.add("test_room", {"name": "A"})
    assert client.push() == {"stored": 1}


def test_a_proxy_set_in_the_environment_is_used(live_server, tmp_path, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = SyncClient(live_server, Outbox(tmp_path / "outbox.sqlite3"), backoff=Backoff(attempts=1))
    with pytest.raises(GiveUp):
        client.login("li", PASSWORD, "test phone")


def test_unreachable_server_gives_up_after_backoff_and_keeps_the_outbox(tmp_path):
    delays = []
    outbox = Outbox(tmp_path / "o.sqlite3")
    outbox.put("token", "t")
    unreachable = SyncClient("http://127.0.0.1:9", outbox, backoff=Backoff(base=1, cap=8, attempts=5),
                             sleep=delays.append)
    outbox.add("test_room", {"name": "A"})
    with pytest.raises(GiveUp):
        unreachable.push()
    assert len(delays) == 4 and all(0.5 * 2 ** i <= d <= min(8, 2 ** i) for i, d in enumerate(delays))
    assert outbox.counts() == {"queued": 1}


def test_pull_restarts_from_scratch_on_410_keeping_the_outbox(phone_client, app):
    phone_client.outbox.add("test_room", {"name": "A"})
    pages = []
    phone_client.sync(pages.append)
    old_cursor = phone_client.outbox.get("cursor")
    phone_client.outbox.add("test_room", {"name": "B"})
    phone_client.push()
    with app.app_context():
        site_id = db.session.scalar(db.select(Room.site_id).execution_options(all_sites=True))
        feed.forget_tombstones(db.session, site_id, feed.decode_cursor(old_cursor, site_id) + 1)
        db.session.commit()
    phone_client.outbox.add("test_room", {"name": "C"})
    pages.clear()
    phone_client.sync(pages.append)
    assert sorted(c["data"]["name"] for p in pages for c in p["changes"]) == ["A", "B", "C"]


def test_cli_uploader_logs_in_queues_a_file_and_syncs(factory, live_server, tmp_path, app, monkeypatch):
    factory.user(factory.site("s1"), "cli", ["inspector"])
    outbox = str(tmp_path / "cli.sqlite3")
    lines = tmp_path / "records.jsonl"
    picture = photo(tmp_path / "p.jpg", "green")
    lines.write_text("\n".join(json.dumps({"type": "test_room", "data": {"name": n}, "photo_files": [str(picture)]})
                               for n in ("一", "二")), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["--outbox", outbox, "login", live_server, "cli"]) == 0
    assert main(["--outbox", outbox, "upload", str(lines)]) == 0
    assert room_names(app) == ["一", "二"] and count(app, Attachment) == 1
    status = subprocess.run([sys.executable, "-m", "sync.client", "--outbox", outbox, "status"],
                            capture_output=True, text=True, check=True)
    assert json.loads(status.stdout) == {"stored": 2}
