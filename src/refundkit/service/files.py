"""Uploaded files and dispute evidence (DESIGN §3 "Evidence", §6 ``POST /v1/files``).

The declared content type and the file's name are never trusted: the type is sniffed from
the bytes against an allow-list, photos lose their location metadata before they are
stored, the stored name is the server's own, and the name the uploader gave is only kept,
sanitized, to be shown back. A file is read only by its uploader, the buyer and the seller
of a dispute it is attached to, and the staff; anyone else gets the 404 of an unknown id.
"""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Callable, Iterable, Sequence

import filetype

from refundkit.domain.errors import EmptyFile as EmptyFile
from refundkit.domain.errors import EvidenceNotUsable as EvidenceNotUsable
from refundkit.domain.errors import FileTooLarge as FileTooLarge
from refundkit.domain.errors import FileTypeNotAllowed as FileTypeNotAllowed
from refundkit.domain.errors import Forbidden, NotFound, ValidationError
from refundkit.domain.errors import QuotaExceeded as QuotaExceeded
from refundkit.domain.errors import TooManyFiles as TooManyFiles
from refundkit.domain.roles import Role
from refundkit.service import transactions
from refundkit.service.deps import Deps, EvidenceAttacher
from refundkit.service.file_ports import (
    Evidence,
    EvidenceRecord,
    FileRecord,
    FileRepository,
    FilesUnitOfWork,
    StagedBlob,
    Uploads,
)
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import User

PURPOSES = frozenset({"dispute_evidence"})
ALLOWED_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/webp", "video/mp4", "application/pdf", "text/plain"}
)
UPLOADERS = frozenset({Role.BUYER, Role.SELLER, Role.AGENT, Role.ADMIN})
READS_EVERY_FILE = frozenset({Role.PLATFORM, Role.AGENT, Role.ADMIN})
MAX_DISPLAY_NAME = 120
MAX_NOTE = 1000
FALLBACK_NAME = "file"
_SNIFF_BYTES = 8192


# --- what a file is --------------------------------------------------------------------


def sniff(data: bytes, is_text: Callable[[], bool] | None = None) -> str:
    """The content type from the bytes alone (``data``: the file, or at least its first
    8 KB), or ``FileTypeNotAllowed``. ``is_text``: whether the whole file is plain text,
    when ``data`` is only its start."""
    if not data:
        raise EmptyFile("the file is empty", field="file")
    kind = filetype.guess(data[:_SNIFF_BYTES])
    if kind is not None:
        mime = str(kind.mime)
        if mime not in ALLOWED_TYPES:
            raise FileTypeNotAllowed(
                f"files of type {mime} are not accepted; send JPEG, PNG, WebP, MP4, PDF "
                "or plain text",
                field="file",
            )
        return mime
    if is_text() if is_text is not None else is_plain_text(data):
        return "text/plain"
    raise FileTypeNotAllowed(
        "the file's type is not one we accept (JPEG, PNG, WebP, MP4, PDF or plain text); "
        "markup such as HTML, SVG or XML is never accepted",
        field="file",
    )


def is_plain_text(data: bytes) -> bool:
    """UTF-8 without NUL bytes that is not markup (its first visible character is not ``<``)."""
    return is_plain_text_stream([data])


def is_plain_text_stream(pieces: Iterable[bytes]) -> bool:
    """``is_plain_text`` over a file read a piece at a time (memory stays flat)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    first_visible: str | None = None
    try:
        for piece in pieces:
            if b"\x00" in piece:
                return False
            text = decoder.decode(piece)
            if first_visible is None:
                visible = text.lstrip("\ufeff \t\r\n\f\v")
                first_visible = visible[:1] or None
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return first_visible != "<"


def sanitize_display_name(name: str | None) -> str:
    """The last path component, without control or format characters, quotes or
    backslashes, at most 120 characters; ``"file"`` when nothing usable is left."""
    if not name:
        return FALLBACK_NAME
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(
        ch for ch in base if unicodedata.category(ch) not in ("Cc", "Cf") and ch not in '"'
    )
    kept = unicodedata.normalize("NFC", kept).strip().strip(".").strip()
    kept = kept[:MAX_DISPLAY_NAME].strip()
    return kept or FALLBACK_NAME


# --- uploading ---------------------------------------------------------------------------


def check_may_upload(user: User) -> None:
    if user.role not in UPLOADERS:
        raise Forbidden("only buyers, sellers, agents and admins upload files")


def check_purpose(purpose: str | None) -> str:
    if purpose not in PURPOSES:
        raise ValidationError(
            "purpose must be one of: " + ", ".join(sorted(PURPOSES)), field="purpose"
        )
    return purpose


def too_large(max_bytes: int) -> FileTooLarge:
    return FileTooLarge(
        f"the file is larger than the limit of {max_bytes} bytes", field="file", limit=max_bytes
    )


def store_upload(
    deps: Deps,
    uploads: Uploads,
    user: User,
    staged: StagedBlob,
    *,
    purpose: str | None,
    filename: str | None,
) -> FileRecord:
    """Check a received upload (size, type, metadata), move it into place and record it.

    On refusal the staged file is left for the caller to discard; once the blob is in place
    a failure to record it removes it again."""
    check_may_upload(user)
    checked_purpose = check_purpose(purpose)
    if staged.size == 0:
        raise EmptyFile("the file is empty", field="file")
    if staged.size > uploads.max_bytes:
        raise too_large(uploads.max_bytes)
    # Sniffed from its first bytes and stripped as a stream: never the whole file in memory.
    content_type = sniff(staged.head(_SNIFF_BYTES),
                         lambda: is_plain_text_stream(staged.chunks()))  # fmt: skip
    if content_type.startswith("image/"):
        try:
            staged.rewrite(lambda source, sink: uploads.strip(content_type, source, sink))
        except ValueError as exc:
            raise FileTypeNotAllowed(
                f"the file starts like {content_type} but is damaged: {exc}", field="file"
            ) from exc
    blob = staged.commit()
    record = FileRecord(
        id=deps.ids.new("file"),
        owner_id=user.id,
        purpose=checked_purpose,
        content_type=content_type,
        size=blob.size,
        sha256=blob.sha256,
        storage_name=blob.storage_name,
        display_name=sanitize_display_name(filename),
        created_at=deps.clock.now(),
    )
    quota = deps.policies.active.limits.upload_quota_bytes

    def add_within_quota(uow: UnitOfWork | FilesUnitOfWork) -> None:
        used = files_of(uow).bytes_owned_by(user.id, lock=True)
        if used + record.size > quota:
            raise QuotaExceeded(
                f"your uploads would take {used + record.size} bytes, past your quota of "
                f"{quota} bytes; files you uploaded count until they are deleted",
                field="file", quota=quota, used=used,
            )  # fmt: skip
        files_of(uow).add(record)

    try:
        transactions.run(deps, add_within_quota)
    except BaseException:
        uploads.blobs.delete(blob.storage_name)
        raise
    return record


# --- reading -----------------------------------------------------------------------------


def files_of(uow: UnitOfWork | FilesUnitOfWork) -> FileRepository:
    """``uow.files`` (typed for units of work that carry the file repository)."""
    return uow.files


def may_read(uow: UnitOfWork | FilesUnitOfWork, user: User, record: FileRecord) -> bool:
    if user.role in READS_EVERY_FILE or user.id == record.owner_id:
        return True
    return files_of(uow).is_party_to(user.id, record.id)


def visible_file(uow: UnitOfWork | FilesUnitOfWork, user: User, file_id: str) -> FileRecord:
    """The file, or the same ``NotFound`` for an unknown id and one the user may not read."""
    record = files_of(uow).get(file_id)
    if record is None or not may_read(uow, user, record):
        raise NotFound(f"no file {file_id}")
    return record


# --- evidence ------------------------------------------------------------------------------


def attach_evidence(
    deps: Deps,
    uow: UnitOfWork | FilesUnitOfWork,
    user: User,
    dispute_id: str,
    file_ids: Sequence[str],
    note: str = "",
    max_files: int = 20,
) -> list[EvidenceRecord]:
    """Attach files to a dispute. The caller has checked that the user may add evidence to
    this dispute (and holds its row lock, which keeps the count honest); here: only files
    the user uploaded for dispute evidence and nobody attached yet, at most ``max_files``
    per dispute."""
    if len(note) > MAX_NOTE:
        raise ValidationError(f"note is longer than {MAX_NOTE} characters", field="note")
    wanted = list(dict.fromkeys(file_ids))
    if not wanted:
        return []
    repo = files_of(uow)
    usable = repo.unattached_owned_by(user.id, wanted)
    for file_id in wanted:
        record = repo.get(file_id) if file_id in usable else None
        if record is None or record.purpose != "dispute_evidence":
            raise EvidenceNotUsable(
                f"file {file_id} is not one of your uploads that can still be attached",
                field="evidence_ids",
            )
    present = repo.count_for_dispute(dispute_id)
    if present + len(wanted) > max_files:
        raise TooManyFiles(
            f"a dispute holds at most {max_files} evidence files; it has {present}",
            field="evidence_ids",
            limit=max_files,
        )
    now = deps.clock.now()
    added = [
        EvidenceRecord(
            id=deps.ids.new("evd"),
            dispute_id=dispute_id,
            file_id=file_id,
            note=note,
            added_by=user.id,
            added_role=user.role.value,
            created_at=now,
        )
        for file_id in wanted
    ]
    for evidence in added:
        repo.attach(evidence)
    return added


def evidence_of(uow: UnitOfWork | FilesUnitOfWork, dispute_id: str) -> Sequence[Evidence]:
    """A dispute's evidence with its files, oldest first."""
    return files_of(uow).evidence_for_dispute(dispute_id)


def attacher(deps: Deps) -> EvidenceAttacher:
    """``Deps.attach_evidence`` for the dispute use cases: attach (as ``attach_evidence``)
    and answer how many files the dispute now holds."""

    def attach(
        uow: UnitOfWork, user: User, dispute_id: str, file_ids: Sequence[str], max_files: int,
        note: str = "",
    ) -> int:  # fmt: skip
        attach_evidence(deps, uow, user, dispute_id, file_ids, note, max_files)
        return files_of(uow).count_for_dispute(dispute_id)

    return attach
