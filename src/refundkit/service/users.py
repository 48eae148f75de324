"""Users and their API keys."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from refundkit.domain.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unauthenticated,
    ValidationError,
)
from refundkit.domain.roles import Role
from refundkit.service import transactions
from refundkit.service.deps import Deps
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import Tier, User

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
CREATABLE_BY = {
    Role.PLATFORM: {Role.BUYER, Role.SELLER, Role.AGENT},
    Role.ADMIN: {Role.BUYER, Role.SELLER, Role.AGENT, Role.ADMIN},
}


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def new_api_key() -> str:
    return "rk_" + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class NewUser:
    role: Role
    name: str
    email: str
    country: str
    tier: Tier | None = None
    password_hash: str | None = None


def check_new_user(new: NewUser) -> NewUser:
    name = new.name.strip()
    email = new.email.strip().lower()
    if not 1 <= len(name) <= 200:
        raise ValidationError("name must be 1 to 200 characters", field="name")
    if not _EMAIL.match(email):
        raise ValidationError("email is not a valid address", field="email")
    if not _COUNTRY.match(new.country):
        raise ValidationError("country must be an ISO 3166 code like DE", field="country")
    if new.tier is not None and new.role is not Role.BUYER:
        raise ValidationError("only buyers have a membership tier", field="tier")
    tier = new.tier or (Tier.STANDARD if new.role is Role.BUYER else None)
    return NewUser(new.role, name, email, new.country, tier, new.password_hash)


def add_user(deps: Deps, uow: UnitOfWork, new: NewUser) -> tuple[User, str]:
    new = check_new_user(new)
    if uow.users.by_email(new.email) is not None:
        raise Conflict(f"a user with email {new.email} exists", field="email")
    user = User(
        id=deps.ids.new("usr"),
        role=new.role,
        name=new.name,
        email=new.email,
        country=new.country,
        tier=new.tier,
        created_at=deps.clock.now(),
        password_hash=new.password_hash,
    )
    uow.users.add(user)
    api_key = new_api_key()
    uow.users.add_api_key(user.id, hash_api_key(api_key), deps.clock.now())
    return user, api_key


def create_user(deps: Deps, creator: User, new: NewUser) -> tuple[User, str]:
    """A platform key creates buyers, sellers and agents; an admin may also create admins."""
    if new.role not in CREATABLE_BY.get(creator.role, set()):
        raise Forbidden(f"a {creator.role.value} may not create a {new.role.value}")
    return transactions.run(deps, lambda uow: add_user(deps, uow, new))


PLATFORM_EMAIL = "platform@refundkit.invalid"


def ensure_platform_key(deps: Deps, uow: UnitOfWork, api_key: str) -> User:
    """Make ``api_key`` (REFUNDKIT_PLATFORM_KEY) the platform's key, creating the platform."""
    existing = uow.users.by_api_key_hash(hash_api_key(api_key))
    if existing is not None:
        return existing
    platform = uow.users.by_email(PLATFORM_EMAIL)
    if platform is None:
        platform = User(
            id=deps.ids.new("usr"),
            role=Role.PLATFORM,
            name="Platform",
            email=PLATFORM_EMAIL,
            country="US",
            tier=None,
            created_at=deps.clock.now(),
        )
        uow.users.add(platform)
    uow.users.add_api_key(platform.id, hash_api_key(api_key), deps.clock.now())
    return platform


def authenticate(deps: Deps, api_key: str) -> User:
    user = transactions.run(
        deps, lambda uow: uow.users.by_api_key_hash(hash_api_key(api_key)), readonly=True
    )
    if user is None:
        raise Unauthenticated("unknown API key")
    return user


def get_user(deps: Deps, viewer: User, user_id: str) -> User:
    if viewer.id != user_id and viewer.role not in (Role.PLATFORM, Role.ADMIN, Role.AGENT):
        raise NotFound(f"no user {user_id}")
    user = transactions.run(deps, lambda uow: uow.users.get(user_id), readonly=True)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user
