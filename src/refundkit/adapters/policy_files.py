"""Policy files: TOML text in, a checked ``Policy`` out."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

from refundkit.domain.credit_policy import OFF_FOR_EARLIER_VERSIONS
from refundkit.domain.errors import PolicyError
from refundkit.domain.policy import Policy, parse_policy

# PolicyError key for problems with the file as a whole rather than one of its keys.
FILE_KEY = "<file>"
DEFAULT_POLICY_RESOURCE = "default.toml"


def load_policy_text(text: str) -> Policy:
    return parse_policy(_toml(text))


def load_stored_policy_text(text: str) -> Policy:
    """A version stored by an earlier release: the keys added since (a new table, a new
    key) take the built-in defaults, so the orders placed under it still load; the tables
    that change outcomes (``[returnless]``, ``[compensation]``) take values that change
    nothing (``OFF_FOR_EARLIER_VERSIONS``). The file a
    service starts with is read strictly (``load_policy_text``): a new policy names every
    key."""
    data = with_defaults(_toml(text), OFF_FOR_EARLIER_VERSIONS)
    return parse_policy(with_defaults(data, _toml(default_policy_text())))


def with_defaults(data: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with every table and key it lacks taken from ``defaults``; what it has (and
    keys the defaults do not know, which the parser then refuses) is kept as it is."""
    merged = dict(data)
    for key, default in defaults.items():
        if key not in merged:
            merged[key] = default
        elif isinstance(default, Mapping) and isinstance(merged[key], Mapping):
            merged[key] = with_defaults(merged[key], default)
    return merged


def _toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(FILE_KEY, f"not valid TOML: {exc}") from exc


def load_policy_file(path: str | PathLike[str]) -> Policy:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(FILE_KEY, f"cannot read {path}: {exc}") from exc
    return load_policy_text(text)


def default_policy_text() -> str:
    return (
        resources.files("refundkit.policy")
        .joinpath(DEFAULT_POLICY_RESOURCE)
        .read_text(encoding="utf-8")
    )


def load_default_policy() -> Policy:
    return load_policy_text(default_policy_text())
