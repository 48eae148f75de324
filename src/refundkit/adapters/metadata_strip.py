"""Removing location and other embedded metadata from photos without re-encoding them.

Each function takes the whole file and answers the same image with its metadata segments or
chunks left out; every byte of image data is copied unchanged. Input that does not parse as
the format raises ``ValueError``: the caller refuses such an upload rather than storing
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

import struct
import zlib

__all__ = ["strip_jpeg", "strip_metadata", "strip_png", "strip_webp"]

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


def strip_jpeg(data: bytes) -> bytes:
    if len(data) < 4 or data[0] != 0xFF or data[1] != _SOI:
        raise ValueError("not a JPEG: no SOI marker")
    out = bytearray(data[:2])
    pos = 2
    n = len(data)
    while True:
        if pos >= n or data[pos] != 0xFF:
            raise ValueError(f"JPEG: expected a marker at offset {pos}")
        # Any number of 0xFF fill bytes may precede a marker.
        while pos < n and data[pos] == 0xFF:
            pos += 1
        if pos >= n:
            raise ValueError("JPEG: truncated marker")
        marker = data[pos]
        pos += 1
        if marker == 0x00:
            raise ValueError("JPEG: stuffed byte outside entropy-coded data")
        if marker in (_SOI, _EOI):
            raise ValueError(f"JPEG: unexpected marker 0x{marker:02X} before the first scan")
        if marker in _STANDALONE:
            out += bytes((0xFF, marker))
            continue
        if pos + 2 > n:
            raise ValueError("JPEG: truncated segment length")
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2 or pos + length > n:
            raise ValueError(f"JPEG: segment 0x{marker:02X} runs past the end of the file")
        segment = data[pos - 2 : pos + length]  # 0xFF, marker, length, payload
        payload = data[pos + 2 : pos + length]
        pos += length
        if marker == _SOS:
            # The scan header, then entropy-coded data and the rest of the file, unchanged.
            out += segment
            out += data[pos:]
            return bytes(out)
        if marker == _APP1 and payload.startswith(_JPEG_DROPPED_APP1):
            continue
        if marker == _APP13 and payload.startswith(_JPEG_DROPPED_APP13):
            continue
        out += segment


# --- PNG ---------------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_DROPPED = frozenset({b"eXIf", b"tEXt", b"iTXt", b"zTXt"})


def strip_png(data: bytes) -> bytes:
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG: bad signature")
    out = bytearray(PNG_SIGNATURE)
    pos = len(PNG_SIGNATURE)
    n = len(data)
    first = True
    while True:
        if pos + 8 > n:
            raise ValueError("PNG: truncated chunk header (no IEND)")
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 8 + length + 4
        if length > 0x7FFFFFFF or end > n:
            raise ValueError(f"PNG: chunk {kind!r} runs past the end of the file")
        if not kind.isalpha():
            raise ValueError(f"PNG: invalid chunk type {kind!r}")
        body = data[pos + 4 : pos + 8 + length]  # type and data: what the CRC covers
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(body) != crc:
            raise ValueError(f"PNG: bad CRC in chunk {kind!r}")
        if first and kind != b"IHDR":
            raise ValueError("PNG: the first chunk is not IHDR")
        first = False
        if kind not in _PNG_DROPPED:
            out += data[pos:end]
        pos = end
        if kind == b"IEND":
            return bytes(out)  # anything after IEND is left out


# --- WebP --------------------------------------------------------------------------------

_WEBP_DROPPED = frozenset({b"EXIF", b"XMP "})
_VP8X_EXIF = 0x08
_VP8X_XMP = 0x04


def strip_webp(data: bytes) -> bytes:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP: bad RIFF header")
    riff_size = int.from_bytes(data[4:8], "little")
    if riff_size < 4 or riff_size % 2 or 8 + riff_size > len(data):
        raise ValueError("WebP: RIFF size does not match the file")
    end_of_riff = 8 + riff_size  # anything after the RIFF container is left out
    chunks = bytearray()
    pos = 12
    seen_any = False
    while pos < end_of_riff:
        if pos + 8 > end_of_riff:
            raise ValueError("WebP: truncated chunk header")
        kind = data[pos : pos + 4]
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        padded = size + (size & 1)
        end = pos + 8 + padded
        if end > end_of_riff:
            raise ValueError(f"WebP: chunk {kind!r} runs past the end of the container")
        seen_any = True
        if kind in _WEBP_DROPPED:
            pos = end
            continue
        chunk = bytearray(data[pos:end])
        if kind == b"VP8X":
            if size < 10:
                raise ValueError("WebP: VP8X chunk too short")
            chunk[8] &= ~(_VP8X_EXIF | _VP8X_XMP) & 0xFF
        chunks += chunk
        pos = end
    if not seen_any:
        raise ValueError("WebP: no chunks")
    return b"RIFF" + (4 + len(chunks)).to_bytes(4, "little") + b"WEBP" + bytes(chunks)


# --- by content type ---------------------------------------------------------------------

_STRIPPERS = {"image/jpeg": strip_jpeg, "image/png": strip_png, "image/webp": strip_webp}


def strip_metadata(content_type: str, data: bytes) -> bytes:
    """The file without its metadata when it is a photo format we clean; others unchanged."""
    strip = _STRIPPERS.get(content_type)
    return data if strip is None else strip(data)
