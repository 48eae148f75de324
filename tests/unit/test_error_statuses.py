"""Every error of the one rooted tree has its own HTTP status (as httpx tests its map of
exceptions): a new ``RefundkitError`` anywhere in refundkit without an entry in
``problems.STATUS_BY_ERROR`` fails here instead of answering whatever its parent does."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import refundkit
from refundkit.domain import errors as e
from refundkit.entrypoints.api import problems


def _every_module() -> None:
    for found in pkgutil.walk_packages(refundkit.__path__, "refundkit."):
        if ".migrations." in found.name or found.name.endswith("__main__"):
            continue
        importlib.import_module(found.name)


def _tree(root: type[e.RefundkitError]) -> list[type[e.RefundkitError]]:
    found: list[type[e.RefundkitError]] = []
    for child in root.__subclasses__():
        found += [child, *_tree(child)]
    return found


_every_module()
TREE = sorted(set(_tree(e.RefundkitError)), key=lambda kind: kind.__qualname__)


def test_the_tree_was_found() -> None:
    assert {e.ValidationError, e.WindowClosed, e.FileTooLarge} <= set(TREE)


@pytest.mark.parametrize("kind", TREE, ids=lambda kind: kind.__qualname__)
def test_every_error_has_its_own_http_status(kind: type[e.RefundkitError]) -> None:
    mapped = dict(problems.STATUS_BY_ERROR)
    assert kind in mapped, f"{kind.__module__}.{kind.__qualname__} has no HTTP status"
    assert mapped[kind] in problems.TITLES


@pytest.mark.parametrize("kind", TREE, ids=lambda kind: kind.__qualname__)
def test_every_error_lives_in_the_one_tree_module(kind: type[e.RefundkitError]) -> None:
    assert kind.__module__ == e.__name__, f"{kind.__qualname__} is defined outside errors.py"


def test_an_error_answers_its_own_status_not_its_parents() -> None:
    assert problems.status_of(e.FileTooLarge("big")) == 413
    assert problems.status_of(e.PolicyError("k", "bad")) == 422
    assert problems.status_of(e.WindowClosed("late")) == 409


def test_an_unmapped_error_is_a_500_never_a_silent_400() -> None:
    class Unmapped(e.RefundkitError):
        code = "unmapped"

    try:
        assert problems.status_of(Unmapped("x")) == 500
    finally:
        del Unmapped
