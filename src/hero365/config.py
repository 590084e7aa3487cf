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
    brain: Literal["local", "openai"] = Field(default="local", description="local command engine or a hosted LLM")
    llm_base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint for BRAIN=openai")
    llm_model: str = "gpt-4o-mini"
    llm_api_key: str | None = None
    stt: Literal["hybrid", "sphinx", "deepgram"] = Field(default="hybrid", description="speech recogniser")
    stt_fast_confidence: float = Field(default=0.92, description="pocketsphinx confidence to skip Whisper")
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
