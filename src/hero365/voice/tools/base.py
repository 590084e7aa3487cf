"""The tool layer's shared machinery.

- Every tool returns JSON: `say` (a sentence fit to be spoken) plus structured data.
- Domain errors come back as `say` sentences with an error code, never as stack traces.
- Critical changes are proposed first: the change is run in a transaction that is rolled back (so every rule
  is checked and the summary is exact), parked as the session's pending action, and run for real only by
  `confirm_action` in a later user turn. Both brains obey it because it is code, not a prompt.
- Every change runs under an idempotency key (the tool call id) stored in the same transaction, so a
  retried or duplicated call returns the first result instead of writing twice.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from livekit.agents import RunContext
from sqlalchemy.exc import IntegrityError

from ...erp.domain.errors import DomainError, InvalidInput
from ...erp.domain.messages import IdempotencyRecord
from ...erp.domain.money import to_cents
from ...erp.domain.tenancy import Actor
from ...erp.store.uow import UnitOfWork
from ..state import PendingAction, SessionState

Ctx = RunContext[SessionState]


def _memoise_tool_models() -> None:
    """LiveKit builds a pydantic model from a tool's signature on every call (about 4 ms each, the largest
    part of a text turn). The model is a pure function of the tool definition, and our tools are module-level
    singletons, so it is built once per tool. Call sites look the name up in the module at call time."""
    from livekit.agents.llm import utils as llm_utils

    original = llm_utils.function_arguments_to_pydantic_model
    if getattr(original, "cache_info", None) is None:
        llm_utils.function_arguments_to_pydantic_model = functools.lru_cache(maxsize=512)(original)


_memoise_tool_models()
F = TypeVar("F", bound=Callable[..., Awaitable[str]])


def reply(say: str, **data: Any) -> str:
    return json.dumps({"say": say, **{k: v for k, v in data.items() if v is not None}}, default=str)


def speakable(fn: F) -> F:
    """Turn domain errors into spoken sentences and record every call (name, arguments, outcome, time)."""

    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> str:
        ctx = next((a for a in args if isinstance(a, RunContext)), kwargs.get("context"))
        if ctx is not None and fn.__name__ not in ("confirm_action", "cancel_action"):
            # A change is confirmed only as the answer to its own question: any other request in between
            # (a read, a new proposal, a correction that failed) drops it, so a later "yes" can't carry it out.
            ctx.userdata.pending = None
        started = time.perf_counter()
        try:
            out = await fn(*args, **kwargs)
            error = None
        except DomainError as exc:
            out = reply(exc.message, error=exc.code, options=exc.details.get("options"))
            error = exc.code
        if ctx is not None and ctx.userdata.recorder is not None:
            ctx.userdata.recorder.tool(fn.__name__, ctx.function_call.arguments, out, error,
                                       time.perf_counter() - started)
        return out

    return wrapper  # type: ignore[return-value]


ActionRun = Callable[[UnitOfWork, Actor, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Action:
    """A change: `run` does it and returns data; `ask` phrases the proposal; `done` the result."""

    name: str
    run: ActionRun
    ask: Callable[[dict[str, Any]], str]
    done: Callable[[dict[str, Any]], str]


ACTIONS: dict[str, Action] = {}


def action(name: str, ask: Callable[[dict[str, Any]], str] | None = None,
           done: Callable[[dict[str, Any]], str] | None = None) -> Callable[[ActionRun], ActionRun]:
    def register(run: ActionRun) -> ActionRun:
        ACTIONS[name] = Action(name, run, ask or (lambda d: d["ask"]), done or (lambda d: d["done"]))
        return run

    return register


class _Rollback(Exception):
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data


async def dry_run(state: SessionState, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run an action in a transaction that is always rolled back: every rule checked, nothing kept."""
    try:
        async with state.store.uow(state.business_id) as uow:
            raise _Rollback(await ACTIONS[name].run(uow, state.actor, args))
    except _Rollback as done:
        return done.data


async def perform(state: SessionState, name: str, args: dict[str, Any], key: str) -> dict[str, Any]:
    """Run an action once per key: the result is stored with the change, in the same transaction."""
    for attempt in range(2):
        try:
            async with state.store.uow(state.business_id) as uow:
                seen = await uow.idempotency.find(key)
                if seen is not None:
                    return {**json.loads(seen.result), "replayed": True}
                data = await ACTIONS[name].run(uow, state.actor, args)
                uow.idempotency.add(IdempotencyRecord(business_id=state.business_id, key=key[:200], operation=name,
                                                      result=json.dumps(data, default=str),
                                                      created_at=state.store.clock()))
            return data
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def user_turn(ctx: Ctx) -> int:
    """How many times the user has spoken in this session (a confirmation must come in a later turn)."""
    return sum(1 for item in ctx.session.history.items if item.type == "message" and item.role == "user")


async def propose(ctx: Ctx, name: str, args: dict[str, Any]) -> str:
    """Check the change and park it as the pending action; it runs only on a later confirm."""
    state = ctx.userdata
    data = await dry_run(state, name, args)
    question = ACTIONS[name].ask(data)
    state.pending = PendingAction(name=name, args=args, question=question, key=ctx.function_call.call_id,
                                  turn=user_turn(ctx))
    return reply(f"{question} Shall I go ahead?", pending={"action": name, "summary": question}, data=data)


async def act(ctx: Ctx, name: str, args: dict[str, Any]) -> str:
    """Run a change that needs no confirmation (a note, a status), once per tool call."""
    data = await perform(ctx.userdata, name, args, ctx.function_call.call_id)
    ctx.userdata.focus.update({k: v for k, v in data.items() if k in ("job", "customer", "invoice", "estimate",
                                                                        "project", "contact_id")})
    return reply(ACTIONS[name].done(data), data=data)


def in_focus(ctx: Ctx, kind: str, number: int | None, customer: str | None) -> int | None:
    """The record a request is about: the number said, else (when no customer was named either) the one the
    conversation is about ("send it", "how's it going"). A named customer always wins over the focus."""
    if number is not None or customer:
        return number
    return ctx.userdata.focus.get(kind)


# --- argument parsing: tools accept what the contract's slots carry, and say clearly what they can't use ---

def parse_date_arg(value: str | None) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"I didn't understand the date {value}.") from None


def parse_time_arg(value: str | None) -> tuple[int, int] | None:
    if value in (None, ""):
        return None
    try:
        hour, minute = (int(p) for p in str(value).split(":")[:2])
    except ValueError:
        raise InvalidInput(f"I didn't understand the time {value}.") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise InvalidInput(f"I didn't understand the time {value}.")
    return hour, minute


def cents_arg(amount: float | int | str | None) -> int | None:
    """Dollars from a tool argument to cents, through Decimal (the float's shortest repr, never its binary)."""
    if amount in (None, ""):
        return None
    try:
        value = Decimal(repr(amount)) if isinstance(amount, float) else Decimal(str(amount).replace(",", ""))
    except InvalidOperation:
        raise InvalidInput(f"I didn't understand the amount {amount}.") from None
    return to_cents(value)


async def start_from(uow: UnitOfWork, day: str | None, at: str | None, default_hour: int | None = None
                     ) -> datetime | None:
    """A date and a time (either may be missing) as an aware datetime in the business's zone."""
    from datetime import time as dtime
    from datetime import timedelta

    from ...erp.services.common import local_now

    d, t = parse_date_arg(day), parse_time_arg(at)
    if d is None and t is None:
        return None
    now = await local_now(uow)
    if d is None:
        d = now.date()
        if t is not None and dtime(*t) <= now.time():
            d += timedelta(days=1)
    if t is None:
        if default_hour is None:
            raise InvalidInput("What time?")
        t = (default_hour, 0)
    return datetime.combine(d, dtime(*t), now.tzinfo)


async def spoken_list(ctx: Ctx, intro: str, lines: list[str], empty: str, limit: int = 5) -> tuple[str, bool]:
    """Read a list aloud; in driving mode only the first two, and text the whole list to the user's phone."""
    if not lines:
        return empty, False
    state = ctx.userdata
    short = 2 if state.driving else limit
    if len(lines) <= short:
        return f"{intro} {' '.join(lines)}", False
    rest = len(lines) - short
    head = f"{intro} {' '.join(lines[:short])}"
    if state.driving and await text_to_user(state, intro + "\n" + "\n".join(lines)):
        return f"{head} I'll text you the other {rest}.", True
    return f"{head} And {rest} more.", False


async def text_to_user(state: SessionState, body: str) -> bool:
    """Queue an SMS to the acting user's own phone (outbox); False when they have no phone on file."""
    from ...erp.domain.messages import Channel, OutboxMessage

    if state.actor.user_id is None:
        return False
    async with state.store.uow(state.business_id) as uow:
        user = await uow.directory.user(state.actor.user_id)
        if user is None or not user.phone:
            return False
        uow.outbox.add(OutboxMessage(business_id=state.business_id, channel=Channel.SMS, to=user.phone, body=body,
                                     related="assistant:list", created_at=state.store.clock()))
    return True
