"""Policies by version: the active one for new orders, older ones for the orders placed
under them (a new policy never moves the deadlines of an order already placed)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from refundkit.domain.errors import PolicyError
from refundkit.domain.policy import Policy
from refundkit.service.ports import UnitOfWork


class PolicyBook:
    def __init__(self, active: Policy, active_text: str, parse: Callable[[str], Policy]) -> None:
        self.active = active
        self._active_text = active_text
        self._parse = parse
        self._cache: dict[str, Policy] = {active.version: active}
        self._lock = threading.Lock()

    def register_active(self, uow: UnitOfWork, now: datetime) -> None:
        """Store the active policy's text under its version, once; a version is immutable."""
        stored = uow.policies.get_text(self.active.version)
        if stored is None:
            uow.policies.add(self.active.version, self._active_text, now)
        elif self._parse(stored) != self.active:
            raise PolicyError(
                "version",
                f"version {self.active.version!r} is already registered with other rules; "
                "give the changed policy a new version",
            )

    def for_version(self, uow: UnitOfWork, version: str) -> Policy:
        with self._lock:
            cached = self._cache.get(version)
        if cached is not None:
            return cached
        text = uow.policies.get_text(version)
        if text is None:
            raise PolicyError("version", f"policy version {version!r} is not registered")
        policy = self._parse(text)
        with self._lock:
            self._cache[version] = policy
        return policy
