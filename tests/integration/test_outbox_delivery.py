"""Outbox delivery through real protocol peers: an SMTP server (aiosmtpd) and an HTTP server speaking Twilio's
Messages API, both on 127.0.0.1. Messages are sent once, failures retried then given up, unconfigured channels
left queued, and two deliverers at once never send one message twice."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes
from typing import Any

import pytest
from aiohttp import web
from aiosmtpd.controller import Controller

from hero365.config import Settings
from hero365.erp.domain.messages import MAX_ATTEMPTS, Channel, MessageStatus, OutboxMessage
from hero365.erp.senders import SmtpSender, TwilioSmsSender, deliver_forever, senders_from_settings
from hero365.erp.services.messages import deliver_all, deliver_outbox

SID, TOKEN = "AC0123456789abcdef0123456789abcdef", "twilio-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Inbox:
    """What the SMTP server received (whole messages, as parsed e-mails)."""

    mails: list[Any] = field(default_factory=list)
    delay: float = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls it by this name
        if self.delay:
            await asyncio.sleep(self.delay)
        self.mails.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", inbox
    finally:
        controller.stop()


@dataclass
class Twilio:
    base: str
    texts: list[dict[str, str]] = field(default_factory=list)
    fail_with: int | None = None


@pytest.fixture
async def twilio() -> AsyncIterator[Twilio]:
    """Twilio's Messages endpoint as the API documents it: basic auth with the account SID, a form body, 201."""
    port = _free_port()
    fake = Twilio(f"http://127.0.0.1:{port}")

    async def messages(request: web.Request) -> web.Response:
        import base64

        assert request.match_info["sid"] == SID
        expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401}, status=401)
        form = dict(await request.post())
        if fake.fail_with:
            return web.json_response({"code": 21211, "message": f"The 'To' number {form['To']} is not a valid "
                                      "phone number.", "status": fake.fail_with}, status=fake.fail_with)
        fake.texts.append({k: str(v) for k, v in form.items()})
        return web.json_response({"sid": f"SM{len(fake.texts):032d}", "status": "queued", "to": form["To"],
                                  "body": form["Body"]}, status=201)

    app = web.Application()
    app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", messages)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield fake
    finally:
        await runner.cleanup()


async def _queue(world: Any, channel: Channel, to: str, body: str, subject: str | None = None) -> int:
    async with world.store.uow(world.business_id) as uow:
        message = uow.outbox.add(OutboxMessage(business_id=world.business_id, channel=channel, to=to, body=body,
                                               subject=subject, created_at=world.store.clock()))
        await uow.flush()
        assert message.id is not None
        return message.id


async def _message(world: Any, message_id: int) -> OutboxMessage:
    async with world.store.uow(world.business_id) as uow:
        found = await uow.outbox.get(message_id)
        assert found is not None
        return found


async def test_an_email_goes_out_over_smtp_once_and_is_marked_sent(world, smtp) -> None:
    url, inbox = smtp
    mid = await _queue(world, Channel.EMAIL, "ann@example.com", "Your estimate is attached.", "Estimate E-12")
    senders = {Channel.EMAIL: SmtpSender(url, "Hero Home Services <office@hero.test>")}

    first = await deliver_outbox(world.store, world.business_id, senders)
    again = await deliver_outbox(world.store, world.business_id, senders)

    assert (first.sent, again.sent) == (1, 0)
    [mail] = inbox.mails
    assert (mail["To"], mail["Subject"], mail["From"]) == ("ann@example.com", "Estimate E-12",
                                                            "Hero Home Services <office@hero.test>")
    assert mail.get_payload().strip() == "Your estimate is attached."
    sent = await _message(world, mid)
    assert sent.status == MessageStatus.SENT and sent.attempts == 1 and sent.sent_at is not None


async def test_a_text_goes_out_through_twilios_messages_api(world, twilio) -> None:
    mid = await _queue(world, Channel.SMS, "+15125550123", "Reminder: invoice 1042 is 10 days overdue.")
    sender = TwilioSmsSender(SID, TOKEN, "+15125550100", api_base=twilio.base)

    report = await deliver_outbox(world.store, world.business_id, {Channel.SMS: sender})

    assert report.sent == 1
    assert twilio.texts == [{"To": "+15125550123", "From": "+15125550100",
                             "Body": "Reminder: invoice 1042 is 10 days overdue."}]
    assert (await _message(world, mid)).status == MessageStatus.SENT


async def test_a_refused_text_is_retried_then_given_up_with_twilios_reason(world, twilio) -> None:
    twilio.fail_with = 400
    mid = await _queue(world, Channel.SMS, "+15125550123", "Your technician is on the way.")
    senders = {Channel.SMS: TwilioSmsSender(SID, TOKEN, "+15125550100", api_base=twilio.base)}

    first = await deliver_outbox(world.store, world.business_id, senders)
    queued_again = await _message(world, mid)
    assert (first.sent, first.retrying) == (0, 1)
    assert queued_again.status == MessageStatus.QUEUED and queued_again.attempts == 1
    assert "Twilio answered 400" in (queued_again.error or "") and "not a valid phone number" in queued_again.error

    for _ in range(MAX_ATTEMPTS - 1):
        await deliver_outbox(world.store, world.business_id, senders)
    given_up = await _message(world, mid)
    assert given_up.status == MessageStatus.FAILED and given_up.attempts == MAX_ATTEMPTS
    assert (await deliver_outbox(world.store, world.business_id, senders)).sent == 0 and twilio.texts == []


async def test_wrong_twilio_credentials_are_a_recorded_failure_not_a_send(world, twilio) -> None:
    mid = await _queue(world, Channel.SMS, "+15125550123", "Hello")
    bad = {Channel.SMS: TwilioSmsSender(SID, "wrong-token", "+15125550100", api_base=twilio.base)}
    await deliver_outbox(world.store, world.business_id, bad)
    message = await _message(world, mid)
    assert message.status == MessageStatus.QUEUED and "401" in (message.error or "") and twilio.texts == []


async def test_a_channel_without_a_sender_stays_queued_and_is_counted(world, smtp) -> None:
    url, inbox = smtp
    text = await _queue(world, Channel.SMS, "+15125550123", "Running late, there by 10.")
    await _queue(world, Channel.EMAIL, "ann@example.com", "Thanks!", "Thanks")

    report = await deliver_outbox(world.store, world.business_id, {Channel.EMAIL: SmtpSender(url, "a@b.test")})

    assert report.sent == 1 and report.waiting == {"sms": 1} and len(inbox.mails) == 1
    still = await _message(world, text)
    assert still.status == MessageStatus.QUEUED and still.attempts == 0 and still.error is None


async def test_two_deliverers_at_once_send_each_message_exactly_once(world, smtp) -> None:
    url, inbox = smtp
    inbox.delay = 0.05  # a slow server: both deliverers are mid-pass together
    ids = [await _queue(world, Channel.EMAIL, f"c{i}@example.com", f"Message {i}", f"S{i}") for i in range(6)]
    senders = {Channel.EMAIL: SmtpSender(url, "office@hero.test")}

    a, b = await asyncio.gather(deliver_outbox(world.store, world.business_id, senders),
                                deliver_outbox(world.store, world.business_id, senders))

    assert a.sent + b.sent == 6
    assert sorted(m["To"] for m in inbox.mails) == sorted(f"c{i}@example.com" for i in range(6))
    assert [(await _message(world, i)).status for i in ids] == [MessageStatus.SENT] * 6


async def test_a_deliverer_that_died_mid_send_leaves_a_lease_that_runs_out(world, smtp, clock) -> None:
    url, inbox = smtp
    mid = await _queue(world, Channel.EMAIL, "ann@example.com", "Hello", "Hi")
    async with world.store.uow(world.business_id) as uow:  # a deliverer claims it, then its process dies
        assert await uow.outbox.claim(mid, clock(), clock() + timedelta(minutes=5))
    senders = {Channel.EMAIL: SmtpSender(url, "office@hero.test")}

    assert (await deliver_outbox(world.store, world.business_id, senders)).sent == 0  # still leased: hands off
    clock.at += timedelta(minutes=6)
    assert (await deliver_outbox(world.store, world.business_id, senders)).sent == 1
    assert len(inbox.mails) == 1 and (await _message(world, mid)).status == MessageStatus.SENT


async def test_the_delivery_loop_sends_what_the_agents_queue_for_every_business(world, smtp) -> None:
    url, inbox = smtp
    settings = Settings(database_url="sqlite+aiosqlite:///unused.db", smtp_url=url, smtp_from="office@hero.test")
    senders = senders_from_settings(settings)
    assert set(senders) == {Channel.EMAIL}  # no Twilio settings: no SMS sender, not a pretend one
    mid = await _queue(world, Channel.EMAIL, "ann@example.com", "Hello", "Hi")
    loop = asyncio.get_running_loop().create_task(deliver_forever(world.store, settings, senders, interval=0.05))
    try:
        for _ in range(400):  # up to 20 s on a loaded machine; it normally takes one pass
            if (await _message(world, mid)).status == MessageStatus.SENT:  # received, then settled
                break
            await asyncio.sleep(0.05)
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
    assert [m["To"] for m in inbox.mails] == ["ann@example.com"]
    assert await deliver_all(world.store, senders) == {}  # nothing waits any more


def test_a_malformed_smtp_url_is_refused_with_what_it_should_look_like() -> None:
    with pytest.raises(ValueError, match="smtp://user:pass@host:port"):
        SmtpSender("mailserver:25", "a@b.test")
