"""Hostile input (issue 8): every money field refuses -1, 0 where it must be positive,
0.001, 1e30, NaN, "12,34" and floats with 422; uploads that are too large, disguised, zip
or image bombs, named like paths, or past the user's quota are refused or tamed; a body
compressed to explode is never inflated. Each refusal changes nothing: not a row, not a
file in the store."""

from __future__ import annotations

import gzip
import io
import json
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_client import Api, api_fixture, assert_problem  # noqa: F401
from limits_world import LIMITS, MAX_UPLOAD, disputable_order, limited_fixture  # noqa: F401
from raw_asgi import MIB, call, chunks

from long_runs import record

BAD_AMOUNTS: list[Any] = [
    "-1", -1, "-0.01", "0.001", "1e30", 1e30, "1E+30", "NaN", "Infinity", "12,34", 12.5, 12,
    "12.5e0", " 12.50", "12.50 ", "+5.00", "0x10", "", "1_000.00", "12.3.4",
    "\uff11\uff12.\uff15\uff10",  # full-width digits, which Decimal() would take
    None, True, ["1.00"], {"amount": "1.00"}, "9" * 40, "99999999999999999999.99",
]  # fmt: skip
ZERO_REFUSED = ["0", "0.00"]
MAX_JSON_BODY = 1024 * 1024  # the limit docs/api.md promises


class World:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.buyer, self.seller = api.user("buyer"), api.user("seller", "CN")
        self.order = disputable_order(api, self.buyer, self.seller)
        api.post("/v1/sandbox/clock/advance", {"days": 5})
        opened = api.post(f"/v1/orders/{self.order}/disputes",
                          {"reason": "not_received", "item_received": False,
                           "requested_refund": "5.00", "description": "Lost."},
                          key=self.buyer["api_key"])  # fmt: skip
        assert opened.status_code == 201, opened.text
        self.dispute = opened.json()["id"]
        self.fresh = disputable_order(api, self.buyer, self.seller)
        api.post("/v1/sandbox/clock/advance", {"days": 5})

    def money_fields(self) -> list[tuple[str, str, str | None, Any, bool]]:
        """(name, path, key, body with the amount as the placeholder AMOUNT, zero allowed)."""
        b, s = self.buyer["api_key"], self.seller["api_key"]
        order = self.api.order_body(self.buyer, self.seller)
        return [
            ("refund.amount", f"/v1/orders/{self.fresh}/refunds", None,
             {"amount": "AMOUNT", "reason": "goodwill"}, False),
            ("order.unit_price", "/v1/orders", None,
             {**order, "items": [{**order["items"][0], "unit_price": "AMOUNT"}]}, False),
            ("order.shipping_fee", "/v1/orders", None, {**order, "shipping_fee": "AMOUNT"},
             True),
            ("dispute.requested_refund", f"/v1/orders/{self.fresh}/disputes", b,
             {"reason": "not_received", "item_received": False,
              "requested_refund": "AMOUNT", "description": "Lost."}, False),
            ("offer.refund_amount", f"/v1/disputes/{self.dispute}/offers", s,
             {"refund_amount": "AMOUNT"}, True),
            ("payout.amount", f"/v1/sellers/{self.seller['id']}/payouts", None,
             {"amount": "AMOUNT", "currency": "USD"}, False),
        ]  # fmt: skip


def _with_amount(body: Any, amount: Any) -> Any:
    if body == "AMOUNT":
        return amount
    if isinstance(body, dict):
        return {k: _with_amount(v, amount) for k, v in body.items()}
    if isinstance(body, list):
        return [_with_amount(v, amount) for v in body]
    return body


@pytest.fixture
def world(api: Api) -> World:
    return World(api)


def test_every_money_field_refuses_every_bad_amount_and_changes_nothing(world: World) -> None:
    api, tried = world.api, 0
    before = api.snapshot()
    for name, path, key, body, zero_allowed in world.money_fields():
        values = BAD_AMOUNTS + ([] if zero_allowed else ZERO_REFUSED)
        for n, amount in enumerate(values):
            sent = _with_amount(body, amount)
            answer = api.request("POST", path, key=key or api.platform_key, idem=f"{name}-{n}",
                                 content=json.dumps(sent))  # fmt: skip
            assert_problem(answer, 422, ("validation_error", "invalid_amount"))
            tried += 1
        # NaN and Infinity as bare JSON tokens, which Python's parser would take as floats.
        for n, token in enumerate(("NaN", "Infinity", "-Infinity", "1e999")):
            raw = json.dumps(_with_amount(body, "@@")).replace('"@@"', token)
            answer = api.request("POST", path, key=key or api.platform_key,
                                 idem=f"{name}-raw-{n}", content=raw)  # fmt: skip
            assert_problem(answer, 422, ("validation_error", "invalid_amount"))
            tried += 1
    assert api.snapshot() == before, "a refused amount changed something"
    record("hostile_amounts", database=api.rt.engine.dialect.name, requests=tried)


def test_a_body_compressed_to_explode_is_never_inflated(world: World) -> None:
    api = world.api
    bomb = gzip.compress(b" " * (64 * 1024 * 1024), compresslevel=9)
    before = api.snapshot()
    answer = api.client.post("/v1/orders", content=bomb, headers={
        "Authorization": f"Bearer {api.platform_key}", "Content-Type": "application/json",
        "Content-Encoding": "gzip"})  # fmt: skip
    assert answer.status_code in (400, 415, 422), answer.text
    assert api.snapshot() == before
    record("hostile_compressed_body", database=api.rt.engine.dialect.name, requests=1)


# --- uploads -----------------------------------------------------------------------------


def _upload(api: Api, user: dict[str, Any], data: bytes, name: str = "f.txt",
            declared: str = "text/plain") -> httpx.Response:  # fmt: skip
    return api.client.post("/v1/files", files={"file": (name, data, declared)},
                           data={"purpose": "dispute_evidence"},
                           headers={"Authorization": f"Bearer {user['api_key']}"})  # fmt: skip


def _store(tmp_path: Path) -> list[Path]:
    root = tmp_path / "evidence"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for n in range(4):
            bomb.writestr(f"layer{n}.txt", b"\0" * (16 * 1024 * 1024))
    return out.getvalue()


def _png_bomb() -> bytes:
    """A PNG that claims 100,000 x 100,000 pixels (30 GB decoded) in a few bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0))
    idat = chunk(b"IDAT", zlib.compress(b"\0" * 300_001, 9))
    return b"\x89PNG\r\n\x1a\n" + ihdr + idat + chunk(b"IEND", b"")


DISGUISED = [
    ("photo.png", b"<html><script>alert(1)</script></html>", "image/png"),
    ("invoice.pdf", b"MZ\x90\x00\x03" + b"\0" * 200, "application/pdf"),
    ("cat.jpg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "image/jpeg"),
    ("notes.txt", b"\x7fELF\x02\x01\x01" + b"\0" * 100, "text/plain"),
    ("bomb.txt", None, "text/plain"),  # the zip bomb, named as text
]


def test_disguised_files_and_bombs_are_refused_and_nothing_is_stored(
    api: Api, tmp_path: Path
) -> None:
    buyer = api.user("buyer")
    before, stored = api.snapshot(), _store(tmp_path)
    for name, data, declared in DISGUISED:
        answer = _upload(api, buyer, _zip_bomb() if data is None else data, name, declared)
        assert_problem(answer, 415, "file_type_not_allowed")
    assert api.snapshot() == before and _store(tmp_path) == stored
    png = _upload(api, buyer, _png_bomb(), "big.png", "image/png")
    # Never decoded: taken as the PNG it says it is (its pixels are never drawn) or refused.
    assert png.status_code in (201, 415), png.text
    record("hostile_uploads", database=api.rt.engine.dialect.name, requests=len(DISGUISED) + 1)


TRAVERSALS = ["../../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/shadow",
              "C:\\boot.ini", "a/../../b.txt", "....//....//x.txt", "%2e%2e%2fx.txt",
              "evil\u202etxt.exe", ".htaccess", "con.txt", "x" * 400]  # fmt: skip


def test_path_like_names_never_become_paths(api: Api, tmp_path: Path) -> None:
    buyer = api.user("buyer")
    root = (tmp_path / "evidence").resolve()
    for name in TRAVERSALS:
        answer = _upload(api, buyer, b"just text", name)
        assert answer.status_code == 201, (name, answer.text)
        shown = api.client.get(
            f"/v1/files/{answer.json()['id']}",
            headers={"Authorization": f"Bearer {buyer['api_key']}"},
        ).json()
        display = shown.get("filename") or shown.get("display_name") or ""
        assert "/" not in display and "\\" not in display and "\u202e" not in display, display
    files = _store(tmp_path)
    assert len(files) == len(TRAVERSALS)
    assert all(f.resolve().is_relative_to(root) for f in files)
    assert not (tmp_path / "etc").exists() and not (tmp_path.parent / "etc").exists()
    record("hostile_names", database=api.rt.engine.dialect.name, requests=len(TRAVERSALS))


def test_oversize_and_quota_overflow_are_refused_and_nothing_is_stored(
    limited: Api, tmp_path: Path
) -> None:
    api, buyer = limited, limited.user("buyer")
    before, stored = api.snapshot(), _store(tmp_path)
    assert_problem(_upload(api, buyer, b"x" * (MAX_UPLOAD + 1)), 413, "file_too_large")
    assert api.snapshot() == before and _store(tmp_path) == stored
    quota = LIMITS["upload_quota_bytes"]
    for _ in range(quota // MAX_UPLOAD):
        assert _upload(api, buyer, b"y" * MAX_UPLOAD).status_code == 201
    left = quota - (quota // MAX_UPLOAD) * MAX_UPLOAD
    assert _upload(api, buyer, b"z" * left).status_code == 201, "up to the quota is fine"
    before, stored = api.snapshot(), _store(tmp_path)
    over = _upload(api, buyer, b"!")
    body = assert_problem(over, 413, "quota_exceeded")
    assert (body["quota"], body["used"]) == (quota, quota)
    assert api.snapshot() == before and _store(tmp_path) == stored
    # Another user's quota is their own.
    assert _upload(api, api.user("buyer"), b"mine").status_code == 201
    record("hostile_size_and_quota", database=api.rt.engine.dialect.name, requests=2)


# --- bodies: read only after the key, never past the limit, never too deep (issue 20) ---


def _body_operations(api: Api) -> list[str]:
    """Every path of /openapi.json that takes a POST, its ids filled with a made-up one."""
    spec = api.client.get("/openapi.json").json()
    return sorted(re.sub(r"\{[^}]+\}", "x_0000", path)
                  for path, ops in spec["paths"].items() if "post" in ops)  # fmt: skip


SIGNED_DOORS = {"/v1/tracking-events/aftership": 2_000_000, "/v1/psp-webhooks/stripe": MIB}
"""Webhooks a signature over the body may authenticate, with the most of it they read."""


def test_no_body_is_read_before_the_key_is_checked(api: Api) -> None:
    """64 MiB without a key, declared and chunked, to every POST: 401 (the AfterShip and
    Stripe webhooks, which a signature authenticates, read at most their caps, 2 MB and
    1 MiB: 413) and nothing read."""
    app, tried = api.client.app, 0
    for path in _body_operations(api):
        for declared in (True, False):
            headers = {"Content-Type": "application/json"}
            if declared:
                headers["Content-Length"] = str(64 * MIB)
            answer = call(app, "POST", path, chunks(64 * MIB), headers)
            tried += 1
            if path in SIGNED_DOORS:
                most = 0 if declared else SIGNED_DOORS[path] + MIB
                assert answer.status == 413 and answer.pulled <= most, (path, answer)
                continue
            assert (answer.status, answer.pulled) == (401, 0), (path, declared, answer)
    record("hostile_unauthenticated_bodies", database=api.rt.engine.dialect.name,
           requests=tried)  # fmt: skip


def test_a_json_body_past_the_limit_is_refused_before_it_is_read(api: Api) -> None:
    app, key = api.client.app, {"Authorization": f"Bearer {api.platform_key}"}
    before = api.snapshot()
    for path in _body_operations(api):
        if path in ("/v1/tracking-events/aftership", "/v1/files") or path.endswith("/evidence"):
            continue  # their own caps (2 MB, the upload limit), tested with them
        declared = call(app, "POST", path, chunks(8 * MIB),
                        {**key, "Content-Length": str(MAX_JSON_BODY + 1)})  # fmt: skip
        assert (declared.status, declared.pulled) == (413, 0), (path, declared)
        assert declared.json()["code"] == "body_too_large"
        assert declared.headers["connection"] == "close"
        chunked = call(app, "POST", path, chunks(8 * MIB, 64 * 1024), key)
        assert chunked.status == 413 and chunked.pulled <= MAX_JSON_BODY + 64 * 1024, path
    assert api.snapshot() == before
    record("hostile_large_bodies", database=api.rt.engine.dialect.name)


DEPTHS = [33, 450, 600, 100_000]


def test_deep_json_is_refused_with_422_at_every_door(api: Api) -> None:
    """``[`` x 450 answered 500 (RecursionError), x 600 dropped the connection."""
    before, tried = api.snapshot(), 0
    for path in _body_operations(api):
        if path == "/v1/files":
            continue  # multipart only
        for depth in DEPTHS:
            answer = api.request("POST", path, content="[" * depth + "]" * depth)
            body = assert_problem(answer, 422, "validation_error")
            assert "nested deeper than 32" in body["detail"], (path, body)
            tried += 1
    assert api.snapshot() == before
    record("hostile_deep_json", database=api.rt.engine.dialect.name, requests=tried)


def test_brackets_inside_text_are_not_nesting(api: Api) -> None:
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    body = api.order_body(buyer, seller)
    body["items"][0]["title"] = '[{"' * 60 + "\\" * 3
    answer = api.request("POST", "/v1/orders", json_body=body)
    assert answer.status_code == 201, answer.text
