"""Photos by content hash: a store for the bytes (a folder here; object storage can take its place
behind the same three methods) and the rows that make a photo one school's own.

The bytes of one hash are stored once whoever uploads them; a school can read or link a photo only
when it uploaded those bytes itself (its own Attachment row), so knowing a hash gives nothing.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from sync.models import Attachment, AttachmentLink
from sync.records import SHA256_HEX
from sync.sql import insert_if_new

# Magic bytes of the image types phones may upload; the declared type must match them.
IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
CHUNK = 64 * 1024
MISSING_LIMIT = 1000
T = TypeVar("T")


class HashMismatch(Exception):
    """The bytes do not hash to the name they were sent under."""


class TooLarge(Exception):
    """More bytes than allowed."""


class NotThatImage(Exception):
    """The bytes are not an image of the declared type."""


def sniff(head: bytes) -> str | None:
    """The image type the first bytes say, whatever the sender claimed."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass(frozen=True)
class Blob:
    sha256: str
    size: int


class AttachmentStore(Protocol):
    def put(self, sha256: str, chunks: Iterable[bytes], max_bytes: int, check: Callable[[bytes], None]) -> Blob:
        """Store the bytes under their hash, all or nothing, and durably by the time it returns (the
        photo's row commits next); raise TooLarge or HashMismatch, or what `check(first bytes)`
        raises, leaving nothing behind."""

    def open(self, sha256: str) -> BinaryIO: ...

    def exists(self, sha256: str) -> bool: ...


class FolderStore:
    """Files named by their hash under `root/ab/abcdef…`, written to a temp file and renamed in place.
    A stored file is on the disk, name and bytes, before `put` returns, so before the photo's row
    commits: a photo the phone was told is stored survives a power cut (the phone never sends it again)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        # Only a checked hex digest ever becomes part of a path.
        if not SHA256_HEX.match(sha256):
            raise ValueError("not a sha256 hex digest")
        return self.root / sha256[:2] / sha256

    def put(self, sha256: str, chunks: Iterable[bytes], max_bytes: int, check: Callable[[bytes], None]) -> Blob:
        target = self._path(sha256)
        fd, tmp_name = _in_folder(self.root / "tmp", lambda folder: tempfile.mkstemp(dir=folder))
        try:
            with os.fdopen(fd, "wb") as tmp:
                size, head, digest = _copy(chunks, tmp, max_bytes)
                if digest != sha256:
                    raise HashMismatch(digest)
                check(head)
                tmp.flush()
                os.fsync(tmp.fileno())
            _in_folder(target.parent, lambda folder: os.replace(tmp_name, target))
            _fsync_folder(target.parent)
        except BaseException:
            # An upload cut off, too large or wrong leaves no file behind.
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return Blob(sha256, size)

    def open(self, sha256: str) -> BinaryIO:
        return self._path(sha256).open("rb")

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).exists()


def _in_folder(folder: Path, make: Callable[[Path], T]) -> T:
    """`make(folder)`, creating the folder first if it is missing: asked of the disk only then, not
    before every photo."""
    try:
        return make(folder)
    except FileNotFoundError:
        folder.mkdir(parents=True, exist_ok=True)
        return make(folder)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (the file's own fsync does not cover its name)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy(chunks: Iterable[bytes], out: BinaryIO, max_bytes: int) -> tuple[int, bytes, str]:
    digest = hashlib.sha256()
    size, head = 0, b""
    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(max_bytes)
        if len(head) < 16:
            head += chunk[:16]
        digest.update(chunk)
        out.write(chunk)
    return size, head, digest.hexdigest()


def read_chunks(stream: BinaryIO) -> Iterable[bytes]:
    return iter(lambda: stream.read(CHUNK), b"")


def receive(session: Session, store: AttachmentStore, site_id: int, sha256: str, content_type: str,
            chunks: Iterable[bytes], max_bytes: int) -> bool:
    """Take an upload for the school; True if the school did not have this photo before."""

    def same_type(head: bytes) -> None:
        if sniff(head) != content_type:
            raise NotThatImage(content_type)

    blob = store.put(sha256, chunks, max_bytes, same_type)
    row = {"site_id": site_id, "sha256": sha256, "content_type": content_type, "size": blob.size}
    return insert_if_new(session.connection(), Attachment.__table__, row)


def find(session: Session, sha256: str) -> Attachment | None:
    """The caller's school's photo (the session is scoped to it), else None."""
    return session.scalar(select(Attachment).where(Attachment.sha256 == sha256))


def missing(session: Session, site_id: int, limit: int = MISSING_LIMIT) -> list[str]:
    """Hashes named by the school's records whose bytes the school has not uploaded yet."""
    uploaded = exists().where(Attachment.site_id == site_id, Attachment.sha256 == AttachmentLink.sha256)
    return list(session.scalars(select(AttachmentLink.sha256).where(AttachmentLink.site_id == site_id, ~uploaded)
                                .distinct().order_by(AttachmentLink.sha256).limit(limit)))


def missing_for(session: Session, site_id: int, record_uuids: list[str]) -> dict[str, list[str]]:
    """For each record, the photos it names that are not uploaded yet (incomplete records)."""
    uploaded = exists().where(Attachment.site_id == site_id, Attachment.sha256 == AttachmentLink.sha256)
    rows = session.execute(select(AttachmentLink.record_uuid, AttachmentLink.sha256).where(
        AttachmentLink.site_id == site_id, AttachmentLink.record_uuid.in_(record_uuids), ~uploaded))
    out: dict[str, list[str]] = {}
    for record_uuid, sha in rows:
        out.setdefault(record_uuid, []).append(sha)
    return out
