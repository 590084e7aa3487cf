"""Bearer tokens: HS256 with the gateway's secret, or RS256/ES256 from an identity provider's JWKS.

The secret: JWT_SECRET when set; otherwise one is generated once into JWT_SECRET_FILE (default
<data folder>/jwt_secret, mode 0600) and read from there by every process after, so tokens survive restarts
and the CLI's `hero365 token` mints what the server accepts. Never a per-process secret. With a JWKS
configured and no JWT_SECRET, HS256 is off entirely (the provider is the only issuer).

The algorithm decides the key, never the other way round: an HS256 token is checked only with the secret,
an RS256/ES256 token only with the JWKS key its `kid` names; "none" and anything else are refused.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from ..config import Settings, data_dir

log = logging.getLogger(__name__)
ASYMMETRIC = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256")
#: Where a token may name the business it is for (top level, or a Supabase-style app_metadata claim).
BUSINESS_CLAIMS = ("business_id", "bid")


class AuthError(Exception):
    """A token was missing or not acceptable; `message` is safe to show (401)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Claims:
    """Who a verified token speaks for."""

    subject: str
    user_id: int | None
    email: str | None
    business_id: int | None
    expires_at: int
    raw: dict[str, Any]


def secret_path(settings: Settings) -> Path:
    return Path(settings.jwt_secret_file or data_dir() / "jwt_secret").expanduser()


def load_secret(settings: Settings, create: bool = True) -> str | None:
    """The HS256 secret: configured, or the generated file (created once, atomically, if allowed)."""
    if settings.jwt_secret:
        if len(settings.jwt_secret) < 32:
            raise ValueError("JWT_SECRET must be at least 32 characters.")
        return settings.jwt_secret
    if settings.jwt_jwks_url:
        return None
    path = secret_path(settings)
    if path.exists():
        return path.read_text().strip()
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(48) + "\n")
    log.warning("No JWT_SECRET set: generated a gateway signing secret into %s (kept across restarts; set "
                "JWT_SECRET to use your own).", path)
    return path.read_text().strip()


class TokenService:
    """Verifies bearer tokens (and mints HS256 ones for the CLI and tests)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.secret = load_secret(settings)
        self._jwks: Any = None
        self._jwks_file: dict[str, Any] | None = None
        url = settings.jwt_jwks_url
        if url and url.startswith(("http://", "https://")):
            self._jwks = jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5)
        elif url:
            import json

            self._jwks_file = json.loads(Path(url.removeprefix("file://")).expanduser().read_text())

    def mint(self, user_id: int, business_id: int | None, *, ttl_s: int | None = None, email: str | None = None,
             now: float | None = None) -> str:
        if not self.secret:
            raise AuthError("no_secret", "This gateway takes tokens from its identity provider only (JWT_JWKS_URL "
                                         "is set and JWT_SECRET is not); mint tokens there.")
        now = time.time() if now is None else now
        ttl = ttl_s if ttl_s is not None else self.settings.jwt_ttl_minutes * 60
        claims: dict[str, Any] = {"sub": str(user_id), "iat": int(now), "nbf": int(now) - 5, "exp": int(now + ttl),
                                  "jti": uuid.uuid4().hex}
        if business_id is not None:
            claims["business_id"] = business_id
        if email:
            claims["email"] = email
        if self.settings.jwt_issuer:
            claims["iss"] = self.settings.jwt_issuer
        if self.settings.jwt_audience:
            claims["aud"] = self.settings.jwt_audience
        return jwt.encode(claims, self.secret, algorithm="HS256")

    def _key_for(self, token: str) -> tuple[Any, str]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError("invalid_token", "The token is not a valid JWT.") from None
        alg = header.get("alg")
        if alg == "HS256":
            if not self.secret:
                raise AuthError("invalid_token", "HS256 tokens are not accepted here.")
            return self.secret, alg
        if alg in ASYMMETRIC and (self._jwks is not None or self._jwks_file is not None):
            kid = header.get("kid")
            try:
                if self._jwks is not None:
                    return self._jwks.get_signing_key_from_jwt(token).key, alg
                keys = [k for k in jwt.PyJWKSet.from_dict(self._jwks_file or {}).keys if kid is None or k.key_id == kid]
            except jwt.PyJWKClientConnectionError:
                raise AuthError("jwks_unavailable", "The identity provider's keys could not be fetched.") from None
            except jwt.PyJWTError:
                raise AuthError("invalid_token", "No key of the identity provider matches this token.") from None
            if not keys:
                raise AuthError("invalid_token", "No key of the identity provider matches this token.")
            return keys[0].key, alg
        raise AuthError("invalid_token", f"Tokens signed with {alg!r} are not accepted here.")

    def verify(self, token: str) -> Claims:
        key, alg = self._key_for(token)
        options = {"require": ["exp", "sub"], "verify_aud": bool(self.settings.jwt_audience)}
        try:
            raw = jwt.decode(token, key, algorithms=[alg], audience=self.settings.jwt_audience,
                             issuer=self.settings.jwt_issuer, options=options, leeway=5)  # type: ignore[arg-type]
        except jwt.ExpiredSignatureError:
            raise AuthError("token_expired", "The token has expired; sign in again.") from None
        except jwt.InvalidSignatureError:
            raise AuthError("invalid_token", "The token's signature is not valid.") from None
        except jwt.InvalidAudienceError:
            raise AuthError("invalid_token", "The token is not meant for this gateway (audience).") from None
        except jwt.InvalidIssuerError:
            raise AuthError("invalid_token", "The token was issued by someone this gateway doesn't trust.") from None
        except jwt.MissingRequiredClaimError as exc:
            raise AuthError("invalid_token", f"The token has no {exc.claim!r} claim.") from None
        except jwt.PyJWTError:
            raise AuthError("invalid_token", "The token is not valid.") from None
        sub = str(raw["sub"])
        return Claims(subject=sub, user_id=int(sub) if sub.isdigit() else None,
                      email=str(raw["email"]).lower() if raw.get("email") else None,
                      business_id=_business_claim(raw), expires_at=int(raw["exp"]), raw=raw)


def _business_claim(raw: dict[str, Any]) -> int | None:
    for where in (raw, raw.get("app_metadata") or {}):
        for name in BUSINESS_CLAIMS:
            value = where.get(name) if isinstance(where, dict) else None
            if value is not None:
                try:
                    return int(value)
                except (TypeError, ValueError):
                    raise AuthError("invalid_token", "The token's business claim is not a number.") from None
    return None


async def verify_async(tokens: TokenService, token: str) -> Claims:
    """Verify off the event loop when a JWKS fetch may block (PyJWKClient uses urllib); HS256 inline."""
    import asyncio

    try:
        alg = jwt.get_unverified_header(token).get("alg")
    except jwt.PyJWTError:
        raise AuthError("invalid_token", "The token is not a valid JWT.") from None
    if alg == "HS256" or tokens._jwks is None:
        return tokens.verify(token)
    return await asyncio.to_thread(tokens.verify, token)
