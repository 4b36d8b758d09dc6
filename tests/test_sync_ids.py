"""Record ids made by the Python client: version-7 UUIDs that the server takes and that sort by time."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from sync.client import Outbox
from sync.ids import uuid7


def test_ids_carry_the_time_they_were_made_and_sort_by_it():
    made = int(datetime(2026, 11, 26, 8, 30, tzinfo=UTC).timestamp() * 1000)
    first = uuid.UUID(uuid7(made))
    assert (first.version, first.variant) == (7, uuid.RFC_4122)
    assert first.int >> 80 == made
    later = [uuid7(made + ms) for ms in (1, 2, 1000, 86_400_000)]
    assert sorted(later) == later and all(u > str(first) for u in later)
    assert uuid7(made) != uuid7(made)


def test_the_outbox_names_records_and_batches_with_version_7_ids(tmp_path):
    outbox = Outbox(tmp_path / "phone.sqlite3")
    try:
        record_uuid = outbox.add("inspection", {"note": "x"})
        batch_id, records = outbox.next_batch(50)
    finally:
        outbox.close()
    assert json.loads(records[0])["uuid"] == record_uuid
    assert uuid.UUID(record_uuid).version == 7 and uuid.UUID(batch_id).version == 7
