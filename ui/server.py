"""The web app: one server for every face.

/                 search page          /chat      shopper chat (Gradio)
/demo             demo shop + widget   /widget.js the embeddable chat widget
/staff            staff copilot        /api/...   HTTP API (OpenAPI at /docs)
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import gradio as gr
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.middleware.sessions import SessionMiddleware

from agent import AgentError
from knowledge import KnowledgeError, ShopperData
from retrieval import RetrievalError, ingest_store
from ui import pages, personal_api, promo_api, shopper_api, staff
from ui.chat_page import CHAT_CSS, ChatPage
from ui.request_limits import MaxBodySize
from ui.schemas import ErrorOut
from ui.services import Services, build_services, load_secret
from ui.settings import Settings

log = logging.getLogger("aisle")

# Staff sessions last a working day.
_STAFF_SESSION_SECONDS = 8 * 3600


# How often old conversations are looked for when AISLE_RETENTION_DAYS is set.
_RETENTION_CHECK_SECONDS = 6 * 3600


async def _expire_old_conversations(services: Services, days: int) -> None:
    """Delete conversations idle for more than `days` days, now and every 6 hours."""
    while True:
        cutoff = datetime.now(UTC) - timedelta(days=days)
        removed = await asyncio.to_thread(ShopperData(services.db).expire_conversations, cutoff)
        if removed:
            log.info("retention: deleted %d conversations idle for more than %d days", removed, days)
        await asyncio.sleep(_RETENTION_CHECK_SECONDS)


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """The app for `settings`. Heavy objects are built once, at start-up (or passed in by tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        built = services or build_services(settings)
        if settings.ingest_on_start:
            report = ingest_store(settings.store_dir, built.db, built.indexer, progress=False)
            log.info(
                "ingested %s: %d rows loaded, %d bad rows, %d texts embedded",
                settings.store_dir,
                sum(report.load.loaded.values()),
                len(report.load.errors),
                report.embedded,
            )
            for issue in report.load.errors[:20]:
                log.warning("%s", issue)
        app.state.services = built
        if services is None and built.assistant is not None:
            # In the background: start-up isn't delayed, and a shopper who comes first just queues.
            # (Services passed in are the caller's: their model is left as it was given.)
            threading.Thread(target=built.assistant.warm_up, name="aisle-warm-up", daemon=True).start()
        days = settings.retention_days
        expiry = asyncio.create_task(_expire_old_conversations(built, days)) if days else None
        yield
        if expiry is not None:
            expiry.cancel()
        if services is None:
            built.close()

    app = FastAPI(
        title="Aisle",
        summary="A store's own shopping and customer-service assistant.",
        lifespan=lifespan,
        responses={401: {"model": ErrorOut}, 404: {"model": ErrorOut}, 422: {"model": ErrorOut}},
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=load_secret(settings),
        session_cookie="aisle_staff",
        max_age=_STAFF_SESSION_SECONDS,
        same_site="strict",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(MaxBodySize, limit=settings.max_request_bytes)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "X-Aisle-Session"],
    )

    @app.exception_handler(KnowledgeError)
    @app.exception_handler(RetrievalError)
    @app.exception_handler(AgentError)
    async def _known_error(_request: Request, exc: KnowledgeError | RetrievalError | AgentError) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content={"detail": str(exc)})

    app.include_router(shopper_api.router)
    app.include_router(personal_api.router)
    app.include_router(promo_api.router)
    app.include_router(staff.router)
    app.include_router(pages.router)
    # Gradio's handlers run after start-up, so they read the services the lifespan built.
    return gr.mount_gradio_app(
        app, ChatPage(lambda: app.state.services).build(), path="/chat", css=CHAT_CSS, footer_links=[]
    )
