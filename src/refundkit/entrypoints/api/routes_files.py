"""Files (DESIGN §6 ``POST /v1/files``): streaming multipart upload and guarded download.

The body is never read whole into memory: it is fed chunk by chunk to a streaming multipart
parser, the file part goes to a staged temporary file, and the upload is refused with 413
as soon as it passes the limit (at once, before any of the body is read, when
``Content-Length`` already says so).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from refundkit.adapters.evidence_storage import uploads_from_env
from refundkit.domain.errors import ValidationError
from refundkit.entrypoints.api.auth import DepsDep, UserDep
from refundkit.entrypoints.api.bodies import capped_request
from refundkit.entrypoints.api.guards import GuardedRoute, own_body
from refundkit.entrypoints.api.responses import KnownQueryOnly, query
from refundkit.service import files
from refundkit.service.file_ports import FileRecord, StagedBlob, Uploads

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

router = APIRouter(prefix="/v1/files", tags=["files"], route_class=GuardedRoute)

MULTIPART_OVERHEAD = 16 * 1024
"""Room for boundaries, part headers and the small text fields around the file."""
MAX_FIELD_BYTES = 1024
MAX_PARTS = 8
MAX_PART_HEADER_BYTES = 4096
_CHUNK = 64 * 1024


# --- wiring ------------------------------------------------------------------------------


def get_uploads(request: Request) -> Uploads:
    uploads: Uploads = request.app.state.uploads
    return uploads


UploadsDep = Annotated[Uploads, Depends(get_uploads)]


def install(app: FastAPI, uploads: Uploads | None = None) -> None:
    """Mount the routes and give the app its upload store (from the environment unless
    given). Calling it again only replaces the store."""
    if uploads is not None or not hasattr(app.state, "uploads"):
        app.state.uploads = uploads if uploads is not None else uploads_from_env()
    if not any(getattr(route, "path", None) == "/v1/files" for route in app.routes):
        app.include_router(router, dependencies=[KnownQueryOnly])


# --- receiving a multipart body ----------------------------------------------------------


@dataclass
class ReceivedUpload:
    """The file part (staged, not yet checked) and the small text fields beside it."""

    staged: StagedBlob | None = None
    filename: str | None = None
    fields: dict[str, str] = field(default_factory=dict)


class _MultipartReceiver:
    def __init__(self, boundary: bytes, uploads: Uploads, text_fields: frozenset[str]) -> None:
        self._uploads = uploads
        self._text_fields = text_fields
        self.received = ReceivedUpload()
        self.complete = False
        self._parts = 0
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, str] = {}
        self._target: str | None = None  # "file", a text field's name, or None (ignored)
        self._field = bytearray()
        callbacks: MultipartCallbacks = {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }
        self._parser = MultipartParser(boundary, callbacks)

    def feed(self, chunk: bytes) -> None:
        try:
            self._parser.write(chunk)
        except FormParserError as exc:
            raise ValidationError(f"the multipart body is malformed: {exc}") from exc

    def _part_begin(self) -> None:
        self._parts += 1
        if self._parts > MAX_PARTS:
            raise ValidationError(f"at most {MAX_PARTS} parts in one upload")
        self._headers = {}
        self._target = None
        self._field = bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]
        self._check_header_size()

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]
        self._check_header_size()

    def _check_header_size(self) -> None:
        if len(self._header_name) + len(self._header_value) > MAX_PART_HEADER_BYTES:
            raise ValidationError("a part header of the multipart body is too long")

    def _header_end(self) -> None:
        name = bytes(self._header_name).decode("latin-1").strip().lower()
        self._headers[name] = bytes(self._header_value).decode("latin-1").strip()
        self._header_name = bytearray()
        self._header_value = bytearray()

    def _headers_finished(self) -> None:
        kind, params = parse_options_header(self._headers.get("content-disposition"))
        if kind != b"form-data" or b"name" not in params:
            raise ValidationError("each part needs 'Content-Disposition: form-data; name=...'")
        name = params[b"name"].decode("utf-8", "replace")
        if name == "file":
            if self.received.staged is not None:
                raise ValidationError("send one file per upload", field="file")
            raw_filename = params.get(b"filename")
            self.received.filename = (
                None if raw_filename is None else raw_filename.decode("utf-8", "replace")
            )
            # The declared Content-Type of the part is deliberately ignored.
            self.received.staged = self._uploads.blobs.stage()
            self._target = "file"
        elif name in self._text_fields:
            if name in self.received.fields:
                raise ValidationError(f"{name} is given twice", field=name)
            self._target = name
        else:
            self._target = None

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._target == "file":
            staged = self.received.staged
            assert staged is not None
            if staged.size + (end - start) > self._uploads.max_bytes:
                raise files.too_large(self._uploads.max_bytes)
            staged.write(data[start:end])
        elif self._target is not None:
            self._field += data[start:end]
            if len(self._field) > MAX_FIELD_BYTES:
                raise ValidationError(
                    f"{self._target} is longer than {MAX_FIELD_BYTES} bytes", field=self._target
                )

    def _part_end(self) -> None:
        if self._target is not None and self._target != "file":
            try:
                self.received.fields[self._target] = bytes(self._field).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValidationError(f"{self._target} is not UTF-8", field=self._target) from exc
        self._target = None

    def _end(self) -> None:
        self.complete = True


@asynccontextmanager
async def received_upload(
    request: Request, uploads: Uploads, text_fields: frozenset[str]
) -> AsyncIterator[ReceivedUpload]:
    """Stream the multipart body of ``request`` into a staged file, refusing it with 413 as
    soon as it is too large; the staged file is removed on leaving unless it was committed.

    For other multipart endpoints too (a dispute's ``/evidence``, fields ``file``, ``note``).
    """
    body_limit = uploads.max_bytes + MULTIPART_OVERHEAD
    capped = capped_request(request, body_limit, lambda: files.too_large(uploads.max_bytes))
    kind, params = parse_options_header(request.headers.get("content-type"))
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise ValidationError("send the file as multipart/form-data (fields: file, purpose)")
    receiver = _MultipartReceiver(boundary, uploads, text_fields)
    try:
        async for chunk in capped.stream():
            if chunk:
                receiver.feed(chunk)
        if not receiver.complete:
            raise ValidationError("the multipart body ended before its closing boundary")
        yield receiver.received
    finally:
        if receiver.received.staged is not None:
            receiver.received.staged.discard()


# --- the API -----------------------------------------------------------------------------


class FileOut(BaseModel):
    id: str
    object: Literal["file"] = "file"
    purpose: Literal["dispute_evidence"]
    content_type: Literal[
        "image/jpeg", "image/png", "image/webp", "video/mp4", "application/pdf", "text/plain"
    ]
    size: int
    sha256: str
    filename: str
    created_at: datetime

    @classmethod
    def of(cls, record: FileRecord) -> FileOut:
        return cls(
            id=record.id,
            purpose=record.purpose,
            content_type=record.content_type,
            size=record.size,
            sha256=record.sha256,
            filename=record.display_name,
            created_at=record.created_at,
        )


def multipart_upload(fields: dict[str, dict[str, Any]], required: list[str]) -> dict[str, Any]:
    """The ``multipart/form-data`` body of an upload, for the spec: ``file`` and ``fields``."""
    return {"schema": {
        "type": "object",
        "properties": {
            "file": {"type": "string", "format": "binary",
                     "description": "The file (JPEG, PNG, WebP, MP4, PDF or text)."},
            **fields,
        },
        "required": ["file", *required],
    }}  # fmt: skip


UPLOAD_BODY = {
    "required": True,
    "content": {"multipart/form-data": multipart_upload(
        {"purpose": {"type": "string", "enum": sorted(files.PURPOSES)}}, ["purpose"])},
}  # fmt: skip


@router.post("", status_code=201, response_model=FileOut,
             openapi_extra={"requestBody": UPLOAD_BODY})  # fmt: skip
@own_body
async def upload_file(
    request: Request, deps: DepsDep, user: UserDep, uploads: UploadsDep
) -> Response:
    files.check_may_upload(user)
    async with received_upload(request, uploads, frozenset({"purpose"})) as received:
        files.check_purpose(received.fields.get("purpose"))
        if received.staged is None:
            raise ValidationError("the upload has no part named 'file'", field="file")
        staged = received.staged
        record = await run_in_threadpool(
            lambda: files.store_upload(
                deps, uploads, user, staged,
                purpose=received.fields.get("purpose"), filename=received.filename,
            )
        )  # fmt: skip
    return Response(
        FileOut.of(record).model_dump_json(),
        201,
        media_type="application/json",
        headers={"Location": f"/v1/files/{record.id}"},
    )


@router.get("/{file_id}", response_model=FileOut)
def get_file(file_id: str, deps: DepsDep, user: UserDep) -> FileOut:
    return FileOut.of(query(deps, lambda uow: files.visible_file(uow, user, file_id)))


def content_disposition(display_name: str) -> str:
    """``attachment`` with an ASCII ``filename`` and the exact name in ``filename*``."""
    ascii_name = "".join(
        ch if " " <= ch < "\x7f" and ch not in '"\\' else "_" for ch in display_name
    )
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(display_name, safe='')}"


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := handle.read(_CHUNK):
            yield chunk
    finally:
        handle.close()


@router.get("/{file_id}/content", response_class=StreamingResponse)
def get_file_content(
    file_id: str, deps: DepsDep, user: UserDep, uploads: UploadsDep
) -> StreamingResponse:
    record = query(deps, lambda uow: files.visible_file(uow, user, file_id))
    handle = uploads.blobs.open(record.storage_name)
    media_type = record.content_type
    if media_type == "text/plain":
        media_type += "; charset=utf-8"
    return StreamingResponse(
        _chunks(handle),
        media_type=media_type,
        headers={
            "Content-Disposition": content_disposition(record.display_name),
            "Content-Length": str(record.size),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
