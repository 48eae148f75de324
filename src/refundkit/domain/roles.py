"""Who acts. ``system`` is the policy itself acting when a deadline passes."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PLATFORM = "platform"
    BUYER = "buyer"
    SELLER = "seller"
    AGENT = "agent"
    ADMIN = "admin"
    SYSTEM = "system"


PEOPLE_ROLES = frozenset({Role.BUYER, Role.SELLER, Role.AGENT, Role.ADMIN})
"""Roles a person holds; ``platform`` and ``system`` are machines."""
