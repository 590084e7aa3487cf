"""One reminder call end to end through the dialer: compliance, claim, the local SIP trunk, a real SIP phone
(baresip) as the customer saying "yes, that still works", the calling agent on the line (the bridge), and the
outcome written back: the attempt's state and outcome, the job confirmed, the interaction linked to the job.
(The SIP phone helpers are the telephony tests', imported from tests/calls/telephony/sip_peers.py.)"""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent / "telephony"))
from sip_peers import Baresip, agent_quiet, free_range, say

from hero365.calls import repo
from hero365.calls.attempts import AttemptState
from hero365.calls.campaigns import place_call
from hero365.calls.conversation import AgentConversation
from hero365.calls.dialer import CallResult, Dialer
from hero365.voice.state import Purpose

pytestmark = pytest.mark.timeout(180)


class CustomerOnThePhone:
    """The agent's conversation, with the customer answering its question once it has finished asking."""

    def __init__(self, agent: AgentConversation, phone: Baresip, answer: Path) -> None:
        self.agent, self.phone, self.answer = agent, phone, answer

    async def __call__(self, leg: Any, call: Any) -> CallResult:
        talk = asyncio.create_task(self.agent(leg, call))
        spoken = await agent_quiet(leg.audio_output, after_frames=0)  # disclosure + "Does that still work?"
        await self.phone.play(self.answer)
        await agent_quiet(leg.audio_output, after_frames=spoken)  # "Great, you're confirmed for ..."
        await self.phone.command("hangup")
        return await asyncio.wait_for(talk, 30)


async def test_a_reminder_call_confirms_the_job_and_records_the_outcome(world, customers, tmp_path: Path) -> None:
    missing = [tool for tool in ("baresip", "espeak-ng") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed: no SIP phone to call")
    from hero365.calls.telephony.local_sip import LocalSipTrunk

    settings = world.store.settings.model_copy(update={"tts": "espeak"})
    hello = say("Hello?", tmp_path / "hello.wav", after=60)
    yes = say("Yes, that still works.", tmp_path / "yes.wav", before=0.2, after=60)
    phone = Baresip(tmp_path / "phone", hello).start()
    trunk = await LocalSipTrunk(settings, bind_host="127.0.0.1", bind_port=0, rtp_ports=free_range(40)).start()
    try:
        aid = await place_call(world.store, world.office, purpose=Purpose.APPOINTMENT_REMINDER,
                               contact_id=customers.with_job.id, to=phone.uri)
        dialer = Dialer(world.store, trunk, worker_id="e2e", settings=settings,
                        conversation=CustomerOnThePhone(AgentConversation(world.store, settings), phone, yes))
        seen: list[str] = []
        dialer.watch = lambda _aid, state, _values: seen.append(state.value)
        report = await dialer.run(world.business_id, aid)
    finally:
        await trunk.aclose()
        phone.stop()
    assert report.state == AttemptState.COMPLETED, report
    assert seen == ["dialing", "ringing", "answered", "completed"]
    async with world.store.uow(world.business_id) as uow:
        row = await repo.attempt(uow, aid)
        job = await uow.jobs.by_number(customers.job_number)
        notes = await uow.contacts.interactions(customers.with_job.id)
    assert (row["state"], row["outcome"], row["sip_code"]) == ("completed", "confirmed", 200)
    assert job.confirmed_at is not None
    assert any(n.summary == "Automated appointment reminder call: confirmed" and n.job_id == job.id for n in notes)
