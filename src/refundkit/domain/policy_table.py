"""Reading one table of a policy file: each key checked, every error naming its dotted key."""

from __future__ import annotations

from collections.abc import Mapping

from refundkit.domain.errors import PolicyError

# Ten years; a larger window is a typo (hours written as minutes, an extra zero).
MAX_DAYS = 3_650
MAX_HOURS = MAX_DAYS * 24


class PolicyTable:
    """One TOML table: hands out its keys and refuses unknown or missing ones."""

    def __init__(self, data: object, path: str, keys: tuple[str, ...]) -> None:
        if not isinstance(data, Mapping):
            raise PolicyError(path or "<root>", "must be a table")
        for key in sorted(str(k) for k in data):
            if key not in keys:
                raise PolicyError(self._join(path, key), f"unknown key (expected one of {keys})")
        for key in keys:
            if key not in data:
                raise PolicyError(self._join(path, key), "missing")
        self.data = data
        self.path = path

    @staticmethod
    def _join(path: str, key: str) -> str:
        return f"{path}.{key}" if path else key

    def key(self, name: str) -> str:
        return self._join(self.path, name)

    def table(self, name: str, keys: tuple[str, ...]) -> PolicyTable:
        return PolicyTable(self.data[name], self.key(name), keys)

    def integer(self, name: str, *, minimum: int, maximum: int) -> int:
        return check_int(self.data[name], self.key(name), minimum=minimum, maximum=maximum)

    def hours(self, name: str, *, minimum: int = 1) -> int:
        return self.integer(name, minimum=minimum, maximum=MAX_HOURS)

    def days(self, name: str, *, minimum: int = 1) -> int:
        return self.integer(name, minimum=minimum, maximum=MAX_DAYS)

    def flag(self, name: str) -> bool:
        value = self.data[name]
        if not isinstance(value, bool):
            raise PolicyError(self.key(name), f"must be true or false, got {value!r}")
        return value

    def names(self, name: str, allowed: frozenset[str], what: str) -> frozenset[str]:
        """A list drawn from ``allowed`` (dispute reasons, tracking signals...)."""
        raw = self.data[name]
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise PolicyError(self.key(name), f"must be a list of {what}, got {raw!r}")
        unknown = sorted(set(raw) - allowed)
        if unknown:
            choices = ", ".join(sorted(allowed))
            raise PolicyError(self.key(name), f"unknown {what} {unknown} (one of {choices})")
        return frozenset(raw)

    def text(self, name: str) -> str:
        value = self.data[name]
        if not isinstance(value, str) or not value.strip():
            raise PolicyError(self.key(name), f"must be a non-empty string, got {value!r}")
        return value


def check_int(value: object, key: str, *, minimum: int, maximum: int) -> int:
    # bool is an int subclass in Python; "true" for a number of hours is always a mistake.
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(key, f"must be an integer, got {value!r}")
    if value < minimum:
        raise PolicyError(key, f"must be at least {minimum}, got {value}")
    if value > maximum:
        raise PolicyError(key, f"must be at most {maximum}, got {value}")
    return value
