"""Time to first audio and real-time factor of the offline voices on agent-like replies.

    python bench/tts_latency.py [--quick] [--voices piper,espeak,piper8k] [--repeat N]

First audio = from synthesize() to the first audio frame; RTF = synthesis time / audio length.
Prints a table, then a JSON line {"bench": "tts", ...}. The machine's load average is printed too:
on a shared 2-core box the figures move with it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Callable

from livekit.agents import tts

from hero365.voice.speech.tts import EspeakTTS, PiperTTS, load_piper

SENTENCES = [
    "Done. Job 42 is marked complete.",
    "Okay, I've scheduled the water heater repair for Tuesday, December 3rd at 9:30 AM.",
    "Your technician is on the way and should arrive in about 20 minutes.",
    "Invoice 17 for Bob Johnson is paid in full, $1,250.50.",
    "You have three jobs today. The first is at 8 AM at 12 Oak St.",
    "I added a note to the Johnson job about the leaking water heater in the garage.",
    "Should I send the estimate to Maria Garcia now?",
    "Job 51 at 400 Elm Dr. is 12 minutes away, 5 miles.",
    "Your balance is $312.00, which is due on Friday.",
    "Sorry, I couldn't find a customer named Jonson. Did you mean Bob Johnson?",
    "The first free times are Tuesday at nine and Wednesday at two in the afternoon.",
    "Got it. I'll call you back tomorrow morning.",
    "There are two units of the 50 gallon water heater left in the van.",
    "Tina is booked from 1 to 3 PM, so I moved the job to 3:30.",
    "Hi, this is the Hero365 assistant calling for Acme Plumbing about your appointment tomorrow.",
    "Okay, I won't do that.",
    "The estimate comes to $2,480 including tax. Do you want me to send it?",
    "You're all set. We'll see you Thursday between 10 and noon.",
    "Your account is paid up. Thank you!",
    "I've created job 88 for the furnace inspection at the Smith house on Monday at 8 AM.",
]


async def _one(engine: tts.TTS, text: str) -> tuple[float, float, float]:
    """(seconds to first audio, synthesis seconds, audio seconds)."""
    t0 = time.perf_counter()
    first, audio = None, 0.0
    async for ev in engine.synthesize(text):
        if first is None:
            first = time.perf_counter() - t0
        audio += ev.frame.duration
    return first or 0.0, time.perf_counter() - t0, audio


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


async def bench(voices: dict[str, Callable[[], tts.TTS]], sentences: list[str], repeat: int) -> dict[str, dict]:
    results: dict[str, dict] = {}
    for name, make in voices.items():
        engine = make()
        await _one(engine, "Warming up.")
        firsts, synth, audio = [], 0.0, 0.0
        for _ in range(repeat):
            for text in sentences:
                f, s, a = await _one(engine, text)
                firsts.append(f)
                synth += s
                audio += a
        results[name] = {
            "first_audio_p50_ms": round(statistics.median(firsts) * 1000, 1),
            "first_audio_p95_ms": round(_pct(firsts, 0.95) * 1000, 1),
            "first_audio_max_ms": round(max(firsts) * 1000, 1),
            "rtf": round(synth / audio, 3),
            "audio_s": round(audio, 1),
            "sample_rate": engine.sample_rate,
        }
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5 sentences")
    ap.add_argument("--voices", default="piper,espeak", help="comma list of piper, espeak, piper8k, espeak8k")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    t0 = time.perf_counter()
    load_piper()
    load_s = time.perf_counter() - t0
    all_voices: dict[str, Callable[[], tts.TTS]] = {
        "piper": PiperTTS, "espeak": EspeakTTS,
        "piper8k": lambda: PiperTTS(sample_rate=8000), "espeak8k": lambda: EspeakTTS(sample_rate=8000),
    }
    voices = {v: all_voices[v] for v in args.voices.split(",")}
    sentences = SENTENCES[:5] if args.quick else SENTENCES
    res = asyncio.run(bench(voices, sentences, args.repeat))
    load = os.getloadavg()
    print(f"{len(sentences)} sentences x {args.repeat}, {os.cpu_count()} cores, load average {load[0]:.1f}; "
          f"piper model load + warm-up {load_s:.2f} s")
    print(f"{'voice':<10}{'first p50 ms':>14}{'first p95 ms':>14}{'first max ms':>14}{'RTF':>8}{'audio s':>9}")
    for name, r in res.items():
        print(f"{name:<10}{r['first_audio_p50_ms']:>14.0f}{r['first_audio_p95_ms']:>14.0f}"
              f"{r['first_audio_max_ms']:>14.0f}{r['rtf']:>8.3f}{r['audio_s']:>9.1f}")
    print(json.dumps({"bench": "tts", "sentences": len(sentences) * args.repeat, "load_avg": round(load[0], 2),
                      "piper_load_s": round(load_s, 2), **res}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
