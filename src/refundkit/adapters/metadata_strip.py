"""Removing location and other embedded metadata from photos without re-encoding them.

Each stripper reads the file from a stream and writes the same image, with its metadata
segments or chunks left out, to another, a bounded piece at a time (memory stays flat
whatever the file's size); every byte of image data is copied unchanged. ``strip_jpeg``,
``strip_png``, ``strip_webp`` and ``strip_metadata`` are the same on bytes. Input that does
not parse as the format raises ``ValueError``: the caller refuses such an upload rather than storing
metadata it could not remove.

- JPEG: APP1 segments holding Exif or XMP (standard and extended) and APP13 Photoshop/IPTC
  blocks (which may name a city or a sub-location) are dropped; markers are walked up to
  the first scan (SOS), after which the rest of the file is copied as it is.
- PNG: ``eXIf`` and the text chunks (``tEXt``, ``iTXt`` — where XMP lives — and ``zTXt``)
  are dropped; chunk CRCs are checked on the way in and kept; nothing after ``IEND``.
- WebP: the ``EXIF`` and ``XMP `` chunks are dropped, the RIFF size is fixed and the EXIF
  and XMP flags of ``VP8X`` are cleared.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Callable
from typing import BinaryIO

__all__ = ["strip_jpeg", "strip_metadata", "strip_png", "strip_stream", "strip_webp"]

PIECE = 64 * 1024
"""At most this much of a file is held at once (a JPEG segment is at most 64 KB too)."""


class _Reader:
    def __init__(self, source: BinaryIO, fmt: str) -> None:
        self._source, self._fmt = source, fmt
        self.pos = 0

    def read(self, n: int) -> bytes:
        data = self._source.read(n)
        self.pos += len(data)
        return data

    def exact(self, n: int, what: str) -> bytes:
        data = self.read(n)
        if len(data) != n:
            raise ValueError(f"{self._fmt}: truncated {what}")
        return data

    def copy(self, n: int, sink: BinaryIO | None, what: str, crc: int | None = None) -> int:
        """Copy (or with no sink skip) ``n`` bytes in pieces; answers their running CRC."""
        while n:
            piece = self.exact(min(n, PIECE), what)
            if crc is not None:
                crc = zlib.crc32(piece, crc)
            if sink is not None:
                sink.write(piece)
            n -= len(piece)
        return crc or 0

    def rest(self, sink: BinaryIO) -> None:
        while piece := self.read(PIECE):
            sink.write(piece)


# --- JPEG --------------------------------------------------------------------------------

_SOI = 0xD8
_EOI = 0xD9
_SOS = 0xDA
_APP1 = 0xE1
_APP13 = 0xED
# Markers without a length field: TEM and RST0..RST7 (SOI/EOI are handled apart).
_STANDALONE = {0x01, *range(0xD0, 0xD8)}
_JPEG_DROPPED_APP1 = (
    b"Exif\x00",
    b"http://ns.adobe.com/xap/1.0/\x00",
    b"http://ns.adobe.com/xmp/extension/\x00",
)
_JPEG_DROPPED_APP13 = (b"Photoshop 3.0\x00",)


def _jpeg(source: BinaryIO, out: BinaryIO) -> None:
    r = _Reader(source, "JPEG")
    start = r.read(4)
    if len(start) < 4 or start[0] != 0xFF or start[1] != _SOI:
        raise ValueError("not a JPEG: no SOI marker")
    out.write(start[:2])
    pending = start[2:]  # read ahead: the first marker's bytes
    while True:
        first = pending[:1] or r.read(1)
        pending = pending[1:]
        if first != b"\xff":
            raise ValueError(f"JPEG: expected a marker at offset {r.pos - len(pending) - 1}")
        # Any number of 0xFF fill bytes may precede a marker.
        byte = pending[:1] or r.read(1)
        pending = pending[1:]
        while byte == b"\xff":
            byte = r.read(1)
        if not byte:
            raise ValueError("JPEG: truncated marker")
        marker = byte[0]
        if marker == 0x00:
            raise ValueError("JPEG: stuffed byte outside entropy-coded data")
        if marker in (_SOI, _EOI):
            raise ValueError(f"JPEG: unexpected marker 0x{marker:02X} before the first scan")
        if marker in _STANDALONE:
            out.write(bytes((0xFF, marker)))
            continue
        size = r.read(2)
        if len(size) != 2:
            raise ValueError("JPEG: truncated segment length")
        length = int.from_bytes(size, "big")
        payload = r.read(length - 2) if length >= 2 else b""
        if length < 2 or len(payload) != length - 2:
            raise ValueError(f"JPEG: segment 0x{marker:02X} runs past the end of the file")
        if marker == _SOS:
            # The scan header, then entropy-coded data and the rest of the file, unchanged.
            out.write(bytes((0xFF, marker)) + size + payload)
            r.rest(out)
            return
        if marker == _APP1 and payload.startswith(_JPEG_DROPPED_APP1):
            continue
        if marker == _APP13 and payload.startswith(_JPEG_DROPPED_APP13):
            continue
        out.write(bytes((0xFF, marker)) + size + payload)


# --- PNG ---------------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_DROPPED = frozenset({b"eXIf", b"tEXt", b"iTXt", b"zTXt"})


def _png(source: BinaryIO, out: BinaryIO) -> None:
    r = _Reader(source, "PNG")
    if r.read(len(PNG_SIGNATURE)) != PNG_SIGNATURE:
        raise ValueError("not a PNG: bad signature")
    out.write(PNG_SIGNATURE)
    first = True
    while True:
        header = r.read(8)
        if len(header) != 8:
            raise ValueError("PNG: truncated chunk header (no IEND)")
        length, kind = struct.unpack(">I4s", header)
        if length > 0x7FFFFFFF:
            raise ValueError(f"PNG: chunk {kind!r} runs past the end of the file")
        if not kind.isalpha():
            raise ValueError(f"PNG: invalid chunk type {kind!r}")
        if first and kind != b"IHDR":
            raise ValueError("PNG: the first chunk is not IHDR")
        first = False
        kept = kind not in _PNG_DROPPED
        sink = out if kept else None
        if sink is not None:
            sink.write(header)
        try:
            crc = r.copy(length, sink, "chunk", crc=zlib.crc32(kind))
            stored = r.exact(4, "chunk")
        except ValueError:
            raise ValueError(f"PNG: chunk {kind!r} runs past the end of the file") from None
        if crc != struct.unpack(">I", stored)[0]:
            raise ValueError(f"PNG: bad CRC in chunk {kind!r}")
        if sink is not None:
            sink.write(stored)
        if kind == b"IEND":
            return  # anything after IEND is left out


# --- WebP --------------------------------------------------------------------------------

_WEBP_DROPPED = frozenset({b"EXIF", b"XMP "})
_VP8X_EXIF = 0x08
_VP8X_XMP = 0x04


def _webp(source: BinaryIO, out: BinaryIO) -> None:
    size_of_file = source.seek(0, os.SEEK_END) - source.seek(0)
    r = _Reader(source, "WebP")
    head = r.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        raise ValueError("not a WebP: bad RIFF header")
    riff_size = int.from_bytes(head[4:8], "little")
    if riff_size < 4 or riff_size % 2 or 8 + riff_size > size_of_file:
        raise ValueError("WebP: RIFF size does not match the file")
    end_of_riff = 8 + riff_size  # anything after the RIFF container is left out
    start = out.tell()
    out.write(b"RIFF\x00\x00\x00\x00WEBP")  # the size is written once it is known
    written = 4
    seen_any = False
    while r.pos < end_of_riff:
        if r.pos + 8 > end_of_riff:
            raise ValueError("WebP: truncated chunk header")
        header = r.exact(8, "chunk header")
        kind = header[:4]
        size = int.from_bytes(header[4:8], "little")
        padded = size + (size & 1)
        if r.pos + padded > end_of_riff:
            raise ValueError(f"WebP: chunk {kind!r} runs past the end of the container")
        seen_any = True
        if kind in _WEBP_DROPPED:
            r.copy(padded, None, "chunk")
            continue
        if kind == b"VP8X":
            if size < 10:
                raise ValueError("WebP: VP8X chunk too short")
            chunk = bytearray(r.exact(padded, "chunk"))
            chunk[0] &= ~(_VP8X_EXIF | _VP8X_XMP) & 0xFF
            out.write(header + bytes(chunk))
        else:
            out.write(header)
            r.copy(padded, out, "chunk")
        written += 8 + padded
    if not seen_any:
        raise ValueError("WebP: no chunks")
    end = out.tell()
    out.seek(start + 4)
    out.write(written.to_bytes(4, "little"))
    out.seek(end)


# --- by content type ---------------------------------------------------------------------

_STRIPPERS: dict[str, Callable[[BinaryIO, BinaryIO], None]] = {
    "image/jpeg": _jpeg, "image/png": _png, "image/webp": _webp,
}  # fmt: skip


def strip_stream(content_type: str, source: BinaryIO, sink: BinaryIO) -> bool:
    """Write ``source`` (seekable, read from its start) without its metadata to ``sink``
    (seekable) when it is a photo format we clean, and answer True; other types: False and
    nothing written. ``ValueError`` when the file does not parse as its format."""
    strip = _STRIPPERS.get(content_type)
    if strip is None:
        return False
    source.seek(0)
    strip(source, sink)
    return True


def _on_bytes(strip: Callable[[BinaryIO, BinaryIO], None], data: bytes) -> bytes:
    out = io.BytesIO()
    strip(io.BytesIO(data), out)
    return out.getvalue()


def strip_jpeg(data: bytes) -> bytes:
    return _on_bytes(_jpeg, data)


def strip_png(data: bytes) -> bytes:
    return _on_bytes(_png, data)


def strip_webp(data: bytes) -> bytes:
    return _on_bytes(_webp, data)


def strip_metadata(content_type: str, data: bytes) -> bytes:
    """The file without its metadata when it is a photo format we clean; others unchanged."""
    strip = _STRIPPERS.get(content_type)
    return data if strip is None else _on_bytes(strip, data)
