"""Real SIP endings through the dialer and the local SIP trunk, against sipp scenarios on 127.0.0.1: busy (486),
ringing with no answer (our ring timeout, CANCEL), and a callee who answers and hangs up mid-call. Each ends in
the right attempt state, and the retry policy follows (or doesn't)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from calls_helpers import Recorded, wait_udp_bound

from hero365.calls import repo
from hero365.calls.attempts import AttemptState
from hero365.calls.audiences import Audience, AudienceKind
from hero365.calls.campaigns import create_campaign, start_campaign
from hero365.calls.dialer import Dialer, LineCheck
from hero365.voice.state import Purpose

SCENARIOS = Path(__file__).parent / "scenarios"
pytestmark = pytest.mark.timeout(60)


def _port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def sipp(scenario: str, tmp: Path):
    if not shutil.which("sipp"):
        pytest.skip("sipp (Debian sip-tester) is not installed: no SIP peer for this test")
    port = _port()
    proc = subprocess.Popen(["sipp", "-sf", str(SCENARIOS / scenario), "-i", "127.0.0.1", "-p", str(port),
                             "-mp", str(_port()), "-nostdin", "-trace_msg", "-message_file", str(tmp / "msg.log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp)
    try:
        wait_udp_bound(port)
        yield port
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        if proc.poll() is None:
            proc.kill()


async def _one_call(world, customers, tmp_path: Path, scenario: str) -> tuple[object, list[dict], float]:
    from hero365.calls.telephony.local_sip import LocalSipTrunk

    cid = await create_campaign(world.store, world.office, name=scenario, purpose=Purpose.APPOINTMENT_REMINDER,
                                hours=(8, 21), max_attempts=2, backoff={"busy": 0, "no_answer": 0},
                                audience=Audience(kind=AudienceKind.CONTACTS, contact_ids=[customers.with_job.id]))
    queue = Recorded()
    await start_campaign(world.store, world.office, cid, queue)
    with sipp(scenario, tmp_path) as port:
        low = 42000 + (_port() % 400) * 10
        trunk = LocalSipTrunk(world.store.settings, bind_port=0, trunk_uri=f"sip:127.0.0.1:{port}",
                              rtp_ports=(low, low + 9))
        dialer = Dialer(world.store, trunk, worker_id="sip-test", conversation=LineCheck(hold_s=5.0),
                        ring_timeout_s=1.5)
        started = time.monotonic()
        try:
            report = await dialer.run(world.business_id, queue.entries[0][1])
        finally:
            took = time.monotonic() - started
            await trunk.aclose()
    async with world.store.uow(world.business_id) as uow:
        rows = await repo.attempts(uow, campaign_id=cid)
    return report, rows, took


async def test_busy_is_busy_and_retried(world, customers, tmp_path: Path) -> None:
    report, rows, _ = await _one_call(world, customers, tmp_path, "busy.xml")
    assert report.state == AttemptState.BUSY
    assert [(r["attempt_no"], r["state"], r["sip_code"]) for r in rows] == [(1, "busy", 486), (2, "queued", None)]
    assert rows[0]["invite_at"] is not None and rows[0]["answered_at"] is None


async def test_ringing_without_an_answer_is_no_answer_and_retried(world, customers, tmp_path: Path) -> None:
    report, rows, _ = await _one_call(world, customers, tmp_path, "no_answer.xml")
    assert report.state == AttemptState.NO_ANSWER
    assert [(r["attempt_no"], r["state"]) for r in rows] == [(1, "no_answer"), (2, "queued")]
    assert "no answer" in (rows[0]["error"] or "")


async def test_a_callee_hanging_up_mid_call_completes_the_call_without_retry(world, customers,
                                                                               tmp_path: Path) -> None:
    report, rows, took = await _one_call(world, customers, tmp_path, "hangs_up.xml")
    assert report.state == AttemptState.COMPLETED
    [row] = rows
    assert (row["state"], row["sip_code"], row["outcome"]) == ("completed", 200, "no_result")
    assert took < 4.0, "the call ended when the callee hung up (after 0.5 s), not at the 5 s line-check hold"
