"""Keyset pages in Stripe's manner, for every list: ``starting_after`` (the items after a
cursor, in the list's order) or ``ending_before`` (the items before it, still answered in
the list's order), the cursor being an item of this very list (else ``NotFound``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from refundkit.domain.errors import NotFound


def keyset_page(
    conn: Connection,
    query: sa.Select[Any],
    keys: Sequence[sa.ColumnElement[Any]],
    id_column: sa.ColumnElement[Any],
    *,
    descending: bool,
    starting_after: object | None,
    ending_before: object | None,
    limit: int,
) -> Sequence[RowMapping]:
    """Run ``query`` (filters only, no order or limit) as one page ordered by ``keys`` (the
    last being the unique ``id_column``). With ``ending_before`` the ``limit`` items nearest
    before the cursor, in list order."""
    page, backwards = keyset_query(conn, query, keys, id_column, descending=descending,
                                   starting_after=starting_after, ending_before=ending_before,
                                   limit=limit)  # fmt: skip
    rows = conn.execute(page).mappings().all()
    return list(reversed(rows)) if backwards else rows


def keyset_query(
    conn: Connection,
    query: sa.Select[Any],
    keys: Sequence[sa.ColumnElement[Any]],
    id_column: sa.ColumnElement[Any],
    *,
    descending: bool,
    starting_after: object | None,
    ending_before: object | None,
    limit: int,
) -> tuple[sa.Select[Any], bool]:
    """``keyset_page``'s query, not run (to be used as a subquery), and whether its rows come
    backwards (to be reversed). A cursor is looked up here, in a statement of its own."""
    cursor = starting_after if starting_after is not None else ending_before
    backwards = starting_after is None and ending_before is not None
    ordered = [k.desc() if descending != backwards else k.asc() for k in keys]
    if cursor is not None:
        at = conn.execute(
            query.with_only_columns(*keys).where(id_column == cursor).limit(1)
        ).first()
        if at is None:
            field = "starting_after" if starting_after is not None else "ending_before"
            raise NotFound(f"no item {cursor!r} in this list", field=field)
        theirs = sa.tuple_(*(sa.literal(v, type_=k.type) for k, v in zip(keys, at, strict=True)))
        mine = sa.tuple_(*keys)
        query = query.where(mine < theirs if descending != backwards else mine > theirs)
    return query.order_by(*ordered).limit(limit), backwards
