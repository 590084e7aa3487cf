# ruff: noqa: F811  (the telephony fixtures are imported here: this module lives beside, not under, their conftest)
"""A real phone call (baresip over the local SIP trunk) is recorded, encrypted at rest, served to the owner only,
and re-encrypted by a key rotation."""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).parent / "telephony"))
from sip_peers import agent_quiet, baresip, customer, phone_settings, say, sip_tools, trunk  # noqa: F401  (fixtures)

from hero365.calls.bridge import PhoneSpeech, run_call
from hero365.calls.recording import MAGIC, decrypt_chunks, path_of, reencrypt_all
from hero365.calls.telephony.base import DialRequest
from hero365.insights.crypto import Keyring, attach
from hero365.insights.tables import conversations
from hero365.voice.audio_session import make_vad
from hero365.voice.speech.tts import make_tts

pytestmark = pytest.mark.timeout(150)


def decode(data: bytes) -> tuple[int, int, np.ndarray]:
    """(channels, sample rate, samples as channels x n) of an ogg file's audio."""
    with av.open(io.BytesIO(data), format="ogg") as container:
        stream = container.streams.audio[0]
        frames = [f.to_ndarray() for f in container.decode(stream)]
        channels, rate = stream.codec_context.channels, stream.codec_context.sample_rate
    return channels, rate, np.concatenate(frames, axis=1).reshape(channels, -1)


def plain_in(audio: bytes, stored: bytes) -> bool:
    """Does any of the audio's plaintext show in the stored file (its ogg header, or 32 bytes of each 64 KiB)?"""
    return audio[:64] in stored or any(audio[i:i + 32] in stored for i in range(4096, len(audio) - 32, 65536))


def talking(channel: np.ndarray, rate: int) -> np.ndarray:
    """Per 20 ms: is there speech (above a tenth of the loudest 20 ms)?"""
    step = rate // 50
    rms = np.sqrt(np.mean(channel[: len(channel) // step * step].reshape(-1, step).astype(np.float64) ** 2, axis=1))
    return rms > 0.1 * rms.max()


async def test_a_phone_call_is_recorded_encrypted_and_played_back_to_the_owner_only(
        world: Any, customer: Any, baresip: Any, trunk: Any, phone_settings: Any, tmp_path: Path) -> None:
    from hero365.erp.services import businesses
    from hero365.gateway import create_app

    old = Fernet.generate_key().decode()
    attach(world.store, Keyring([old]))
    settings = phone_settings.model_copy(update={"recordings_dir": tmp_path / "recordings"})
    hello = say("Hello?", tmp_path / "hello.wav", after=60)
    yes = say("Yes, that works.", tmp_path / "yes.wav", before=0.2, after=60)
    phone = baresip(hello)
    leg = await trunk.dial(DialRequest(attempt_id=1, business_id=customer.business_id, to=phone.uri,
                                       contact_id=customer.contact_id, ring_timeout_s=10), lambda ev: None)
    speech = PhoneSpeech(tts=make_tts(settings, sample_rate=8000), vad=make_vad(), settings=settings)
    call = asyncio.create_task(run_call(leg, world.store, customer.business_id, customer.contact_id,
                                        "appointment_reminder", settings=settings, speech=speech))
    spoken = await agent_quiet(leg.audio_output, after_frames=0)  # the disclosure and the reminder question
    await phone.play(yes)
    await agent_quiet(leg.audio_output, after_frames=spoken)
    await phone.command("hangup")
    report = await asyncio.wait_for(call, 30)
    assert report.error is None
    said = " ".join(text for role, text in report.transcript if role == "assistant")
    assert "This call may be recorded." in said

    async with world.store.engine.connect() as conn:
        row = (await conn.execute(sa.select(conversations.c.recording_ref).where(
            conversations.c.id == report.conversation_id))).one()
        raw_ref = (await conn.execute(sa.text("SELECT recording_ref FROM conversations WHERE id = :i"),
                                      {"i": report.conversation_id})).scalar_one()
    ref = f"{customer.business_id}/{report.session_id}.ogg.enc"
    assert row.recording_ref == ref and ref not in raw_ref  # the reference itself is encrypted in the database
    stored = path_of(settings, ref)
    data = stored.read_bytes()
    assert data.startswith(MAGIC)  # not an ogg file (that would start with its "OggS" magic)
    assert not list(stored.parent.glob("*.ogg")), "the plaintext recording was left behind"
    audio = b"".join(decrypt_chunks(stored, attach(world.store)))
    assert audio.startswith(b"OggS") and not plain_in(audio, data)  # no readable audio at rest
    channels, rate, pcm = decode(audio)
    seconds = pcm.shape[1] / rate
    assert channels == 2 and 4.0 < seconds < 120.0, (channels, seconds)
    caller, agent = (float(np.sqrt(np.mean(ch.astype(np.float64) ** 2))) for ch in pcm)
    assert agent > 0.005 and caller > 0.001, (caller, agent)  # both sides are on the tape
    # in order, as it happened: the agent's disclosure, the customer's answer in the agent's silence, the reply
    caller_on, agent_on = talking(pcm[0], rate), talking(pcm[1], rate)
    answered = int(np.argmax(caller_on))
    assert caller_on.any() and agent_on[:answered].sum() > 50 and agent_on[answered + 25:].any()
    assert not agent_on[max(0, answered - 25):answered + 10].any(), "the agent talked over the customer's answer"

    app = create_app(settings.model_copy(update={"jwt_secret": "test-secret-" + "x" * 40}), world.store,
                     stt_factory=None)
    tokens = app.state.gateway.tokens
    other, other_owner = await businesses.create_business(world.store, "Other Plumbing", "America/Chicago",
                                                          owner_name="Otto", owner_email="otto@other.test")
    url = f"/api/v1/voice-agents/sessions/{report.session_id}/recording"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        def bearer(user_id: int, business_id: int) -> dict[str, str]:
            return {"Authorization": f"Bearer {tokens.mint(user_id, business_id)}"}

        r = await client.get(url, headers=bearer(world.owner.user_id, world.business_id))
        assert r.status_code == 200 and r.headers["content-type"] == "audio/ogg" and r.content == audio
        r = await client.get(url, headers=bearer(world.tech.user_id, world.business_id))
        assert r.status_code == 403, r.text
        r = await client.get(url, headers=bearer(other_owner.id, other.id))
        assert r.status_code == 404, r.text

    # rotation: a new key in front re-encrypts the file; the old key retired, it still decrypts
    new = Fernet.generate_key().decode()
    done = reencrypt_all(settings, Keyring([new, old]))
    assert done.files == 1 and done.unreadable == 0
    assert stored.read_bytes() != data and not plain_in(audio, stored.read_bytes())
    assert b"".join(decrypt_chunks(stored, Keyring([new]))) == audio
    assert reencrypt_all(settings, Keyring([new]), only_old=True).files == 0  # already under the newest key


async def test_the_disclosure_claims_recording_only_when_the_call_is_recorded(world: Any, customer: Any) -> None:
    from hero365.calls.bridge import outbound_state
    from hero365.voice.agents.calls import disclosure

    state = await outbound_state(world.store, customer.business_id, customer.contact_id, "appointment_reminder")
    assert world.store.settings.call_recording  # on by default
    assert "This call may be recorded." in disclosure(state, "Hero Plumbing", None, "Bob")
    state.handoff["recorded"] = False  # the bridge could not record this call (or recording is off)
    assert "recorded" not in disclosure(state, "Hero Plumbing", None, "Bob")
    del state.handoff["recorded"]
    world.store.settings = world.store.settings.model_copy(update={"call_recording": False})  # CALL_RECORDING=false
    said = disclosure(state, "Hero Plumbing", None, "Bob")
    assert "recorded" not in said and said.startswith("Hi Bob, this is the automated assistant for Hero Plumbing")


async def test_keys_rotate_and_retire_re_encrypt_recording_files(world: Any, tmp_path: Path) -> None:
    """`hero365 keys rotate` then `retire` (insights.keys): the recording opens with the new key alone."""
    from hero365.calls.recording import encrypt_file
    from hero365.insights import keys

    world.store.settings = world.store.settings.model_copy(update={"conversation_keys_file": tmp_path / "keys"})
    old = attach(world.store, Keyring.from_settings(world.store.settings))
    plain = tmp_path / "call.ogg"
    plain.write_bytes(b"OggS" + bytes(range(256)) * 50)
    stored = path_of(world.store.settings, f"{world.business_id}/s1.ogg.enc")
    encrypt_file(plain, stored, old)
    before = stored.read_bytes()

    ring, done = await keys.rotate(world.store)
    assert done.per_table["recordings"] == 1 and done.unreadable == 0 and ring.keys[1:] == old.keys
    assert stored.read_bytes() != before
    kept, retired = await keys.retire(world.store)
    assert retired.per_table["recordings"] == 0 and kept.keys == ring.keys[:1]  # already under the new key
    assert b"".join(decrypt_chunks(stored, Keyring(kept.keys))) == plain.read_bytes()
