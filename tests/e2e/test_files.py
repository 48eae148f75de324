"""Evidence uploads end to end (DESIGN §3 "Evidence", §6 ``POST /v1/files``), on SQLite and
PostgreSQL: real uploads succeed with the SHA-256 of the stored (stripped) bytes; oversized,
empty, markup and mislabelled files are refused with a clear error and leave nothing behind
(no row, no file in the store); names never become paths; content is served only to those
who may see it, as an attachment with ``nosniff``; a dispute holds at most 20 files."""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from api_client import Api, assert_problem
from httpx import Response

from refundkit.adapters.db import tables
from refundkit.adapters.db.file_repository import SqlFileRepository
from refundkit.adapters.db.uow import SqlUnitOfWork, SqlUnitOfWorkFactory
from refundkit.adapters.evidence_storage import LocalBlobStore, uploads_from_env
from refundkit.adapters.metadata_strip import strip_stream
from refundkit.domain.errors import RefundkitError
from refundkit.entrypoints.api import problems, routes_files
from refundkit.entrypoints.bootstrap import Runtime
from refundkit.service import files, transactions
from refundkit.service.file_ports import Uploads
from refundkit.service.records import User

LIMIT = 4096
GPS = b"GPSLatitude=52.5200N;GPSLongitude=13.4050E"


# --- files to upload -------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(*, gps: bool = False) -> bytes:
    """A real 1x1 RGB PNG, optionally with GPS in an ``eXIf`` chunk."""
    ihdr = _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    exif = _chunk(b"eXIf", b"MM\x00\x2a\x00\x00\x00\x08" + GPS) if gps else b""
    idat = _chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
    return b"\x89PNG\r\n\x1a\n" + ihdr + exif + idat + _chunk(b"IEND", b"")


def _seg(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


JPEG_BODY = (
    _seg(0xDB, b"\x00" + bytes(range(1, 65)))
    + _seg(0xC0, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00")
    + _seg(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    + b"\x12\x34\xff\x00\x56\xff\xd9"
)


def jpeg(*, gps: bool = False) -> bytes:
    exif = _seg(0xE1, b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08" + GPS) if gps else b""
    return (
        b"\xff\xd8" + _seg(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00") + exif + JPEG_BODY
    )


PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
TEXT = b"The lamp arrived broken; the courier left it in the rain.\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'


# --- wiring (what the lead adds to the app, done here so these tests stand alone) -------


class _FilesUnitOfWork(SqlUnitOfWork):
    def __enter__(self) -> _FilesUnitOfWork:
        super().__enter__()
        self.files = SqlFileRepository(self.connection)
        return self


class _FilesUnitOfWorkFactory(SqlUnitOfWorkFactory):
    def __call__(self, *, readonly: bool = False) -> SqlUnitOfWork:
        return _FilesUnitOfWork(self.engine, readonly=readonly)


def _wire(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    with runtime.deps.uow(readonly=True) as uow:
        wired = hasattr(uow, "files")
    if not wired:
        monkeypatch.setattr(runtime.deps, "uow", _FilesUnitOfWorkFactory(runtime.engine))
    if not any(kind is files.FileTooLarge for kind, _ in problems.STATUS_BY_ERROR):
        extra: tuple[tuple[type[RefundkitError], int], ...] = (
            (files.FileTooLarge, 413),
            (files.FileTypeNotAllowed, 415),
        )
        monkeypatch.setattr(problems, "STATUS_BY_ERROR", extra + problems.STATUS_BY_ERROR)


@dataclass
class Files:
    api: Api
    store: Path
    buyer: dict[str, Any]
    seller: dict[str, Any]
    stranger: dict[str, Any]
    agent: dict[str, Any]

    def upload(
        self, data: bytes, *, name: str = "evidence.bin", declared: str = "text/plain",
        key: str | None = None, purpose: str | None = "dispute_evidence",
        headers: dict[str, str] | None = None,
    ) -> Response:  # fmt: skip
        form = {} if purpose is None else {"purpose": purpose}
        return self.api.client.post(
            "/v1/files",
            files={"file": (name, data, declared)},
            data=form,
            headers={"Authorization": f"Bearer {key or self.buyer['api_key']}", **(headers or {})},
        )

    def get(self, path: str, key: str) -> Response:
        return self.api.client.get(path, headers={"Authorization": f"Bearer {key}"})

    def stored_names(self) -> list[str]:
        return sorted(p.name for p in self.store.iterdir()) if self.store.exists() else []

    def stored_bytes(self, file_id: str) -> bytes:
        with self.api.rt.engine.connect() as conn:
            name = conn.execute(
                sa.select(tables.files.c.storage_name).where(tables.files.c.id == file_id)
            ).scalar_one()
        return (self.store / name).read_bytes()

    def assert_nothing_stored(self) -> None:
        assert self.api.count("files") == 0
        assert self.stored_names() == []


@pytest.fixture
def fx(runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Files]:
    _wire(runtime, monkeypatch)
    api = Api(runtime)
    store = tmp_path / "evidence"
    uploads = Uploads(LocalBlobStore(store), strip_stream, LIMIT)
    routes_files.install(api.client.app, uploads)  # type: ignore[arg-type]
    with api.client:
        yield Files(api, store, api.user("buyer"), api.user("seller", "CN"),
                    api.user("buyer", "FR"), api.user("agent"))  # fmt: skip


def _created(answer: Response) -> dict[str, Any]:
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    assert answer.headers["location"] == f"/v1/files/{body['id']}"
    return body


# --- uploads that succeed ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "expected_type"),
    [
        (png(), "photo.png", "image/png"),
        (jpeg(), "photo.jpg", "image/jpeg"),
        (PDF, "receipt.pdf", "application/pdf"),
        (TEXT, "notes.txt", "text/plain"),
    ],
)
def test_a_real_upload_is_stored_with_its_sniffed_type_and_hash(
    fx: Files, data: bytes, name: str, expected_type: str
) -> None:
    body = _created(fx.upload(data, name=name, declared=expected_type))

    assert body["object"] == "file"
    assert body["id"].startswith("file_")
    assert body["content_type"] == expected_type
    assert body["purpose"] == "dispute_evidence"
    assert body["size"] == len(data)
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["filename"] == name
    assert body["created_at"].startswith("2026-11-02T09:00:00")
    assert fx.stored_bytes(body["id"]) == data
    assert fx.api.count("files") == 1
    assert len(fx.stored_names()) == 1 and fx.stored_names()[0] != name


@pytest.mark.parametrize(("make", "kind"), [(png, "image/png"), (jpeg, "image/jpeg")])
def test_location_metadata_is_stripped_and_the_hash_is_of_the_stored_bytes(
    fx: Files, make: Any, kind: str
) -> None:
    original = make(gps=True)
    assert GPS in original

    body = _created(fx.upload(original, name="where.jpg", declared=kind))

    stored = fx.stored_bytes(body["id"])
    assert GPS not in stored
    assert stored == make(gps=False)
    assert body["sha256"] == hashlib.sha256(stored).hexdigest()
    assert body["size"] == len(stored) < len(original)
    content = fx.get(f"/v1/files/{body['id']}/content", fx.buyer["api_key"])
    assert content.content == stored


def test_a_pdf_declared_as_png_is_stored_as_a_pdf(fx: Files) -> None:
    body = _created(fx.upload(PDF, name="photo.png", declared="image/png"))
    assert body["content_type"] == "application/pdf"
    content = fx.get(f"/v1/files/{body['id']}/content", fx.buyer["api_key"])
    assert content.headers["content-type"] == "application/pdf"


def test_a_path_traversal_name_is_stored_under_a_random_name_inside_the_store(
    fx: Files, tmp_path: Path
) -> None:
    body = _created(fx.upload(TEXT, name="../../etc/passwd.txt", declared="text/plain"))

    assert body["filename"] == "passwd.txt"
    [stored] = fx.stored_names()
    assert len(stored) == 32 and all(c in "0123456789abcdef" for c in stored)
    assert (fx.store / stored).read_bytes() == TEXT
    # Nothing was written outside the store, whatever the name said.
    assert not any("passwd" in p.name for p in tmp_path.rglob("*"))
    assert not (fx.store / ".." / ".." / "etc").exists()
    content = fx.get(f"/v1/files/{body['id']}/content", fx.buyer["api_key"])
    assert content.headers["content-disposition"].startswith('attachment; filename="passwd.txt"')


def test_sellers_and_agents_upload_too_but_the_platform_does_not(fx: Files) -> None:
    _created(fx.upload(TEXT, key=fx.seller["api_key"]))
    _created(fx.upload(TEXT, key=fx.agent["api_key"]))
    assert_problem(fx.upload(TEXT, key=fx.api.platform_key), 403, "forbidden")
    assert_problem(fx.upload(TEXT, key="sk_nope"), 401, "unauthenticated")
    assert fx.api.count("files") == 2


# --- refusals: each with a clear error, nothing stored ---------------------------------------


def test_over_the_size_limit_is_refused_while_streaming_and_nothing_is_stored(fx: Files) -> None:
    too_big = b"x" * (LIMIT + 1)
    body = assert_problem(fx.upload(too_big, name="big.txt"), 413, "file_too_large")
    assert str(LIMIT) in body["detail"]
    fx.assert_nothing_stored()
    # Exactly at the limit is fine.
    _created(fx.upload(b"x" * LIMIT, name="exact.txt"))


def test_a_declared_content_length_over_the_limit_is_refused_before_the_body(fx: Files) -> None:
    answer = fx.api.client.post(
        "/v1/files",
        content=b"--b\r\n",
        headers={
            "Authorization": f"Bearer {fx.buyer['api_key']}",
            "Content-Type": "multipart/form-data; boundary=b",
            "Content-Length": str(LIMIT + routes_files.MULTIPART_OVERHEAD + 1),
        },
    )
    assert_problem(answer, 413, "file_too_large")
    fx.assert_nothing_stored()


def test_a_chunked_body_without_content_length_is_still_cut_off(fx: Files) -> None:
    boundary = "zzz"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n'
        f"dispute_evidence\r\n--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'
    ).encode()

    def body() -> Iterator[bytes]:
        yield head
        for _ in range(LIMIT // 512 + 4):
            yield b"y" * 512
        yield f"\r\n--{boundary}--\r\n".encode()

    answer = fx.api.client.post(
        "/v1/files",
        content=body(),
        headers={
            "Authorization": f"Bearer {fx.buyer['api_key']}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    assert "content-length" not in {k.lower() for k in answer.request.headers}
    assert_problem(answer, 413, "file_too_large")
    fx.assert_nothing_stored()


@pytest.mark.parametrize(
    ("data", "name", "declared"),
    [
        (HTML, "photo.png", "image/png"),
        (HTML, "notes.txt", "text/plain"),
        (SVG, "photo.png", "image/png"),
        (SVG, "drawing.svg", "image/svg+xml"),
        (b"GIF89a\x01\x00\x01\x00\x80\x00\x00", "anim.gif", "image/gif"),
        (b"MZ\x90\x00" + b"\x00" * 60, "photo.jpg", "image/jpeg"),
    ],
)
def test_markup_and_types_outside_the_allow_list_are_refused(
    fx: Files, data: bytes, name: str, declared: str
) -> None:
    assert_problem(fx.upload(data, name=name, declared=declared), 415, "file_type_not_allowed")
    fx.assert_nothing_stored()


def test_a_damaged_photo_is_refused_rather_than_stored_with_its_metadata(fx: Files) -> None:
    damaged = png(gps=True)[:-20]
    assert_problem(fx.upload(damaged, declared="image/png"), 415, "file_type_not_allowed")
    fx.assert_nothing_stored()


def test_an_empty_file_is_refused(fx: Files) -> None:
    assert_problem(fx.upload(b"", name="empty.txt"), 422, "empty_file")
    fx.assert_nothing_stored()


@pytest.mark.parametrize("purpose", [None, "avatar", ""])
def test_a_missing_or_unknown_purpose_is_refused(fx: Files, purpose: str | None) -> None:
    body = assert_problem(fx.upload(TEXT, purpose=purpose), 422, "validation_error")
    assert body["field"] == "purpose"
    fx.assert_nothing_stored()


def test_a_body_that_is_not_multipart_or_has_no_file_is_refused(fx: Files) -> None:
    auth = {"Authorization": f"Bearer {fx.buyer['api_key']}"}
    not_multipart = fx.api.client.post("/v1/files", json={"file": "x"}, headers=auth)
    assert_problem(not_multipart, 422, "validation_error")
    no_file = fx.api.client.post("/v1/files", data={"purpose": "dispute_evidence"},
                                 files={"other": ("a.txt", b"hi")}, headers=auth)  # fmt: skip
    assert_problem(no_file, 422, "validation_error")
    fx.assert_nothing_stored()


# --- reading -------------------------------------------------------------------------------


def test_the_uploader_gets_the_content_as_an_attachment_with_nosniff(fx: Files) -> None:
    body = _created(fx.upload(TEXT, name="notes.txt", declared="text/html"))

    meta = fx.get(f"/v1/files/{body['id']}", fx.buyer["api_key"])
    assert meta.status_code == 200, meta.text
    assert meta.json() == body

    content = fx.get(f"/v1/files/{body['id']}/content", fx.buyer["api_key"])
    assert content.status_code == 200
    assert content.content == TEXT
    assert content.headers["content-type"] == "text/plain; charset=utf-8"
    assert content.headers["content-disposition"].startswith('attachment; filename="notes.txt"')
    assert content.headers["x-content-type-options"] == "nosniff"
    assert content.headers["cache-control"] == "private, no-store"


def test_non_ascii_names_are_kept_in_filename_star(fx: Files) -> None:
    body = _created(fx.upload(TEXT, name="Quittung für Lampe.txt"))
    content = fx.get(f"/v1/files/{body['id']}/content", fx.buyer["api_key"])
    assert content.headers["content-disposition"] == (
        'attachment; filename="Quittung f_r Lampe.txt"; '
        "filename*=UTF-8''Quittung%20f%C3%BCr%20Lampe.txt"
    )


def test_strangers_get_the_404_of_an_unknown_id_and_staff_may_read(fx: Files) -> None:
    file_id = _created(fx.upload(TEXT))["id"]
    unknown = "file_00000000000000000000000000"
    for path in (f"/v1/files/{file_id}", f"/v1/files/{file_id}/content"):
        for key in (fx.stranger["api_key"], fx.seller["api_key"]):
            foreign = assert_problem(fx.get(path, key), 404, "not_found")
            missing = assert_problem(fx.get(path.replace(file_id, unknown), key), 404, "not_found")
            assert foreign["detail"].replace(file_id, "X") == missing["detail"].replace(
                unknown, "X"
            )
        assert fx.get(path, fx.agent["api_key"]).status_code == 200
        assert fx.get(path, fx.api.platform_key).status_code == 200


# --- evidence on a dispute ------------------------------------------------------------------


def _dispute(fx: Files) -> str:
    """A dispute row between the fixture's buyer and seller (the dispute use cases are
    tested on their own; here only the parties matter)."""
    order = fx.api.create_order(fx.buyer, fx.seller)["id"]
    dispute_id = "dsp_FILESTEST000000000000000001"
    with fx.api.rt.engine.begin() as conn:
        conn.execute(
            tables.disputes.insert().values(
                id=dispute_id, order_id=order, buyer_id=fx.buyer["id"],
                seller_id=fx.seller["id"], status="awaiting_seller", reason="damaged",
                item_received=True, requested_refund=100, return_goods=False,
                description="broken", opened_at=fx.api.deps.clock.now(), version=1,
            )
        )  # fmt: skip
    return dispute_id


def _user(fx: Files, who: dict[str, Any]) -> User:
    found = transactions.run(fx.api.deps, lambda uow: uow.users.get(who["id"]), readonly=True)
    assert found is not None
    return found


def test_attached_evidence_is_readable_by_the_other_party_only(fx: Files) -> None:
    dispute_id = _dispute(fx)
    file_id = _created(fx.upload(png(), name="broken.png"))["id"]
    deps, buyer = fx.api.deps, _user(fx, fx.buyer)
    content = f"/v1/files/{file_id}/content"
    assert fx.get(content, fx.seller["api_key"]).status_code == 404

    attach = files.attacher(deps)
    held = transactions.run(deps, lambda uow: attach(uow, buyer, dispute_id, [file_id], 20))

    assert held == 1
    assert fx.get(content, fx.seller["api_key"]).status_code == 200
    assert fx.get(content, fx.stranger["api_key"]).status_code == 404
    evidence = transactions.run(deps, lambda uow: files.evidence_of(uow, dispute_id), readonly=True)
    assert [(e.file.id, e.record.added_by, e.record.added_role) for e in evidence] == [
        (file_id, fx.buyer["id"], "buyer")
    ]


def test_only_ones_own_unattached_uploads_can_be_named(fx: Files) -> None:
    dispute_id = _dispute(fx)
    deps, buyer, seller = fx.api.deps, _user(fx, fx.buyer), _user(fx, fx.seller)
    mine = _created(fx.upload(TEXT))["id"]
    theirs = _created(fx.upload(TEXT, key=fx.seller["api_key"]))["id"]

    def attach(user: User, ids: list[str]) -> Any:
        return transactions.run(
            deps, lambda uow: files.attach_evidence(deps, uow, user, dispute_id, ids)
        )

    with pytest.raises(files.EvidenceNotUsable):
        attach(buyer, [theirs])
    with pytest.raises(files.EvidenceNotUsable):
        attach(buyer, ["file_00000000000000000000000000"])
    attach(buyer, [mine, mine])  # a repeated id counts once
    with pytest.raises(files.EvidenceNotUsable):
        attach(buyer, [mine])  # already attached
    attach(seller, [theirs])
    assert fx.api.count("dispute_evidence") == 2


def test_a_dispute_holds_at_most_max_files(fx: Files) -> None:
    dispute_id = _dispute(fx)
    deps, buyer = fx.api.deps, _user(fx, fx.buyer)
    ids = [_created(fx.upload(TEXT + bytes([65 + i % 26])))["id"] for i in range(21)]
    attach = files.attacher(deps)

    assert transactions.run(deps, lambda uow: attach(uow, buyer, dispute_id, ids[:19], 20)) == 19
    with pytest.raises(files.TooManyFiles) as refused:
        transactions.run(deps, lambda uow: attach(uow, buyer, dispute_id, ids[19:], 20))
    assert refused.value.code == "too_many_files"
    assert fx.api.count("dispute_evidence") == 19  # nothing of the refused call stayed
    assert transactions.run(deps, lambda uow: attach(uow, buyer, dispute_id, ids[19:20], 20)) == 20


# --- the store itself -------------------------------------------------------------------------


def test_a_discarded_upload_leaves_no_temporary_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "s")
    staged = store.stage()
    staged.write(b"partial")
    assert len(list((tmp_path / "s").iterdir())) == 1  # the hidden temporary file
    staged.discard()
    assert list((tmp_path / "s").iterdir()) == []


def test_a_committed_blob_has_a_random_name_and_its_hash(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "s")
    staged = store.stage()
    staged.write(b"hello ")
    staged.write(b"world")
    staged.replace(b"replaced")
    blob = staged.commit()
    staged.discard()  # a no-op once committed
    assert blob.sha256 == hashlib.sha256(b"replaced").hexdigest()
    assert blob.size == len(b"replaced")
    assert [p.name for p in (tmp_path / "s").iterdir()] == [blob.storage_name]
    with store.open(blob.storage_name) as handle:
        assert handle.read() == b"replaced"
    with pytest.raises(ValueError, match="storage name"):
        store.open("../../etc/passwd")


def test_settings_come_from_the_environment() -> None:
    uploads = uploads_from_env(
        {"REFUNDKIT_EVIDENCE_DIR": "/srv/ev", "REFUNDKIT_MAX_UPLOAD_BYTES": "5"}
    )
    assert uploads.max_bytes == 5
    assert isinstance(uploads.blobs, LocalBlobStore) and uploads.blobs.root == Path("/srv/ev")
    defaults = uploads_from_env({})
    assert defaults.max_bytes == 10 * 1024 * 1024
    assert isinstance(defaults.blobs, LocalBlobStore)
    assert defaults.blobs.root == Path("var/evidence")
