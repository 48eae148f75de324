"""No module of src/ over 400 lines (DESIGN §8, issue 13): a module that grows past it is
split by area, as the schema is (adapters/db/tables/). Generated migrations aside."""

from __future__ import annotations

from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "refundkit"
LIMIT = 400


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(SRC)): lines
        for path in SRC.rglob("*.py")
        if "migrations" not in path.parts
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert long == {}, f"modules over {LIMIT} lines: {long}"
