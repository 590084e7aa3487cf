"""A small Chrome DevTools Protocol driver for Debian's headless Chromium (/usr/bin/chromium): start it with
a fake microphone playing a WAV, open a page, type, click, hold a button, read the DOM, take a screenshot.
Plain `websockets` over 127.0.0.1; no browser download, no Node."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import websockets

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--use-fake-ui-for-media-stream",
         "--use-fake-device-for-media-stream", "--autoplay-policy=no-user-gesture-required",
         "--window-size=1000,900", "--remote-debugging-port=0", "--remote-allow-origins=*"]


def chromium_path() -> str | None:
    return CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")


class Page:
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self._ids = itertools.count(1)
        self.console: list[str] = []

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        msg_id = next(self._ids)
        await self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(await self.ws.recv())
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if msg.get("method") == "Runtime.consoleAPICalled":
                self.console.append(" ".join(str(a.get("value", a.get("description", "")))
                                             for a in msg["params"]["args"]))
            elif msg.get("method") == "Runtime.exceptionThrown":
                self.console.append("EXCEPTION " + json.dumps(msg["params"]["exceptionDetails"])[:500])

    async def eval(self, expression: str) -> Any:
        out = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in out:
            raise RuntimeError(f"page error: {out['exceptionDetails']}")
        return out["result"].get("value")

    async def goto(self, url: str) -> None:
        await self.send("Page.navigate", url=url)
        await self.wait_for("document.readyState === 'complete'")

    async def wait_for(self, expression: str, within_s: float = 20.0) -> Any:
        deadline = time.monotonic() + within_s
        while True:
            value = await self.eval(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {expression}; console: {self.console[-10:]}")
            await asyncio.sleep(0.1)

    async def center(self, selector: str) -> tuple[float, float]:
        box = await self.eval(f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
                              ".getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        return box[0], box[1]

    async def mouse(self, kind: str, x: float, y: float) -> None:
        await self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1,
                        buttons=1 if kind == "mousePressed" else 0)

    async def click(self, selector: str) -> None:
        x, y = await self.center(selector)
        await self.mouse("mousePressed", x, y)
        await self.mouse("mouseReleased", x, y)

    async def type(self, selector: str, text: str) -> None:
        await self.click(selector)
        await self.send("Input.insertText", text=text)

    async def hold(self, selector: str, seconds: float) -> None:
        x, y = await self.center(selector)
        await self.mouse("mouseMoved", x, y)
        await self.mouse("mousePressed", x, y)
        await asyncio.sleep(seconds)
        await self.mouse("mouseReleased", x, y)

    async def screenshot(self, path: Path) -> Path:
        shot = await self.send("Page.captureScreenshot", format="png")
        await asyncio.to_thread(path.write_bytes, base64.b64decode(shot["data"]))
        return path


@asynccontextmanager
async def chromium(profile: Path, fake_mic_wav: Path | None = None) -> AsyncIterator[Page]:
    """A fresh headless Chromium (its own profile folder) and its first page, closed afterwards."""
    exe = chromium_path()
    if exe is None:
        raise FileNotFoundError("chromium is not installed (apt-get install chromium; ./run test installs it)")
    flags = [*FLAGS, f"--user-data-dir={profile}"]
    if fake_mic_wav is not None:
        flags.append(f"--use-file-for-fake-audio-capture={fake_mic_wav}%noloop")
    proc = await asyncio.create_subprocess_exec(exe, *flags, "about:blank", stdout=subprocess.DEVNULL,
                                                stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 20
        while not port_file.exists() or len(port_file.read_text().splitlines()) < 2:
            if time.monotonic() > deadline or proc.returncode is not None:
                raise RuntimeError("chromium did not open its DevTools port")
            await asyncio.sleep(0.05)
        port = int(port_file.read_text().splitlines()[0])
        page_ws = await _page_target(port)
        async with websockets.connect(page_ws, max_size=64 * 1024 * 1024) as ws:
            page = Page(ws)
            await page.send("Page.enable")
            await page.send("Runtime.enable")
            yield page
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 5)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def _page_target(port: int) -> str:
    import urllib.request

    def targets() -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
            return json.loads(r.read())  # type: ignore[no-any-return]

    for _ in range(100):
        pages = [t for t in await asyncio.to_thread(targets) if t.get("type") == "page"]
        if pages:
            return str(pages[0]["webSocketDebuggerUrl"])
        await asyncio.sleep(0.05)
    raise RuntimeError("chromium has no page target")
