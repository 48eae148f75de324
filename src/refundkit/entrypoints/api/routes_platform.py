"""Users, carrier scans and the sandbox clock."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Response
from pydantic import BaseModel

from refundkit.domain.errors import Forbidden, NotFound
from refundkit.domain.roles import Role
from refundkit.entrypoints.api import idempotency
from refundkit.entrypoints.api import schemas as s
from refundkit.entrypoints.api.auth import DepsDep, UserDep
from refundkit.entrypoints.api.guards import GuardedRoute
from refundkit.entrypoints.api.responses import JSON, IdempotencyDep, command
from refundkit.service import timers, tracking, users
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import Tier, TrackingScan, User
from refundkit.service.users import NewUser

router = APIRouter(prefix="/v1", route_class=GuardedRoute)


@router.post("/users", status_code=201, response_model=s.UserOut, tags=["users"])
def create_user(body: s.UserIn, deps: DepsDep, user: UserDep, idem: IdempotencyDep) -> Response:
    new = NewUser(
        role=Role(body.role),
        name=body.name,
        email=body.email,
        country=body.country,
        tier=Tier(body.tier) if body.tier else None,
    )

    def work(uow: UnitOfWork) -> tuple[User, str]:
        if new.role not in users.CREATABLE_BY.get(user.role, set()):
            raise Forbidden(f"a {user.role.value} may not create a {new.role.value}")
        return users.add_user(deps, uow, new)

    def render(made: tuple[User, str]) -> s.UserOut:
        return s.UserOut.of(made[0], api_key=made[1])

    def without_key(made: tuple[User, str]) -> s.UserOut:
        # A replay never shows the key again: it is not kept anywhere in plain text.
        return s.UserOut.of(made[0])

    return command(deps, idem, work, render, 201, stored=without_key)


@router.get("/users/{user_id}", response_model=s.UserOut, tags=["users"])
def get_user(user_id: str, deps: DepsDep, user: UserDep) -> s.UserOut:
    return s.UserOut.of(users.get_user(deps, user, user_id))


@router.post("/users/{user_id}/api-keys/rotate", response_model=s.UserOut, tags=["users"])
def rotate_api_key(user_id: str, deps: DepsDep, user: UserDep, idem: IdempotencyDep) -> Response:
    """A new API key for the user, in this answer only; its earlier keys stop working at
    once (another API process may accept them for up to REFUNDKIT_API_KEY_CACHE_SECONDS)
    [platform]."""
    try:
        return command(deps, idem, lambda uow: users.rotate_api_key(deps, uow, user, user_id),
                       lambda made: s.UserOut.of(made[0], api_key=made[1]), 200,
                       stored=lambda made: s.UserOut.of(made[0]))  # fmt: skip
    finally:
        users.keys_changed(deps, user_id)  # committed (or nothing changed): forget them


@router.post("/users/{user_id}/api-keys/revoke", response_model=s.UserOut, tags=["users"])
def revoke_api_keys(user_id: str, deps: DepsDep, user: UserDep,
                    idem: IdempotencyDep) -> Response:  # fmt: skip
    """Every API key of the user stops working at once (another API process may accept
    them for up to REFUNDKIT_API_KEY_CACHE_SECONDS) [platform]."""
    try:
        return command(deps, idem, lambda uow: users.revoke_api_keys(deps, uow, user, user_id),
                       s.UserOut.of)  # fmt: skip
    finally:
        users.keys_changed(deps, user_id)


@router.get("/me", response_model=s.UserOut, tags=["users"])
def me(user: UserDep) -> s.UserOut:
    return s.UserOut.of(user)


class IngestOut(BaseModel):
    received: int
    new: int


@router.post("/tracking-events", response_model=IngestOut, tags=["tracking"])
def tracking_events(
    body: s.TrackingBatchIn, deps: DepsDep, user: UserDep, idem: IdempotencyDep
) -> Response:
    received_at = deps.clock.now()
    scans = [
        TrackingScan(
            carrier=e.carrier.strip(),
            tracking_number=e.tracking_number.strip(),
            status=e.status,
            country=e.country,
            city=e.city,
            postcode=e.postcode,
            occurred_at=e.occurred_at,
            description=e.description,
            received_at=received_at,
        )
        for e in body.events
    ]
    return command(
        deps,
        idem,
        lambda uow: tracking.ingest_scans(deps, uow, user, scans),
        lambda new: IngestOut(received=len(scans), new=new),
    )


def _sandbox_clock(deps: DepsDep, user: User) -> timers.SandboxClock:
    clock = deps.clock
    if not isinstance(clock, timers.SandboxClock):
        raise NotFound("the sandbox clock exists only when serving with --sandbox")
    if user.role not in (Role.PLATFORM, Role.ADMIN):
        raise Forbidden("only the platform moves the sandbox clock")
    return clock


@router.get("/sandbox/clock", response_model=s.ClockOut, tags=["sandbox"])
def get_clock(deps: DepsDep, user: UserDep) -> s.ClockOut:
    return s.ClockOut(now=_sandbox_clock(deps, user).now())


@router.post("/sandbox/clock/advance", response_model=s.ClockOut, tags=["sandbox"])
def advance_clock(
    body: s.ClockAdvanceIn, deps: DepsDep, user: UserDep, idem: IdempotencyDep
) -> Response:
    clock = _sandbox_clock(deps, user)
    if idem is not None:
        known = idempotency.replay_if_known(deps, idem)
        if known is not None:
            return Response(known.body, known.status_code, media_type=JSON,
                            headers={"Idempotent-Replayed": "true"})  # fmt: skip
    delta = timedelta(days=body.days, hours=body.hours, minutes=body.minutes)
    answer = s.ClockOut(now=timers.advance_clock(deps, clock, delta)).model_dump_json()
    if idem is not None:
        idempotency.remember(deps, idem, 200, answer)
    return Response(answer, 200, media_type=JSON)
