"""The calling commands, run as a user runs them (the installed `hero365` program) on a fresh database with the
demo business, placing real SIP calls to a sipp UAS on 127.0.0.1: dnc, campaign create/run/status, call."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(240)  # each `hero365` start imports the voice stack (~1.5 s idle)
HERO = str(Path(sys.executable).parent / "hero365")


def _port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[tuple[callable, int, Path]]:
    if not shutil.which("sipp"):
        pytest.skip("sipp (Debian sip-tester) is not installed: no SIP peer for this test")
    port = _port()
    log = tmp_path / "sipp.log"
    sipp = subprocess.Popen(["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(port), "-mp", str(_port()),
                             "-nostdin", "-trace_msg", "-message_file", str(log)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    low = 44000 + (os.getpid() % 300) * 20
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "XDG_DATA_HOME": str(tmp_path),
           "REDIS_URL": "", "DIALER_MODE": "line_check", "DIALER_LINE_CHECK_HOLD_S": "0.1",
           "SIP_TRUNK_URI": f"sip:127.0.0.1:{port}", "SIP_BIND_PORT": "0", "SIP_RTP_PORT_MIN": str(low),
           "SIP_RTP_PORT_MAX": str(low + 19), "CALLING_HOURS_START": "0", "CALLING_HOURS_END": "24",
           "BUSINESS_CALL_HOURS_START": "0", "BUSINESS_CALL_HOURS_END": "24", "CALLING_HOLIDAYS": "none",
           "COLUMNS": "160"}
    env.pop("REDIS_URL")

    def run(*args: str, code: int = 0) -> str:
        done = subprocess.run([HERO, *args], env=env, capture_output=True, text=True, timeout=90)
        assert done.returncode == code, (args, done.returncode, done.stdout[-2000:], done.stderr[-2000:])
        return done.stdout + done.stderr

    try:
        run("db", "upgrade")
        run("demo-data")
        yield run, port, log
    finally:
        sipp.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            sipp.wait(5)
        if sipp.poll() is None:
            sipp.kill()


def test_campaign_create_run_status_and_one_call(shell, tmp_path: Path) -> None:
    run, port, log = shell
    listing = tmp_path / "national.csv"
    listing.write_text("phone\n+1 737 555 0000\n7375550001\n")
    assert "2 new" in run("dnc", "import", str(listing))
    out = run("campaign", "create", "--name", "Reminders", "--purpose", "appointment_reminder",
              "--audience", "contacts", "--contacts", "1,2,3,4,5", "--hours", "0-24")
    cid = re.search(r"campaign (\d+) created", out).group(1)
    out = run("campaign", "run", cid)
    placed = len(re.findall(r"^INVITE sip:", log.read_text(errors="replace"), re.M))
    assert placed >= 1 and "queued" not in out.split("campaign " + cid + ":")[-1]
    status = run("campaign", "status", cid)
    assert re.search(rf"campaign {cid}: Reminders\s+\(completed\)", status)
    completed = int(re.search(r"completed\s*│\s*(\d+)", status).group(1))
    assert completed == placed  # every call placed completed; the rest were refused by the rules and logged
    out = run("call", "--to", f"sip:+15125550000@127.0.0.1:{port}", "--purpose", "appointment_reminder")
    states = re.findall(r"attempt \d+: (\w+)", out)
    assert states == ["queued", "dialing", "ringing", "answered", "completed"], out
    assert "answered (SIP 200)" in out
    run("dnc", "add", "512-555-0000")
    out = run("call", "--to", "sip:+15125550000@127.0.0.1:5999", "--purpose", "appointment_reminder", code=2)
    assert "Not dialled" in out and "business_dnc" in out
