"""Parcels: shipping part of an order (issue 18, item 2)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import Field

from refundkit.entrypoints.api import order_schemas as o
from refundkit.entrypoints.api import schemas as s
from refundkit.entrypoints.api.auth import DepsDep, UserDep
from refundkit.entrypoints.api.guards import GuardedRoute
from refundkit.entrypoints.api.responses import IdempotencyDep, command
from refundkit.service import orders, shipments
from refundkit.service.ports import UnitOfWork

router = APIRouter(prefix="/v1/orders", tags=["orders"], route_class=GuardedRoute)


class LineIn(s.Body):
    item_id: str = Field(max_length=40)
    quantity: int


class ShipmentIn(s.Body):
    carrier: str = Field(max_length=100)
    tracking_number: str = Field(max_length=100)
    lines: list[LineIn] = Field(min_length=1, max_length=100)


@router.post("/{order_id}/shipments", response_model=o.OrderOut, status_code=201)
def ship_parcel(
    order_id: str, body: ShipmentIn, deps: DepsDep, user: UserDep, idem: IdempotencyDep
) -> Response:
    """Ship the named units as one parcel with its own tracking; answers the order, whose
    ``parcels`` ends with the new one. [seller]"""
    lines = [(line.item_id, line.quantity) for line in body.lines]

    def run(uow: UnitOfWork) -> orders.OrderDetails:
        order = shipments.ship(deps, uow, user, order_id, body.carrier, body.tracking_number,
                               lines)  # fmt: skip
        return orders.details(deps, uow, order)

    return command(deps, idem, run, lambda found: o.OrderOut.of(deps.currencies, found), 201)
