"""Every error a client sees is `{"error": code, "message": sentence, "request_id": ...}` with a fitting 4xx;
anything unexpected is a logged 500 that says only "internal error" and the request id to quote."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..erp.domain.errors import DomainError
from .auth import AuthError

log = logging.getLogger("hero365.gateway")

#: DomainError.code -> HTTP status.
DOMAIN_STATUS = {
    "not_found": 404, "ambiguous": 422, "invalid_input": 422, "bad_dispatch": 422, "conflict": 409,
    "illegal_transition": 409, "permission_denied": 403, "not_configured": 503,
}
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "body_too_large",
               415: "unsupported_media_type", 422: "invalid_request", 429: "rate_limited", 501: "not_implemented",
               503: "unavailable"}


class ApiError(StarletteHTTPException):
    """A refusal with a code and a sentence (and optional headers such as Retry-After)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)
        self.code, self.message, self.extra = code, message, extra


def request_id(request: Request) -> str | None:
    return request.scope.get("state", {}).get("request_id")


def error_body(code: str, message: str, rid: str | None, **extra: Any) -> dict[str, Any]:
    return {"error": code, "message": message, **extra, "request_id": rid}


def _respond(request: Request, status: int, code: str, message: str, headers: dict[str, str] | None = None,
             **extra: Any) -> JSONResponse:
    state = request.scope.setdefault("state", {})
    state.setdefault("outcome", code)
    return JSONResponse(error_body(code, message, request_id(request), **extra), status_code=status, headers=headers)


def _describe(errors: list[Any]) -> str:
    parts = []
    for e in errors[:5]:
        loc = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body",)) or "body"
        parts.append(f"{loc}: {str(e.get('msg', 'invalid')).removeprefix('Value error, ')}")
    return "The request is not valid: " + "; ".join(parts) + "."


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return _respond(request, exc.status_code, exc.code, exc.message, exc.headers, **exc.extra)

    @app.exception_handler(AuthError)
    async def _auth(request: Request, exc: AuthError) -> JSONResponse:
        return _respond(request, 401, exc.code, exc.message, {"WWW-Authenticate": 'Bearer error="invalid_token"'})

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        options = getattr(exc, "options", None)
        return _respond(request, DOMAIN_STATUS.get(exc.code, 400), exc.code, exc.message,
                        **({"options": options} if options else {}))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in exc.errors()[:10]]
        return _respond(request, 422, "invalid_request", _describe(list(exc.errors())), details=details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404 and message == "Not Found":
            message = "There is nothing at this address."
        elif exc.status_code == 405:
            message = "This address doesn't take that method."
        return _respond(request, exc.status_code, code, message, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        rid = request_id(request)
        log.error("internal error on %s %s (request %s)", request.method, request.url.path, rid, exc_info=exc)
        return _respond(request, 500, "internal_error", "internal error", None)
