"""Authentication and authorization: missing, expired, forged and foreign tokens; wrong business; wrong role;
RS256 tokens from a (local) identity provider's JWKS; the generated secret survives a restart."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from hero365.config import Settings
from hero365.gateway.auth import TokenService

SESSIONS = "/api/v1/voice-agents/sessions"
CALL = "/api/v1/voice-agents/outbound/initiate-call"


def bearer(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}"}


async def test_no_token_is_401_with_a_sentence(client) -> None:
    r = await client.get(SESSIONS)
    assert r.status_code == 401
    assert r.json()["error"] == "missing_token" and "Authorization: Bearer" in r.json()["message"]
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["request_id"] == r.headers["x-request-id"]


async def test_expired_token_is_401(client, world, token) -> None:
    old = token(world.owner, ttl_s=60, now=time.time() - 3600)
    r = await client.get(SESSIONS, headers=bearer(old))
    assert r.status_code == 401 and r.json()["error"] == "token_expired"


async def test_wrong_signature_is_401(client, world) -> None:
    forged = jwt.encode({"sub": str(world.owner.user_id), "business_id": world.business_id,
                         "exp": int(time.time()) + 600}, "another-secret-" + "y" * 40, algorithm="HS256")
    r = await client.get(SESSIONS, headers=bearer(forged))
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"
    assert "signature" in r.json()["message"]


@pytest.mark.parametrize("raw", ["not-a-jwt", "a.b.c", "", "Bearer"])
async def test_garbage_tokens_are_401(client, raw: str) -> None:
    r = await client.get(SESSIONS, headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 401


async def test_unsigned_alg_none_token_is_refused(client, world) -> None:
    unsigned = jwt.encode({"sub": str(world.owner.user_id), "business_id": world.business_id,
                           "exp": int(time.time()) + 600}, None, algorithm="none")
    r = await client.get(SESSIONS, headers=bearer(unsigned))
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"


async def test_a_token_for_business_a_cannot_act_in_b(client, world, other, token) -> None:
    r = await client.get(SESSIONS, headers={**bearer(token(world.owner)), "X-Business-Id": str(other.business_id)})
    assert r.status_code == 403 and r.json()["error"] == "wrong_business"


async def test_a_member_of_a_minting_for_b_is_not_a_member(client, world, other, token) -> None:
    r = await client.get(SESSIONS, headers=bearer(token(world.owner, business_id=other.business_id)))
    assert r.status_code == 403 and r.json()["error"] == "not_a_member"


async def test_a_token_naming_no_business_needs_the_header(client, world, token) -> None:
    tok = token(world.office, business_id=None)
    assert (await client.get(SESSIONS, headers=bearer(tok))).json()["error"] == "no_business"
    ok = await client.get(SESSIONS, headers={**bearer(tok), "X-Business-Id": str(world.business_id)})
    assert ok.status_code == 200


async def test_unknown_user_is_403(client, world, token, app) -> None:
    tok = app.state.gateway.tokens.mint(987654, world.business_id)
    r = await client.get(SESSIONS, headers=bearer(tok))
    assert r.status_code == 403 and r.json()["error"] == "not_a_member"


@pytest.mark.parametrize(("path", "body"), [
    (CALL, {"contact_id": 1, "purpose": "feedback"}),
    ("/api/v1/voice-agents/outbound/campaigns", {"name": "x", "purpose": "feedback", "contact_ids": [1]}),
    ("/api/v1/voice-agents/analytics/summary", None),
])
async def test_a_technician_is_refused_owner_operations_with_403(client, world, auth, path, body) -> None:
    r = await (client.post(path, json=body, headers=auth(world.tech)) if body is not None
               else client.get(path, headers=auth(world.tech)))
    assert r.status_code == 403 and r.json()["error"] == "permission_denied"
    assert "technician" in r.json()["message"]


async def test_the_offices_call_passes_auth_and_is_judged_by_the_calling_rules(client, world, customers,
                                                                                auth) -> None:
    """Past auth and role, the compliance rules decide (the queued case is in tests/calls): a customer with no
    job, invoice or estimate has no relationship to call about, and the refusal says so."""
    r = await client.post(CALL, json={"contact_id": customers["Maria Garcia"], "purpose": "feedback"},
                          headers=auth(world.office))
    assert r.status_code == 422, r.text
    assert r.json()["reason"] == "no_relationship" and "no job, invoice or estimate" in r.json()["message"]


# --- RS256 from a local identity provider (JWKS over HTTP on 127.0.0.1, and from a file) ---------------------

@pytest.fixture(scope="module")
def idp() -> Iterator[dict[str, Any]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwks = json.dumps({"keys": [{**jwk, "kid": "idp-1", "use": "sig", "alg": "RS256"}]}).encode()
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(jwks)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"key": key, "url": f"http://127.0.0.1:{server.server_port}/auth/v1/.well-known/jwks.json",
           "jwks": jwks, "hits": hits}
    server.shutdown()


def idp_token(idp: dict[str, Any], **claims: Any) -> str:
    body = {"sub": "3f2c8a9e-1111-4bbb-8ccc-000000000001", "aud": "authenticated", "iss": "http://idp.test/auth/v1",
            "exp": int(time.time()) + 600, "role": "authenticated", **claims}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, idp["key"], algorithm="RS256",
                      headers={"kid": claims.pop("kid", "idp-1")})


async def _rs_client(make_app, **settings: Any) -> Any:
    application = make_app(jwt_secret=None, jwt_issuer="http://idp.test/auth/v1", jwt_audience="authenticated",
                           **settings)
    return application


async def test_rs256_tokens_from_the_jwks_url_are_accepted(make_app, world, idp) -> None:
    application = await _rs_client(make_app, jwt_jwks_url=idp["url"])
    async with application.router.lifespan_context(application), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://t") as c:
        good = idp_token(idp, email="owner@hero.test", app_metadata={"business_id": world.business_id})
        assert (await c.get(SESSIONS, headers=bearer(good))).status_code == 200
        assert idp["hits"], "the JWKS was fetched from the local endpoint"
        wrong_aud = idp_token(idp, email="owner@hero.test", aud="someone-else",
                              app_metadata={"business_id": world.business_id})
        assert (await c.get(SESSIONS, headers=bearer(wrong_aud))).status_code == 401
        wrong_iss = idp_token(idp, email="owner@hero.test", iss="http://evil.test",
                              app_metadata={"business_id": world.business_id})
        assert (await c.get(SESSIONS, headers=bearer(wrong_iss))).status_code == 401
        stranger = idp_token(idp, email="nobody@else.test", app_metadata={"business_id": world.business_id})
        assert (await c.get(SESSIONS, headers=bearer(stranger))).json()["error"] == "unknown_user"
        # with a JWKS and no JWT_SECRET, nobody can mint HS256 tokens the gateway would take
        hs = jwt.encode({"sub": str(world.owner.user_id), "exp": int(time.time()) + 60,
                         "business_id": world.business_id}, "x" * 40, algorithm="HS256")
        assert (await c.get(SESSIONS, headers=bearer(hs))).status_code == 401
        # a key the provider never published (same kid, other key) is a forgery
        other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        forged = jwt.encode({"sub": "x", "email": "owner@hero.test", "aud": "authenticated",
                             "iss": "http://idp.test/auth/v1", "exp": int(time.time()) + 600,
                             "business_id": world.business_id}, other_key, algorithm="RS256",
                            headers={"kid": "idp-1"})
        assert (await c.get(SESSIONS, headers=bearer(forged))).status_code == 401


async def test_rs256_from_a_jwks_file(make_app, world, idp, tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_bytes(idp["jwks"])
    application = await _rs_client(make_app, jwt_jwks_url=str(path))
    async with application.router.lifespan_context(application), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://t") as c:
        good = idp_token(idp, email="owner@hero.test", business_id=world.business_id)
        assert (await c.get(SESSIONS, headers=bearer(good))).status_code == 200


def test_the_generated_secret_is_made_once_and_survives_a_restart(tmp_path: Path, caplog) -> None:
    settings = Settings(jwt_secret=None, jwt_secret_file=tmp_path / "jwt_secret")
    first = TokenService(settings)
    assert (tmp_path / "jwt_secret").stat().st_mode & 0o777 == 0o600
    assert "generated a gateway signing secret" in caplog.text
    tok = first.mint(1, 2)
    again = TokenService(settings)  # a restart: the same file, the same secret
    assert again.verify(tok).user_id == 1 and again.verify(tok).business_id == 2


def test_a_short_configured_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        TokenService(Settings(jwt_secret="short"))
