"""Sending agents into LiveKit rooms: typed job metadata, explicit dispatch, and a room with a join token.

The dispatch metadata is all a worker learns about a job, so it is validated on both ends: the gateway can't
dispatch a job no worker would accept, and a worker refuses anything it didn't validate. Who the agent acts
for (user, contact, caller) comes from here, never from what is said in the room.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from contextlib import suppress
from datetime import timedelta
from typing import Any, Literal, Self, TypedDict

from livekit import api as lk
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError, field_validator, model_validator

from ..config import Settings, get_settings
from ..erp.domain.contacts import normalize_phone
from ..erp.domain.errors import InvalidInput, NotConfigured
from .state import AgentKind, Purpose

#: The name each agent kind's workers register under; a dispatch names one of these.
AGENT_NAMES: dict[AgentKind, str] = {kind: f"hero365-{kind.value}" for kind in AgentKind}
#: What each calling agent is for: sales calls are the marketing ones (they need written consent).
CALL_PURPOSES: dict[AgentKind, frozenset[Purpose]] = {
    AgentKind.SALES: frozenset(p for p in Purpose if p.is_marketing),
    AgentKind.SUPPORT: frozenset(p for p in Purpose if not p.is_marketing and p != Purpose.INBOUND),
}
#: How long an empty room lives (seconds) before the server closes it.
EMPTY_TIMEOUT_S = 300


class BadDispatch(InvalidInput):
    """Dispatch metadata no worker can act on; the message says what is wrong (a 4xx in the gateway)."""

    code = "bad_dispatch"


def agent_name(kind: AgentKind | str) -> str:
    """The registered agent name for a kind (`hero365-personal`, ...)."""
    return AGENT_NAMES[_kind(kind)]


def kind_for_agent_name(name: str) -> AgentKind:
    """The agent kind a registered name stands for, or BadDispatch."""
    for kind, registered in AGENT_NAMES.items():
        if registered == name:
            return kind
    raise BadDispatch(f"{name!r} is not a Hero365 agent; expected one of {', '.join(AGENT_NAMES.values())}.")


def _kind(kind: AgentKind | str) -> AgentKind:
    try:
        return AgentKind(kind)
    except ValueError:
        raise BadDispatch(f"{kind!r} is not an agent kind; expected one of "
                          f"{', '.join(k.value for k in AgentKind)}.") from None


class DispatchMetadata(BaseModel):
    """What a worker needs to start one conversation: the business, the agent, and whom it acts for.

    - personal: `user_id` (a member of the business; their role decides what they may do).
    - sales / support: `contact_id` and `purpose` (the calling agent is bound to that one contact).
    - receptionist: `caller_phone`; when a SIP dispatch rule can't know it, the worker takes it from the
      caller's `sip.phoneNumber` attribute instead.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    business_id: PositiveInt
    kind: AgentKind
    user_id: PositiveInt | None = None
    contact_id: PositiveInt | None = None
    purpose: Purpose | None = None
    caller_phone: str | None = None
    #: Names the room and the conversation record; a fresh one per session unless the gateway has one.
    session_id: str = Field(default_factory=lambda: uuid.uuid4().hex, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    channel: Literal["web", "phone"] | None = None
    driving: bool = False

    @field_validator("caller_phone")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalize_phone(value)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None

    @model_validator(mode="after")
    def _fits_kind(self) -> Self:
        kind, problems = self.kind, []
        allowed = {AgentKind.PERSONAL: {"user_id"}, AgentKind.SALES: {"contact_id", "purpose"},
                   AgentKind.SUPPORT: {"contact_id", "purpose"},
                   AgentKind.RECEPTIONIST: {"caller_phone", "purpose"}}[kind]
        for field in ("user_id", "contact_id", "purpose", "caller_phone"):
            if getattr(self, field) is not None and field not in allowed:
                problems.append(f"a {kind.value} agent takes no {field}")
        if kind == AgentKind.PERSONAL and self.user_id is None:
            problems.append("a personal agent needs the user_id it works for")
        if kind in CALL_PURPOSES:
            if self.contact_id is None:
                problems.append(f"a {kind.value} call needs the contact_id it is about")
            if self.purpose is None:
                problems.append(f"a {kind.value} call needs a purpose")
            elif self.purpose not in CALL_PURPOSES[kind]:
                fits = ", ".join(sorted(p.value for p in CALL_PURPOSES[kind]))
                problems.append(f"{self.purpose.value} is not a {kind.value} purpose (use one of {fits})")
        if kind == AgentKind.RECEPTIONIST and self.purpose not in (None, Purpose.INBOUND):
            problems.append("the receptionist only answers inbound calls")
        if problems:
            raise ValueError("; ".join(problems))
        if self.channel is None:  # frozen: set the derived default once, here
            object.__setattr__(self, "channel", "web" if kind == AgentKind.PERSONAL else "phone")
        return self

    def to_json(self) -> str:
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def from_json(cls, raw: str | bytes | None) -> DispatchMetadata:
        """Parse a job's metadata; empty, malformed or inconsistent metadata is a BadDispatch."""
        if not raw:
            raise BadDispatch("The job carries no dispatch metadata (business_id and kind are required).")
        try:
            return cls.model_validate_json(raw)
        except ValidationError as exc:
            raise BadDispatch(_describe(exc)) from None

    @classmethod
    def parse(cls, data: DispatchMetadata | Mapping[str, Any] | str | bytes) -> DispatchMetadata:
        """Accept a model, a dict (from the gateway) or JSON; anything invalid is a BadDispatch."""
        if isinstance(data, DispatchMetadata):
            return data
        if isinstance(data, str | bytes):
            return cls.from_json(data)
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise BadDispatch(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"])
        msg = str(error["msg"]).removeprefix("Value error, ").rstrip(".")
        parts.append(f"{where}: {msg}" if where else msg)
    return "Bad dispatch metadata: " + "; ".join(parts) + "."


def livekit_api(settings: Settings | None = None) -> lk.LiveKitAPI:
    """A LiveKit server API client from settings, or NotConfigured saying which settings are missing."""
    url, key, secret = livekit_credentials(settings or get_settings())
    return lk.LiveKitAPI(url=url, api_key=key, api_secret=secret)


def livekit_credentials(settings: Settings) -> tuple[str, str, str]:
    missing = [name.upper() for name in ("livekit_url", "livekit_api_key", "livekit_api_secret")
               if not getattr(settings, name)]
    if missing:
        raise NotConfigured(f"No LiveKit server is configured: set {', '.join(missing)}.")
    return settings.livekit_url, settings.livekit_api_key, settings.livekit_api_secret  # type: ignore[return-value]


def room_name_for(metadata: DispatchMetadata) -> str:
    """One room per session, named so an operator can tell whose it is without reading metadata."""
    return f"hero365-b{metadata.business_id}-{metadata.kind.value}-{metadata.session_id}"


async def dispatch_agent(api: lk.LiveKitAPI, room: str, kind: AgentKind | str,
                         metadata: DispatchMetadata | Mapping[str, Any] | str) -> lk.AgentDispatch:
    """Send the `kind` agent into `room` with this job metadata; everything is validated before any request."""
    meta = DispatchMetadata.parse(metadata)
    wanted = _kind(kind)
    if meta.kind != wanted:
        raise BadDispatch(f"The metadata is for a {meta.kind.value} agent, not a {wanted.value} agent.")
    if not room.strip():
        raise BadDispatch("A dispatch needs a room name.")
    request = lk.CreateAgentDispatchRequest(agent_name=AGENT_NAMES[wanted], room=room, metadata=meta.to_json())
    return await api.agent_dispatch.create_dispatch(request)


class RoomSession(TypedDict):
    """What a client needs to join: the room, its own token, the server URL; and the dispatch made."""

    room_name: str
    access_token: str
    url: str
    agent_name: str
    dispatch_id: str


async def create_room_and_token(api: lk.LiveKitAPI, metadata: DispatchMetadata | Mapping[str, Any] | str, *,
                                identity: str | None = None, name: str = "", settings: Settings | None = None,
                                ttl: timedelta = timedelta(hours=1)) -> RoomSession:
    """A fresh room for one session, the agent dispatched into it, and a join token for the person.

    The token only joins that room. If the dispatch fails the room is deleted again, so a failed start
    leaves nothing behind.
    """
    meta = DispatchMetadata.parse(metadata)
    url, key, secret = livekit_credentials(settings or get_settings())
    identity = identity or (f"user-{meta.user_id}" if meta.user_id is not None else None)
    if not identity:
        raise BadDispatch("Who joins the room? Give an identity (only a personal session has a user to name).")
    room_name = room_name_for(meta)
    token = (lk.AccessToken(key, secret).with_identity(identity).with_name(name).with_ttl(ttl)
             .with_grants(lk.VideoGrants(room_join=True, room=room_name, can_publish=True, can_subscribe=True,
                                         can_publish_data=True))
             .to_jwt())
    room = await api.room.create_room(lk.CreateRoomRequest(name=room_name, empty_timeout=EMPTY_TIMEOUT_S))
    try:
        dispatch = await dispatch_agent(api, room.name or room_name, meta.kind, meta)
    except BaseException:
        with suppress(Exception):
            await api.room.delete_room(lk.DeleteRoomRequest(room=room.name or room_name))
        raise
    return RoomSession(room_name=room.name or room_name, access_token=token, url=_client_url(url),
                       agent_name=dispatch.agent_name, dispatch_id=dispatch.id)


def _client_url(url: str) -> str:
    """Clients connect over WebSocket; the API may be configured with its http(s) address."""
    for http, ws in (("https://", "wss://"), ("http://", "ws://")):
        if url.startswith(http):
            return ws + url[len(http):]
    return url
