"""Outbox senders: e-mail over SMTP and SMS through Twilio's REST API, each on only when configured.

A channel without a sender is not faked: its messages stay queued, and the delivery loop says which setting
would send them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import aiohttp

from ..background import running
from ..config import Settings
from .domain.messages import Channel, OutboxMessage, Sender
from .store.db import Store

log = logging.getLogger(__name__)


class SmtpSender:
    """E-mail through an SMTP server: `smtp://user:pass@host:587?starttls=1`, or `smtps://...:465`."""

    channel = Channel.EMAIL

    def __init__(self, url: str, sender: str, timeout: float = 20.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"SMTP_URL must look like smtp://user:pass@host:port, not {url!r}")
        self.host, self.ssl = parts.hostname, parts.scheme == "smtps"
        self.port = parts.port or (465 if self.ssl else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.starttls = parse_qs(parts.query).get("starttls", ["0"])[0] in ("1", "true", "yes")
        self.sender, self.timeout = sender, timeout

    def _send(self, mail: EmailMessage) -> None:
        context = ssl.create_default_context()
        client: smtplib.SMTP = (smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
                                if self.ssl else smtplib.SMTP(self.host, self.port, timeout=self.timeout))
        with client:
            if self.starttls:
                client.starttls(context=context)
            if self.user:
                client.login(self.user, self.password or "")
            client.send_message(mail)

    async def send(self, message: OutboxMessage) -> None:
        mail = EmailMessage()
        mail["From"], mail["To"] = self.sender, message.to
        mail["Subject"] = message.subject or message.body.split("\n", 1)[0][:80]
        mail.set_content(message.body)
        await asyncio.to_thread(self._send, mail)  # smtplib is blocking; the event loop keeps serving calls


class TwilioSmsSender:
    """SMS through Twilio's Messages API (POST /2010-04-01/Accounts/{sid}/Messages.json, basic auth)."""

    channel = Channel.SMS

    def __init__(self, account_sid: str, auth_token: str, from_number: str,
                 api_base: str = "https://api.twilio.com", timeout: float = 20.0) -> None:
        self.url = f"{api_base.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.auth = aiohttp.BasicAuth(account_sid, auth_token)
        self.from_number, self.timeout = from_number, aiohttp.ClientTimeout(total=timeout)

    async def send(self, message: OutboxMessage) -> None:
        form = {"To": message.to, "From": self.from_number, "Body": message.body}
        async with aiohttp.ClientSession(timeout=self.timeout) as http, \
                http.post(self.url, data=form, auth=self.auth) as reply:
            if reply.status >= 300:
                detail = await reply.text()
                with contextlib.suppress(ValueError, AttributeError):  # Twilio's JSON error, when it is JSON
                    detail = (await reply.json(content_type=None)).get("message", detail)
                raise RuntimeError(f"Twilio answered {reply.status}: {str(detail)[:200]}")


def senders_from_settings(settings: Settings) -> dict[Channel, Sender]:
    """The senders these settings configure (none by default: an offline install sends nothing)."""
    senders: dict[Channel, Sender] = {}
    if settings.smtp_url:
        senders[Channel.EMAIL] = SmtpSender(settings.smtp_url, settings.smtp_from)
    if settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_sms_from:
        senders[Channel.SMS] = TwilioSmsSender(settings.twilio_account_sid, settings.twilio_auth_token,
                                               settings.twilio_sms_from, settings.twilio_api_base)
    return senders


#: The settings that would turn a channel on (said when its messages wait).
MISSING = {Channel.EMAIL.value: "SMTP_URL (and SMTP_FROM)",
           Channel.SMS.value: "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_SMS_FROM"}


async def deliver_forever(store: Store, settings: Settings, senders: Mapping[Channel, Sender] | None = None,
                          interval: float | None = None) -> None:
    """Deliver the outbox every OUTBOX_INTERVAL_SECONDS until cancelled (the gateway runs it; so may any replica,
    since claims are exclusive). Says once which channel waits for which setting."""
    from .services.messages import deliver_all

    senders = senders_from_settings(settings) if senders is None else senders
    every = settings.outbox_interval_seconds if interval is None else interval
    told: set[str] = set()
    while True:
        try:
            for business_id, report in (await deliver_all(store, senders)).items():
                if report.sent or report.failed:
                    log.info("outbox: business %s: %d sent, %d retrying, %d failed", business_id, report.sent,
                             report.retrying, report.failed)
                for channel, count in report.waiting.items():
                    if channel not in told:
                        told.add(channel)
                        log.warning("outbox: %d %s message(s) wait: no %s sender is configured (set %s)", count,
                                    channel, channel, MISSING.get(channel, "a sender"))
        except Exception:  # the loop outlives a database hiccup; the next pass tries again
            log.exception("outbox delivery pass failed")
        await asyncio.sleep(every)


def delivering(store: Store, settings: Settings) -> contextlib.AbstractAsyncContextManager[asyncio.Task[None] | None]:
    """Run `deliver_forever` for the life of the block; off when OUTBOX_INTERVAL_SECONDS is 0."""
    return running(deliver_forever(store, settings) if settings.outbox_interval_seconds > 0 else None)
