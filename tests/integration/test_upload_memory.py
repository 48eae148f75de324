"""Uploads are sniffed and stripped as streams (issue 16): storing a file of several
megabytes holds a bounded piece of it in memory, not the file, whatever its size; what is
stored is the same as the whole-file stripper makes."""

from __future__ import annotations

import hashlib
import tracemalloc
from pathlib import Path

import pytest

from market import Market
from refundkit.adapters.evidence_storage import LocalBlobStore
from refundkit.adapters.metadata_strip import strip_jpeg, strip_stream
from refundkit.domain.roles import Role
from refundkit.service import files
from refundkit.service.file_ports import Uploads

MB = 1024 * 1024
EXIF = b"\xff\xe1" + (2 + 6 + 20).to_bytes(2, "big") + b"Exif\x00\x00" + b"GPS Berlin" * 2
SCAN_HEADER = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"


def _jpeg(size: int) -> bytes:
    body = bytes(range(1, 255)) * (size // 254 + 1)  # no 0xFF: no marker in the scan
    return b"\xff\xd8" + EXIF + SCAN_HEADER + body[:size] + b"\xff\xd9"


def _text(size: int) -> bytes:
    line = "évidence, plain text for the sniffer\n".encode()
    return (line * (size // len(line) + 1))[:size]


def _peak_of_storing(market: Market, root: Path, data: bytes) -> tuple[int, files.FileRecord]:
    uploads = Uploads(LocalBlobStore(root), strip_stream, 64 * MB)
    buyer = market.user(Role.BUYER, "DE")
    staged = uploads.blobs.stage()
    for start in range(0, len(data), 64 * 1024):
        staged.write(data[start : start + 64 * 1024])
    tracemalloc.start()
    try:
        record = files.store_upload(market.deps, uploads, buyer, staged,
                                    purpose="dispute_evidence", filename="f")  # fmt: skip
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, record


@pytest.mark.parametrize("make", [_jpeg, _text], ids=["jpeg", "text"])
def test_storing_an_upload_holds_a_bounded_piece_of_it(market: Market, tmp_path: Path,
                                                       make: object) -> None:  # fmt: skip
    assert callable(make)
    small_peak, _ = _peak_of_storing(market, tmp_path / "a", make(MB // 4))
    data = make(8 * MB)
    peak, record = _peak_of_storing(market, tmp_path / "b", data)
    assert peak < MB, peak  # an eighth of the file at most, however large it is
    assert peak < small_peak + MB // 2, (small_peak, peak)
    stored = (tmp_path / "b" / record.storage_name).read_bytes()
    expected = strip_jpeg(data) if make is _jpeg else data
    assert stored == expected
    assert record.sha256 == hashlib.sha256(expected).hexdigest()
    assert record.size == len(expected)
    if make is _jpeg:
        assert record.content_type == "image/jpeg" and b"GPS Berlin" not in stored
    else:
        assert record.content_type == "text/plain"
