"""The call bridge's shared parts: one recogniser per business, kept up to date with its customers' names."""

from __future__ import annotations

from typing import Any

import pytest

from hero365.calls.bridge import PhoneSpeech
from hero365.voice.audio_session import make_vad
from hero365.voice.speech.tts import make_tts


async def test_the_phone_recogniser_learns_new_customers_names(world: Any, customer: Any, phone_settings: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """One recogniser per business for all its calls, whose vocabulary is read again after VOCAB_TTL_S."""
    from hero365.calls import bridge
    from hero365.erp.services import contacts

    speech = PhoneSpeech(tts=make_tts(phone_settings, sample_rate=8000), vad=make_vad(), settings=phone_settings)
    first = await speech.recogniser(world.store, customer.business_id)
    assert "Bob Johnson" in first.vocab.customers  # type: ignore[attr-defined]
    async with world.store.uow(customer.business_id) as uow:
        await contacts.create_contact(uow, world.owner, "Zebulon Quackenbush", "512-555-0177")
    assert await speech.recogniser(world.store, customer.business_id) is first  # within the TTL: as it was
    assert "Zebulon Quackenbush" not in first.vocab.customers  # type: ignore[attr-defined]
    monkeypatch.setattr(bridge, "VOCAB_TTL_S", 0.0)
    again = await speech.recogniser(world.store, customer.business_id)
    assert again is first and "Zebulon Quackenbush" in again.vocab.customers  # type: ignore[attr-defined]
