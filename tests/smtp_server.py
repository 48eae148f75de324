"""A real SMTP server on 127.0.0.1 for notification tests (aiosmtpd): it answers DATA from
a scripted list of replies (then ``250 OK``) and keeps every message it accepted."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Mailbox:
    url: str
    script: list[str]
    got: list[EmailMessage] = field(default_factory=list)
    tries: int = 0
    """DATA commands received, accepted or not."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def subjects(self) -> list[str]:
        with self.lock:
            return [str(m["Subject"]) for m in self.got]

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.got if m["To"] == address]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def smtp_server(script: list[str] | None = None, *, login: tuple[str, str] | None = None,
                port: int | None = None, sender_reply: str | None = None,
                ) -> Iterator[Mailbox]:  # fmt: skip
    """``sender_reply``: the answer to every MAIL FROM when not ``250 OK``."""
    port = port or free_port()
    auth = f"{login[0]}:{login[1]}@" if login else ""
    plain = "?allow_plaintext_login" if login else ""  # no TLS on this local test server
    box = Mailbox(f"smtp://{auth}127.0.0.1:{port}{plain}", list(script or []))

    class Handler:
        async def handle_MAIL(  # noqa: N802
            self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
        ) -> str:
            if sender_reply is not None:
                return sender_reply
            envelope.mail_from = address
            envelope.mail_options.extend(options)
            return "250 OK"

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            with box.lock:
                box.tries += 1
                if box.script:
                    return box.script.pop(0)
                parsed = message_from_bytes(envelope.content, policy=policy.default)
                assert isinstance(parsed, EmailMessage)
                box.got.append(parsed)
            return "250 OK"

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                     data: Any) -> AuthResult:  # fmt: skip
        ok = (isinstance(data, LoginPassword) and login is not None
              and (data.login.decode(), data.password.decode()) == login)  # fmt: skip
        return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535

    extra: dict[str, Any] = {}
    if login is not None:
        extra = {"authenticator": authenticate, "auth_require_tls": False}
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, **extra)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
