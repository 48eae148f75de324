"""What an API process keeps in memory about users between requests (issue 16: one HTTP
request, one transaction, and no statement spent on what did not change).

- ``KeyCache``: the user behind an API key, for ``seconds`` (``REFUNDKIT_API_KEY_CACHE_SECONDS``,
  default 5; 0 turns it off). A rotate or revoke in this process forgets the user's keys
  once its transaction committed, so a revoked key stops working here at once; another API
  process (``serve --workers N``, or several hosts) accepts it until its entry expires, at
  most ``seconds`` later. A read that began before a revoke never puts its (older) answer
  into the cache after the revoke forgot it (the generation check).
- ``PartyCache``: users by id, as an order placement (role, country) and the messages of a
  transaction (name, email) read them. A user is never deleted and nothing of it changes
  once made but its password hash, which is not kept: an entry never goes stale.

Both are bounded (the oldest entries go first) and safe across the server's threads."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from refundkit.service.records import User

DEFAULT_KEY_SECONDS = 5.0
MAX_ENTRIES = 10_000


class KeyCache:
    def __init__(
        self,
        seconds: float = DEFAULT_KEY_SECONDS,
        *,
        max_entries: int = MAX_ENTRIES,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self._max = max_entries
        self._now = monotonic
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, User]] = OrderedDict()
        self._generation = 0

    def get(self, key_hash: str) -> User | None:
        if self.seconds <= 0:
            return None
        with self._lock:
            found = self._entries.get(key_hash)
            if found is None:
                return None
            expires, user = found
            if expires <= self._now():
                del self._entries[key_hash]
                return None
            return user

    def generation(self) -> int:
        """Note it before reading a key from the database; hand it to ``put``."""
        with self._lock:
            return self._generation

    def put(self, key_hash: str, user: User, generation: int) -> None:
        """Keep ``user`` for the key, unless keys were forgotten since ``generation`` was
        noted (the read may then predate a revoke)."""
        if self.seconds <= 0:
            return
        with self._lock:
            if generation != self._generation:
                return
            self._entries[key_hash] = (
                self._now() + self.seconds,
                replace(user, password_hash=None),
            )
            self._entries.move_to_end(key_hash)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def forget_user(self, user_id: str) -> None:
        """Every key of ``user_id`` (call it once a rotate or revoke has committed)."""
        with self._lock:
            self._generation += 1
            for key_hash in [h for h, (_, u) in self._entries.items() if u.id == user_id]:
                del self._entries[key_hash]


class PartyCache:
    def __init__(self, *, max_entries: int = MAX_ENTRIES) -> None:
        self._max = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, User] = OrderedDict()

    def get_many(
        self, user_ids: Iterable[str], read: Callable[[list[str]], Mapping[str, User]]
    ) -> dict[str, User]:
        """The users of ``user_ids`` that exist; ``read`` fetches those not kept yet."""
        wanted = list(dict.fromkeys(user_ids))
        with self._lock:
            found = {i: self._entries[i] for i in wanted if i in self._entries}
        missing = [i for i in wanted if i not in found]
        if missing:
            fetched = {i: replace(u, password_hash=None) for i, u in read(missing).items()}
            found.update(fetched)
            with self._lock:
                self._entries.update(fetched)
                while len(self._entries) > self._max:
                    self._entries.popitem(last=False)
        return found
