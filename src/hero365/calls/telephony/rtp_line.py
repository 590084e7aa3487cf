"""One call's media over RTP: G.711 (mu-law or A-law) both ways, RFC 4733 keypad digits, and the SDP that
sets it up. aiortp does the packets, codecs, jitter buffer and telephone-events; this module only builds
and reads the offer/answer and joins the stream to the phone audio I/O."""

from __future__ import annotations

import contextlib
import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiortp
from aiosipua import SdpMessage, parse_sdp
from aiosipua.sdp import SdpNegotiationError, negotiate_sdp

from .phone_audio import PhoneAudioInput, PhoneAudioOutput

log = logging.getLogger(__name__)

#: What we speak, in our order of preference: G.711 mu-law (North America), then A-law.
CODECS = {0: "PCMU", 8: "PCMA"}
DTMF_PT = 101


def offer_sdp(ip: str, rtp_port: int) -> SdpMessage:
    """Our offer on an outbound INVITE: PCMU, PCMA and telephone-event, 20 ms packets."""
    sid = str(int(time.time()))
    text = (f"v=0\r\no=hero365 {sid} {sid} IN IP4 {ip}\r\ns=hero365\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
            f"m=audio {rtp_port} RTP/AVP 0 8 {DTMF_PT}\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
            f"a=rtpmap:{DTMF_PT} telephone-event/8000\r\na=fmtp:{DTMF_PT} 0-16\r\na=ptime:20\r\na=sendrecv\r\n")
    return parse_sdp(text)


@dataclass(frozen=True)
class Media:
    """What the two sides agreed: where to send, which codec, which payload type carries digits."""

    remote: tuple[str, int]
    payload_type: int
    dtmf_payload_type: int | None

    @property
    def codec(self) -> str:
        return CODECS[self.payload_type]


def media_of(sdp: SdpMessage) -> Media:
    """The far end's address, its first G.711 codec and its telephone-event type, or SdpNegotiationError."""
    audio = sdp.audio
    address = sdp.rtp_address
    if audio is None or address is None or audio.port == 0:
        raise SdpNegotiationError("the answer carries no audio stream")
    chosen = next((c.payload_type for c in audio.codecs if c.payload_type in CODECS), None)
    if chosen is None:
        for fmt in audio.formats:  # static payload types may come without an rtpmap line
            if fmt.isdigit() and int(fmt) in CODECS:
                chosen = int(fmt)
                break
    if chosen is None:
        raise SdpNegotiationError(f"no G.711 codec in {audio.formats}")
    dtmf = next((c.payload_type for c in audio.codecs if c.encoding_name.lower() == "telephone-event"), None)
    return Media(remote=address, payload_type=chosen, dtmf_payload_type=dtmf)


def answer_sdp(offer: SdpMessage, ip: str, rtp_port: int) -> tuple[SdpMessage, Media]:
    """Our answer to an inbound offer (their codec order wins among G.711; their digit payload type kept)."""
    offered = media_of(offer)
    answer, _ = negotiate_sdp(offer, ip, rtp_port, supported_codecs=list(CODECS),
                              dtmf_payload_type=offered.dtmf_payload_type or 0)
    return answer, offered


class RtpLine:
    """An open RTP stream joined to PhoneAudioInput (what we hear) and PhoneAudioOutput (what we say)."""

    def __init__(self, session: aiortp.RTPSession, media: Media, local_port: int,
                 release: Callable[[], object] | None = None) -> None:
        self.session, self.media, self.local_port = session, media, local_port
        self._release = release
        self.input = PhoneAudioInput(label=f"rtp-in-{local_port}")
        self.output = PhoneAudioOutput(self._send, idle_silence=True, label=f"rtp-out-{local_port}")
        self.on_digit: Callable[[str], None] | None = None
        self.last_packet_at = time.monotonic()
        session.on_audio = self._heard
        session.on_dtmf = self._digit
        self._closed = False

    @classmethod
    async def open(cls, bind_ip: str, rtp_port: int, media: Media,
                   release: Callable[[], object] | None = None) -> RtpLine:
        session = await aiortp.RTPSession.create(
            local_addr=(bind_ip, rtp_port), remote_addr=media.remote, payload_type=media.payload_type,
            clock_rate=8000, dtmf_payload_type=media.dtmf_payload_type or DTMF_PT)
        line = cls(session, media, rtp_port, release)
        line.output.start()
        return line

    def _heard(self, pcm: bytes, timestamp: int) -> None:
        self.last_packet_at = time.monotonic()
        self.input.push(pcm)

    def _digit(self, digit: str, duration: int) -> None:
        log.info("DTMF %s (%d) on RTP port %d", digit, duration, self.local_port)
        if self.on_digit is not None:
            self.on_digit(digit)

    def _send(self, frame: bytes) -> None:
        if not self._closed:
            self.session.send_audio_pcm_auto(frame)

    def send_digit(self, digit: str, duration_ms: int = 160) -> None:
        """Press a key on our side (RFC 4733), e.g. to reach an extension."""
        self.session.send_dtmf(digit, duration_ms)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.input.close()
        await self.output.aclose()
        with contextlib.suppress(Exception):
            await self.session.close()
        if self._release is not None:
            out = self._release()
            if inspect.isawaitable(out):
                await out
