"""Record ids as phones make them: UUID version 7 (RFC 9562), the time in milliseconds first, then
random bits. The server takes any UUID; time-ordered ones are what keep its storage cheap: every
unique index on a record uuid (the ledger's, the inspection's, the photo links') takes a batch's new
uuids at its end, in a page or two, instead of one random page per record. A push of 50 checklists
wrote about half the pages and used about a tenth less CPU (bench/HISTORY.md, "Fifty phones at once")."""
from __future__ import annotations

import secrets
import time
import uuid

_RANDOM_BITS = 74  # 12 after the version, 62 after the variant
_MS_MASK = (1 << 48) - 1


def uuid7(now_ms: int | None = None) -> str:
    """A new version-7 UUID as text; `now_ms` (milliseconds since the epoch) defaults to the clock."""
    ms = (time.time_ns() // 1_000_000 if now_ms is None else now_ms) & _MS_MASK
    rand = secrets.randbits(_RANDOM_BITS)
    value = (ms << 80) | (0x7 << 76) | ((rand >> 62) << 64) | (0b10 << 62) | (rand & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))
