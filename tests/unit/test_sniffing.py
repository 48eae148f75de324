"""What an upload is (DESIGN §3 "Evidence"): the type comes from the bytes against an
allow-list; the declared type and the name are never trusted; markup is never plain text;
the name kept for display is only a sanitized base name."""

from __future__ import annotations

import pytest

from refundkit.service.files import (
    EmptyFile,
    FileTypeNotAllowed,
    is_plain_text,
    sanitize_display_name,
    sniff,
)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8 " + b"\x00" * 20
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 16
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (WEBP, "image/webp"),
        (MP4, "video/mp4"),
        (PDF, "application/pdf"),
        (b"The parcel never arrived.\nTracking: LX123\n", "text/plain"),
        ("Bestellung nicht erhalten — 包裹未到".encode(), "text/plain"),
        (b"\xef\xbb\xbfwith a BOM", "text/plain"),
        (b"a < b, not markup", "text/plain"),
    ],
)
def test_allowed_types_are_sniffed_from_the_bytes(data: bytes, expected: str) -> None:
    assert sniff(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b"  \n\t<html>",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b'<?xml version="1.0"?><svg/>',
        b"\xef\xbb\xbf<html>",  # a BOM does not hide markup
        b"GIF89a\x01\x00\x01\x00",  # an image type outside the allow-list
        b"PK\x03\x04" + b"\x00" * 30,  # a zip
        b"MZ\x90\x00" + b"\x00" * 60,  # a Windows executable
        b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ",  # QuickTime, not MP4
        b"text with a NUL \x00 byte",
        b"\xff\xfe not utf-8 \xc3\x28",
    ],
)
def test_other_types_and_markup_are_refused(data: bytes) -> None:
    with pytest.raises(FileTypeNotAllowed) as refused:
        sniff(data)
    assert refused.value.code == "file_type_not_allowed"


def test_an_empty_file_is_refused_as_empty() -> None:
    with pytest.raises(EmptyFile) as refused:
        sniff(b"")
    assert refused.value.code == "empty_file"


def test_plain_text_rules() -> None:
    assert is_plain_text(b"hello")
    assert is_plain_text(b"   ")
    assert not is_plain_text(b"<p>")
    assert not is_plain_text(b"\r\n <a href=x>")
    assert not is_plain_text(b"\x00")
    assert not is_plain_text(b"\xc3")


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("photo.png", "photo.png"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\Windows\\win.ini", "win.ini"),
        ("/var/www/index.html", "index.html"),
        ("C:\\Users\\me\\receipt.pdf", "receipt.pdf"),
        ("evil\r\nSet-Cookie: x=1.txt", "evilSet-Cookie: x=1.txt"),
        ('say "hi".txt', "say hi.txt"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # no right-to-left override
        ("..", "file"),
        ("../", "file"),
        ("", "file"),
        (None, "file"),
        ("\x00\x01\x02", "file"),
        ("Quittung für Lampe.pdf", "Quittung für Lampe.pdf"),
    ],
)
def test_display_names_are_sanitized(given: str | None, kept: str) -> None:
    assert sanitize_display_name(given) == kept


def test_display_names_are_at_most_120_characters() -> None:
    name = sanitize_display_name("x" * 500 + ".png")
    assert len(name) == 120
    assert "/" not in name
