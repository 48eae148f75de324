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
from refundkit.service.identity_text import normalise_email, normalise_name
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
    name = normalise_name(new.name)
    email = normalise_email(new.email)
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
    """Make ``api_key`` (REFUNDKIT_PLATFORM_KEY) the platform's key, creating the platform.

    A new key replaces the platform's earlier ones at once: they are revoked, and a revoked
    key is never taken back (a process still started with it refuses to start), so an old
    key cannot come back by a restart in the wrong order."""
    key_hash = hash_api_key(api_key)
    now = deps.clock.now()
    if uow.users.api_key_revoked(key_hash):
        raise Conflict(
            "REFUNDKIT_PLATFORM_KEY holds a revoked key (a newer platform key replaced it): "
            "start with the current key, or a new one"
        )
    existing = uow.users.by_api_key_hash(key_hash)
    if existing is not None:
        if existing.role is Role.PLATFORM:
            uow.users.revoke_api_keys(existing.id, now, keep=key_hash)
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
            created_at=now,
        )
        uow.users.add(platform)
    uow.users.revoke_api_keys(platform.id, now)
    uow.users.add_api_key(platform.id, key_hash, now)
    return platform


def _key_holder(uow: UnitOfWork, viewer: User, user_id: str) -> User:
    if viewer.role is not Role.PLATFORM:
        raise Forbidden("only the platform key rotates or revokes API keys")
    holder = uow.users.get(user_id)
    if holder is None:
        raise NotFound(f"no user {user_id}")
    if holder.role is Role.PLATFORM:
        raise Conflict("the platform's key is REFUNDKIT_PLATFORM_KEY: restart the service "
                       "with a new one to rotate it (the old one is revoked then)")  # fmt: skip
    return holder


def rotate_api_key(deps: Deps, uow: UnitOfWork, viewer: User, user_id: str) -> tuple[User, str]:
    """A new API key for the user (answered once); every earlier key is revoked at once."""
    holder = _key_holder(uow, viewer, user_id)
    now = deps.clock.now()
    uow.users.revoke_api_keys(holder.id, now)
    api_key = new_api_key()
    uow.users.add_api_key(holder.id, hash_api_key(api_key), now)
    return holder, api_key


def revoke_api_keys(deps: Deps, uow: UnitOfWork, viewer: User, user_id: str) -> User:
    """Revoke every API key of the user (its web sign-in, by password, is untouched)."""
    holder = _key_holder(uow, viewer, user_id)
    uow.users.revoke_api_keys(holder.id, deps.clock.now())
    return holder


def kept_user(deps: Deps, api_key: str) -> User | None:
    """The key's user if ``deps.keys`` holds it (no statement, no thread needed)."""
    return deps.keys.get(hash_api_key(api_key))


def authenticate(deps: Deps, api_key: str) -> User:
    """The key's user: from ``deps.keys`` when it was read in the last few seconds, else
    read (a revoked or unknown key is never kept)."""
    key_hash = hash_api_key(api_key)
    known = deps.keys.get(key_hash)
    if known is not None:
        return known
    generation = deps.keys.generation()
    user = transactions.run(deps, lambda uow: uow.users.by_api_key_hash(key_hash), readonly=True)
    if user is None:
        raise Unauthenticated("unknown API key")
    deps.keys.put(key_hash, user, generation)
    return user


def keys_changed(deps: Deps, user_id: str) -> None:
    """After a rotate or revoke committed: this process forgets the user's keys at once."""
    deps.keys.forget_user(user_id)


def get_user(deps: Deps, viewer: User, user_id: str) -> User:
    if viewer.id != user_id and viewer.role not in (Role.PLATFORM, Role.ADMIN, Role.AGENT):
        raise NotFound(f"no user {user_id}")
    user = transactions.run(deps, lambda uow: uow.users.get(user_id), readonly=True)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user
