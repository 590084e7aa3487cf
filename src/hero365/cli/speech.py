"""`hero365 talk` (one spoken turn from a WAV file) and `hero365 console` (a microphone conversation).

Both run the real pipeline on the demo business: audio -> VAD/turn -> HybridSTT -> brain -> tools on the
database -> TTS -> audio, offline. `talk` is what to try on a machine without a sound card (and what the
tests drive); `console` is LiveKit's console mode with our plugins, for a laptop with a microphone.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import typer

from .common import console, default_actor, err, run_async


def register(app: typer.Typer) -> None:
    """Add the speech commands to the `hero365` app."""
    app.command("talk")(talk)
    app.command("console")(console_cmd)


async def _state(store: Any, business: int | None, caller: str | None) -> Any:
    from ..voice.agents import identify_caller
    from ..voice.state import SessionState

    actor = await default_actor(store, business)
    if caller:
        return await identify_caller(store, actor.business_id, caller, channel="voice")
    return SessionState(store=store, actor=actor, channel="voice")


async def speech_models(store: Any, state: Any) -> tuple[Any, Any, dict[str, float]]:
    """(stt, tts, load seconds by part) for this business, warmed so the first turn isn't a cold start."""
    from ..config import get_settings
    from ..voice.speech.stt import make_stt, vocabulary_for
    from ..voice.speech.tts import make_tts
    from ..voice.state import AgentKind

    settings = get_settings()
    loads: dict[str, float] = {}
    t0 = time.perf_counter()
    vocab = await vocabulary_for(store, state.business_id)
    speaker = "personal" if state.kind == AgentKind.PERSONAL else "customer"
    stt = make_stt(settings, vocab, speaker=speaker)
    loads["stt"] = time.perf_counter() - t0
    if getattr(stt, "use_whisper", False):
        t0 = time.perf_counter()
        from ..voice.speech.stt.whisper import transcribe

        transcribe(np.zeros(8000, np.int16))  # load and run once: the first decode is several times slower
        loads["whisper"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    tts = make_tts(settings)
    async for _ in tts.synthesize("Okay."):
        pass
    loads["tts"] = time.perf_counter() - t0
    return stt, tts, loads


async def talk_once(wav: Path, out: Path, *, business: int | None = None, caller: str | None = None,
                    realtime: bool = True, limit_s: float = 30.0) -> dict[str, Any]:
    """One whole spoken turn; returns what happened (transcript, tool calls, reply, timings in ms)."""
    from ..erp.store.db import Store
    from ..voice.agents import agent_for
    from ..voice.audio_session import DEFAULT_TURN, TurnTimeline, voice_session
    from ..voice.speech.audio import write_wav
    from ..voice.speech.io import WavAudioInput, WavAudioOutput

    store = Store()
    try:
        state = await _state(store, business, caller)
        stt, tts, loads = await speech_models(store, state)
        audio_in = WavAudioInput(realtime=realtime, keep_alive=True, trailing_silence=1.0, out_rate=16000)
        audio_out = WavAudioOutput(realtime=realtime)
        # a reply written faster than real time is synthesised whole, not paced to a listener
        tuning = DEFAULT_TURN if realtime else replace(DEFAULT_TURN, tts_lead=None)
        session = voice_session(state, stt, tts, audio_in=audio_in, audio_out=audio_out, tuning=tuning)
        timeline = TurnTimeline(session, stt)
        greeting_segments = 0
        async with session:
            agent = agent_for(state)
            await session.start(agent)
            await asyncio.wait_for(agent.ready.wait(), 20)  # a receptionist greets first; the caller waits
            await _idle(session, audio_out, 20)
            greeting_segments = len(audio_out.segments)
            audio_in.push(wav)
            deadline = time.monotonic() + limit_s
            while time.monotonic() < deadline:
                await asyncio.sleep(0.05)
                ended = audio_in.speech_ended_at
                if timeline.turns and timeline.turns[-1].speaking_at and session.agent_state == "listening" \
                        and all(s.played is not None for s in audio_out.segments):
                    break
                if ended and not timeline.turns and time.time() - ended > 6:
                    break  # nothing was understood as a turn
            audio_in.close()
            await audio_out.aclose()
        reply = audio_out.segments[greeting_segments:]
        pcm = np.concatenate([s.pcm() for s in reply]) if reply else np.zeros(0, np.int16)
        write_wav(out, pcm, audio_out.sample_rate or tts.sample_rate)
        turn = timeline.turns[-1] if timeline.turns else None
        said = [i.text_content or "" for i in session.history.items if i.type == "message" and i.role == "assistant"]
        greeting = said[0] if greeting_segments and said else ""
        ended = audio_in.speech_ended_at
        first = reply[0].started_at if reply else None
        timings = {"load_" + k: round(v * 1000) for k, v in loads.items()}
        if turn is not None:
            timings.update({f"stt_{k}": round(v) for k, v in turn.stt_ms.items()})
            if turn.eou_delay is not None:
                timings["end_of_turn"] = round(turn.eou_delay * 1000)  # end of speech (VAD) -> turn committed
            if turn.llm_ttft is not None:
                timings["brain"] = round(turn.llm_ttft * 1000)
            if turn.tts_ttfb is not None:
                timings["tts_first_audio"] = round(turn.tts_ttfb * 1000)
            if first and turn.thinking_at:
                timings["processing"] = round((first - turn.thinking_at) * 1000)
        if first and ended:
            timings["voice_to_voice"] = round((first - ended) * 1000)
        return {"greeting": greeting, "transcript": turn.transcript if turn else "",
                "stt_source": turn.stt_source if turn else None,
                "tool_calls": turn.tool_calls if turn else [], "reply": turn.reply if turn else "",
                "reply_seconds": round(pcm.size / (audio_out.sample_rate or tts.sample_rate), 2),
                "timings_ms": timings, "out": str(out)}
    finally:
        await store.close()


async def _idle(session: Any, audio_out: Any, limit: float) -> None:
    """Wait until the agent has finished saying whatever it says first (a greeting), if anything."""
    deadline = time.monotonic() + limit
    await asyncio.sleep(0.2)
    while time.monotonic() < deadline:
        if session.agent_state not in ("speaking", "thinking", "initializing") \
                and all(s.played is not None for s in audio_out.segments):
            return
        await asyncio.sleep(0.05)


@run_async
async def talk(wav: Path = typer.Option(..., "--wav", exists=True, dir_okay=False, help="What you say (a WAV file)"),
               out: Path = typer.Option(Path("reply.wav"), "--out", help="Where the agent's spoken reply goes"),
               caller: str | None = typer.Option(None, "--caller", help="Be this caller: the receptionist answers"),
               business: int | None = typer.Option(None, help="Business id (the demo business by default)"),
               fast: bool = typer.Option(False, "--fast", help="Don't pace the audio in real time (timings then "
                                                                "say little)"),
               as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON line")) -> None:
    """One spoken turn through the real pipeline: WAV in -> VAD/turn -> STT -> brain -> tools -> TTS -> WAV out.

    Record yourself (16-bit mono WAV, any rate) or make one with espeak-ng -w in.wav "what's on today".
    Settings STT (hybrid|sphinx|deepgram) and TTS (piper|espeak|...) choose the models.
    """
    result = await talk_once(wav, out, business=business, caller=caller, realtime=not fast)
    if as_json:
        import json

        sys.stdout.write(json.dumps(result) + "\n")
        return
    if result["greeting"]:
        console.print(f"[cyan]agent[/cyan]: {result['greeting']}")
    heard = result["transcript"] or "[dim](nothing understood)[/dim]"
    console.print(f"[bold green]you[/bold green] ({result['stt_source'] or '-'}): {heard}")
    for call in result["tool_calls"]:
        console.print(f"  [dim]→ {call}[/dim]")
    console.print(f"[cyan]agent[/cyan]: {result['reply'] or '[dim](no reply)[/dim]'}")
    console.print(f"[dim]reply audio: {result['out']} ({result['reply_seconds']} s)[/dim]")
    console.print("[dim]timings (ms): " + ", ".join(f"{k} {v}" for k, v in result["timings_ms"].items()) + "[/dim]")


# ---------------------------------------------------------------- microphone console


def audio_device_problem() -> str | None:
    """Why LiveKit's console can't hear or speak here, or None when a microphone and a speaker exist."""
    try:
        import sounddevice as sd  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except (ImportError, OSError) as exc:
        return f"no audio library ({exc}): pip install sounddevice, and the PortAudio library (libportaudio2)"
    try:
        sd.query_devices(kind="input")
        sd.query_devices(kind="output")
    except Exception as exc:  # PortAudioError, ValueError: no default device
        return f"no microphone or speaker ({exc})"
    return None


_CONSOLE: dict[str, Any] = {}


async def _console_entry(ctx: Any) -> None:
    """LiveKit job entrypoint for console mode: our offline models, the demo business, the real tools."""
    from ..erp.store.db import Store
    from ..voice.agents import agent_for
    from ..voice.audio_session import TurnTuning, voice_session

    await ctx.connect()
    store = Store()
    state = await _state(store, _CONSOLE.get("business"), _CONSOLE.get("caller"))
    stt, tts, _ = await speech_models(store, state)
    session = voice_session(state, stt, tts, tuning=TurnTuning(aec_warmup=3.0))  # a loudspeaker echoes
    ctx.add_shutdown_callback(store.close)
    await session.start(agent_for(state), room=ctx.room)


def console_cmd(caller: str | None = typer.Option(None, "--caller", help="Be this caller: the receptionist "
                                                                         "answers"),
                business: int | None = typer.Option(None, help="Business id (the demo business by default)")) -> None:
    """Talk to the agent through your microphone (LiveKit's console mode, our offline speech models).

    Needs a sound card and PortAudio (`pip install sounddevice`, `apt-get install libportaudio2`); it says
    so and exits where there is none (servers, containers, CI). Without a microphone use `hero365 talk
    --wav in.wav`, which runs the same pipeline on a recording.
    """
    problem = audio_device_problem()
    if problem:
        err.print(f"[red]The microphone console can't run here: {problem}.[/red] "
                  "Use [bold]hero365 talk --wav in.wav --out reply.wav[/bold] instead.")
        raise typer.Exit(1)
    from livekit.agents import WorkerOptions, cli

    _CONSOLE.update(business=business, caller=caller)
    saved = sys.argv
    sys.argv = ["hero365 console", "console"]
    try:
        cli.run_app(WorkerOptions(entrypoint_fnc=_console_entry))
    finally:
        sys.argv = saved
