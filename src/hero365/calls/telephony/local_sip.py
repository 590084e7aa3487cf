"""The local SIP trunk: our own SIP user agent (aiosipua) and RTP (aiortp), no server in between.

The answered call itself is `sip_leg.SipCallLeg`; its media `rtp_line.RtpLine`.

Works offline against a SIP phone or test peer, and in production against a business's own PBX or a
carrier's SIP trunk (digest auth). Outbound: INVITE with a G.711 offer; 180/183 is RINGING, 200 is
answered (ACK, RTP starts), 486/600/603 BUSY, 408/480/487 or the ring timeout (then CANCEL) NO_ANSWER,
any other final answer FAILED. Inbound: INVITEs on the listening port are answered and handed to a
handler as a leg. Either side's BYE ends the leg; REFER transfers it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import OrderedDict
from typing import Any

from aiortp import PortAllocator
from aiosipua import SipDigestAuth, SipRequest, SipResponse, SipUAC, SipUAS, UdpSipTransport
from aiosipua.incoming_call import IncomingCall
from aiosipua.outgoing_call import OutgoingCall
from aiosipua.sdp import SdpNegotiationError

from ...config import Settings
from .base import (
    CallEvent,
    CallLeg,
    CallNotConnected,
    CallState,
    DialRequest,
    InboundHandler,
    StateCallback,
    Trunk,
)
from .rtp_line import RtpLine, answer_sdp, media_of, offer_sdp
from .sip_leg import SipCallLeg, caller_number, emit_state, final_state, parse_sip_uri

__all__ = ["LocalSipTrunk", "SipCallLeg", "caller_number", "final_state", "parse_sip_uri"]

log = logging.getLogger(__name__)
USER_AGENT = "Hero365-Voice"
#: With no answer of any kind (not even 100 Trying) for this long, the far end is unreachable: FAILED.
NO_RESPONSE_S = 8.0


class _QuietConnectionMade(logging.Filter):
    """aiosipua's UDP protocol asserts the transport's class in connection_made; Python 3.11's selector
    transport fails that isinstance check and asyncio logs the AssertionError on every start. The socket is
    bound and used regardless (start() keeps its own reference), so only that one record is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (isinstance(exc, AssertionError) and "_UdpProtocol.connection_made" in record.getMessage())


logging.getLogger("asyncio").addFilter(_QuietConnectionMade())
class LocalSipTrunk(Trunk):
    """A SIP user agent on one UDP port, placing and answering calls with RTP on a port range."""

    name = "local-sip"

    def __init__(self, settings: Settings | None = None, *, bind_host: str | None = None,
                 bind_port: int | None = None, trunk_uri: str | None = None, username: str | None = None,
                 password: str | None = None, caller_id: str | None = None, advertised_host: str | None = None,
                 rtp_ports: tuple[int, int] | None = None, rtp_timeout_s: float | None = None) -> None:
        s = settings or Settings()
        #: An answered call without any RTP for this long is a dropped line (0: never decided so).
        self.rtp_timeout_s = s.sip_rtp_timeout_s if rtp_timeout_s is None else rtp_timeout_s
        self.bind_host = bind_host or s.sip_bind_host
        self.bind_port = s.sip_bind_port if bind_port is None else bind_port
        self.trunk_uri = trunk_uri if trunk_uri is not None else s.sip_trunk_uri
        username = username if username is not None else s.sip_username
        password = password if password is not None else s.sip_password
        self.auth = SipDigestAuth(username, password or "") if username else None
        self.caller_id = caller_id if caller_id is not None else s.caller_id
        self.advertised_host = advertised_host or s.sip_advertised_host or self.bind_host
        low, high = rtp_ports or (s.sip_rtp_port_min, s.sip_rtp_port_max)
        self.ports = PortAllocator((low, high))
        self.transport: UdpSipTransport | None = None
        self.uac: SipUAC | None = None
        self.uas: SipUAS | None = None
        self._legs: dict[str, SipCallLeg] = {}
        self._responded: set[str] = set()  # Call-IDs the far end answered anything to
        self._request_uris: OrderedDict[str, str] = OrderedDict()  # recent INVITEs' Call-ID -> Request-URI
        self._handler: InboundHandler | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------ lifecycle

    @property
    def local_addr(self) -> tuple[str, int]:
        if self.transport is None:
            raise RuntimeError("the SIP trunk is not started")
        return self.transport.local_addr

    async def start(self) -> LocalSipTrunk:
        if self.transport is not None:
            return self
        transport = UdpSipTransport(local_addr=(self.bind_host, self.bind_port))
        uac = SipUAC(transport, advertised_addr=None)
        uas = SipUAS(transport, user_agent=USER_AGENT, uac=uac)
        uas.on_invite = self._on_invite
        uas.on_bye = self._on_bye
        uas.on_reinvite = self._on_reinvite
        try:
            await uas.start()
        except OSError as exc:
            raise OSError(exc.errno, f"cannot listen for SIP on {self.bind_host}:{self.bind_port} ({exc.strerror}): "
                                     "set SIP_BIND_HOST/SIP_BIND_PORT (port 0 picks a free one)") from None
        udp = transport._udp_transport  # the bound port, when 0 asked for any
        if udp is not None:
            transport.local_addr = (self.bind_host, int(udp.get_extra_info("sockname")[1]))
        if self.advertised_host != self.bind_host:
            uac.advertised_addr = uas.advertised_addr = (self.advertised_host, transport.local_addr[1])
        inner = transport.on_message

        def seen(msg: Any, addr: tuple[str, int]) -> None:
            if isinstance(msg, SipResponse) and msg.call_id:
                self._responded.add(msg.call_id)
                self._ack_failure(msg, addr)
            if inner is not None:
                inner(msg, addr)

        transport.on_message = seen
        self.transport, self.uac, self.uas = transport, uac, uas
        log.info("SIP trunk listening on %s:%d", *transport.local_addr)
        return self

    async def aclose(self) -> None:
        for leg in list(self._legs.values()):
            with contextlib.suppress(Exception):
                await leg.hangup("trunk closing")
        for task in list(self._tasks):
            task.cancel()
        if self.uas is not None:
            await self.uas.stop()
        self.transport = self.uac = self.uas = None

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _ack_failure(self, response: SipResponse, addr: tuple[str, int]) -> None:
        """ACK a final error to one of our INVITEs (RFC 3261 17.1.1.3), retransmissions included: aiosipua
        drops the call on the first error and ACKs nothing, so the callee would resend it for 32 s."""
        cseq = response.cseq
        uri = self._request_uris.get(response.call_id or "")
        if response.status_code < 300 or cseq is None or cseq.method.upper() != "INVITE" or uri is None:
            return
        ack = SipRequest(method="ACK", uri=uri)
        for name in ("Via", "From", "To", "Call-ID"):
            value = response.headers.get_first(name.lower())
            if value:
                ack.headers.set_single(name, value)
        ack.headers.set_single("CSeq", f"{cseq.seq} ACK")
        ack.headers.set_single("Max-Forwards", "70")
        ack.headers.set_single("Content-Length", "0")
        assert self.transport is not None
        self.transport.send(ack, addr)

    def peer_host(self, leg: SipCallLeg) -> str:
        if self.trunk_uri:
            return parse_sip_uri(self.trunk_uri)[1]
        return leg.line.media.remote[0]

    # ------------------------------------------------------------------ outbound

    def target(self, to: str) -> tuple[str, str, int]:
        """The Request-URI and the address to send the INVITE to, for a SIP URI or a phone number."""
        if to.lower().startswith(("sip:", "sips:")):
            _, host, port = parse_sip_uri(to)
            return to.strip("<>"), host, port
        number = re.sub(r"[^\d+]", "", to)
        if not number:
            raise ValueError(f"{to!r} is neither a SIP URI nor a phone number")
        if not self.trunk_uri:
            raise LookupError("no SIP trunk is configured for phone numbers: set SIP_TRUNK_URI "
                              "(or dial a sip: URI)")
        _, host, port = parse_sip_uri(self.trunk_uri)
        return f"sip:{number}@{host}" + (f":{port}" if port != 5060 else ""), host, port

    def _from_uri(self, request_uri: str) -> str:
        user = re.sub(r"[^\w+.-]", "", self.caller_id or (self.auth.username if self.auth else "") or "hero365")
        host = parse_sip_uri(self.trunk_uri)[1] if self.trunk_uri and self.auth else self.advertised_host
        return f"sip:{user}@{host}"

    async def dial(self, request: DialRequest, on_state: StateCallback | None = None) -> CallLeg:
        try:
            await self.start()
            uri, host, port = self.target(request.to)
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=2)  # SOCK_DGRAM
            addr = (str(infos[0][4][0]), port)
        except (ValueError, LookupError, OSError) as exc:
            event = CallEvent(CallState.FAILED, time.time(), reason=str(exc))
            await emit_state(on_state, event)
            raise CallNotConnected(event) from None
        assert self.uac is not None
        rtp_port, _ = await self.ports.allocate()
        offer = offer_sdp(self.advertised_host, rtp_port)
        await emit_state(on_state, CallEvent(CallState.DIALING, time.time()))
        headers = {"X-Hero365-Attempt": str(request.attempt_id)}
        call = self.uac.send_invite(self._from_uri(uri), uri, addr, offer, auth=self.auth, user_agent=USER_AGENT,
                                    extra_headers=headers)
        ringing: list[asyncio.Task[Any]] = []  # its report goes out before any later one

        def rang(c: OutgoingCall) -> None:
            if not ringing:
                rang_at = CallEvent(CallState.RINGING, time.time(), sip_code=180)
                ringing.append(self._spawn(emit_state(on_state, rang_at)))

        call.on_ringing = rang
        self._request_uris[call.call_id] = call.invite.uri
        while len(self._request_uris) > 4096:
            self._request_uris.popitem(last=False)
        try:
            outcome = await self._await_answer(call, request.ring_timeout_s)
            self._responded.discard(call.call_id)
            if ringing:
                await ringing[0]
        except BaseException:
            self._responded.discard(call.call_id)
            with contextlib.suppress(Exception):
                call.cancel(self.uac)
            await self.ports.release(rtp_port)
            raise
        if outcome is not None:
            await self.ports.release(rtp_port)
            await emit_state(on_state, outcome)
            raise CallNotConnected(outcome)
        try:
            if call.sdp_answer is None:
                raise SdpNegotiationError("the 200 OK carries no SDP answer")
            media = media_of(call.sdp_answer)
            line = await RtpLine.open(self.bind_host, rtp_port, media,
                                      release=lambda: self.ports.release(rtp_port))
        except (SdpNegotiationError, OSError) as exc:
            with contextlib.suppress(ValueError):
                self.uac.send_bye(call.dialog, call.remote_addr)
            await self.ports.release(rtp_port)
            failed = CallEvent(CallState.FAILED, time.time(), sip_code=200, reason=f"media: {exc}")
            await emit_state(on_state, failed)
            raise CallNotConnected(failed) from None
        leg = SipCallLeg(self, call.call_id, request.to, line, outgoing=call)
        self._legs[call.call_id] = leg
        await emit_state(on_state, CallEvent(CallState.ANSWERED, time.time(), sip_code=200))
        log.info("call %s to %s answered (%s)", call.call_id, request.to, media.codec)
        return leg

    async def _await_answer(self, call: OutgoingCall, ring_timeout: float) -> CallEvent | None:
        """None once answered; else the final event (the INVITE is CANCELled on the ring timeout)."""
        assert self.uac is not None
        started = time.monotonic()
        while True:
            left = ring_timeout - (time.monotonic() - started)
            if left <= 0:
                break
            try:
                await call.wait_answered(timeout=min(left, 0.5))
                return None
            except RuntimeError:
                code, reason = call._reject_code, call._reject_reason
                return CallEvent(final_state(code), time.time(), sip_code=code, reason=reason)
            except TimeoutError:
                if call.call_id not in self._responded and time.monotonic() - started > NO_RESPONSE_S:
                    call.cancel(self.uac)
                    return CallEvent(CallState.FAILED, time.time(), reason="no response from the far end")
        call.cancel(self.uac)
        return CallEvent(CallState.NO_ANSWER, time.time(), sip_code=487, reason=f"no answer in {ring_timeout:.0f} s")

    # ------------------------------------------------------------------ inbound

    async def serve_inbound(self, handler: InboundHandler) -> None:
        """Answer every INVITE with `handler(leg)` until cancelled."""
        await self.start()
        self._handler = handler
        try:
            await asyncio.Event().wait()
        finally:
            self._handler = None

    def _on_invite(self, call: IncomingCall) -> None:
        self._spawn(self._answer(call))

    async def _answer(self, call: IncomingCall) -> None:
        handler = self._handler
        if handler is None:
            call.reject(480, "Temporarily Unavailable")
            return
        if call.sdp_offer is None:
            call.reject(488, "Not Acceptable Here")  # no offer in the INVITE: we don't do late offers
            return
        rtp_port, _ = await self.ports.allocate()
        try:
            answer, media = answer_sdp(call.sdp_offer, self.advertised_host, rtp_port)
            line = await RtpLine.open(self.bind_host, rtp_port, media, release=lambda: self.ports.release(rtp_port))
        except (SdpNegotiationError, OSError) as exc:
            log.warning("inbound call %s refused: %s", call.call_id, exc)
            await self.ports.release(rtp_port)
            call.reject(488, "Not Acceptable Here")
            return
        call.ringing()
        call.accept(answer)
        remote = caller_number(call.caller) or "anonymous"
        leg = SipCallLeg(self, call.call_id, remote, line, incoming=call)
        self._legs[call.call_id] = leg
        log.info("inbound call %s from %s answered (%s)", call.call_id, remote, media.codec)
        try:
            await handler(leg)
        except Exception:
            log.exception("inbound call %s: the handler failed", call.call_id)
        finally:
            await leg.hangup("handler done")

    def _on_bye(self, call: IncomingCall, request: Any) -> None:
        leg = self._legs.get(call.call_id)
        if leg is not None:
            leg.remote_hung_up()

    def _on_reinvite(self, call: IncomingCall) -> None:
        """A re-INVITE (hold, a new address): follow the new address, answer with our unchanged media."""
        leg = self._legs.get(call.call_id)
        if leg is None:
            call.reject(481, "Call/Transaction Does Not Exist")
            return
        if call.sdp_offer is not None:
            with contextlib.suppress(SdpNegotiationError):
                leg.line.session.update_remote(media_of(call.sdp_offer).remote)
        ours = leg._incoming.sdp_answer if leg._incoming is not None else None
        if ours is None and leg._outgoing is not None:
            ours = leg._outgoing.sdp_offer
        call.accept(ours)
