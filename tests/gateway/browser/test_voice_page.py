"""The web voice page in a real headless Chromium: sign in with a token, speak a recorded command through the
fake microphone (press to talk), then type a command and confirm it with the Yes button; the page shows the
transcript, each tool call, the pending confirmation and the replies, and the rows change in the database."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from cdp import chromium, chromium_path

from hero365.erp.domain.jobs import JobStatus
from hero365.erp.store import tables as t

pytestmark = [pytest.mark.parametrize("store", ["sqlite"], indirect=True), pytest.mark.timeout(150)]
SCREENSHOT = Path(os.environ.get("HERO365_SCREENSHOT", "/tmp/hero365-voice-page.png"))


VISIBLE = "(s => getComputedStyle(document.querySelector(s)).display !== 'none')"


def log_texts(kind: str) -> str:
    return f"[...document.querySelectorAll('#log li.{kind}')].map(li => li.textContent)"


async def test_the_page_speaks_and_types_to_the_agent(voice_server, voice_app, world, customers, job_one, token,
                                                      tmp_path: Path) -> None:
    if chromium_path() is None:
        pytest.skip("chromium is not installed (./run test installs it with apt-get)")
    from speech import spoken_wav

    wav = await spoken_wav(f"mark job {'one' if job_one == 1 else job_one} done", tmp_path / "command.wav")
    tok = token(world.owner)
    async with chromium(tmp_path / "profile", fake_mic_wav=wav) as page:
        await page.goto(f"http://{voice_server}/voice?token={tok}")
        await page.wait_for("document.querySelector('#who').textContent.startsWith('signed in')")
        assert await page.eval("location.search") == "", "the token is taken out of the address bar"
        assert not await page.eval(f"{VISIBLE}('#pending')"), "nothing is pending yet"

        # --- the microphone: hold the button while the recorded command plays, then let go
        await page.hold("#talk", seconds=3.2)
        spoken = await page.wait_for(f"(() => {{ const s = {log_texts('user.spoken')}; return s.length && s; }})()",
                                     within_s=40)
        assert "job" in spoken[0].lower() and "done" in spoken[0].lower()
        await page.wait_for(f"{log_texts('tool')}.some(t => t.includes('update_job_status'))")
        reply = await page.wait_for(f"{log_texts('assistant')}.find(t => t.includes('Job {job_one}'))")
        assert "Job" in reply
        async with world.store.uow(world.business_id) as uow:
            assert (await uow.jobs.by_number(job_one)).status == JobStatus.COMPLETED

        # --- the text box: a proposal, shown as pending, confirmed with the Yes button
        await page.type("#text", "create a job for maria garcia to replace the water heater friday at 10")
        await page.click("#send")
        summary = await page.wait_for(f"{VISIBLE}('#pending') && "
                                      "document.querySelector('#pending-summary').textContent")
        assert "Maria Garcia" in summary
        await page.wait_for(f"{log_texts('tool.proposed')}.some(t => t.includes('create_job'))")
        assert await _jobs(world) == 1
        await page.click("#yes")
        booked = await page.wait_for(f"{log_texts('assistant')}.find(t => t.includes('is booked for Maria Garcia'))")
        await page.wait_for(f"!{VISIBLE}('#pending')")
        await page.eval("window.scrollTo(0, document.body.scrollHeight)")
        await page.screenshot(SCREENSHOT)
        assert not [line for line in page.console if line.startswith("EXCEPTION")], page.console
    assert await _jobs(world) == 2
    number = int(booked.split("Job ")[1].split()[0])
    async with world.store.uow(world.business_id) as uow:
        job = await uow.jobs.by_number(number)
        assert job.contact_id == customers["Maria Garcia"]
        assert job.scheduled_start.isoformat().startswith("2026-11-27T16:00")
    assert (await asyncio.to_thread(SCREENSHOT.stat)).st_size > 10_000


async def _jobs(world) -> int:  # type: ignore[no-untyped-def]
    async with world.store.engine.connect() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(t.jobs).where(
            t.jobs.c.business_id == world.business_id))).scalar_one())
