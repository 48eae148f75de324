"""Metadata stripping (DESIGN §3 "Evidence": location metadata stripped from photos): hand-built
JPEG, PNG and WebP files carrying GPS EXIF and XMP lose exactly those segments; every byte of
image data is kept as it was; input that does not parse is refused."""

from __future__ import annotations

import struct
import zlib

import pytest

from refundkit.adapters.metadata_strip import (
    PNG_SIGNATURE,
    strip_jpeg,
    strip_metadata,
    strip_png,
    strip_webp,
)

GPS_MARK = b"GPSLatitude=52.5200N;GPSLongitude=13.4050E"


def exif_tiff_with_gps() -> bytes:
    """A big-endian TIFF header with IFD0 pointing (tag 0x8825) at a GPS IFD, plus text we
    can look for."""
    ifd0 = struct.pack(">H", 1) + struct.pack(">HHII", 0x8825, 4, 1, 26) + struct.pack(">I", 0)
    gps_ifd = struct.pack(">H", 1) + struct.pack(">HHI4s", 0x0001, 2, 2, b"N\x00\x00\x00")
    gps_ifd += struct.pack(">I", 0)
    return b"MM\x00\x2a" + struct.pack(">I", 8) + ifd0 + gps_ifd + GPS_MARK


XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
    b'exif:GPSLatitude="52,31.2N" exif:GPSLongitude="13,24.3E"/></rdf:RDF></x:xmpmeta>'
)


# --- JPEG --------------------------------------------------------------------------------


def segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


JFIF = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
DQT = segment(0xDB, b"\x00" + bytes(range(1, 65)))
SOF0 = segment(0xC0, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00")
DHT = segment(0xC4, b"\x00" + b"\x01" + b"\x00" * 15 + b"\x00")
COM = segment(0xFE, b"a comment stays")
SOS = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
# Entropy-coded data, with a stuffed 0xFF00, a restart marker and bytes that look like GPS.
SCAN = b"\x12\x34\xff\x00\x56\xff\xd0\x78GPS?\x9a" + b"\xff\xd9"


def jpeg_with_gps() -> bytes:
    return (
        b"\xff\xd8"
        + JFIF
        + segment(0xE1, b"Exif\x00\x00" + exif_tiff_with_gps())
        + segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP)
        + segment(0xED, b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x05Berlin")
        + DQT
        + COM
        + SOF0
        + DHT
        + SOS
        + SCAN
    )


def test_jpeg_loses_exif_xmp_and_iptc_and_keeps_every_other_byte() -> None:
    original = jpeg_with_gps()
    assert GPS_MARK in original

    stripped = strip_jpeg(original)

    assert GPS_MARK not in stripped
    assert b"Exif\x00\x00" not in stripped
    assert b"GPSLatitude" not in stripped
    assert b"Berlin" not in stripped
    assert stripped == b"\xff\xd8" + JFIF + DQT + COM + SOF0 + DHT + SOS + SCAN


def test_jpeg_without_metadata_is_unchanged_and_stripping_twice_changes_nothing() -> None:
    clean = b"\xff\xd8" + JFIF + DQT + SOF0 + DHT + SOS + SCAN
    assert strip_jpeg(clean) == clean
    once = strip_jpeg(jpeg_with_gps())
    assert strip_jpeg(once) == once


def test_jpeg_fill_bytes_before_a_marker_are_walked() -> None:
    filled = b"\xff\xd8" + b"\xff\xff" + segment(0xE1, b"Exif\x00\x00" + GPS_MARK) + SOS + SCAN
    assert strip_jpeg(filled) == b"\xff\xd8" + SOS + SCAN


def test_an_app1_segment_that_is_neither_exif_nor_xmp_stays() -> None:
    other = segment(0xE1, b"SomethingElse\x00data")
    data = b"\xff\xd8" + other + SOS + SCAN
    assert strip_jpeg(data) == data


@pytest.mark.parametrize(
    "broken",
    [
        b"",
        b"\xff\xd8",
        b"\x89PNG\r\n\x1a\n",
        b"\xff\xd8" + JFIF[:-3],  # a segment running past the end
        b"\xff\xd8" + JFIF + b"\x00\x01",  # no marker where one must be
        b"\xff\xd8" + JFIF,  # never reaches a scan
        b"\xff\xd8\xff\xe1\x00\x01",  # a length below 2
        b"\xff\xd8\xff\xd9",  # EOI before any scan
    ],
)
def test_malformed_jpeg_is_refused(broken: bytes) -> None:
    with pytest.raises(ValueError, match="JPEG"):
        strip_jpeg(broken)


# --- PNG ---------------------------------------------------------------------------------


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


IHDR = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
IDAT = chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
IEND = chunk(b"IEND", b"")
GAMA = chunk(b"gAMA", struct.pack(">I", 45455))


def png_with_gps() -> bytes:
    return (
        PNG_SIGNATURE
        + IHDR
        + chunk(b"eXIf", exif_tiff_with_gps())
        + GAMA
        + chunk(b"tEXt", b"Comment\x00" + GPS_MARK)
        + chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + XMP)
        + chunk(b"zTXt", b"Location\x00\x00" + zlib.compress(GPS_MARK))
        + IDAT
        + IEND
    )


def _chunks(png: bytes) -> list[tuple[bytes, bytes, int]]:
    pos, found = 8, []
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        data = png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        found.append((kind, data, crc))
        pos += 12 + length
    return found


def test_png_loses_exif_and_text_chunks_and_keeps_image_chunks_and_crcs() -> None:
    original = png_with_gps()
    stripped = strip_png(original)

    assert GPS_MARK not in stripped
    assert b"GPSLatitude" not in stripped
    assert stripped == PNG_SIGNATURE + IHDR + GAMA + IDAT + IEND
    for kind, data, crc in _chunks(stripped):
        assert zlib.crc32(kind + data) == crc
    assert [kind for kind, _, _ in _chunks(stripped)] == [b"IHDR", b"gAMA", b"IDAT", b"IEND"]
    assert zlib.decompress(_chunks(stripped)[2][1]) == b"\x00\xff\x00\x00"


def test_png_drops_anything_after_iend() -> None:
    smuggled = PNG_SIGNATURE + IHDR + IDAT + IEND + b"<script>alert(1)</script>"
    assert strip_png(smuggled) == PNG_SIGNATURE + IHDR + IDAT + IEND


@pytest.mark.parametrize(
    "broken",
    [
        b"",
        b"GIF89a",
        PNG_SIGNATURE,
        PNG_SIGNATURE + IHDR + IDAT,  # no IEND
        PNG_SIGNATURE + IDAT + IHDR + IEND,  # IHDR not first
        PNG_SIGNATURE + IHDR[:-1] + bytes([IHDR[-1] ^ 1]) + IEND,  # bad CRC
        PNG_SIGNATURE + IHDR + struct.pack(">I", 1000) + b"IDAT" + b"\x00" * 10,  # past the end
    ],
)
def test_malformed_png_is_refused(broken: bytes) -> None:
    with pytest.raises(ValueError, match="PNG"):
        strip_png(broken)


# --- WebP --------------------------------------------------------------------------------


def riff_chunk(kind: bytes, data: bytes) -> bytes:
    return kind + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")


def webp(*chunks: bytes) -> bytes:
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


ALPHA_ICC_EXIF_XMP = 0x10 | 0x20 | 0x08 | 0x04
VP8X_DIMS = b"\x00\x00\x00" + b"\x00\x00\x00" + b"\x00\x00\x00"  # reserved, width-1, height-1
VP8_DATA = b"\x30\x01\x00\x9d\x01\x2a\x01\x00\x01\x00" + b"\x11\x22\x33"  # odd length: padded
ICCP = riff_chunk(b"ICCP", b"icc-profile")
VP8 = riff_chunk(b"VP8 ", VP8_DATA)


def webp_with_gps() -> bytes:
    return webp(
        riff_chunk(b"VP8X", bytes([ALPHA_ICC_EXIF_XMP]) + VP8X_DIMS),
        ICCP,
        VP8,
        riff_chunk(b"EXIF", exif_tiff_with_gps()),
        riff_chunk(b"XMP ", XMP),
    )


def test_webp_loses_exif_and_xmp_fixes_riff_size_and_clears_the_flags() -> None:
    original = webp_with_gps()
    stripped = strip_webp(original)

    assert GPS_MARK not in stripped
    assert b"GPSLatitude" not in stripped
    assert stripped[:4] == b"RIFF" and stripped[8:12] == b"WEBP"
    assert struct.unpack("<I", stripped[4:8])[0] == len(stripped) - 8
    vp8x = riff_chunk(b"VP8X", bytes([0x10 | 0x20]) + VP8X_DIMS)  # alpha and ICC kept
    assert stripped == webp(vp8x, ICCP, VP8)
    assert VP8 in stripped  # the image data, padding byte included, byte for byte


def test_simple_webp_without_metadata_is_unchanged() -> None:
    simple = webp(VP8)
    assert strip_webp(simple) == simple


@pytest.mark.parametrize(
    "broken",
    [
        b"",
        b"RIFF\x04\x00\x00\x00WAVE",
        b"RIFF" + struct.pack("<I", 100) + b"WEBP" + VP8,  # RIFF size past the end
        webp(b"VP8 " + struct.pack("<I", 50) + b"\x00" * 4),  # chunk past the end
        webp(riff_chunk(b"VP8X", b"\x00\x00")),  # VP8X too short
        webp(),  # no chunks
    ],
)
def test_malformed_webp_is_refused(broken: bytes) -> None:
    with pytest.raises(ValueError, match="WebP"):
        strip_webp(broken)


def test_strip_metadata_picks_by_sniffed_type_and_leaves_other_types_alone() -> None:
    assert strip_metadata("image/png", png_with_gps()) == strip_png(png_with_gps())
    assert strip_metadata("image/jpeg", jpeg_with_gps()) == strip_jpeg(jpeg_with_gps())
    assert strip_metadata("image/webp", webp_with_gps()) == strip_webp(webp_with_gps())
    pdf = b"%PDF-1.4\n" + GPS_MARK
    assert strip_metadata("application/pdf", pdf) == pdf
