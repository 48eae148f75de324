"""Files chosen in a page's form: each goes through the same checks as ``POST /v1/files``
(size, sniffed type, metadata stripped) and becomes dispute evidence the user owns."""

from __future__ import annotations

from starlette.datastructures import FormData, UploadFile

from refundkit.service import files
from refundkit.service.deps import Deps
from refundkit.service.file_ports import FileRecord, Uploads
from refundkit.service.records import User

_CHUNK = 64 * 1024


def chosen_files(form: FormData, name: str) -> list[UploadFile]:
    return [f for f in form.getlist(name) if isinstance(f, UploadFile) and f.filename]


def store_chosen(deps: Deps, uploads: Uploads, user: User, chosen: list[UploadFile]) -> list[str]:
    """Store every chosen file, or none: a refused file removes those stored before it from
    the answer (they stay unattached uploads of the user, as with the API)."""
    stored: list[FileRecord] = []
    for upload in chosen:
        staged = uploads.blobs.stage()
        try:
            upload.file.seek(0)
            while chunk := upload.file.read(_CHUNK):
                if staged.size + len(chunk) > uploads.max_bytes:
                    raise files.too_large(uploads.max_bytes)
                staged.write(chunk)
            stored.append(files.store_upload(deps, uploads, user, staged,
                                             purpose="dispute_evidence",
                                             filename=upload.filename))  # fmt: skip
        finally:
            staged.discard()
    return [record.id for record in stored]
