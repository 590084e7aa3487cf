"""One ASGI middleware for what every HTTP request gets: a request id, a body size limit, security headers,
a crash guard (a 500 that names the request id, never a stack trace) and its audit record, committed before
the response starts. Pure ASGI (no BaseHTTPMiddleware): nothing is buffered and streaming stays streaming."""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .audit import AuditLog, Entry
from .errors import ApiError, error_body

log = logging.getLogger("hero365.gateway")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
       "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"microphone=(self), camera=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"), (b"content-security-policy", CSP.encode()),
]
#: Paths audited: the API (every request) and the voice socket; not probes, the page's files or the docs.
AUDITED_PREFIX = "/api/"


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, "body_too_large", f"The request body is larger than {limit} bytes.")


class GatewayMiddleware:
    def __init__(self, app: ASGIApp, *, max_body: int, audit: AuditLog | None) -> None:
        self.app, self.max_body, self.audit = app, max_body, audit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        rid = state["request_id"] = uuid.uuid4().hex[:16]
        if scope["type"] == "websocket":  # the socket audits its own connect/close (it knows its session)
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path: str = scope["path"]
        audited = self.audit is not None and path.startswith(AUDITED_PREFIX)
        response_started = False

        length = _content_length(scope)
        if length is not None and length > self.max_body:
            await self._plain(send, scope, 413, "body_too_large", f"The request body is larger than {self.max_body} "
                              "bytes.", rid, audited)
            return

        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        async def wrapped_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                headers = list(message.get("headers", []))
                headers += [*SECURITY_HEADERS, (b"x-request-id", rid.encode())]
                if path.startswith("/api/"):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
                if audited:
                    await self._audit(scope, message["status"])
                log.info("%s %s %s %.1fms rid=%s", scope["method"], path, message["status"],
                         (time.perf_counter() - started) * 1000, rid)
            await send(message)

        try:
            await self.app(scope, limited_receive, wrapped_send)
        except BodyTooLarge as exc:
            if not response_started:
                await self._plain(send, scope, 413, exc.code, exc.message, rid, audited)
        except Exception:
            log.exception("internal error on %s %s (request %s)", scope.get("method"), path, rid)
            if not response_started:
                state["outcome"] = "internal_error"
                await self._plain(send, scope, 500, "internal_error", "internal error", rid, audited)

    async def _plain(self, send: Send, scope: Scope, status: int, code: str, message: str, rid: str,
                     audited: bool) -> None:
        scope.setdefault("state", {}).setdefault("outcome", code)
        body = json.dumps(error_body(code, message, rid)).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                   *SECURITY_HEADERS, (b"x-request-id", rid.encode()), (b"cache-control", b"no-store")]
        if audited:
            await self._audit(scope, status)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _audit(self, scope: Scope, status: int) -> None:
        assert self.audit is not None
        state = scope.get("state", {})
        outcome = "ok" if status < 400 else state.get("outcome") or f"http_{status}"
        route = scope.get("route")
        action = f"{scope['method']} {getattr(route, 'path', None) or scope['path']}"
        detail: dict[str, Any] = {"path": scope["path"]} if route is not None and route.path != scope["path"] else {}
        if state.get("session_id"):
            detail["session_id"] = state["session_id"]
        try:
            await self.audit.append(Entry(kind="request", action=action, outcome=outcome,
                                          business_id=state.get("business_id"), user_id=state.get("user_id"),
                                          subject=state.get("subject"), status=status,
                                          request_id=state.get("request_id"), detail=detail or None))
        except Exception:  # already logged by the writer; the client still gets its answer
            log.error("request %s answered without an audit record", state.get("request_id"))


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
