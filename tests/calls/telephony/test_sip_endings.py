"""How outbound calls end on the local SIP trunk, against sipp scenarios (real SIP over UDP on 127.0.0.1)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sip_peers import free_range

from hero365.calls.telephony.base import CallNotConnected, CallState, DialRequest
from hero365.calls.telephony.local_sip import LocalSipTrunk, final_state, parse_sip_uri

pytestmark = pytest.mark.timeout(60)


def request(to: str, ring_timeout_s: float = 10.0) -> DialRequest:
    return DialRequest(attempt_id=7, business_id=1, to=to, ring_timeout_s=ring_timeout_s)


@pytest.mark.parametrize(("scenario", "code", "state"), [
    ("busy.xml", 486, CallState.BUSY),
    ("unavailable.xml", 480, CallState.NO_ANSWER),
    ("service_unavailable.xml", 503, CallState.FAILED),
])
async def test_a_refused_call_ends_in_its_state_and_the_refusal_is_acked(
        sipp: Any, trunk: LocalSipTrunk, scenario: str, code: int, state: CallState) -> None:
    peer = sipp(scenario)
    events: list[Any] = []
    with pytest.raises(CallNotConnected) as refused:
        await trunk.dial(request(f"sip:alice@127.0.0.1:{peer.port}"), events.append)
    assert refused.value.event.state == state and refused.value.event.sip_code == code
    assert [e.state for e in events] == [CallState.DIALING, state]
    assert await asyncio.to_thread(peer.wait, 10) == 0  # sipp got its ACK: the scenario completed


async def test_a_phone_nobody_picks_up_is_cancelled_at_the_ring_timeout(sipp: Any, trunk: LocalSipTrunk) -> None:
    peer = sipp("no_answer.xml")
    events: list[Any] = []
    with pytest.raises(CallNotConnected) as unanswered:
        await trunk.dial(request(f"sip:alice@127.0.0.1:{peer.port}", ring_timeout_s=1.5), events.append)
    assert unanswered.value.event.state == CallState.NO_ANSWER
    assert [e.state for e in events] == [CallState.DIALING, CallState.RINGING, CallState.NO_ANSWER]
    assert await asyncio.to_thread(peer.wait, 10) == 0  # CANCEL sent, 487 received and ACKed


async def test_the_callee_hanging_up_mid_call_completes_the_leg(sipp: Any, trunk: LocalSipTrunk) -> None:
    peer = sipp("hangup_midcall.xml", "-rtp_echo")
    leg = await trunk.dial(request(f"sip:alice@127.0.0.1:{peer.port}"))
    ended = await asyncio.wait_for(leg.wait_ended(), 10)
    assert ended.state == CallState.COMPLETED and ended.reason == "remote hangup"
    assert leg.audio_input.heard_s > 0.5  # sipp echoed our RTP back while the call lasted
    assert not trunk._legs
    assert await asyncio.to_thread(peer.wait, 10) == 0  # our 200 OK to its BYE arrived


async def test_we_hang_up_with_bye(sipp: Any, trunk: LocalSipTrunk) -> None:
    peer = sipp("hangup_midcall.xml", "-rtp_echo")
    leg = await trunk.dial(request(f"sip:alice@127.0.0.1:{peer.port}"))
    await leg.hangup("done")
    assert (await leg.wait_ended()).state == CallState.COMPLETED
    await leg.hangup("twice is harmless")


async def test_digest_auth_answers_the_trunks_challenge(sipp: Any) -> None:
    peer = sipp("auth.xml")
    good = await LocalSipTrunk(bind_port=0, rtp_ports=free_range(8), username="hero", password="s3cret").start()
    try:
        leg = await good.dial(request(f"sip:alice@127.0.0.1:{peer.port}"))
        assert (await asyncio.wait_for(leg.wait_ended(), 10)).state == CallState.COMPLETED
    finally:
        await good.aclose()
    assert await asyncio.to_thread(peer.wait, 10) == 0


async def test_wrong_credentials_fail_the_call(sipp: Any) -> None:
    peer = sipp("auth.xml")
    bad = await LocalSipTrunk(bind_port=0, rtp_ports=free_range(8), username="hero", password="wrong").start()
    try:
        with pytest.raises(CallNotConnected) as refused:
            await bad.dial(request(f"sip:alice@127.0.0.1:{peer.port}"))
    finally:
        await bad.aclose()
    assert refused.value.event.state == CallState.FAILED and refused.value.event.sip_code == 403


async def test_a_number_without_a_configured_trunk_fails_with_the_reason() -> None:
    trunk = await LocalSipTrunk(bind_port=0, trunk_uri="", rtp_ports=free_range(4)).start()
    try:
        with pytest.raises(CallNotConnected) as failed:
            await trunk.dial(request("+15125550101"))
    finally:
        await trunk.aclose()
    assert failed.value.event.state == CallState.FAILED and "SIP_TRUNK_URI" in (failed.value.event.reason or "")


def test_numbers_go_to_the_trunk_and_sip_uris_straight_to_their_host() -> None:
    trunk = LocalSipTrunk(trunk_uri="sip:pbx.example.com:5080")
    assert trunk.target("(512) 555-0101") == ("sip:5125550101@pbx.example.com:5080", "pbx.example.com", 5080)
    assert trunk.target("+15125550101")[0] == "sip:+15125550101@pbx.example.com:5080"
    assert trunk.target("sip:bob@10.0.0.9")[1:] == ("10.0.0.9", 5060)
    assert parse_sip_uri("<sip:+1512@127.0.0.1:5070;transport=udp>") == ("+1512", "127.0.0.1", 5070)
    with pytest.raises(ValueError):
        trunk.target("nobody")


@pytest.mark.parametrize(("code", "state"), [(486, CallState.BUSY), (600, CallState.BUSY), (603, CallState.BUSY),
                                             (408, CallState.NO_ANSWER), (487, CallState.NO_ANSWER),
                                             (404, CallState.FAILED), (500, CallState.FAILED)])
def test_sip_codes_map_to_attempt_states(code: int, state: CallState) -> None:
    assert final_state(code) == state


async def test_a_line_that_goes_silent_is_a_dropped_call(sipp: Any) -> None:
    peer = sipp("silent.xml")
    trunk = await LocalSipTrunk(bind_port=0, rtp_ports=free_range(8), rtp_timeout_s=1.0).start()
    try:
        leg = await trunk.dial(request(f"sip:alice@127.0.0.1:{peer.port}"))
        ended = await asyncio.wait_for(leg.wait_ended(), 10)
    finally:
        await trunk.aclose()
    assert ended.state == CallState.FAILED and "no RTP" in (ended.reason or "")
    assert await asyncio.to_thread(peer.wait, 10) == 0  # it got our BYE


async def test_a_call_is_transferred_to_a_person_with_refer(sipp: Any, trunk: LocalSipTrunk) -> None:
    peer = sipp("transfer.xml", "-rtp_echo")
    leg = await trunk.dial(request(f"sip:alice@127.0.0.1:{peer.port}"))
    await leg.transfer("+15125550000")
    ended = await asyncio.wait_for(leg.wait_ended(), 10)
    assert ended.state == CallState.COMPLETED and ended.reason == "remote hangup"
    assert await asyncio.to_thread(peer.wait, 10) == 0  # sipp checked the REFER's Refer-To and got its BYE answered
