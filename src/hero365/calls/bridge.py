"""A phone call's conversation: the agent on an answered leg's audio, from hello to hang-up.

`run_call` (outbound) first listens for an answering machine; a person gets the calling agent (its
disclosure first), a machine gets a short compliant voicemail after the beep or a hang-up, per policy.
`answer_call` (inbound) gives the receptionist the caller, recognised by their number. Either way the
session is recorded, keypad 9 puts the number on the do-not-call list at once, and the call ends when the
agent ends it (opt-out, wrong number, goodbye) after its last words are heard, or when the caller hangs up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from livekit.agents import AgentSession, stt, tts, vad

from ..config import Settings
from ..erp.domain.contacts import normalize_phone, speak_phone
from ..erp.domain.errors import DomainError, InvalidInput
from ..erp.store.db import Store
from ..voice.state import Purpose, SessionState
from .telephony.base import CallLeg, kind_for
from .voicemail import AmdResult, AnsweringMachineDetector, Verdict

log = logging.getLogger(__name__)

#: What a voicemail may say the call was about: nothing a housemate shouldn't hear (no amounts, no details).
VOICEMAIL_REASON = {
    Purpose.APPOINTMENT_REMINDER: "about your upcoming appointment",
    Purpose.RESCHEDULE: "about your appointment",
    Purpose.ESTIMATE_FOLLOW_UP: "about the estimate we sent you",
    Purpose.LEAD_QUALIFICATION: "to follow up on your interest in our services",
    Purpose.PAYMENT_REMINDER: "about your account",
    Purpose.FEEDBACK: "to ask how our recent visit went",
}
OPT_OUT_SAID = ("Understood. I've taken your number off our call list and you won't hear from us again. "
                "Goodbye.")
MAX_CALL_S = 15 * 60
#: How old a business's vocabulary (names the recogniser listens for) may get before it is read again.
VOCAB_TTL_S = 300.0


@dataclass
class CallReport:
    """How a call went. `outcomes` are the actions the customer's tools carried out (reschedule_appointment,
    opt_out, ...), in order; `ended` is why the agent ended it (opt_out, wrong_number, ...), if it did."""

    voicemail: bool = False
    voicemail_left: bool = False
    outcomes: list[str] = field(default_factory=list)
    ended: str | None = None
    hung_up_by: str | None = None  # "remote" or "agent"
    error: str | None = None
    conversation_id: int | None = None
    session_id: str | None = None
    amd: AmdResult | None = None
    opted_out_by_keypad: bool = False
    transferred_to: str | None = None
    transcript: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class PhoneSpeech:
    """The recogniser, voice and VAD phone calls use: loaded once per process (model files), shared.

    The voice speaks 8 kHz phone audio; the recogniser takes 16 kHz (the line's audio is resampled up) and is
    built per business with its vocabulary (its customers', products' and team's names)."""

    tts: tts.TTS
    vad: vad.VAD
    settings: Settings
    recognisers: dict[int, stt.STT] = field(default_factory=dict)
    vocab_at: dict[int, float] = field(default_factory=dict)

    @classmethod
    async def load(cls, settings: Settings) -> PhoneSpeech:
        from ..voice.audio_session import make_vad
        from ..voice.speech.tts import make_tts

        voice, detector = await asyncio.gather(asyncio.to_thread(make_tts, settings, sample_rate=8000),
                                               asyncio.to_thread(make_vad))
        return cls(tts=voice, vad=detector, settings=settings)

    async def recogniser(self, store: Store, business_id: int) -> stt.STT:
        """The business's recogniser; its vocabulary is re-read every VOCAB_TTL_S (new customers' names)."""
        from ..voice.speech.stt.hybrid import vocabulary_for

        made = self.recognisers.get(business_id)
        if made is None:
            from ..voice.speech.stt import make_stt

            vocab = await vocabulary_for(store, business_id)
            fresh: stt.STT = await asyncio.to_thread(make_stt, self.settings, vocab, speaker="customer")
            self.recognisers[business_id] = fresh
            self.vocab_at[business_id] = time.monotonic()
            return fresh
        elif time.monotonic() - self.vocab_at.get(business_id, 0.0) > VOCAB_TTL_S and hasattr(made, "set_vocabulary"):
            self.vocab_at[business_id] = time.monotonic()
            vocab = await vocabulary_for(store, business_id)
            await asyncio.to_thread(made.set_vocabulary, vocab)
        return made


_shared: dict[int, PhoneSpeech] = {}


async def shared_speech(settings: Settings) -> PhoneSpeech:
    """One PhoneSpeech per settings object for the process (the dialer's many calls share it)."""
    key = id(settings)
    if key not in _shared:
        _shared[key] = await PhoneSpeech.load(settings)
    return _shared[key]


async def outbound_state(store: Store, business_id: int, contact_id: int, purpose: Purpose | str,
                         agent: str | None = None) -> SessionState:
    """The calling agent's session, bound to the one contact and purpose (checked like a LiveKit job)."""
    from ..voice.dispatch import DispatchMetadata
    from ..voice.worker import state_from_metadata

    purpose = Purpose(purpose)
    meta = DispatchMetadata.parse({"business_id": business_id, "kind": kind_for(purpose, agent).value,
                                   "contact_id": contact_id, "purpose": purpose.value, "channel": "phone"})
    state = await state_from_metadata(store, meta)
    state.channel = "phone"
    return state


def voicemail_message(business: str, first_name: str | None, purpose: Purpose | None, callback: str | None) -> str:
    """Identity, that it is automated, why (without details), a callback number, and how to opt out."""
    reason = VOICEMAIL_REASON.get(purpose, "") if purpose else ""
    who = f" for {first_name}" if first_name else ""
    back = f" Please call us back at {callback}." if callback else ""
    return (f"Hi, this is the automated assistant for {business}, calling{who}{' ' + reason if reason else ''}."
            f"{back} If you'd rather we didn't call again, call us and say stop calling. Thank you, goodbye.")


async def speak(voice: tts.TTS, out: Any, text: str) -> None:
    """Say `text` on the line outside a conversation (a voicemail) and wait until it has been sent."""
    async with voice.synthesize(text) as stream:
        async for chunk in stream:
            await out.capture_frame(chunk.frame)
    out.flush()
    drain = getattr(out, "drain", None)
    if drain is not None:
        await drain()


def _number_of(leg: CallLeg, fallback: str | None) -> str | None:
    for raw in (leg.remote, fallback):
        if raw and any(ch.isdigit() for ch in raw) and not raw.lower().startswith("sip"):
            with contextlib.suppress(InvalidInput):
                return normalize_phone(raw)
    return fallback


async def run_call(leg: CallLeg, store: Store, business_id: int, contact_id: int, purpose: Purpose | str,
                   agent: str | None = None, settings: Settings | None = None, *,
                   voicemail: str | None = None, speech: PhoneSpeech | None = None, detect_machine: bool = True,
                   max_call_s: float = MAX_CALL_S) -> CallReport:
    """An answered outbound call: answering machine check, then the calling agent until the call ends.

    `voicemail` is "leave" (the default, from VOICEMAIL_POLICY) or "hangup" ("leave_message"/"hang_up", the
    campaign policy's names, are accepted too)."""
    settings = settings or store.settings
    report = CallReport()
    if leg.audio_input is None or leg.audio_output is None:
        return await follow_remote_call(leg, store, business_id, report, max_call_s)
    try:
        state = await outbound_state(store, business_id, contact_id, purpose, agent)
    except DomainError as exc:
        report.error = exc.message
        await leg.hangup("no session")
        return report
    async with store.uow(business_id) as uow:
        business = await uow.business()
        contact = await uow.contacts.get(contact_id)
    assert contact is not None  # outbound_state checked it
    number = _number_of(leg, contact.primary_phone)
    state.handoff["called_number"] = number
    speech = speech or await shared_speech(settings)
    if detect_machine:
        detector = AnsweringMachineDetector()
        leg.audio_input.taps.append(detector.feed)  # type: ignore[attr-defined]
        ended = asyncio.ensure_future(leg.wait_ended())
        decided = asyncio.ensure_future(detector.wait_decided())
        await asyncio.wait({ended, decided}, return_when=asyncio.FIRST_COMPLETED)
        if ended.done():
            decided.cancel()
            report.hung_up_by = "remote"
            return report
        ended.cancel()
        report.amd = detector.result
        log.info("call %s: %s (%s)", leg.call_id, detector.result.verdict, detector.result.reason)
        if detector.verdict == Verdict.MACHINE:
            report.voicemail = True
            policy = (voicemail or settings.voicemail_policy).replace("_message", "").replace("_", "")
            if policy == "leave":
                cue = await detector.wait_for_message_cue()
                callback = settings.callback_number or business.phone
                text = voicemail_message(business.name, contact.name.split()[0] if contact.name else None,
                                         state.purpose, speak_phone(callback) if callback else None)
                log.info("call %s: leaving a voicemail after the %s", leg.call_id, cue)
                if not leg_ended(leg):
                    await speak(speech.tts, leg.audio_output, text)
                    report.voicemail_left = True
                    report.transcript.append(("assistant", text))
            await leg.hangup("voicemail")
            report.hung_up_by = "agent"
            return report
        leg.audio_input.taps.remove(detector.feed)  # type: ignore[attr-defined]
        leg.audio_input.discard()  # type: ignore[attr-defined]  # the "hello" was heard; the agent speaks next
    return await converse(leg, state, speech, settings, report, number=number, max_call_s=max_call_s)


async def follow_remote_call(leg: CallLeg, store: Store, business_id: int, report: CallReport,
                             max_call_s: float = MAX_CALL_S) -> CallReport:
    """A leg without audio (LiveKit SIP): the agent talks in the LiveKit worker, which records the
    conversation under the leg's session id; here we wait for the call's end and read its outcome."""
    try:
        await asyncio.wait_for(leg.wait_ended(), max_call_s)
        report.hung_up_by = "remote"
    except TimeoutError:
        await leg.hangup("call too long")
        report.hung_up_by = "agent"
    session_id = getattr(leg, "session_id", None)
    if session_id:
        from ..insights.tables import conversations

        async with store.engine.connect() as conn:
            row = (await conn.execute(sa.select(conversations.c.id, conversations.c.outcome).where(
                conversations.c.business_id == business_id, conversations.c.session_id == session_id))).first()
        if row is not None:
            report.session_id, report.conversation_id = session_id, row.id
            from ..voice.tools import customer  # noqa: F401  (registers the customer actions)
            from ..voice.tools.base import ACTIONS

            if row.outcome in ACTIONS:
                report.outcomes = [row.outcome]
            report.ended = row.outcome
    return report


def leg_ended(leg: CallLeg) -> bool:
    return bool(getattr(leg, "ended", False))


async def answer_call(leg: CallLeg, store: Store, business_id: int, settings: Settings | None = None, *,
                      speech: PhoneSpeech | None = None, max_call_s: float = MAX_CALL_S) -> CallReport:
    """An inbound call: the receptionist, knowing the caller by the number they call from."""
    from ..voice.agents import identify_caller

    settings = settings or store.settings
    state = await identify_caller(store, business_id, leg.remote if leg.remote != "anonymous" else None,
                                  channel="phone")
    speech = speech or await shared_speech(settings)
    return await converse(leg, state, speech, settings, CallReport(), number=state.handoff.get("called_number"),
                          max_call_s=max_call_s)


async def converse(leg: CallLeg, state: SessionState, speech: PhoneSpeech, settings: Settings, report: CallReport,
                   *, number: str | None, max_call_s: float = MAX_CALL_S) -> CallReport:
    """The agent session on the leg until either side ends the call."""
    from ..insights.recorder import record
    from ..voice.agents import agent_for
    from ..voice.audio_session import voice_session

    recogniser = await speech.recogniser(state.store, state.business_id)
    session: AgentSession[SessionState] = voice_session(
        state, recogniser, speech.tts, speech.vad, audio_in=leg.audio_input, audio_out=leg.audio_output,
        settings=settings)
    recorder = await record(session, state)
    recording = None
    if settings.call_recording:  # the caller and the agent, stereo; encrypted at rest when the call ends
        from .recording import CallRecording

        recording = CallRecording(settings, state.business_id, recorder.session_id)
        state.handoff["recorded"] = await recording.attach(session)  # the disclosure says so only when it is
    else:
        state.handoff["recorded"] = False
    report.session_id = state.session_id
    report.conversation_id = recorder.conversation_id
    agent_done = asyncio.Event()
    outcomes: list[str] = []

    def tools_done(ev: Any) -> None:
        outputs = {o.call_id: o for o in ev.function_call_outputs if o is not None}
        for call in ev.function_calls:
            out = outputs.get(call.call_id)
            if out is None or out.is_error:
                continue
            try:
                data = json.loads(out.output)
            except (TypeError, ValueError):
                continue
            if not isinstance(data, dict) or data.get("pending") or data.get("error"):
                continue
            from ..voice.tools.base import ACTIONS

            action = (data.get("done") or {}).get("action") if call.name == "confirm_action" else call.name
            if action in ACTIONS and action not in ("cancel_action",):
                outcomes.append(action)

    def item_added(ev: Any) -> None:
        item = ev.item
        if getattr(item, "type", None) == "message" and item.text_content:
            report.transcript.append((item.role, item.text_content))

    def agent_state(ev: Any) -> None:
        # the agent ended the call and has finished saying its last words
        if state.ended and ev.old_state == "speaking" and ev.new_state != "speaking":
            agent_done.set()

    session.on("function_tools_executed", tools_done)
    session.on("conversation_item_added", item_added)
    session.on("agent_state_changed", agent_state)

    async def keypad_opt_out() -> None:
        await opt_out_by_keypad(state, number)
        report.opted_out_by_keypad = True
        outcomes.append("opt_out")
        session.interrupt()
        await session.say(OPT_OUT_SAID)
        agent_done.set()

    def on_digit(digit: str) -> None:
        log.info("call %s: keypad %s", leg.call_id, digit)
        if digit == "9" and state.ended != "opt_out":
            state.ended = "opt_out"
            task = asyncio.get_running_loop().create_task(keypad_opt_out())
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    tasks: set[asyncio.Task[None]] = set()
    leg.on_dtmf(on_digit)
    transfer_to: list[str] = []
    if settings.transfer_number and type(leg).transfer is not CallLeg.transfer:  # this line can be transferred

        async def transfer_hook(summary: str) -> None:  # the agent says it is connecting; the line moves after
            transfer_to.append(str(settings.transfer_number))

        state.handoff["transfer_hook"] = transfer_hook
    ended = asyncio.ensure_future(leg.wait_ended())
    done = asyncio.ensure_future(agent_done.wait())
    try:
        await session.start(agent_for(state))
        finished, _ = await asyncio.wait({ended, done}, timeout=max_call_s, return_when=asyncio.FIRST_COMPLETED)
        if ended in finished:
            report.hung_up_by = "remote"
        else:
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            drain = getattr(leg.audio_output, "drain", None)
            if drain is not None:
                await drain(10.0)
            report.hung_up_by = "agent"
            if transfer_to:
                await transfer_line(leg, transfer_to[0], report)
            await leg.hangup(state.ended or "call too long")
    except Exception as exc:
        log.exception("call %s failed", leg.call_id)
        report.error = f"{type(exc).__name__}: {exc}"
        await leg.hangup("error")
    finally:
        done.cancel()
        ended.cancel()
        with contextlib.suppress(Exception):
            await session.aclose()
        if recording is not None:
            await recording.finish(state.store, recorder)
        await recorder.close()
    report.ended = state.ended
    report.outcomes = list(dict.fromkeys([*outcomes, *state.outcomes]))
    return report


async def transfer_line(leg: CallLeg, target: str, report: CallReport) -> None:
    """Hand the caller to a person (SIP REFER, LiveKit's transfer); the far end then leaves our call."""
    try:
        await leg.transfer(target)
        report.transferred_to = target
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(leg.wait_ended(), 10)
    except Exception as exc:  # a refused transfer still ends the call politely (the office has the summary)
        log.warning("call %s: transfer to %s failed: %s", leg.call_id, target, exc)
        report.error = f"transfer failed: {exc}"


async def opt_out_by_keypad(state: SessionState, number: str | None) -> None:
    """DTMF 9: the contact flagged do-not-call (the same ERP action as saying "stop calling"), and, where
    the dialer's compliance code is present, the number on the business's list with every queued attempt
    to it cancelled."""
    from ..voice.tools.base import perform

    source = "pressed 9 on a phone call"
    await perform(state, "opt_out", {"source": source}, f"keypad-opt-out-{state.session_id}")
    if number is None:
        return
    try:
        from .dnc import opt_out_number
    except ImportError:  # the dialer's compliance module isn't installed: the contact flag above stands
        log.warning("no calls.dnc module: %s flagged on the contact only", number)
        return
    cancelled = await opt_out_number(state.store, state.business_id, number, source, state.actor.contact_id)
    log.info("keypad opt-out of %s cancelled %d queued attempts", number, len(cancelled))
