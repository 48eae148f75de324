"""An address written any way a resolver reads it is the address vetted (issue 20, item 2)."""

from __future__ import annotations

import ipaddress
import socket

from hypothesis import given
from hypothesis import strategies as st

from refundkit.domain.webhook_targets import TargetRules, literal_address

PART = st.one_of(st.integers(0, 2**32 - 1).map(str), st.integers(0, 2**32 - 1).map(hex),
                 st.integers(0, 2**32 - 1).map(lambda n: "0" + oct(n)[2:]))  # fmt: skip


def _inet_aton(text: str) -> ipaddress.IPv4Address | None:
    try:
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        return None


@given(st.lists(PART, min_size=1, max_size=4).map(".".join))
def test_a_literal_reads_as_the_system_resolver_reads_it(text: str) -> None:
    assert literal_address(text) == _inet_aton(text)


@given(st.integers(0, 2**32 - 1))
def test_every_spelling_of_an_address_is_vetted_as_that_address(number: int) -> None:
    address = ipaddress.IPv4Address(number)
    spellings = [str(address), str(number), hex(number), f"[::ffff:{address}]"]
    for text in spellings:
        found = literal_address(text)
        assert found is not None
        inner = found.ipv4_mapped if isinstance(found, ipaddress.IPv6Address) else found
        assert inner == address
        refused = TargetRules().refusal(text, found) is not None
        assert refused == (not address.is_global or address.is_multicast)
