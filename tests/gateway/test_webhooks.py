"""Twilio's webhooks on a gateway that has no TWILIO_AUTH_TOKEN: refused, saying what to set (an unsigned webhook
would let anyone open calls into a business). Signed requests are tested in tests/calls/telephony/test_twilio.py."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/api/v1/telephony/twilio/voice?business_id={bid}",
                                  "/api/v1/telephony/twilio/status?dial=0123456789abcdef"])
async def test_twilio_webhooks_are_refused_until_twilio_is_configured(client, world, path) -> None:
    r = await client.post(path.format(bid=world.business_id), data={"CallSid": "CA" + "0" * 32, "From": "+15125550123",
                                                                   "CallStatus": "ringing"})
    assert r.status_code == 403
    assert "TWILIO_AUTH_TOKEN" in r.text
