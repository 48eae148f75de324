"""The lifecycle page is generated from the state machine table and must stay current."""

from __future__ import annotations

import re
from pathlib import Path

from refundkit.docs_gen import REGENERATE_COMMAND, lifecycle_markdown, mermaid_diagram
from refundkit.domain.orders.machine import ORDER_TRANSITIONS

LIFECYCLE_DOC = Path(__file__).resolve().parents[2] / "docs" / "lifecycle.md"
EDGE = re.compile(r"^\s*(\w+) --> (\w+) : (\w+) \((\w+)\)$")


def test_lifecycle_doc_matches_the_state_machine() -> None:
    committed = LIFECYCLE_DOC.read_text(encoding="utf-8") if LIFECYCLE_DOC.exists() else ""
    assert committed == lifecycle_markdown(), (
        f"docs/lifecycle.md is out of date with ORDER_TRANSITIONS; run `{REGENERATE_COMMAND}`"
    )


def test_every_transition_is_drawn() -> None:
    edges = set()
    for line in mermaid_diagram().splitlines():
        match = EDGE.match(line)
        if match:
            source, target, action, role = match.groups()
            edges.add((source, action, role, target))
    for row in ORDER_TRANSITIONS:
        for role in row.roles:
            assert row.target is not None
            edge = (row.source.value, row.action.value, role.value, row.target.value)
            assert edge in edges, f"{edge} is missing from the diagram"


def test_generation_is_deterministic() -> None:
    assert lifecycle_markdown() == lifecycle_markdown()


def test_disputes_doc_matches_the_dispute_state_machine() -> None:
    from refundkit.docs_gen_disputes import disputes_markdown
    from refundkit.docs_gen_disputes import mermaid_diagram as dispute_diagram
    from refundkit.domain.disputes.machine import DISPUTE_TRANSITIONS

    doc = LIFECYCLE_DOC.with_name("disputes.md")
    committed = doc.read_text(encoding="utf-8") if doc.exists() else ""
    assert committed == disputes_markdown(), (
        f"docs/disputes.md is stale; run `{REGENERATE_COMMAND}`"
    )
    drawn = dispute_diagram()
    for row in DISPUTE_TRANSITIONS:
        assert f"{row.source.value} --> " in drawn
        for role in row.roles:
            assert f": {row.action.value} ({role.value})" in drawn


def test_chargebacks_doc_matches_the_chargeback_state_machine() -> None:
    from refundkit.docs_gen_chargebacks import chargebacks_markdown

    doc = LIFECYCLE_DOC.with_name("chargebacks.md")
    committed = doc.read_text(encoding="utf-8") if doc.exists() else ""
    assert committed == chargebacks_markdown(), (
        f"docs/chargebacks.md is stale; run `{REGENERATE_COMMAND}`"
    )
