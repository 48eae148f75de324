"""Sending notifications: by SMTP when ``REFUNDKIT_SMTP_URL`` names a server, else to the
mail log (the ``notifications`` table already holds every message; the log marks it sent
and writes a line to the ``refundkit.mail`` logger).

``REFUNDKIT_SMTP_URL`` forms: ``smtp://host:25``, ``smtp://user:pass@host:587?starttls``,
``smtps://user:pass@host:465``; a login without TLS is refused unless the URL says
``?allow_plaintext_login`` (a relay on the same machine). ``REFUNDKIT_MAIL_FROM`` is the
sender address.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlsplit

from refundkit.domain.errors import ValidationError
from refundkit.service.notification_records import Mailer, MailResult, OutgoingMail

log = logging.getLogger("refundkit.mail")
DEFAULT_FROM = "refundkit <no-reply@refundkit.invalid>"
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None
    password: str | None


SHAPES = "smtp://host:port, smtp://user:pass@host:587?starttls or smtps://user:pass@host:465"
PLAINTEXT_LOGIN = "allow_plaintext_login"
"""Query flag for a login without TLS: only for a relay on the same machine or network
(a test server); anywhere else the password would cross the network readable."""


def parse_smtp_url(url: str) -> SmtpSettings:
    """The settings in ``REFUNDKIT_SMTP_URL``; every error names the URL with its password
    hidden."""
    shown = hide_password(url)
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as bad:  # its text may quote the password: not repeated
        what = "port: a number up to 65535" if "port" in str(bad).lower() else "host"
        raise ValidationError(
            f"REFUNDKIT_SMTP_URL {shown!r} is malformed (its {what}); it must look like "
            f"{SHAPES}", field="REFUNDKIT_SMTP_URL",
        ) from None  # fmt: skip
    if parts.scheme not in ("smtp", "smtps") or not host:
        raise ValidationError(
            f"REFUNDKIT_SMTP_URL must look like {SHAPES}, got {shown!r}",
            field="REFUNDKIT_SMTP_URL",
        )
    query = parse_qs(parts.query, keep_blank_values=True)
    implicit = parts.scheme == "smtps"
    starttls = "starttls" in query
    if parts.username and not (implicit or starttls or PLAINTEXT_LOGIN in query):
        raise ValidationError(
            f"REFUNDKIT_SMTP_URL {shown!r} logs in without TLS, which sends the password "
            "readable: add ?starttls (port 587) or use smtps:// (port 465)",
            field="REFUNDKIT_SMTP_URL",
        )
    return SmtpSettings(
        host=host,
        port=port or (465 if implicit else 25),
        implicit_tls=implicit,
        starttls=starttls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def hide_password(url: str) -> str:
    """``smtp://user:secret@host`` -> ``smtp://user:***@host`` (up to the last ``@``, so a
    password with an unencoded ``@`` or ``/`` is hidden whole)."""
    return re.sub(r"^([^:/?#]*://[^:/?#@]*:).*@", r"\1***@", url.strip(), count=1)


class SmtpMailer:
    """One connection per message: simple, and a broken connection never spoils the next."""

    channel = "smtp"

    def __init__(self, settings: SmtpSettings, sender: str = DEFAULT_FROM) -> None:
        self.settings = settings
        self.sender = sender

    def send(self, mail: OutgoingMail) -> MailResult:
        """Only this message's own refusal is final: every recipient refused with 5xx at
        RCPT, or 5xx answered to its DATA. Anything before that (connecting, TLS, the login,
        the sender refused) is about the server or its settings, not the message, and is
        tried again with backoff, as is any 4xx."""
        try:
            message = self._message(mail)
            smtp = self._connect()
        except Exception as failure:  # any failure is this attempt's answer
            return MailResult(False, False, _describe(failure))
        try:
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as refused:
            codes = [code for code, _ in refused.recipients.values()]
            return MailResult(False, all(c >= 500 for c in codes), f"refused: {refused}")
        except smtplib.SMTPDataError as answer:
            return MailResult(False, answer.smtp_code >= 500, _describe(answer))
        except Exception as failure:  # any failure is this attempt's answer
            return MailResult(False, False, _describe(failure))
        finally:
            _close(smtp)
        return MailResult(True)

    def _message(self, mail: OutgoingMail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = f"<{mail.message_id}@refundkit>"  # the same on every resend
        message["X-Refundkit-Notification"] = mail.message_id
        message.set_content(mail.body)
        return message

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp: smtplib.SMTP
        if s.implicit_tls:
            context = ssl.create_default_context()
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=TIMEOUT_SECONDS, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT_SECONDS)
        try:
            if s.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.username is not None:
                smtp.login(s.username, s.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


def _describe(failure: Exception) -> str:
    if isinstance(failure, smtplib.SMTPResponseException):
        text = failure.smtp_error
        said = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
        return f"{type(failure).__name__}: {failure.smtp_code} {said}"
    return f"{type(failure).__name__}: {failure}"


def _close(smtp: smtplib.SMTP) -> None:
    """Say goodbye, but a message the server accepted stays sent whatever QUIT answers."""
    try:
        smtp.quit()
    except Exception:  # the mail went; a failed goodbye changes nothing
        smtp.close()


class MailLog:
    """No SMTP server: the message stays in the notifications table (the mail log, listed
    by ``GET /v1/notifications``), marked sent through the ``log`` channel."""

    channel = "log"

    def send(self, mail: OutgoingMail) -> MailResult:
        log.info("mail %s to %s: %s", mail.message_id, mail.to, mail.subject)
        return MailResult(True)


def mailer_from_env() -> Mailer:
    url = os.environ.get("REFUNDKIT_SMTP_URL", "").strip()
    if not url:
        return MailLog()
    return SmtpMailer(parse_smtp_url(url), os.environ.get("REFUNDKIT_MAIL_FROM", DEFAULT_FROM))
