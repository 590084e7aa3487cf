"""The dashboard in a real headless Chromium: two real text conversations go through the gateway (one answered,
one whose tool call fails), then the owner's dashboard draws the charts from the analytics API, lists both
conversations, opens one's transcript with its tool call and timings, and a full-page screenshot is saved and
checked pixel by pixel (in the browser's own canvas) to be a drawn page, not a blank one."""

from __future__ import annotations

import asyncio
import base64
import os
from pathlib import Path

import pytest
from cdp import chromium, chromium_path

pytestmark = [pytest.mark.parametrize("store", ["sqlite"], indirect=True), pytest.mark.timeout(120)]
SCREENSHOT = Path(os.environ.get("HERO365_DASHBOARD_SCREENSHOT", "/tmp/hero365-dashboard.png"))
SEND = "/api/v1/voice-agents/personal/send-command"


async def _converse(client, auth, actor, text: str) -> str:  # type: ignore[no-untyped-def]
    r = await client.post(SEND, json={"text": text}, headers=auth(actor))
    assert r.status_code == 200, r.text
    session_id = str(r.json()["session_id"])
    r = await client.post(f"/api/v1/voice-agents/sessions/{session_id}/end", headers=auth(actor))
    assert r.status_code == 200, r.text
    return session_id


#: Counts the screenshot's colours in the page's own canvas: a blank page has one or two.
PIXELS = """(async (src) => {
  const img = new Image(); img.src = src; await img.decode();
  const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
  const g = c.getContext('2d'); g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  const colours = new Set(); let inked = 0;
  for (let i = 0; i < d.length; i += 16) {
    colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    if (d[i] + d[i + 1] + d[i + 2] < 600) inked++;
  }
  return {w: c.width, h: c.height, colours: colours.size, inked: inked / (d.length / 16)};
})"""


async def test_the_dashboard_shows_the_business_s_conversations(server, client, world, job_one, auth, token,
                                                                tmp_path: Path) -> None:
    if chromium_path() is None:
        pytest.skip("chromium is not installed (./run test installs it with apt-get)")
    answered = await _converse(client, auth, world.owner, "what's on my schedule today")
    failed = await _converse(client, auth, world.owner, "tell me about job 999")

    async with chromium(tmp_path / "profile") as page:
        await page.goto(f"http://{server}/dashboard?token={token(world.owner)}")
        loaded = await page.wait_for("document.body.dataset.loaded")
        assert loaded == "yes", await page.eval("document.querySelector('#error').textContent")
        assert await page.eval("location.search") == "", "the token is taken out of the address bar"

        kpis = await page.eval("[...document.querySelectorAll('.kpi')].map(k => [k.querySelector('.label')"
                               ".textContent, k.querySelector('.value').textContent])")
        assert dict(kpis)["Conversations"] == "2"
        assert dict(kpis)["Tool error rate"] == "50%"  # two tool calls, one failed (job 999)
        assert await page.eval("document.querySelectorAll('#chart-calls rect.bar').length") >= 1
        assert await page.eval("document.querySelectorAll('#chart-latency polyline').length") >= 2
        intents = await page.eval("[...document.querySelectorAll('#chart-intents .intent-label')]"
                                  ".map(t => t.textContent)")
        assert intents, "the intents chart has bars"
        stages = await page.eval("[...document.querySelectorAll('#stages tbody tr')]"
                                 ".map(tr => tr.cells[0].textContent)")
        assert stages[0].startswith("Reply") and "Tools" in stages, stages
        failed_items = await page.eval("[...document.querySelectorAll('#failed li')].map(li => li.textContent)")
        assert any("job 999" in item for item in failed_items), failed_items
        listed = await page.eval("[...document.querySelectorAll('#conversations tbody tr')]"
                                 ".map(tr => tr.dataset.session)")
        assert set(listed) == {answered, failed}

        row = f"#conversations tr[data-session='{answered}']"
        await page.eval(f"document.querySelector({row!r}).scrollIntoView({{block: 'center'}})")
        await page.click(row)
        said = await page.wait_for("(() => { const s = [...document.querySelectorAll('#transcript li.user')]"
                                   ".map(li => li.textContent); return s.length && s; })()")
        assert said[0].startswith("what's on my schedule today")
        assert "reply" in said[0], "the turn's timings are shown under what was said"
        tools = await page.eval("[...document.querySelectorAll('#transcript li.tool')].map(li => li.textContent)")
        assert tools and "(" in tools[0]
        await page.eval("document.querySelector('#transcript-card').scrollIntoView()")

        metrics = await page.send("Page.getLayoutMetrics")
        size = metrics["cssContentSize"]
        shot = await page.send("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                               clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        await asyncio.to_thread(SCREENSHOT.write_bytes, base64.b64decode(shot["data"]))
        pixels = await page.eval(f"({PIXELS})('data:image/png;base64,{shot['data']}')")
        assert not [line for line in page.console if line.startswith("EXCEPTION")], page.console
    assert pixels["h"] > 900 and pixels["colours"] > 50, pixels
    assert 0.01 < pixels["inked"] < 0.9, pixels  # text, bars and lines on a light page
    assert (await asyncio.to_thread(SCREENSHOT.stat)).st_size > 20_000
