"""All settings in one place, read from the environment (prefix-free names such as DATABASE_URL)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def data_dir() -> Path:
    """The user's data folder ($XDG_DATA_HOME/hero365 or ~/.local/share/hero365)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "hero365"


def _default_db_url() -> str:
    return f"sqlite+aiosqlite:///{data_dir() / 'hero365.db'}"


class Settings(BaseSettings):
    """Configuration for every process (CLI, gateway, workers). Unset integrations stay honestly absent."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(default_factory=_default_db_url, description="SQLAlchemy async URL")
    redis_url: str | None = Field(default=None, description="Redis for cache, rate limits and the dialer queue")
    cache_ttl_seconds: int = 300
    db_echo: bool = False
    db_pool_size: int = 10
    #: "hybrid": the local engine answers what it is sure of; only the turns it would ask about go to the LLM
    #: (LLM_BASE_URL and/or LLM_API_KEY; without either, hybrid is local).
    brain: Literal["local", "openai", "hybrid"] = Field(
        default="local", description="local command engine, a hosted LLM, or local with the LLM for unsure turns")
    llm_base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint for BRAIN=openai/hybrid")
    llm_model: str = "gpt-4o-mini"
    llm_api_key: str | None = None
    stt: Literal["hybrid", "sphinx", "deepgram"] = Field(default="hybrid", description="speech recogniser")
    #: 0.88: on the held-out sets (tests/unit/nlu, Piper voice) 0.88-0.92 cost 1 of 417 commands clean and
    #: in noise, none on the phone band, and takes more turns on the fast path.
    stt_fast_confidence: float = Field(default=0.88, description="pocketsphinx confidence to skip Whisper")
    #: Seconds of audio Whisper's encoder sees for a short utterance (None or 30: its full 30 s window).
    #: 10 s costs ~6x less CPU for ~2-3 points of word error rate (speech/stt/whisper.py).
    stt_whisper_context: float | None = Field(default=10.0, description="Whisper encoder window (seconds)")
    stt_api_key: str | None = None
    #: The demo business the CLI acts on when none is named.
    default_business_id: int | None = None
    #: A LiveKit server (Cloud or self-hosted) for rooms, dispatch and SIP; unset means none is used.
    livekit_url: str | None = Field(default=None, description="LiveKit server URL (wss://... or http://...)")
    livekit_api_key: str | None = None
    livekit_api_secret: str | None = Field(default=None, repr=False)
    #: Speech output: "piper" (natural, offline; espeak-ng if the voice is absent), "espeak" (robotic,
    #: instant) or a hosted LiveKit plugin ("openai", "cartesia", "elevenlabs") when installed and keyed.
    tts: Literal["piper", "espeak", "openai", "cartesia", "elevenlabs"] = "piper"
    tts_voice: str | None = Field(default=None, description="voice name; the provider's default when unset")
    tts_api_key: str | None = Field(default=None, repr=False)
    tts_base_url: str | None = None
    #: Gateway auth. HS256 with JWT_SECRET; unset, a secret is generated once into JWT_SECRET_FILE (default
    #: <data folder>/jwt_secret) so tokens survive restarts. JWT_JWKS_URL (https://..., or a file path) adds
    #: RS256/ES256 tokens from an identity provider (Supabase-like); issuer/audience are checked when set.
    jwt_secret: str | None = Field(default=None, repr=False)
    jwt_secret_file: Path | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_ttl_minutes: int = 720
    #: Gateway HTTP: allowed CORS origins (comma-separated), body limit, live text sessions, rate limits.
    cors_origins: str = ""
    gateway_max_body_bytes: int = 64 * 1024
    gateway_max_sessions: int = 200
    gateway_session_idle_seconds: int = 900
    rate_limit_user_per_minute: int = 120
    rate_limit_business_per_minute: int = 600
    #: Conversation store encryption at rest (transcripts, tool arguments, recording references): Fernet keys,
    #: comma-separated, newest first. Unset, a key is generated once into CONVERSATION_KEYS_FILE (default
    #: <data folder>/conversation_keys, mode 0600) so records survive restarts; `hero365 keys rotate` adds a key
    #: there and re-encrypts every row.
    conversation_keys: str | None = Field(default=None, repr=False)
    conversation_keys_file: Path | None = None
    #: Outbound calls. Legal calling hours in the callee's local time [start, end); the business's own window
    #: (in its zone, on its days: 0=Monday) narrows them; per-business rows in call_settings override these.
    calling_hours_start: int = Field(default=8, ge=0, le=23)
    calling_hours_end: int = Field(default=21, ge=1, le=24)
    business_call_hours_start: int = Field(default=8, ge=0, le=23)
    business_call_hours_end: int = Field(default=20, ge=1, le=24)
    business_call_days: str = Field(default="0123456", description="weekdays calls may be placed, 0=Monday")
    #: Days without calls: "US" (federal holidays, via the `holidays` package), ISO dates, or both, comma-separated.
    calling_holidays: str = "US"
    national_dnc_path: Path | None = Field(default=None, description="national DNC file imported at dialer start")
    caller_id: str | None = Field(default=None, description="E.164 number presented on outbound calls")
    callback_number: str | None = Field(default=None, description="number read in disclosures and voicemails")
    dialer_queue_name: str = "hero365:dialer"
    dialer_concurrency: int = Field(default=4, ge=1, le=500)
    dialer_lease_seconds: int = Field(default=300, ge=2, description="how long a claimed call may run unseen")
    dialer_job_timeout_seconds: int = Field(default=1800, ge=5, description="longest call a dialer job may run")
    dialer_sweep_seconds: float = Field(default=10.0, gt=0, description="reap lost calls / re-enqueue lost jobs")
    #: "agent": the calling agent talks on answered calls; "line_check": answer, hold, hang up (trunk tests, bench).
    dialer_mode: Literal["agent", "line_check"] = "agent"
    dialer_line_check_hold_s: float = Field(default=0.0, ge=0, le=60)
    #: Telephony: which trunk places and answers calls ("local" SIP by default, "livekit" SIP, "twilio").
    telephony: Literal["local", "livekit", "twilio"] = "local"
    #: Local SIP trunk: a PBX/carrier to send E.164 numbers to (sip:host[:port]); SIP URIs are dialed directly.
    sip_trunk_uri: str | None = Field(default=None, description="sip:host[:port] of the SIP trunk or PBX")
    sip_username: str | None = None
    sip_password: str | None = Field(default=None, repr=False)
    sip_bind_host: str = "127.0.0.1"
    sip_bind_port: int = Field(default=5060, ge=0, le=65535, description="0 picks a free port")
    sip_advertised_host: str | None = Field(default=None, description="address put in Via/Contact/SDP (NAT)")
    sip_rtp_port_min: int = Field(default=20000, ge=1024, le=65534)
    sip_rtp_port_max: int = Field(default=20999, ge=1025, le=65535)
    sip_rtp_timeout_s: float = Field(default=30.0, ge=0, description="no RTP this long: the line dropped (0: off)")
    #: Answering machines: "leave" a short compliant voicemail after the beep, or "hangup".
    voicemail_policy: Literal["leave", "hangup"] = "leave"
    #: Where "a person, please" goes on a phone call (E.164 or sip: URI); unset, the office gets a call-back task.
    transfer_number: str | None = None
    #: LiveKit SIP: the outbound trunk id (ST_...) calls leave through.
    livekit_sip_trunk_id: str | None = None
    #: Twilio Media Streams: the account's auth token (checks X-Twilio-Signature) and the public https:// base
    #: URL Twilio reaches the gateway at (the stream's wss:// URL is derived from it).
    twilio_auth_token: str | None = Field(default=None, repr=False)
    twilio_public_url: str | None = None
    twilio_account_sid: str | None = None
    twilio_api_base: str = Field(default="https://api.twilio.com", description="Twilio's REST API (outbound calls)")
    #: Outbox delivery (reminders, texted lists, alert notices): e-mail over SMTP_URL (smtp://user:pass@host:587
    #: ?starttls=1, or smtps://...:465) from SMTP_FROM; SMS through Twilio's Messages API. Unset channels keep
    #: their messages queued (never faked as sent). The gateway delivers every OUTBOX_INTERVAL_SECONDS (0: off).
    smtp_url: str | None = Field(default=None, repr=False)
    smtp_from: str = "Hero365 <no-reply@localhost>"
    twilio_account_sid: str | None = None
    twilio_sms_from: str | None = Field(default=None, description="the Twilio number texts are sent from")
    twilio_api_base: str = "https://api.twilio.com"
    outbox_interval_seconds: int = Field(default=30, ge=0)
    #: Monitoring: a bearer token /metrics asks for (open when unset), and how long the figures read from the
    #: database (conversations and calls by outcome, dialer attempts) are reused between scrapes.
    metrics_token: str | None = Field(default=None, repr=False)
    metrics_db_cache_seconds: float = Field(default=15.0, ge=0)
    #: Alerts, evaluated per business over the conversation store and call attempts every
    #: ALERTS_INTERVAL_SECONDS by the gateway (0: off; `hero365 alerts check` evaluates once); the owner is
    #: notified through the outbox once when a rule fires and once when it resolves. A rule needs a minimum
    #: of samples in its window so one bad call out of two is not an incident.
    alerts_interval_seconds: int = Field(default=60, ge=0)
    alert_error_rate: float = Field(default=0.05, ge=0, le=1, description="tool calls answered with an error")
    alert_error_window_minutes: int = Field(default=15, ge=1)
    alert_error_min_calls: int = Field(default=20, ge=1)
    alert_response_p95_seconds: float = Field(default=2.0, gt=0, description="p95 of the agent's response time")
    alert_response_window_minutes: int = Field(default=15, ge=1)
    alert_response_min_turns: int = Field(default=20, ge=1)
    alert_dialer_failure_rate: float = Field(default=0.2, ge=0, le=1, description="failed / finished call attempts")
    alert_dialer_window_minutes: int = Field(default=60, ge=1)
    alert_dialer_min_attempts: int = Field(default=10, ge=1)
    #: Phone calls' audio (caller and agent, stereo ogg/opus) recorded and encrypted at rest with the
    #: conversation keys under RECORDINGS_DIR (default <data folder>/recordings); off: calls don't say they are.
    call_recording: bool = True
    recordings_dir: Path | None = None
    #: Retention: recordings and transcript text older than this many days are purged (0: kept forever),
    #: by the gateway every RETENTION_INTERVAL_SECONDS (0: off) or `hero365 retention purge`.
    recording_retention_days: int = Field(default=90, ge=0)
    transcript_retention_days: int = Field(default=365, ge=0)
    retention_interval_seconds: int = Field(default=3600, ge=0)

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.split(":///", 1)[1]
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
