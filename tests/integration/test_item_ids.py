"""Items have ids (issue 18, item 1): given at placement, unique within the order, kept by
the database; lines placed before migration 0020 get ids from their order and position."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from market import Market
from refundkit.adapters.db import tables as t
from refundkit.adapters.db.migrate import alembic_config, upgrade
from refundkit.domain.orders.lines import holdings
from refundkit.domain.orders.model import OrderLine

LINES = (OrderLine("a", "Cup", 3, 333), OrderLine("b", "Plate", 1, 1001))


def test_items_get_ids_that_the_order_keeps(market: Market) -> None:
    placed = market.place(lines=LINES)
    ids = [line.id for line in placed.lines]
    assert all(i.startswith("li_") for i in ids) and len(set(ids)) == 2
    again = market.order(placed.id)
    assert [line.id for line in again.lines] == ids
    assert again.line(ids[1]) == again.lines[1]
    assert again.line("li_nope") is None


def test_units_follow_the_order_from_payment_to_delivery(market: Market) -> None:
    order = market.paid(lines=LINES)
    assert [h.shipped for h in holdings(order)] == [0, 0]
    shipped = market.ship(order.id)
    assert [(h.shipped, h.delivered) for h in holdings(shipped)] == [(3, 0), (1, 0)]
    assert [h.worth(h.shipped) for h in holdings(shipped)] == [999, 1001]


def test_the_migration_gives_lines_placed_before_it_an_id(market: Market) -> None:
    order = market.place(lines=LINES)
    shipped = market.shipped(lines=LINES)
    engine = market.rt.engine
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0020-1")
    try:
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("order_lines")}
        assert "item_id" not in columns
    finally:
        upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.order_lines.c.position, t.order_lines.c.item_id)
            .where(t.order_lines.c.order_id == order.id)
            .order_by(t.order_lines.c.position)
        ).all()
    suffix = order.id.removeprefix("ord_")
    assert [item_id for _, item_id in rows] == [f"li_{suffix}_0", f"li_{suffix}_1"]
    # An order shipped before the migration has one parcel of every unit, with its tracking.
    again = market.order(shipped.id)
    [parcel] = again.parcels
    assert parcel.id == "pcl_" + shipped.id.removeprefix("ord_")
    assert (parcel.carrier, parcel.tracking_number) == (shipped.carrier, shipped.tracking_number)
    assert parcel.shipped_at == shipped.shipped_at
    assert parcel.delivery_deadline == shipped.deadlines.delivery_deadline
    assert parcel.units == {line.id: line.quantity for line in again.lines}
    assert [h.shipped for h in holdings(again)] == [3, 1]
