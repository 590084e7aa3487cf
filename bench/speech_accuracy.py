"""Spoken command understanding: TTS voice -> (noise | phone line) -> HybridSTT -> the brain's parser -> score.

    python bench/speech_accuracy.py [--quick] [--gold PATH] [--voices piper,espeak] [--details out.jsonl]

Each labelled utterance of ../shared/nlu/commands.jsonl is spoken by each voice (Piper's joe, espeak-ng), in
three conditions: clean; car/road noise at 10 dB SNR (over the speech); the phone band (300-3400 Hz, 8 kHz,
G.711 mu-law, back up to 16 kHz). The recogniser knows the vocabulary of a demo business that holds the names
the commands use (a temporary SQLite database); the parser reads each transcript at 2026-11-23T08:00
America/Chicago with that business's Lexicon (as the live brain does), and ../shared/nlu/score.py scores the
predictions. Nothing here is tuned to the evaluation sentences.

Prints a table (voice x condition: full match, intent accuracy, WER, share decided on the fast path, STT
latency p50/p95), then a JSON line {"bench": "speech_accuracy", "full_match": {"clean", "noisy", "phone"}, ...}
(per condition the mean over voices; per voice under "by_voice"). Synthesised audio is cached in the temp
folder, keyed by voice and text, so reruns only pay for recognition.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

REPO = Path(__file__).resolve().parents[1]
GOLD = REPO.parent / "shared" / "nlu" / "commands.jsonl"
SCORER = GOLD.parent / "score.py"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("America/Chicago"))
CACHE = Path(tempfile.gettempdir()) / "hero365-speech-bench"
CONDITIONS = ("clean", "noisy", "phone")
PAD = 0.25  # seconds of silence around each utterance, as a VAD segment has


# ---------------------------------------------------------------- audio


def _engine(voice: str) -> Any:
    from hero365.voice.speech.tts import EspeakTTS, PiperTTS

    return PiperTTS() if voice == "piper" else EspeakTTS()


async def speak(engine: Any, voice: str, text: str) -> tuple[np.ndarray, int]:
    """The voice saying text (cached as a WAV keyed by voice + text)."""
    from hero365.voice.speech.audio import read_wav, write_wav

    key = hashlib.sha256(f"{voice}\n{text}".encode()).hexdigest()[:20]
    path = CACHE / f"{voice}-{key}.wav"
    if path.exists():
        return read_wav(path)
    parts = [np.frombuffer(ev.frame.data, dtype=np.int16) async for ev in engine.synthesize(text)]
    pcm = np.concatenate(parts) if parts else np.zeros(0, np.int16)
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    write_wav(tmp, pcm, engine.sample_rate)
    tmp.replace(path)
    return pcm, engine.sample_rate


def condition(pcm: np.ndarray, rate: int, name: str, seed: int) -> tuple[np.ndarray, int]:
    """The utterance as heard: padded with silence, then clean, in road noise at 10 dB, or down a phone line."""
    from hero365.voice.speech.audio import mix_at_snr, phone_band, road_noise

    pad = np.zeros(int(PAD * rate), np.int16)
    padded = np.concatenate([pad, pcm, pad])
    if name == "clean":
        return padded, rate
    if name == "noisy":  # SNR over the speech: the padding gets the same noise level
        snr = 10 + 10 * np.log10(max(1, pcm.size) / padded.size) if pcm.size else 10.0
        return mix_at_snr(padded, road_noise(padded.size, rate, seed=seed), float(snr)), rate
    return phone_band(padded, rate, out_rate=16000), 16000


# ---------------------------------------------------------------- scoring helpers


def wer(reference: str, hypothesis: str) -> tuple[int, int]:
    """(word edits, reference words), on the words as said ('42' and 'forty two' are the same words)."""
    from hero365.voice.speech.stt.correct import spoken_words

    ref, hyp = spoken_words(reference), spoken_words(hypothesis)
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
    return d[len(hyp)], len(ref)


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def score(scorer: Path, rows: list[dict[str, Any]], preds: list[dict[str, Any]]) -> dict[str, Any]:
    """../shared/nlu/score.py --json on these rows and predictions."""
    with tempfile.TemporaryDirectory() as d:
        g, p = Path(d) / "gold.jsonl", Path(d) / "pred.jsonl"
        g.write_text("".join(json.dumps(r) + "\n" for r in rows))
        p.write_text("".join(json.dumps(x) + "\n" for x in preds))
        out = subprocess.run([sys.executable, str(scorer), str(g), str(p), "--json"],
                             capture_output=True, text=True, check=False)
    if not out.stdout.strip():
        raise SystemExit(f"score.py failed: {out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- the business


async def business() -> tuple[Any, Any, Any]:
    """(store, vocabulary, lexicon) of a fresh demo business in a temporary SQLite file."""
    from hero365.config import Settings
    from hero365.erp.cache import MemoryCache
    from hero365.erp.demo import generate_demo
    from hero365.erp.services.businesses import actor_for
    from hero365.erp.store.db import Store
    from hero365.voice.brain.local import LocalBrain
    from hero365.voice.speech.stt import vocabulary_for
    from hero365.voice.state import SessionState

    folder = Path(tempfile.mkdtemp(prefix="hero365-speech-"))
    store = Store(Settings(database_url=f"sqlite+aiosqlite:///{folder / 'bench.db'}", redis_url=None),
                  cache=MemoryCache(), clock=lambda: NOW)
    await store.create_all()
    info = await generate_demo(store, now=NOW)
    vocab = await vocabulary_for(store, info.business_id)
    state = SessionState(store=store, actor=await actor_for(store, info.owner_user_id, info.business_id))
    lexicon = await LocalBrain(lambda: state).lexicon(state)  # the live brain's names, the live brain's way
    return store, vocab, lexicon


# ---------------------------------------------------------------- the run


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from hero365.voice.brain.understand import reading as parse
    from hero365.voice.speech.stt import HybridSTT
    from hero365.voice.speech.stt.whisper import load_whisper

    gold_rows = [json.loads(line) for line in args.gold.read_text().splitlines() if line.strip()]
    rows = gold_rows[::2] if args.quick else gold_rows
    voices = ["piper"] if args.quick else [v.strip() for v in args.voices.split(",") if v.strip()]
    store, vocab, lexicon = await business()
    t0 = time.perf_counter()
    stt = HybridSTT(vocab, whisper_context=args.whisper_context or None)
    load_whisper()
    print(f"# {len(rows)} utterances x {len(voices)} voices x {len(CONDITIONS)} conditions; "
          f"recogniser ready in {time.perf_counter() - t0:.1f}s", file=sys.stderr)

    def predict(text: str, agent: str) -> dict[str, Any]:
        p = parse(text, agent, NOW, names=lexicon)
        return {"intent": p.intent, "slots": p.slots}

    text_score = score(args.scorer, rows, [predict(r["text"], r.get("agent", "personal")) for r in rows])
    results: dict[str, dict[str, dict[str, Any]]] = {}
    details = args.details.open("w") if args.details else None
    for voice in voices:
        engine = _engine(voice)
        audio = [await speak(engine, voice, r["text"]) for r in rows]
        for cond in CONDITIONS:
            preds, latencies, edits, words, fast = [], [], 0, 0, 0
            for i, (row, (pcm, rate)) in enumerate(zip(rows, audio, strict=True)):
                heard, heard_rate = condition(pcm, rate, cond, seed=i)
                stt.speaker = row.get("agent", "personal")
                started = time.perf_counter()
                res = await stt.transcribe(heard, heard_rate)
                latencies.append((time.perf_counter() - started) * 1000)
                fast += res.source == "sphinx"
                e, n = wer(row["text"], res.text)
                edits, words = edits + e, words + n
                pred = predict(res.text, row.get("agent", "personal"))
                preds.append(pred)
                if details:
                    details.write(json.dumps({"voice": voice, "condition": cond, "text": row["text"],
                                              "heard": res.text, "source": res.source, "sphinx": res.sphinx.text,
                                              "sphinx_conf": round(res.sphinx.confidence, 3),
                                              "whisper": res.whisper_text, "gold_intent": row["intent"],
                                              "gold_slots": row["slots"], **pred}) + "\n")
            s = score(args.scorer, rows, preds)
            results.setdefault(voice, {})[cond] = {
                "full_match": s["full_match"], "intent_accuracy": s["intent_accuracy"], "slot_f1": s["slot_f1"],
                "wer": round(edits / max(1, words), 4), "fast_path": round(fast / len(rows), 4),
                "stt_p50_ms": round(pct(latencies, 0.5)), "stt_p95_ms": round(pct(latencies, 0.95)),
                "top_confusions": s["top_confusions"][:4], "top_slot_misses": s["top_slot_misses"][:4],
            }
            r = results[voice][cond]
            print(f"#   {voice}/{cond}: full {r['full_match']:.3f} intent {r['intent_accuracy']:.3f} "
                  f"wer {r['wer']:.3f}", file=sys.stderr)
    if details:
        details.close()
    await store.close()
    return {"rows": len(rows), "voices": voices, "text": text_score, "results": results,
            "whisper_context": stt.whisper_context or 30.0, "fast_confidence": stt.sphinx_min_confidence}


def report(out: dict[str, Any]) -> dict[str, Any]:
    results, voices = out["results"], out["voices"]
    print(f"\nSpoken commands ({out['rows']} utterances each; parser on the written text: full match "
          f"{out['text']['full_match']:.3f}, intent {out['text']['intent_accuracy']:.3f})\n")
    head = f"{'voice':<8} {'condition':<9} {'full':>6} {'intent':>7} {'slotF1':>7} {'WER':>6} {'fast':>6} " \
           f"{'STT p50':>8} {'p95':>7}"
    print(head)
    print("-" * len(head))
    for voice in voices:
        for cond in CONDITIONS:
            r = results[voice][cond]
            print(f"{voice:<8} {cond:<9} {r['full_match']:>6.3f} {r['intent_accuracy']:>7.3f} {r['slot_f1']:>7.3f} "
                  f"{r['wer']:>6.3f} {r['fast_path']:>6.2f} {r['stt_p50_ms']:>6}ms {r['stt_p95_ms']:>5}ms")
    print()
    for voice in voices:
        for cond in CONDITIONS:
            r = results[voice][cond]
            if r["top_confusions"] or r["top_slot_misses"]:
                print(f"{voice}/{cond}: confusions {r['top_confusions']}; slot misses {r['top_slot_misses']}")

    def mean(key: str, cond: str) -> float:
        return round(statistics.mean(results[v][cond][key] for v in voices), 4)

    return {
        "bench": "speech_accuracy",
        "full_match": {c: mean("full_match", c) for c in CONDITIONS},
        "intent_accuracy": {c: mean("intent_accuracy", c) for c in CONDITIONS},
        "wer": {c: mean("wer", c) for c in CONDITIONS},
        "fast_path": {c: mean("fast_path", c) for c in CONDITIONS},
        "by_voice": {v: {c: {k: results[v][c][k] for k in ("full_match", "intent_accuracy", "wer", "fast_path",
                                                             "stt_p50_ms", "stt_p95_ms")} for c in CONDITIONS}
                     for v in voices},
        "text_full_match": out["text"]["full_match"],
        "utterances": out["rows"],
        "voices": voices,
        "whisper_context_s": out["whisper_context"],
        "fast_confidence": out["fast_confidence"],
        "load_avg": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, default=GOLD, help="labelled utterances (commands.jsonl format)")
    ap.add_argument("--scorer", type=Path, default=SCORER, help="the scoring script (score.py)")
    ap.add_argument("--quick", action="store_true", help="Piper only, every other utterance (>= 80)")
    ap.add_argument("--voices", default="piper,espeak", help="comma-separated: piper, espeak")
    ap.add_argument("--whisper-context", type=float, default=10.0,
                    help="seconds of audio Whisper's encoder sees (the live default 10; 0 = its full 30 s window)")
    ap.add_argument("--details", type=Path, help="write one JSON line per recognised utterance here")
    args = ap.parse_args()
    if not args.gold.exists():
        raise SystemExit(f"{args.gold} not found: pass --gold PATH")
    import logging

    logging.basicConfig(level=logging.WARNING)
    summary = report(asyncio.run(run(args)))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
