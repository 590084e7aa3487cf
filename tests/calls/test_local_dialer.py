"""`hero365 dialer` without Redis: the database is the queue. A call the gateway queued is found by the poll and
placed over the local SIP trunk to a sipp UAS on 127.0.0.1; two polling dialers at once still ring each number
once (sipp's own log counts the INVITEs)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hero365.calls import repo
from hero365.calls.campaigns import place_call
from hero365.calls.dialer import LineCheck
from hero365.calls.queue import serve_local
from hero365.calls.telephony.local_sip import LocalSipTrunk
from hero365.voice.state import Purpose

pytestmark = pytest.mark.timeout(90)


def _port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def uas(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    if not shutil.which("sipp"):
        pytest.skip("sipp (Debian sip-tester) is not installed: no SIP peer for this test")
    port, log = _port(), tmp_path / "sipp.log"
    proc = subprocess.Popen(["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(port), "-mp", str(_port()),
                             "-nostdin", "-trace_msg", "-message_file", str(log)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        yield port, log
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        if proc.poll() is None:
            proc.kill()


def _invites(log: Path) -> int:
    text = log.read_text(errors="replace") if log.exists() else ""
    return sum(1 for line in text.splitlines() if line.startswith("INVITE sip:"))


async def _until_final(world, attempt_ids: list[int], limit_s: float = 30.0) -> list[dict]:
    rows: list[dict] = []
    for _ in range(int(limit_s / 0.1)):
        async with world.store.uow(world.business_id) as uow:
            rows = [r for r in await repo.attempts(uow) if r["id"] in attempt_ids]
        if rows and all(r["state"] not in ("queued", "dialing", "ringing", "answered") for r in rows):
            return rows
        await asyncio.sleep(0.1)
    raise AssertionError(f"calls not finished: {rows}")


def _dialer(world, port: int, stop: asyncio.Event) -> asyncio.Task[None]:
    settings = world.store.settings.model_copy(update={"dialer_sweep_seconds": 0.2})
    low = 46000 + (_port() % 300) * 10
    trunk = LocalSipTrunk(settings, bind_port=0, trunk_uri=f"sip:127.0.0.1:{port}", rtp_ports=(low, low + 9))
    return asyncio.get_running_loop().create_task(serve_local(
        settings, 4, store=world.store, trunk=trunk, conversation=LineCheck(hold_s=0.1), stop=stop))


async def test_a_call_the_gateway_queued_is_placed_by_a_dialer_polling_the_database(world, customers, uas) -> None:
    port, log = uas
    aid = await place_call(world.store, world.office, purpose=Purpose.APPOINTMENT_REMINDER,
                           contact_id=customers.with_job.id)
    stop = asyncio.Event()
    dialer = _dialer(world, port, stop)
    try:
        [row] = await _until_final(world, [aid])
    finally:
        stop.set()
        await asyncio.wait_for(dialer, 10)
    assert (row["state"], row["sip_code"]) == ("completed", 200)
    assert _invites(log) == 1


async def test_two_polling_dialers_ring_each_number_once(world, customers, uas) -> None:
    port, log = uas
    ids = [await place_call(world.store, world.office, purpose=Purpose.APPOINTMENT_REMINDER,
                            contact_id=customers.with_job.id, idempotency_key=f"k{i}") for i in range(3)]
    stop = asyncio.Event()
    dialers = [_dialer(world, port, stop), _dialer(world, port, stop)]
    try:
        rows = await _until_final(world, ids)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*dialers), 10)
    assert sorted(r["state"] for r in rows) == ["completed"] * 3
    assert _invites(log) == 3  # three attempts, three INVITEs: no attempt dialled by both dialers
