"""PCM utilities on numpy int16: resampling, G.711, WAV files, noise and the phone band.

numpy only (no scipy here): the resampler is a Kaiser-windowed sinc evaluated polyphase, the same
filter offline and streaming, so a benchmark's phone audio and a live call's audio are identical.
G.711 follows the ITU-T G.191 reference software (tables built once, encode/decode by lookup). Its
A-law and both decoders equal Sun's g711.c (Python's audioop) bit for bit; its mu-law encoder differs
from Sun's for some small negative inputs (Sun truncates toward -inf before taking the magnitude).
"""

from __future__ import annotations

import wave
from functools import lru_cache
from math import gcd
from pathlib import Path

import numpy as np

__all__ = [
    "PHONE_RATE",
    "StreamResampler",
    "alaw_decode",
    "alaw_encode",
    "band_pass",
    "mix_at_snr",
    "phone_band",
    "read_wav",
    "resample",
    "rms_dbfs",
    "road_noise",
    "tone",
    "ulaw_decode",
    "ulaw_encode",
    "white_noise",
    "write_wav",
]

PHONE_RATE = 8000
_ZEROS = 16  # sinc zero crossings each side (of the narrower band): ~80 dB stop band with beta 8.6
_BETA = 8.6
_ROLLOFF = 0.94  # pass band edge as a share of the lower Nyquist (3.76 kHz at 8 kHz)
_BLOCK = 8192  # outputs computed per vectorised block (bounds memory)


def _as_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), -32768, 32767).astype(np.int16)


# ---------------------------------------------------------------- resampling


class _Filter:
    """The polyphase bank for one rate pair: output n sits at input position n*down/up."""

    def __init__(self, src: int, dst: int) -> None:
        g = gcd(src, dst)
        self.up, self.down = dst // g, src // g
        self.cutoff = min(1.0, dst / src) * _ROLLOFF  # relative to the input Nyquist
        self.half = int(np.ceil(_ZEROS / self.cutoff))  # taps each side, in input samples
        self.bank = self._taps(np.arange(self.up) / self.up) if self.up <= 2048 else None

    def _taps(self, frac: np.ndarray) -> np.ndarray:
        """Taps for input samples base-half+1 .. base+half, for outputs at base + frac."""
        j = np.arange(2 * self.half)
        d = frac[:, None] + (self.half - 1 - j)[None, :]  # distance output - input, in samples
        r = np.clip(d / self.half, -1.0, 1.0)
        win = np.i0(_BETA * np.sqrt(1.0 - r * r)) / np.i0(_BETA)  # Kaiser window, evaluated continuously
        h = self.cutoff * np.sinc(self.cutoff * d) * win
        return (h / h.sum(axis=1, keepdims=True)).astype(np.float32)  # unity gain at DC, every phase

    def taps_for(self, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(first input index, taps) for the output indices n."""
        pos = n * self.down
        base = pos // self.up
        taps = self.bank[pos % self.up] if self.bank is not None else self._taps((pos % self.up) / self.up)
        return base - self.half + 1, taps


@lru_cache(maxsize=32)
def _filter(src: int, dst: int) -> _Filter:
    return _Filter(src, dst)


def _apply(x: np.ndarray, flt: _Filter, n0: int, n1: int, offset: int) -> np.ndarray:
    """Outputs n0..n1-1 from x, where x[0] is input sample number `offset` (zeros outside x)."""
    out = np.empty(max(0, n1 - n0), dtype=np.float32)
    pad = flt.half * 2
    xp = np.concatenate([np.zeros(pad, np.float32), x.astype(np.float32), np.zeros(pad, np.float32)])
    k = np.arange(2 * flt.half)
    for start in range(n0, n1, _BLOCK):
        n = np.arange(start, min(n1, start + _BLOCK), dtype=np.int64)
        first, taps = flt.taps_for(n)
        idx = (first - offset + pad)[:, None] + k[None, :]
        out[start - n0 : start - n0 + len(n)] = np.einsum("ij,ij->i", xp[idx], taps)
    return out


def resample(pcm: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """int16 mono at src_rate -> int16 at dst_rate, length round(len * dst/src), no delay."""
    pcm = np.asarray(pcm, dtype=np.int16).reshape(-1)
    if src_rate == dst_rate or pcm.size == 0:
        return pcm.copy()
    flt = _filter(src_rate, dst_rate)
    n_out = (pcm.size * flt.up + flt.down - 1) // flt.down
    return _as_int16(_apply(pcm, flt, 0, n_out, 0))


class StreamResampler:
    """Chunk-by-chunk resampling that equals `resample` on the concatenation (after `flush`).

    Keeps the input it still needs (the filter's look-back and look-ahead) between pushes; the
    look-ahead holds back about 2 ms of audio (22.05 kHz -> 8 kHz).
    """

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        self.src_rate, self.dst_rate = src_rate, dst_rate
        self._flt = _filter(src_rate, dst_rate) if src_rate != dst_rate else None
        self._buf = np.zeros(0, dtype=np.int16)
        self._buf_start = 0  # input index of _buf[0]
        self._n_in = 0  # input samples received
        self._n_out = 0  # output samples produced

    def push(self, pcm: np.ndarray) -> np.ndarray:
        pcm = np.asarray(pcm, dtype=np.int16).reshape(-1)
        if self._flt is None:
            return pcm.copy()
        self._buf = np.concatenate([self._buf, pcm])
        self._n_in += pcm.size
        flt = self._flt
        # output n needs inputs up to floor(n*down/up) + half, and we have 0 .. n_in-1
        ready = ((self._n_in - flt.half) * flt.up - 1) // flt.down + 1 if self._n_in > flt.half else 0
        return self._emit(max(self._n_out, ready))

    def flush(self) -> np.ndarray:
        """The remaining outputs (the end is zero-padded, as `resample` does)."""
        if self._flt is None:
            return np.zeros(0, dtype=np.int16)
        total = (self._n_in * self._flt.up + self._flt.down - 1) // self._flt.down
        return self._emit(total)

    def _emit(self, n1: int) -> np.ndarray:
        flt = self._flt
        assert flt is not None
        n0 = self._n_out
        if n1 <= n0:
            return np.zeros(0, dtype=np.int16)
        out = _as_int16(_apply(self._buf, flt, n0, n1, self._buf_start))
        self._n_out = n1
        keep_from = max(self._buf_start, (n1 * flt.down) // flt.up - flt.half + 1)  # first input still needed
        self._buf = self._buf[keep_from - self._buf_start :]
        self._buf_start = keep_from
        return out


# ---------------------------------------------------------------- G.711


def _ulaw_encode_all() -> np.ndarray:
    x = np.arange(-32768, 32768, dtype=np.int32)
    # ITU-T G.191: ones' complement magnitude (so -1 is "negative zero", 0x7F), 14 bits, bias 33
    mag = np.minimum((np.where(x < 0, ~x, x) >> 2) + 33, 0x1FFF)
    seg = np.searchsorted(np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF]), mag)
    code = (seg << 4) | ((mag >> (seg + 1)) & 0x0F)
    return (code ^ np.where(x < 0, 0x7F, 0xFF)).astype(np.uint8)


def _alaw_encode_all() -> np.ndarray:
    pcm = np.arange(-32768, 32768, dtype=np.int32) >> 3  # 13-bit
    mask = np.where(pcm >= 0, 0xD5, 0x55)
    mag = np.where(pcm >= 0, pcm, -pcm - 1)
    seg = np.searchsorted(np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]), mag)
    code = np.where(seg >= 8, 0x7F, (seg << 4) | np.where(seg < 2, (mag >> 1) & 0x0F, (mag >> seg) & 0x0F))
    return (code ^ mask).astype(np.uint8)


def _ulaw_decode_all() -> np.ndarray:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    return np.where(u & 0x80, 0x84 - t, t - 0x84).astype(np.int16)


def _alaw_decode_all() -> np.ndarray:
    a = np.arange(256, dtype=np.int32) ^ 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    t = np.where(seg == 0, t + 8, np.where(seg == 1, t + 0x108, (t + 0x108) << np.maximum(seg - 1, 0)))
    return np.where(a & 0x80, t, -t).astype(np.int16)


_ULAW_ENC, _ALAW_ENC = _ulaw_encode_all(), _alaw_encode_all()
_ULAW_DEC, _ALAW_DEC = _ulaw_decode_all(), _alaw_decode_all()


def ulaw_encode(pcm: np.ndarray) -> bytes:
    """int16 PCM -> G.711 mu-law bytes (one byte a sample)."""
    return _ULAW_ENC[np.asarray(pcm, dtype=np.int16).reshape(-1).astype(np.int32) + 32768].tobytes()


def ulaw_decode(data: bytes | np.ndarray) -> np.ndarray:
    return _ULAW_DEC[np.frombuffer(bytes(data), dtype=np.uint8)]


def alaw_encode(pcm: np.ndarray) -> bytes:
    """int16 PCM -> G.711 A-law bytes."""
    return _ALAW_ENC[np.asarray(pcm, dtype=np.int16).reshape(-1).astype(np.int32) + 32768].tobytes()


def alaw_decode(data: bytes | np.ndarray) -> np.ndarray:
    return _ALAW_DEC[np.frombuffer(bytes(data), dtype=np.uint8)]


# ---------------------------------------------------------------- WAV


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """(int16 mono samples, sample rate); channels are averaged, 8/24/32-bit PCM converted."""
    with wave.open(str(path), "rb") as w:
        rate, ch, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        raw = w.readframes(w.getnframes())
    if width == 1:
        x = (np.frombuffer(raw, np.uint8).astype(np.int32) - 128) << 8
    elif width == 2:
        x = np.frombuffer(raw, "<i2").astype(np.int32)
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        x = ((b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8) >> 16  # sign-extend, keep 16 bits
    elif width == 4:
        x = np.frombuffer(raw, "<i4") >> 16
    else:
        raise ValueError(f"unsupported WAV sample width {width} in {path}")
    if ch > 1:
        x = x.reshape(-1, ch).mean(axis=1)
    return _as_int16(x), rate


def write_wav(path: str | Path, pcm: np.ndarray, sample_rate: int) -> None:
    """16-bit mono WAV."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(np.asarray(pcm, dtype="<i2").tobytes())


# ---------------------------------------------------------------- signals, noise, phone band


def tone(freq: float, seconds: float, sample_rate: int, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    return _as_int16(amplitude * 32767 * np.sin(2 * np.pi * freq * t))


def rms_dbfs(pcm: np.ndarray) -> float:
    x = np.asarray(pcm, dtype=np.float64) / 32768
    return float(10 * np.log10(np.mean(x**2) + 1e-20))


def white_noise(n: int, seed: int = 0) -> np.ndarray:
    return _as_int16(np.random.default_rng(seed).normal(0, 3000, n))


def road_noise(n: int, sample_rate: int, seed: int = 0) -> np.ndarray:
    """Synthetic car/road noise: brown rumble, tyre hiss and a wandering engine hum (no files needed)."""
    rng = np.random.default_rng(seed)
    brown = np.cumsum(rng.normal(0, 1, n))
    c = np.concatenate([[0.0], np.cumsum(brown)])
    lo, hi = np.clip(np.arange(n) - 256, 0, n), np.clip(np.arange(n) + 256, 0, n)
    brown -= (c[hi] - c[lo]) / (hi - lo)  # minus a 512-sample moving average: the drift goes, the rumble stays
    hiss = band_pass(_as_int16(rng.normal(0, 2000, n)), sample_rate, 1000, 4000).astype(np.float64)
    t = np.arange(n) / sample_rate
    rpm = 30 + 4 * np.sin(2 * np.pi * 0.2 * t)  # ~30 Hz firing rate, slowly varying
    hum = np.sin(2 * np.pi * np.cumsum(rpm) / sample_rate) + 0.5 * np.sin(4 * np.pi * np.cumsum(rpm) / sample_rate)
    x = brown / (np.std(brown) + 1e-9) + 0.35 * hiss / (np.std(hiss) + 1e-9) + 0.3 * hum
    return _as_int16(x / np.max(np.abs(x)) * 20000)


def mix_at_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """speech + noise scaled so that 10*log10(P_speech / P_noise) == snr_db (noise looped to length)."""
    s = np.asarray(speech, dtype=np.float64)
    nz = np.resize(np.asarray(noise, dtype=np.float64), s.size)
    ps, pn = np.mean(s**2), np.mean(nz**2)
    if ps == 0 or pn == 0:
        return _as_int16(s)
    return _as_int16(s + nz * np.sqrt(ps / (pn * 10 ** (snr_db / 10))))


def band_pass(pcm: np.ndarray, sample_rate: int, low: float, high: float, taps: int = 255) -> np.ndarray:
    """Linear-phase FIR band-pass (windowed sinc), same length and no delay."""
    n = np.arange(taps) - (taps - 1) / 2
    hi = 2 * min(high, sample_rate / 2) / sample_rate
    lo = 2 * low / sample_rate
    h = (hi * np.sinc(hi * n) - lo * np.sinc(lo * n)) * np.blackman(taps)
    return _as_int16(np.convolve(np.asarray(pcm, dtype=np.float64), h, mode="same"))


def phone_band(pcm: np.ndarray, sample_rate: int, out_rate: int | None = None, law: str = "ulaw") -> np.ndarray:
    """What a caller hears on a phone line: 300-3400 Hz at 8 kHz through G.711 and back.

    Returns int16 at out_rate (default 8 kHz; pocketsphinx wants 16 kHz, so ask for it).
    """
    x = band_pass(resample(pcm, sample_rate, PHONE_RATE), PHONE_RATE, 300, 3400)
    x = ulaw_decode(ulaw_encode(x)) if law == "ulaw" else alaw_decode(alaw_encode(x))
    return resample(x, PHONE_RATE, out_rate) if out_rate and out_rate != PHONE_RATE else x
