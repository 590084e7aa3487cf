"""An answered call on the local SIP trunk (its RTP line as the session's audio; BYE and REFER through the
trunk's user agent), and the SIP vocabulary around it: what a final answer code means, URIs, caller ids."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import re
import time
from typing import TYPE_CHECKING, Any

from aiosipua.incoming_call import IncomingCall
from aiosipua.outgoing_call import OutgoingCall

from .base import CallEvent, CallLeg, CallState, StateCallback
from .rtp_line import RtpLine

if TYPE_CHECKING:
    from .local_sip import LocalSipTrunk

log = logging.getLogger(__name__)
_SIP_URI = re.compile(r"^sips?:(?:(?P<user>[^@;>]+)@)?(?P<host>\[[^\]]+\]|[^:;>]+)(?::(?P<port>\d+))?", re.I)


def final_state(code: int) -> CallState:
    """A final SIP answer to our INVITE as the attempt's state."""
    if code in (486, 600, 603):
        return CallState.BUSY
    if code in (408, 480, 487):
        return CallState.NO_ANSWER
    return CallState.FAILED


def parse_sip_uri(uri: str) -> tuple[str | None, str, int]:
    """"sip:alice@10.0.0.5:5070;transport=udp" -> ("alice", "10.0.0.5", 5070); ValueError otherwise."""
    m = _SIP_URI.match(uri.strip().strip("<>"))
    if not m:
        raise ValueError(f"{uri!r} is not a SIP URI")
    return m["user"], m["host"].strip("[]"), int(m["port"] or 5060)


def caller_number(from_uri: str) -> str | None:
    """The user part of a From URI (the caller's number), or None when withheld or absent."""
    with contextlib.suppress(ValueError):
        user, _, _ = parse_sip_uri(from_uri)
        if user and user.lower() not in ("anonymous", "unknown", "restricted"):
            return user
    return None


async def emit_state(callback: StateCallback | None, event: CallEvent) -> None:
    """Tell the dialer about a change (its callback may be sync or async)."""
    if callback is None:
        return
    out = callback(event)
    if inspect.isawaitable(out):
        await out


class SipCallLeg(CallLeg):
    """An answered SIP call: its RTP line as the session's audio, BYE/REFER through the trunk's agent."""

    def __init__(self, trunk: LocalSipTrunk, call_id: str, remote: str, line: RtpLine,
                 outgoing: OutgoingCall | None = None, incoming: IncomingCall | None = None) -> None:
        self.trunk, self.call_id, self.remote, self.line = trunk, call_id, remote, line
        self._outgoing, self._incoming = outgoing, incoming
        self.audio_input = line.input
        self.audio_output = line.output
        self.answered_at = time.time()
        self._ended: asyncio.Future[CallEvent] = asyncio.get_running_loop().create_future()
        self.digits: list[str] = []
        line.on_digit = self._digit
        if trunk.rtp_timeout_s:
            trunk._spawn(self._watch_media(trunk.rtp_timeout_s))

    async def _watch_media(self, limit_s: float) -> None:
        """A line that has carried no RTP for `limit_s` is dead (a dropped phone, a crashed PBX, no BYE ever
        coming): hang up and end the leg FAILED instead of talking to nobody until the call-length limit."""
        while not self._ended.done():
            silent = time.monotonic() - self.line.last_packet_at
            if silent >= limit_s:
                log.warning("call %s: no audio from the far end for %.0f s; hanging up", self.call_id, silent)
                with contextlib.suppress(ValueError):
                    self._send_bye()
                await self._finish(CallEvent(CallState.FAILED, time.time(), reason=f"no RTP for {silent:.0f} s"))
                return
            await asyncio.sleep(min(1.0, limit_s / 4))

    def _send_bye(self) -> None:
        if self._outgoing is not None and self.trunk.uac is not None:
            self.trunk.uac.send_bye(self._outgoing.dialog, self._outgoing.remote_addr)
        elif self._incoming is not None:
            self._incoming.hangup()

    @property
    def media(self) -> Any:
        return self.line.media

    def _digit(self, digit: str) -> None:
        self.digits.append(digit)
        callback = getattr(self, "_dtmf", None)
        if callback is None:
            return
        out = callback(digit)
        if inspect.isawaitable(out):
            self.trunk._spawn(out)

    @property
    def ended(self) -> bool:
        return self._ended.done()

    async def _finish(self, event: CallEvent) -> None:
        if self._ended.done():
            return
        self._ended.set_result(event)
        self.trunk._legs.pop(self.call_id, None)
        await self.line.close()

    def remote_hung_up(self) -> None:
        """The far end sent BYE (the user agent has answered it with 200 OK)."""
        log.info("call %s: remote hung up", self.call_id)
        self.trunk._spawn(self._finish(CallEvent(CallState.COMPLETED, time.time(), reason="remote hangup")))

    async def hangup(self, reason: str = "normal") -> None:
        if self._ended.done():
            return
        with contextlib.suppress(ValueError):  # the dialog may already be over
            self._send_bye()
        await self._finish(CallEvent(CallState.COMPLETED, time.time(), reason=f"local hangup: {reason}"))

    async def wait_ended(self) -> CallEvent:
        return await asyncio.shield(self._ended)

    async def transfer(self, to: str) -> None:
        """Blind transfer (REFER): the far end is asked to call `to`; our leg ends."""
        uac = self.trunk.uac
        if uac is None:
            raise RuntimeError("the trunk is not started")
        target = to if to.lower().startswith("sip") else f"sip:{to}@{self.trunk.peer_host(self)}"
        if self._outgoing is not None:
            uac.send_refer(self._outgoing.dialog, target, self._outgoing.remote_addr)
        elif self._incoming is not None:
            uac.send_refer(self._incoming.dialog, target, self._incoming.source_addr)

    def send_digit(self, digit: str) -> None:
        self.line.send_digit(digit)
