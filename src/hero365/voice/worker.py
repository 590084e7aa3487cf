"""The LiveKit worker: for deployments with a LiveKit server (Cloud or self-hosted).

One worker process per agent kind registers under that kind's agent name (`hero365-personal`, ...); the
server sends it jobs created by `dispatch.dispatch_agent`. A job's metadata says which business and for
whom; the session state is then built from the database, so nothing said in the room can widen it.
Scale-out is more identical workers.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from livekit.agents import AgentSession, JobContext, JobRequest, WorkerOptions, cli, room_io, stt, tts, vad

from ..config import Settings, get_settings
from ..erp.domain.errors import DomainError, NotFound
from ..erp.domain.tenancy import Actor, Role
from ..erp.services.businesses import actor_for
from ..erp.store.db import Store
from .agents import agent_for, identify_caller
from .dispatch import AGENT_NAMES, BadDispatch, DispatchMetadata, agent_name, livekit_credentials
from .session import make_brain
from .state import AgentKind, SessionState

logger = logging.getLogger("hero365.worker")

#: The attribute LiveKit SIP sets on a phone participant: the caller's number.
SIP_PHONE_ATTRIBUTE = "sip.phoneNumber"


async def state_from_metadata(store: Store, metadata: DispatchMetadata) -> SessionState:
    """The session state a job's metadata stands for, checked against the database.

    personal: the member's own Actor (their role's permissions); sales/support: a calling agent bound
    to the one contact, for the one purpose; receptionist: the caller by number (a new lead if unknown).
    A business, member or contact that doesn't exist is a NotFound, never a session with a guessed scope.
    """
    async with store.directory() as uow:
        business = await uow.directory.business(metadata.business_id)
    if business is None:
        raise NotFound(f"There is no business {metadata.business_id}.")
    kind, channel = metadata.kind, metadata.channel or "phone"
    if kind == AgentKind.PERSONAL:
        assert metadata.user_id is not None  # the model guarantees it
        actor = await actor_for(store, metadata.user_id, metadata.business_id)
        return SessionState(store=store, actor=actor, kind=kind, channel=channel, driving=metadata.driving,
                            session_id=metadata.session_id)
    if kind == AgentKind.RECEPTIONIST:
        state = await identify_caller(store, metadata.business_id, metadata.caller_phone, channel=channel)
        state.session_id = metadata.session_id
        return state
    async with store.uow(metadata.business_id) as uow:  # tenant-scoped: another business's contact is absent
        contact = await uow.contacts.get(metadata.contact_id or 0)
    if contact is None:
        raise NotFound(f"Business {metadata.business_id} has no contact {metadata.contact_id}.")
    actor = Actor(user_id=None, business_id=metadata.business_id, role=Role.CALL_AGENT, name="Assistant",
                  contact_id=contact.id)
    return SessionState(store=store, actor=actor, kind=kind, channel=channel, purpose=metadata.purpose,
                        session_id=metadata.session_id)


@dataclass(frozen=True)
class Speech:
    """The speech models a room session uses; None means that side is text only."""

    stt: stt.STT | None = None
    tts: tts.TTS | None = None
    vad: vad.VAD | None = None


def speech_from_settings(settings: Settings) -> Speech:
    """The STT/TTS/VAD the settings configure. Settings name no speech models yet, so a room session is
    text in (the room's `lk.chat` text stream) and text out (transcriptions); speech factories plug in here
    and nowhere else, and nothing is made up in the meantime."""
    return Speech()


def build_session(state: SessionState, settings: Settings | None = None,
                  speech: Speech | None = None) -> AgentSession[SessionState]:
    """An AgentSession with the configured brain and whatever speech exists; the brain reads userdata late
    because a handoff replaces it."""
    speech = speech or Speech()
    holder: list[AgentSession[SessionState]] = []
    brain = make_brain(lambda: holder[0].userdata, settings)
    extra: dict[str, object] = {}
    if speech.stt is not None:
        extra["stt"] = speech.stt
    if speech.tts is not None:
        extra["tts"] = speech.tts
    if speech.stt is None:  # typed turns: each text message is a whole turn
        extra["turn_handling"] = {"turn_detection": None}
    session: AgentSession[SessionState] = AgentSession(llm=brain, vad=speech.vad, userdata=state,
                                                       **extra)  # type: ignore[arg-type]
    holder.append(session)
    return session


def room_options(speech: Speech, participant: str | None = None) -> room_io.RoomOptions:
    """Audio in/out only where there is STT/TTS to use it; text in and transcriptions always."""
    options = room_io.RoomOptions(audio_input=speech.stt is not None, audio_output=speech.tts is not None,
                                  text_input=True, text_output=True)
    if participant:
        options.participant_identity = participant
    return options


def with_caller_phone(metadata: DispatchMetadata, attributes: Mapping[str, str]) -> DispatchMetadata:
    """An inbound job without the caller's number takes it from the SIP participant (a dispatch rule is
    static, the caller isn't); a number the dispatch named wins."""
    phone = attributes.get(SIP_PHONE_ATTRIBUTE)
    if (metadata.kind != AgentKind.RECEPTIONIST or metadata.caller_phone is not None or not phone
            or not any(ch.isdigit() for ch in phone)):  # "anonymous": a withheld number is answered as unknown
        return metadata
    return DispatchMetadata.parse({**metadata.model_dump(exclude_none=True), "caller_phone": phone})


def _check_job(job_agent_name: str, raw: str) -> DispatchMetadata:
    metadata = DispatchMetadata.from_json(raw)
    if job_agent_name and job_agent_name != agent_name(metadata.kind):
        raise BadDispatch(f"A {metadata.kind.value} job was sent to the {job_agent_name} worker.")
    return metadata


async def request_job(req: JobRequest) -> None:
    """Accept only jobs whose metadata validates for this worker's kind; a bad job never takes a process."""
    try:
        metadata = _check_job(req.agent_name, req.job.metadata)
    except BadDispatch as exc:
        logger.error("rejecting job %s: %s", req.id, exc.message)
        await req.reject()
        return
    await req.accept(name="Hero365 assistant", identity=f"{agent_name(metadata.kind)}-{metadata.session_id}")


async def entrypoint(ctx: JobContext) -> None:
    """Run one conversation: validate the job, join, wait for the person, build the state, start the agent.

    The worker is a composition root (like the CLI), so it also records the conversation (insights).
    """
    from ..insights.recorder import record

    metadata = _check_job(ctx.job.agent_name, ctx.job.metadata)
    await ctx.connect()
    participant = await ctx.wait_for_participant()  # greet only when someone is there to hear it
    settings = get_settings()
    store = Store(settings)
    try:
        metadata = with_caller_phone(metadata, participant.attributes)
        state = await state_from_metadata(store, metadata)
    except DomainError as exc:
        logger.error("job %s for business %s not started: %s", ctx.job.id, metadata.business_id, exc.message)
        await store.close()
        ctx.shutdown(reason=exc.message)
        return
    speech = speech_from_settings(settings)
    session = build_session(state, settings, speech)
    recorder = await record(session, state)

    async def close() -> None:
        await recorder.close()
        await store.close()

    ctx.add_shutdown_callback(close)
    await session.start(agent_for(state), room=ctx.room, room_options=room_options(speech, participant.identity))


#: LiveKit's default health-check port; workers of several kinds on one host each need their own.
HEALTH_PORT = 8081


def worker_options(kind: AgentKind | str, settings: Settings | None = None, *,
                   port: int = HEALTH_PORT) -> WorkerOptions:
    """Worker options registering under the kind's agent name, with the server from settings.

    `port` is the worker's health-check HTTP port (0 picks a free one).
    """
    settings = settings or get_settings()
    url, key, secret = livekit_credentials(settings)
    return WorkerOptions(entrypoint_fnc=entrypoint, request_fnc=request_job, agent_name=agent_name(kind),
                         ws_url=url, api_key=key, api_secret=secret, port=port,
                         preload_modules=["hero365.voice.agents", "hero365.voice.brain.local"])


def run(kind: AgentKind | str, *, log_level: str = "INFO", port: int = HEALTH_PORT,
        settings: Settings | None = None, run_app: Callable[[WorkerOptions], None] = cli.run_app) -> None:
    """Run a worker in the foreground (LiveKit's `start` mode) until interrupted; SIGTERM drains it.

    LiveKit's `run_app` reads its command from sys.argv, so it gets exactly `start --log-level LEVEL`.
    """
    options = worker_options(kind, settings, port=port)
    saved = sys.argv
    level = {"WARNING": "WARN", "FATAL": "CRITICAL"}.get(log_level.upper(), log_level.upper())  # LiveKit's names
    sys.argv = [f"hero365 worker ({options.agent_name})", "start", "--log-level", level]
    try:
        run_app(options)
    finally:
        sys.argv = saved


__all__ = ["AGENT_NAMES", "Speech", "build_session", "entrypoint", "request_job", "room_options", "run",
           "speech_from_settings", "state_from_metadata", "with_caller_phone", "worker_options"]
