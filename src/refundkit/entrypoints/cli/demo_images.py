"""A small PNG drawn in code: the demo's (and the browser tests') photo of a damaged item,
so nothing is downloaded and no binary file is kept in the repository."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def sample_photo(width: int = 240, height: int = 160) -> bytes:
    """A warm gradient with a dark diagonal crack across it, as an RGB PNG."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            crack = abs((x - width * 0.2) * height / width - y * 0.9) < 2.2
            if crack:
                rows += bytes((40, 30, 30))
            else:
                rows += bytes((230 - y // 3, 200 - x // 4, 160 + x // 6))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + _chunk(b"IEND", b""))  # fmt: skip
