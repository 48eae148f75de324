"""Regenerate docs/lifecycle.md from the order state machine table.

Usage: python scripts/generate_lifecycle_doc.py
"""

from __future__ import annotations

from pathlib import Path

from refundkit.docs_gen import write

DOC = Path(__file__).resolve().parent.parent / "docs" / "lifecycle.md"


def main() -> None:
    write(DOC)
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
