"""Fixtures for the calling tests: customers with and without jobs, and a scripted trunk.

The scripted trunk stands in for the phone line ONLY in the dialer-logic tests (state machine, retries,
opt-out): it speaks the telephony interface exactly (`Trunk.dial` -> `CallLeg` or `CallNotConnected`) and
records every dial, so "never dialled" is checked at the line. Real SIP peers are used in test_queue_redis.py.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from hero365.calls.telephony.base import (
    CallEvent,
    CallLeg,
    CallNotConnected,
    CallState,
    DialRequest,
    StateCallback,
    Trunk,
)
from hero365.erp.services import contacts as contact_svc
from hero365.erp.services import jobs as job_svc


class ScriptedLeg(CallLeg):
    def __init__(self, to: str, digits: str = "") -> None:
        self.call_id, self.remote = f"leg-{to}", to
        self.digits = digits
        self.hung_up = asyncio.Event()

    async def press(self) -> None:
        for d in self.digits:
            cb = getattr(self, "_dtmf", None)
            if cb is not None:
                out = cb(d)
                if asyncio.iscoroutine(out):
                    await out

    async def hangup(self, reason: str = "normal") -> None:
        self.hung_up.set()

    async def wait_ended(self) -> CallEvent:
        await self.hung_up.wait()
        return CallEvent(CallState.COMPLETED, time.time())


@dataclass
class ScriptedTrunk(Trunk):
    """`script[number]` is a list of what happens on each dial: 'answer', 'answer:9' (caller presses 9),
    'busy', 'no_answer', 'failed'. Unlisted numbers answer."""

    script: dict[str, list[str]] = field(default_factory=dict)
    dialed: list[str] = field(default_factory=list)
    name: str = "scripted"

    async def dial(self, request: DialRequest, on_state: StateCallback | None = None) -> CallLeg:
        self.dialed.append(request.to)
        plan = self.script.get(request.to) or ["answer"]
        step = plan.pop(0) if len(plan) > 1 else plan[0]
        if on_state:
            out = on_state(CallEvent(CallState.RINGING, time.time(), sip_code=180))
            if asyncio.iscoroutine(out):
                await out
        if step.startswith("answer"):
            return ScriptedLeg(request.to, step.partition(":")[2])
        state = {"busy": CallState.BUSY, "no_answer": CallState.NO_ANSWER, "failed": CallState.FAILED}[step]
        raise CallNotConnected(CallEvent(state, time.time(), sip_code={"busy": 486, "no_answer": 480}.get(step, 503)))


class PressesDigits:
    """A conversation in which the callee presses the leg's digits, then the call ends."""

    async def __call__(self, leg: Any, call: Any) -> Any:
        from hero365.calls.dialer import CallResult

        await leg.press()
        await leg.hangup()
        return CallResult()


class SaysOutcomes:
    def __init__(self, *outcomes: str, voicemail: bool = False) -> None:
        self.outcomes, self.voicemail = list(outcomes), voicemail

    async def __call__(self, leg: Any, call: Any) -> Any:
        from hero365.calls.dialer import CallResult

        await leg.hangup()
        return CallResult(outcomes=list(self.outcomes), voicemail=self.voicemail, voicemail_left=self.voicemail)


class Recorded:
    """A queue that only records what it was given (the tests then run the dialer by hand)."""

    def __init__(self) -> None:
        self.entries: list[tuple[int, int, Any]] = []

    async def enqueue(self, business_id: int, attempt_id: int, at: Any = None, tag: str = "") -> None:
        self.entries.append((business_id, attempt_id, at))

    async def aclose(self) -> None:
        pass


@pytest.fixture
def trunk() -> ScriptedTrunk:
    return ScriptedTrunk()


@dataclass
class Customers:
    with_job: Any  # Bob Johnson, Austin TX, a job tomorrow at 10
    no_relation: Any  # Mary Smith, Austin TX, nothing with the business
    new_yorker: Any  # Carlos Garcia, 212 number, no address, a job tomorrow
    job_number: int


@pytest.fixture
async def customers(world: Any, people: Any, local: Any) -> Customers:
    async with world.store.uow(world.business_id) as uow:
        job = await job_svc.create_job(uow, world.office, people.johnson.id, "Water heater check", local(24, 10), 60,
                                       world.tech.user_id)
        await job_svc.create_job(uow, world.office, people.garcia.id, "Drain cleaning", local(24, 13), 60,
                                 world.tech2.user_id)
    return Customers(with_job=people.johnson, no_relation=people.smith, new_yorker=people.garcia,
                     job_number=job.number)


async def give_consent(world: Any, contact_id: int) -> None:
    async with world.store.uow(world.business_id) as uow:
        await contact_svc.record_consent(uow, world.owner, contact_id, True, "web form, signed")


LATER = timedelta(hours=1)


def wait_udp_bound(port: int, limit_s: float = 5.0) -> None:
    """Wait until a peer process (sipp, baresip) has bound UDP `port` on 127.0.0.1: a SIP request sent
    before it listens is lost, and a busy machine can take over a second to start one."""
    import socket

    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return  # taken: the peer is listening
        time.sleep(0.05)
    raise TimeoutError(f"nothing bound UDP port {port} within {limit_s} s")
