"""The gateway's app factory: settings and store in, a FastAPI app out (routers, middleware, the page)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from ..config import Settings, get_settings
from ..erp.senders import delivering
from ..erp.store.db import Store
from ..insights.metrics import DatabaseMetrics, HttpMetrics
from . import errors
from .api.deps import Gateway
from .api.routes import analytics, health, metrics, outbound, personal, sessions, twilio, voice_ws
from .audit import AuditLog
from .auth import TokenService
from .middleware import GatewayMiddleware
from .ratelimit import RateLimiter, make_rate_limiter
from .sessions import SessionRegistry

log = logging.getLogger("hero365.gateway")
STATIC = Path(__file__).parent / "static"


def default_stt_factory(settings: Settings, store: Store) -> Callable[[Any], Awaitable[Any]] | None:
    """The project's offline recogniser (`voice.speech.stt.make_stt`), tuned to the member's business's names
    (its contacts, products, team); None (speech input off, said so on the page) where it isn't installed."""
    try:
        from ..voice.speech.stt import make_stt, vocabulary_for
    except ImportError as exc:
        log.warning("No speech recogniser (%s): the web page's microphone is off; the text box works.", exc)
        return None

    async def make(actor: Any) -> Any:
        vocab = await vocabulary_for(store, actor.business_id)
        return await asyncio.to_thread(make_stt, settings, vocab)  # builds (or reuses) the domain model

    return make


def create_app(settings: Settings | None = None, store: Store | None = None, *,
               stt_factory: Callable[[], Any] | bool | None = True, limiter: RateLimiter | None = None) -> FastAPI:
    """The gateway app. A store passed in stays the caller's (not closed here); `stt_factory=True` picks the
    project's recogniser, None turns speech input off, a callable `(actor) -> STT` (or awaitable) supplies one."""
    settings = settings or get_settings()
    owns_store = store is None
    store = store or Store(settings)
    stt = default_stt_factory(settings, store) if stt_factory is True else stt_factory or None
    gw = Gateway(settings=settings, store=store, tokens=TokenService(settings),
                 audit=AuditLog(store.engine, store.clock),
                 limiter=limiter or make_rate_limiter(settings.redis_url),
                 sessions=SessionRegistry(settings.gateway_max_sessions, settings.gateway_session_idle_seconds),
                 stt_factory=stt, actor_cache={})

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from ..insights import alerts, retention
        from ..insights.crypto import attach
        from ..insights.redact import install_log_redaction
        from ..insights.tables import map_insights

        map_insights()
        install_log_redaction()  # phone numbers, e-mails and card numbers never reach the logs
        attach(store)  # conversation keys loaded (or made once) at start: a bad CONVERSATION_KEYS fails here
        gw.sessions.start()
        try:
            async with alerts.periodic(store, settings), delivering(store, settings), \
                    retention.periodic(store, settings):  # ALERTS_/OUTBOX_/RETENTION_INTERVAL_SECONDS
                yield
        finally:
            await gw.sessions.close()
            await gw.audit.close()
            await gw.limiter.close()
            if owns_store:
                await store.close()

    app = FastAPI(title="Hero365 Voice gateway", version="1.0",
                  description="Voice agents over a home-service business's ERP: auth (JWT), tenancy, permissions, "
                              "rate limits, audit; and the web voice page at /.", lifespan=lifespan)
    app.state.gateway = gw
    errors.install(app)
    for module in (personal, sessions, outbound, analytics, health, voice_ws, metrics, twilio):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/voice")

    @app.get("/voice", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_credentials=False,
                           allow_methods=["GET", "POST"], allow_headers=["Authorization", "Content-Type",
                                                                         "X-Business-Id"], max_age=600)
    app.add_middleware(GatewayMiddleware, max_body=settings.gateway_max_body_bytes, audit=gw.audit)
    app.add_middleware(HttpMetrics)  # outermost: times every request, with the status actually sent
    app.state.db_metrics = DatabaseMetrics(store.engine, settings.metrics_db_cache_seconds)
    return app
