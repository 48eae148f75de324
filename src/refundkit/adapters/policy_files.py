"""Policy files: TOML text in, a checked ``Policy`` out."""

from __future__ import annotations

import tomllib
from importlib import resources
from os import PathLike
from pathlib import Path

from refundkit.domain.errors import PolicyError
from refundkit.domain.policy import Policy, parse_policy

# PolicyError key for problems with the file as a whole rather than one of its keys.
FILE_KEY = "<file>"
DEFAULT_POLICY_RESOURCE = "default.toml"


def load_policy_text(text: str) -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(FILE_KEY, f"not valid TOML: {exc}") from exc
    return parse_policy(data)


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
