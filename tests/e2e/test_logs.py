"""Log lines (issue 17): one JSON object per line with time, level, logger, message and
request id; and no secret in any of them. A whole flow (keys, a password sign-in, a cookie,
a webhook secret, an evidence file, a key in a query string, a failing request) runs with
every logger captured at DEBUG, and the lines are searched for each secret it used."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from api_client import Api, api_fixture  # noqa: F401

from log_capture import debug_logs_fixture  # noqa: F401
from refundkit.adapters.evidence_storage import LocalBlobStore
from refundkit.adapters.metadata_strip import strip_stream
from refundkit.adapters.passwords import hash_password
from refundkit.entrypoints import logs
from refundkit.entrypoints.api import routes_files
from refundkit.entrypoints.web.session import COOKIE
from refundkit.entrypoints.worker import deliver_webhooks
from refundkit.service.file_ports import Uploads
from webhook_receiver import receiver

PASSWORD = "correct horse battery staple 7731"
EVIDENCE = b"EVIDENCE-CONTENT the parcel was empty when opened 5521\n"


def test_a_json_line_has_time_level_logger_message_and_request_id() -> None:
    out = io.StringIO()
    handler = logs.handler("json", out)
    record = logging.LogRecord("refundkit.x", logging.WARNING, __file__, 1, "hello %s",
                               ("there",), None)  # fmt: skip
    record.request_id = "req-1"
    handler.handle(record)
    line = json.loads(out.getvalue())
    assert set(line) == {"time", "level", "logger", "message", "request_id"}
    assert (line["level"], line["logger"], line["message"], line["request_id"]) == (
        "WARNING", "refundkit.x", "hello there", "req-1")  # fmt: skip
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])


def test_plain_lines_are_the_default_and_an_unknown_format_is_refused() -> None:
    out = io.StringIO()
    handler = logs.handler(stream=out)
    handler.handle(logging.LogRecord("refundkit.y", logging.INFO, __file__, 1, "plain", (), None))
    assert re.search(r" INFO refundkit\.y \[-\] plain$", out.getvalue().strip())
    with pytest.raises(ValueError, match="plain, json"):
        logs.handler("xml")


def test_no_secret_reaches_a_log_line_in_a_whole_flow(
    api: Api, debug_logs: Callable[[], str], tmp_path: Path
) -> None:
    uploads = Uploads(LocalBlobStore(tmp_path / "evidence"), strip_stream, 1 << 20)
    routes_files.install(api.client.app, uploads)  # type: ignore[arg-type]
    buyer, seller = api.user("buyer"), api.user("seller")
    secrets = [api.platform_key, buyer["api_key"], seller["api_key"], PASSWORD]
    with receiver() as shop:
        made = api.post("/v1/webhook-endpoints", {"url": shop.url, "events": ["order.*"]})
        assert made.status_code == 201, made.text
        secrets.append(made.json()["secret"])
        order = api.create_order(buyer, seller)
        api.pay(order["id"])
        api.ship(order["id"], seller)
        assert deliver_webhooks(api.deps)
    uploaded = api.client.post(
        "/v1/files", files={"file": ("notes.txt", EVIDENCE, "text/plain")},
        data={"purpose": "dispute_evidence"},
        headers={"Authorization": f"Bearer {buyer['api_key']}"},
    )  # fmt: skip
    assert uploaded.status_code == 201, uploaded.text
    # A wrong key, a key in a query string, a cookie and a password sign-in.
    assert api.get("/v1/orders", key="sk_wrong_but_secret_0042").status_code == 401
    secrets.append("sk_wrong_but_secret_0042")
    api.client.get(f"/v1/orders?api_key={buyer['api_key']}")
    user_id = buyer["id"]
    with api.deps.uow() as uow:
        uow.users.set_password_hash(user_id, hash_password(PASSWORD))
        uow.commit()
    form = api.client.get("/sign-in")
    token = re.search(r'name="sign_in_token" value="([^"]+)"', form.text)
    assert token is not None
    fields = {"sign_in_token": token.group(1), "email": buyer["email"]}
    signed = api.client.post("/sign-in", follow_redirects=False,
                             data={**fields, "password": PASSWORD})  # fmt: skip
    assert signed.status_code in (302, 303), signed.text
    cookie = signed.cookies.get(COOKIE) or api.client.cookies.get(COOKIE)
    assert cookie
    secrets.append(cookie)
    assert api.client.get("/orders").status_code == 200
    wrong = api.client.post("/sign-in", follow_redirects=False,
                            data={**fields, "password": PASSWORD + "x"})  # fmt: skip
    assert wrong.status_code >= 400

    text = debug_logs()
    assert "POST /v1/orders" in text  # the lines were captured
    for secret in secrets:
        assert secret not in text, f"a log line holds a secret: {secret[:6]}..."
    assert b"EVIDENCE-CONTENT" not in text.encode()
    assert "parcel was empty" not in text
