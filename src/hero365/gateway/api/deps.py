"""FastAPI dependencies (full-stack-template style): the gateway's parts, the token's claims, the acting
member of a business with their role, the permission an operation needs, and the rate limit it counts
against. Routes declare them with the Annotated aliases at the bottom."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ...config import Settings
from ...erp.domain.errors import NotFound
from ...erp.domain.tenancy import Actor, Permission, Role
from ...erp.store.db import Store
from ..audit import AuditLog
from ..auth import AuthError, Claims, TokenService, verify_async
from ..errors import ApiError
from ..ratelimit import RateLimiter, limits_for
from ..sessions import SessionRegistry


@dataclass
class Gateway:
    """Everything a request may need, made once per app (app.state.gateway)."""

    settings: Settings
    store: Store
    tokens: TokenService
    audit: AuditLog
    limiter: RateLimiter
    sessions: SessionRegistry
    #: Builds the speech recogniser for a member's voice session: `(actor) -> STT` or an awaitable of one
    #: (None: speech input is not set up here).
    stt_factory: Callable[[Actor], Any] | None = None
    #: (user_id, business_id) -> (Actor, expires at): members are re-read every few seconds, not per request.
    actor_cache: dict[tuple[int, int], tuple[Actor, float]] | None = None
    #: Speech parts shared by this process's voice sessions (the VAD and TTS models load once).
    speech: dict[str, Any] | None = None


def gateway(request: Request) -> Gateway:
    return request.app.state.gateway  # type: ignore[no-any-return]


def store(request: Request) -> Store:
    return gateway(request).store


_bearer = HTTPBearer(auto_error=False, description="A JWT: `hero365 token --demo`, or your identity provider's")


async def claims(request: Request, gw: Annotated[Gateway, Depends(gateway)],
                 creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Claims:
    """The verified token (401 when missing, expired, or not signed by a key we trust)."""
    if creds is None or not creds.credentials:
        raise AuthError("missing_token", "Sign in: send an 'Authorization: Bearer <token>' header.")
    found = await verify_async(gw.tokens, creds.credentials)
    request.state.subject = found.subject
    return found


ACTOR_TTL_S = 5.0


async def resolve_actor(gw: Gateway, found: Claims, wanted_business: int | None) -> Actor:
    """The member the token speaks for, in the business it (or the X-Business-Id header) names."""
    business_id = found.business_id
    if wanted_business is not None:
        if business_id is not None and wanted_business != business_id:
            raise ApiError(403, "wrong_business", f"This token is for business {business_id}, not {wanted_business}.")
        business_id = wanted_business
    if business_id is None:
        raise ApiError(400, "no_business", "Which business? The token names none: send an X-Business-Id header.")
    user_id = found.user_id
    if user_id is None and found.email:
        async with gw.store.directory() as uow:
            user = await uow.directory.user_by_email(found.email)
        user_id = user.id if user is not None else None
    if user_id is None:
        raise ApiError(403, "unknown_user", "This token's user has no Hero365 account.")
    cache = gw.actor_cache if gw.actor_cache is not None else {}
    hit = cache.get((user_id, business_id))
    if hit is not None and hit[1] > time.monotonic():
        return hit[0]
    from ...erp.services.businesses import actor_for

    try:
        actor = await actor_for(gw.store, user_id, business_id)
    except NotFound:
        raise ApiError(403, "not_a_member", "You're not a member of that business.") from None
    if actor.role == Role.CALL_AGENT:  # not a person: calling agents get no gateway access
        raise ApiError(403, "permission_denied", "The calling agent has no access to the gateway.")
    if len(cache) > 10_000:
        cache.clear()
    cache[(user_id, business_id)] = (actor, time.monotonic() + ACTOR_TTL_S)
    return actor


async def current_actor(request: Request, gw: Annotated[Gateway, Depends(gateway)],
                        found: Annotated[Claims, Depends(claims)],
                        x_business_id: Annotated[int | None, Header(ge=1, le=2**53,
                                                                  description="Which business to act for "
                                                                              "(when the token names none)")] = None,
                        ) -> Actor:
    """Membership checked, then the user's and the business's rate limits counted (429 + Retry-After)."""
    actor = await resolve_actor(gw, found, x_business_id)
    request.state.user_id, request.state.business_id = actor.user_id, actor.business_id
    s = gw.settings
    decision = await gw.limiter.hit(limits_for(f"{actor.user_id}", actor.business_id, s.rate_limit_user_per_minute,
                                               s.rate_limit_business_per_minute))
    if not decision.allowed:
        wait = max(1, int(decision.retry_after + 0.999))
        raise ApiError(429, "rate_limited", f"Too many requests for this {decision.limited_by}; try again in "
                                            f"{wait} second{'s' if wait != 1 else ''}.",
                       headers={"Retry-After": str(wait)}, retry_after=wait)
    return actor


def requires(permission: Permission, doing: str) -> Callable[..., Awaitable[Actor]]:
    """A dependency: the current actor, if their role allows `permission` (403 saying what they can't do)."""

    async def check(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        actor.require(permission, doing)
        return actor

    return check


GatewayDep = Annotated[Gateway, Depends(gateway)]
StoreDep = Annotated[Store, Depends(store)]
CurrentActor = Annotated[Actor, Depends(current_actor)]
CallPlacer = Annotated[Actor, Depends(requires(Permission.CALLS_PLACE, "place calls"))]
#: Business-wide views (analytics, everyone's conversations): owner and office.
BusinessViewer = Annotated[Actor, Depends(requires(Permission.JOBS_VIEW_ALL, "see the whole business's figures"))]
