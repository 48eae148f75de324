"""Webhooks go to public addresses only (issue 20, item 2: SSRF): refused at registration and
again at every delivery, on the address the sender connects to, against real receivers on
127.0.0.1 (which only the sandbox, or an explicit allow-list, may call)."""

from __future__ import annotations

import dataclasses
import logging
import ssl
from collections.abc import Callable

import httpx
import pytest
import trustme

from market import Market
from refundkit.adapters.db import tables
from refundkit.adapters.webhook_sender import NO_ANSWER, REFUSED, HttpWebhookSender
from refundkit.adapters.webhook_targets import WebhookTargets, system_resolve
from refundkit.domain.errors import ValidationError
from refundkit.domain.webhook_targets import TargetRules, parse_allow_list
from refundkit.domain.webhooks import WebhookEndpoint
from refundkit.service import webhooks
from refundkit.service.deps import Deps
from refundkit.service.webhook_records import Attempt
from webhook_receiver import receiver

STRICT = TargetRules()
"""What a service outside the sandbox starts with when no allow-list is set."""
INTERNAL_URLS = [
    "http://127.0.0.1/", "http://127.1:8000/", "http://2130706433/", "http://0x7f.1/",
    "http://0177.0.0.1/", "http://127.0.0.1./", "http://0.0.0.0:5432/", "http://0/",
    "http://[::1]/", "http://[::]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:a00:1]/",
    "http://localhost:8000/", "http://LOCALHOST./", "http://api.localhost/",
    "http://10.0.0.1/", "http://172.16.5.4/", "http://192.168.1.1/", "http://100.64.0.1/",
    "http://[fd00::1]/", "http://[fc12::1]/", "http://[fe80::1]/", "http://169.254.1.1/",
    "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/",
    "http://100.100.100.200/", "http://[64:ff9b::7f00:1]/", "http://[2002:7f00:1::]/",
    "https://user:pw@127.0.0.1:443/hooks",
]  # fmt: skip


def _resolver(answers: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    """DNS for made-up names (``*.shop.test``); literal addresses as the system reads them."""

    def resolve(host: str, port: int) -> list[str]:
        if host in answers:
            return answers[host]
        if host.endswith(".test"):
            raise OSError("no such name")
        return system_resolve(host, port)

    return resolve


def _deps(market: Market, rules: TargetRules, answers: dict[str, list[str]] | None = None,
          sandbox: bool = False) -> Deps:  # fmt: skip
    targets = WebhookTargets(rules, _resolver(answers or {}))
    return dataclasses.replace(market.deps, sandbox=sandbox, webhook_targets=targets)


def _register(deps: Deps, market: Market, url: str) -> WebhookEndpoint:
    return market.tx(lambda uow: webhooks.create_endpoint(deps, uow, market.platform, url,
                                                          ["order.paid"]))  # fmt: skip


def _attempts(market: Market, endpoint: WebhookEndpoint) -> list[Attempt]:
    [delivery] = market.tx(lambda uow: webhooks.list_deliveries(
        uow, market.platform, endpoint.id, starting_after=None, limit=10))[0]  # fmt: skip
    return delivery.attempt_log


def _move(market: Market, endpoint: WebhookEndpoint, url: str) -> None:
    """Point a stored endpoint at a made-up name (the registration would resolve it with
    the system's DNS, which does not know it)."""
    with market.rt.engine.begin() as conn:
        ep = tables.webhook_endpoints
        conn.execute(ep.update().where(ep.c.id == endpoint.id).values(url=url))


def _deliver(market: Market, sender: HttpWebhookSender) -> int:
    webhooks.relay(market.deps)
    return webhooks.send_due(market.deps, sender)


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_outside_the_sandbox_no_internal_address_can_be_registered(market: Market,
                                                                   url: str) -> None:  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        _register(_deps(market, STRICT), market, url)
    assert refused.value.extra["field"] == "url"
    assert "public addresses only" in refused.value.detail
    assert market.tx(lambda uow: webhooks.list_endpoints(uow, market.platform)) == []


def test_a_name_is_refused_when_any_of_its_addresses_is_internal(market: Market) -> None:
    answers = {"hooks.shop.test": ["93.184.215.14", "10.1.2.3"],
               "meta.shop.test": ["169.254.169.254"], "six.shop.test": ["2606:4700::1", "::1"],
               "public.shop.test": ["93.184.215.14", "2606:4700::1"]}  # fmt: skip
    deps = _deps(market, STRICT, answers)
    for name in ("hooks", "meta", "six"):
        with pytest.raises(ValidationError, match="resolves to"):
            _register(deps, market, f"https://{name}.shop.test/hooks")
    _register(deps, market, "https://public.shop.test/hooks")
    # A name that does not resolve yet may be registered: every delivery resolves it again.
    _register(deps, market, "https://later.shop.test/hooks")
    assert len(market.tx(lambda uow: webhooks.list_endpoints(uow, market.platform))) == 2


def test_the_sandbox_may_call_loopback_but_nothing_else_internal(market: Market) -> None:
    sandbox = _deps(market, TargetRules(allow_loopback=True), sandbox=True)
    for url in ("http://127.0.0.1:9/", "http://localhost:9/", "http://[::1]:9/"):
        _register(sandbox, market, url)
    for url in ("http://10.0.0.1/", "http://169.254.169.254/", "http://0.0.0.0:9/"):
        with pytest.raises(ValidationError):
            _register(sandbox, market, url)


def test_the_allow_list_opens_private_receivers_but_never_metadata(market: Market) -> None:
    rules = parse_allow_list("10.20.0.0/16, hooks.corp.test, 169.254.0.0/16, fd12::/16")
    deps = _deps(market, rules, {"hooks.corp.test": ["10.9.9.9"], "x.corp.test": ["10.9.9.9"]})
    for url in ("http://10.20.3.4/", "http://hooks.corp.test/", "http://[fd12::5]/"):
        _register(deps, market, url)
    for url in ("http://10.21.0.1/", "http://x.corp.test/", "http://169.254.169.254/",
                "http://127.0.0.1/"):  # fmt: skip
        with pytest.raises(ValidationError):
            _register(deps, market, url)
    with pytest.raises(ValidationError, match="neither a network"):
        parse_allow_list("10.0.0.0/8, not a host!")


def test_each_delivery_vets_the_address_again(market: Market) -> None:
    """An endpoint registered while allowed (here: in the sandbox) is not called by a
    sender outside it, and the attempt log says so without naming what answered."""
    with receiver() as shop:
        endpoint = _register(market.deps, market, shop.url)
        market.paid()
        assert _deliver(market, HttpWebhookSender(WebhookTargets(STRICT))) == 1
    assert shop.got == []
    [attempt] = _attempts(market, endpoint)
    assert (attempt.status_code, attempt.error) == (None, REFUSED)


def test_dns_rebinding_cannot_lead_a_delivery_to_loopback(market: Market) -> None:
    """The name passed at registration (a public address); at delivery it answers
    127.0.0.1: the sender resolves once, vets that answer and refuses."""
    with receiver() as shop:
        port = httpx.URL(shop.url).port
        url = f"http://hooks.shop.test:{port}/hooks"
        endpoint = _register(_deps(market, STRICT, {"hooks.shop.test": ["93.184.215.14"]}),
                             market, url)  # fmt: skip
        market.paid()
        rebound = WebhookTargets(STRICT, _resolver({"hooks.shop.test": ["127.0.0.1"]}))
        _deliver(market, HttpWebhookSender(rebound))
    assert shop.got == []
    assert [a.error for a in _attempts(market, endpoint)] == [REFUSED]


def test_the_sender_connects_to_the_vetted_address_keeping_the_name(market: Market) -> None:
    """hooks.shop.test exists only in the vetting resolver: the request reaches the
    receiver, so it went to the vetted address, with the name in the Host header."""
    with receiver() as shop:
        port = httpx.URL(shop.url).port
        endpoint = _register(market.deps, market, f"http://u:s3cr%40t@127.0.0.1:{port}/hooks")
        _move(market, endpoint, f"http://u:s3cr%40t@hooks.shop.test:{port}/hooks")
        market.paid()
        named = WebhookTargets(TargetRules(allow_loopback=True),
                               _resolver({"hooks.shop.test": ["127.0.0.1"]}))  # fmt: skip
        _deliver(market, HttpWebhookSender(named))
    [request] = shop.got
    assert request.headers["host"] == f"hooks.shop.test:{port}"
    assert request.headers["authorization"] == "Basic dTpzM2NyQHQ="  # u:s3cr@t


@pytest.mark.parametrize("certified", ["hooks.shop.test", "other.shop.test"])
def test_tls_is_checked_against_the_name_not_the_address(market: Market,
                                                         certified: str) -> None:  # fmt: skip
    authority = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(certified).configure_cert(server)
    client = ssl.create_default_context()
    authority.configure_trust(client)
    with receiver(tls=server) as shop:
        port = httpx.URL(shop.url).port
        endpoint = _register(market.deps, market, f"https://127.0.0.1:{port}/hooks")
        _move(market, endpoint, f"https://hooks.shop.test:{port}/hooks")
        market.paid()
        named = WebhookTargets(TargetRules(allow_loopback=True),
                               _resolver({"hooks.shop.test": ["127.0.0.1"]}))  # fmt: skip
        sender = HttpWebhookSender(named, verify=client)
        _deliver(market, sender)
        sender.close()
    [attempt] = _attempts(market, endpoint)
    if certified == "hooks.shop.test":
        assert (attempt.status_code, len(shop.got)) == (200, 1)
    else:
        assert (attempt.status_code, attempt.error, shop.got) == (None, NO_ANSWER, [])


def test_a_failed_connection_is_logged_without_the_error_text(market: Market) -> None:
    """No port-scan oracle: a closed port, a refused connection and a timeout read alike."""
    with receiver() as shop:
        url = shop.url
    endpoint = _register(market.deps, market, url)  # the receiver is gone: port closed
    market.paid()
    assert market.deps.webhook_sender is not None
    webhooks.relay(market.deps)
    webhooks.send_due(market.deps, market.deps.webhook_sender)
    [attempt] = _attempts(market, endpoint)
    assert (attempt.status_code, attempt.error) == (None, NO_ANSWER)


def test_credentials_in_a_webhook_url_are_never_logged(
    market: Market, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 20, item 9: httpx logged ``POST http://u:p@...`` at INFO."""
    caplog.set_level(logging.DEBUG)
    with receiver() as shop:
        port = httpx.URL(shop.url).port
        url = f"http://hook:pa55word@127.0.0.1:{port}/hooks?token=t0ken"
        endpoint = _register(market.deps, market, url)
        market.paid()
        assert market.deps.webhook_sender is not None
        webhooks.relay(market.deps)
        webhooks.send_due(market.deps, market.deps.webhook_sender)
    assert len(shop.got) == 1
    assert [a.status_code for a in _attempts(market, endpoint)] == [200]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "pa55word" not in logged and "t0ken" not in logged, logged
