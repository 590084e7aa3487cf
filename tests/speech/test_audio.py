"""PCM utilities: G.711 bit-exact against the reference, resampling keeps pitch and length, WAV, noise, phone band."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from hero365.voice.speech import audio as A

ALL_PCM = np.arange(-32768, 32768, dtype=np.int16)


def _peak_hz(pcm: np.ndarray, rate: int) -> float:
    spec = np.abs(np.fft.rfft(pcm.astype(np.float64) * np.hanning(pcm.size)))
    return float(np.argmax(spec) * rate / pcm.size)


# ---------------------------------------------------------------- G.711

# Code points worked by hand from ITU-T G.711 / the G.191 reference software.
ULAW_KNOWN = {0: 0xFF, 1: 0xFF, -1: 0x7F, 32767: 0x80, -32768: 0x00, 100: 0xF2, -100: 0x73, 1000: 0xCE, 8031: 0xA0}
ALAW_KNOWN = {0: 0xD5, 1: 0xD5, -1: 0x55, 32767: 0xAA, -32768: 0x2A, 100: 0xD3, -100: 0x53, 1000: 0xFA}
ULAW_DECODED = {0xFF: 0, 0x7F: 0, 0x80: 32124, 0x00: -32124, 0xCE: 988, 0xF2: 104}
ALAW_DECODED = {0xD5: 8, 0x55: -8, 0xAA: 32256, 0x2A: -32256, 0xFA: 1008}


def g191_ulaw_compress(x: int) -> int:
    """Line for line from ITU-T G.191 STL g711.c ulaw_compress (the reference, scalar)."""
    absno = ((~x) >> 2) + 33 if x < 0 else (x >> 2) + 33
    absno = min(absno, 0x1FFF)
    i, segno = absno >> 6, 1
    while i != 0:
        segno += 1
        i >>= 1
    code = ((8 - segno) << 4) | (15 - ((absno >> segno) & 0x0F))
    return code | 0x80 if x >= 0 else code


def g191_alaw_compress(x: int) -> int:
    """ITU-T G.191 STL g711.c alaw_compress."""
    ix = (~x) >> 4 if x < 0 else x >> 4
    if ix > 15:
        iexp = 1
        while ix > 16 + 15:
            ix >>= 1
            iexp += 1
        ix -= 16
        ix += iexp << 4
    if x >= 0:
        ix |= 0x80
    return ix ^ 0x55


def g191_ulaw_expand(code: int) -> int:
    sign = -1 if code < 0x80 else 1
    mantissa = ~code
    exponent = (mantissa >> 4) & 0x07
    step = 4 << (exponent + 1)
    return sign * ((0x80 << exponent) + step * (mantissa & 0x0F) + step // 2 - 4 * 33)


def g191_alaw_expand(code: int) -> int:
    ix = (code ^ 0x55) & 0x7F
    iexp, mant = ix >> 4, ix & 0x0F
    if iexp > 0:
        mant += 16
    mant = (mant << 4) + 8
    if iexp > 1:
        mant <<= iexp - 1
    return mant if code > 127 else -mant


@pytest.mark.parametrize(("encode", "known"), [(A.ulaw_encode, ULAW_KNOWN), (A.alaw_encode, ALAW_KNOWN)])
def test_g711_encode_known_values(encode, known) -> None:  # type: ignore[no-untyped-def]
    pcm = np.array(list(known), dtype=np.int16)
    assert list(encode(pcm)) == list(known.values())


@pytest.mark.parametrize(("decode", "known"), [(A.ulaw_decode, ULAW_DECODED), (A.alaw_decode, ALAW_DECODED)])
def test_g711_decode_known_values(decode, known) -> None:  # type: ignore[no-untyped-def]
    assert decode(bytes(known)).tolist() == list(known.values())


def test_g711_bit_exact_against_the_itu_reference_for_every_sample() -> None:
    assert list(A.ulaw_encode(ALL_PCM)) == [g191_ulaw_compress(int(x)) for x in ALL_PCM]
    assert list(A.alaw_encode(ALL_PCM)) == [g191_alaw_compress(int(x)) for x in ALL_PCM]
    assert A.ulaw_decode(bytes(range(256))).tolist() == [g191_ulaw_expand(c) for c in range(256)]
    assert A.alaw_decode(bytes(range(256))).tolist() == [g191_alaw_expand(c) for c in range(256)]


def test_g711_agrees_with_audioop() -> None:
    """Python 3.11's audioop (Sun g711.c): same A-law and decoders; mu-law differs by at most one step,
    only for negative inputs (Sun negates after an arithmetic shift, so -1 encodes as 0x7E, not -0)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop", reason="audioop was removed in Python 3.13")
    raw = ALL_PCM.astype("<i2").tobytes()
    assert A.alaw_encode(ALL_PCM) == audioop.lin2alaw(raw, 2)
    codes = bytes(range(256))
    assert A.ulaw_decode(codes).tobytes() == audioop.ulaw2lin(codes, 2)
    assert A.alaw_decode(codes).tobytes() == audioop.alaw2lin(codes, 2)
    ours = np.frombuffer(A.ulaw_encode(ALL_PCM), np.uint8).astype(int)
    sun = np.frombuffer(audioop.lin2ulaw(raw, 2), np.uint8).astype(int)
    assert np.array_equal(ours[ALL_PCM >= 0], sun[ALL_PCM >= 0])
    differ = ours != sun
    assert np.all(ALL_PCM[differ] < 0) and np.all(np.abs(ours[differ] - sun[differ]) == 1)


@pytest.mark.parametrize(("encode", "decode"), [(A.ulaw_encode, A.ulaw_decode), (A.alaw_encode, A.alaw_decode)])
def test_g711_round_trips(encode, decode) -> None:  # type: ignore[no-untyped-def]
    codes = bytes(range(256))
    # every code decodes to a value that encodes back to it (0x7F/0xFF and A-law's +-0 pairs aside)
    back = encode(decode(codes))
    same = sum(a == b for a, b in zip(back, codes, strict=True))
    assert same >= 254
    # PCM -> code -> PCM keeps the value within the quantiser step (logarithmic: <= 1/16 of it, +-16 near 0)
    err = np.abs(decode(encode(ALL_PCM)).astype(np.int32) - ALL_PCM.astype(np.int32))
    assert np.all(err <= np.maximum(np.abs(ALL_PCM.astype(np.int32)) // 16, 16) + 1)
    # one byte a sample
    assert len(encode(A.tone(440, 0.1, 8000))) == 800


def test_g711_speech_level_quality() -> None:
    x = A.tone(1000, 1.0, 8000, amplitude=0.3)
    for enc, dec in ((A.ulaw_encode, A.ulaw_decode), (A.alaw_encode, A.alaw_decode)):
        y = dec(enc(x)).astype(np.float64)
        snr = 10 * np.log10(np.mean(x.astype(np.float64) ** 2) / np.mean((y - x) ** 2))
        assert snr > 33  # G.711's ~38 dB SQNR for a loud tone


# ---------------------------------------------------------------- resampling

PAIRS = [(22050, 8000), (8000, 16000), (16000, 8000), (48000, 16000), (22050, 24000), (24000, 48000),
         (16000, 22050), (8000, 48000), (44100, 16000)]


@pytest.mark.parametrize(("src", "dst"), PAIRS)
def test_resample_keeps_frequency_length_and_level(src: int, dst: int) -> None:
    x = A.tone(1000, 1.0, src)
    y = A.resample(x, src, dst)
    assert y.dtype == np.int16
    assert y.size == dst  # one second stays one second
    assert abs(_peak_hz(y, dst) - 1000) <= 2
    assert abs(A.rms_dbfs(y[dst // 10 : -dst // 10]) - A.rms_dbfs(x)) < 0.1


def test_resample_rejects_aliases_and_keeps_the_phone_band() -> None:
    for freq, keep in ((300, True), (3000, True), (5000, False), (6000, False), (9000, False)):
        x = A.tone(freq, 1.0, 22050)
        y = A.resample(x, 22050, 8000)[1000:-1000]  # away from the tone's abrupt start and end
        loss = A.rms_dbfs(x) - A.rms_dbfs(y)
        assert (loss < 0.5) if keep else (loss > 60), (freq, loss)


def test_resample_has_no_delay() -> None:
    x = np.zeros(22050, np.int16)
    x[11025] = 20000  # a click half-way
    y = A.resample(x, 22050, 8000)
    assert abs(int(np.argmax(np.abs(y))) - 4000) <= 1


@pytest.mark.parametrize(("src", "dst"), [(22050, 8000), (8000, 16000), (48000, 16000), (16000, 22050)])
def test_stream_resampler_equals_offline(src: int, dst: int) -> None:
    rng = np.random.default_rng(3)
    x = A.mix_at_snr(A.tone(700, 0.7, src), A.white_noise(src, seed=1), 15)
    stream, parts, i = A.StreamResampler(src, dst), [], 0
    while i < x.size:
        k = int(rng.integers(1, 900))
        parts.append(stream.push(x[i : i + k]))
        i += k
    parts.append(stream.flush())
    assert np.array_equal(np.concatenate(parts), A.resample(x, src, dst))


def test_resample_identity_and_empty() -> None:
    x = A.tone(440, 0.1, 16000)
    assert np.array_equal(A.resample(x, 16000, 16000), x)
    assert A.resample(np.zeros(0, np.int16), 16000, 8000).size == 0


# ---------------------------------------------------------------- WAV, noise, phone band


def test_wav_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    x = A.tone(440, 0.25, 22050)
    A.write_wav(tmp_path / "t.wav", x, 22050)
    y, rate = A.read_wav(tmp_path / "t.wav")
    assert rate == 22050 and np.array_equal(x, y)


def test_wav_reads_stereo_and_8_bit(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import wave

    x = A.tone(440, 0.1, 8000)
    with wave.open(str(tmp_path / "s.wav"), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.stack([x, x], axis=1).astype("<i2").tobytes())
    y, rate = A.read_wav(tmp_path / "s.wav")
    assert rate == 8000 and np.array_equal(x, y)
    with wave.open(str(tmp_path / "b.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(((x.astype(np.int32) >> 8) + 128).astype(np.uint8).tobytes())
    y, _ = A.read_wav(tmp_path / "b.wav")
    assert np.max(np.abs(y.astype(np.int32) - x)) <= 256


@pytest.mark.parametrize("snr", [0.0, 10.0, 20.0])
def test_mix_at_snr_hits_the_target(snr: float) -> None:
    speech = A.tone(300, 2.0, 16000, amplitude=0.2)
    noise = A.road_noise(16000 * 3, 16000, seed=2)
    mixed = A.mix_at_snr(speech, noise, snr)
    residual = mixed.astype(np.float64) - speech
    measured = 10 * np.log10(np.mean(speech.astype(np.float64) ** 2) / np.mean(residual**2))
    assert abs(measured - snr) < 0.2
    assert mixed.size == speech.size


def test_road_noise_is_low_frequency_heavy_and_deterministic() -> None:
    n = A.road_noise(16000, 16000, seed=5)
    assert np.array_equal(n, A.road_noise(16000, 16000, seed=5))
    spec = np.abs(np.fft.rfft(n.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(n.size, 1 / 16000)
    assert spec[freqs < 500].sum() > spec[freqs > 2000].sum()


def test_phone_band_is_8k_mu_law_and_band_limited() -> None:
    voice_band = A.tone(1000, 1.0, 22050, amplitude=0.3)
    rumble = A.tone(100, 1.0, 22050, amplitude=0.3)
    out = A.phone_band(voice_band, 22050)
    assert out.size == 8000
    assert abs(_peak_hz(out, 8000) - 1000) <= 2
    assert A.rms_dbfs(out) - A.rms_dbfs(voice_band) > -1.0
    assert A.rms_dbfs(A.phone_band(rumble, 22050)[500:-500]) - A.rms_dbfs(rumble) < -20  # below 300 Hz is cut
    # a mu-law round trip: every sample of the 8 kHz output is a G.711 code point
    assert np.array_equal(A.ulaw_decode(A.ulaw_encode(out)), out)
    assert A.phone_band(voice_band, 22050, out_rate=16000).size == 16000
