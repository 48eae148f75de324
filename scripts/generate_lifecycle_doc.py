"""Regenerate docs/lifecycle.md from the order state machine table.

Usage: python scripts/generate_lifecycle_doc.py
"""

from __future__ import annotations

from pathlib import Path

from refundkit.docs_gen import write
from refundkit.docs_gen_chargebacks import chargebacks_markdown
from refundkit.docs_gen_disputes import disputes_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "lifecycle.md"


def main() -> None:
    write(DOC)
    print(f"wrote {DOC}")
    disputes = DOC.with_name("disputes.md")
    disputes.write_text(disputes_markdown(), encoding="utf-8")
    print(f"wrote {disputes}")
    chargebacks = DOC.with_name("chargebacks.md")
    chargebacks.write_text(chargebacks_markdown(), encoding="utf-8")
    print(f"wrote {chargebacks}")


if __name__ == "__main__":
    main()
