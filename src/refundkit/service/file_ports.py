"""Ports for uploaded files and dispute evidence: the records, the repository and the blob
store (DESIGN §3 "Evidence", §6 ``POST /v1/files``)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol


@dataclass(frozen=True, slots=True)
class FileRecord:
    id: str
    owner_id: str
    purpose: str
    content_type: str  # sniffed from the bytes, never the declared one
    size: int
    sha256: str  # of the stored bytes (after metadata was stripped)
    storage_name: str  # server-chosen, never derived from user input
    display_name: str  # sanitized; only ever shown, never used as a path
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    id: str
    dispute_id: str | None
    file_id: str
    note: str
    added_by: str
    added_role: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Evidence:
    """One piece of a dispute's evidence with its file."""

    record: EvidenceRecord
    file: FileRecord


class FileRepository(Protocol):
    def add(self, record: FileRecord) -> None: ...
    def get(self, file_id: str) -> FileRecord | None: ...
    def is_party_to(self, user_id: str, file_id: str) -> bool:
        """Whether the user uploaded the file or is the buyer or the seller of a dispute it
        is attached to (roles that see everything are the service's business)."""

    def count_for_dispute(self, dispute_id: str) -> int: ...
    def bytes_owned_by(self, owner_id: str, *, lock: bool) -> int:
        """What the owner's files take in all; ``lock`` serializes the owner's uploads for
        the rest of the transaction, so two at once cannot both pass the quota."""

    def attach(self, evidence: EvidenceRecord) -> None: ...
    def unattached_owned_by(self, owner_id: str, file_ids: Collection[str]) -> set[str]:
        """The ids among ``file_ids`` that ``owner_id`` uploaded and nobody attached yet."""

    def evidence_for_dispute(self, dispute_id: str) -> Sequence[Evidence]: ...


class FilesUnitOfWork(Protocol):
    """What the file use cases need of a unit of work: ``uow.files``."""

    files: FileRepository


@dataclass(frozen=True, slots=True)
class StoredBlob:
    storage_name: str
    sha256: str
    size: int


class StagedBlob(Protocol):
    """An upload being received: a temporary file nobody can fetch. ``commit`` moves it into
    place under a random name; ``discard`` (a no-op after commit) removes it."""

    @property
    def size(self) -> int: ...
    def write(self, chunk: bytes) -> None: ...
    def read(self) -> bytes: ...
    def head(self, size: int) -> bytes:
        """The first ``size`` bytes."""
        ...

    def chunks(self) -> Iterator[bytes]:
        """The whole file, a bounded piece at a time."""
        ...

    def rewrite(self, transform: Callable[[BinaryIO, BinaryIO], bool]) -> bool:
        """Replace the file with what ``transform(source, sink)`` writes, if it answers
        True (both streams seekable; memory stays flat)."""
        ...

    def replace(self, data: bytes) -> None: ...
    def commit(self) -> StoredBlob: ...
    def discard(self) -> None: ...


class BlobStore(Protocol):
    def stage(self) -> StagedBlob: ...
    def open(self, storage_name: str) -> BinaryIO: ...
    def delete(self, storage_name: str) -> None: ...


Stripper = Callable[[str, BinaryIO, BinaryIO], bool]
"""``(content_type, source, sink)``: writes the file without its metadata to ``sink`` and
answers True, or False (nothing written) for a type it leaves as it is; raises
``ValueError`` on bad input. Streams: memory stays flat whatever the file's size."""


@dataclass(frozen=True, slots=True)
class Uploads:
    """Where uploads go and how big they may be."""

    blobs: BlobStore
    strip: Stripper
    max_bytes: int = 10 * 1024 * 1024
