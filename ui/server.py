"""The web app: HTTP API (FastAPI) and, for now, a search page for the store owner."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from knowledge import KnowledgeError
from retrieval import SEARCH_MODES, RetrievalError, SearchFilters, ingest_store
from ui.schemas import ErrorOut, Health, PassageOut, ProductDetail, SearchResponse
from ui.services import Services, build_services
from ui.settings import Settings

log = logging.getLogger("aisle")

_HOME = Path(__file__).parent / "static" / "home.html"


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
        yield
        if services is None:
            built.close()

    app = FastAPI(
        title="Aisle",
        summary="A store's own shopping and customer-service assistant.",
        lifespan=lifespan,
        responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}, 503: {"model": ErrorOut}},
    )

    @app.exception_handler(KnowledgeError)
    @app.exception_handler(RetrievalError)
    async def _known_error(_request: Request, exc: KnowledgeError | RetrievalError) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content={"detail": str(exc)})

    _routes(app)
    return app


def _services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(_services)]


def _routes(app: FastAPI) -> None:
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home() -> str:
        return _HOME.read_text(encoding="utf-8")

    @app.get("/api/health")
    def health(services: ServicesDep) -> Health:
        counts = services.db.counts()
        return Health(
            status="ok",
            products=counts["products"],
            policy_passages=counts["policy_passages"],
            embedder=services.embedder.name,
            catalog_version=services.db.catalog_version(),
        )

    @app.get("/api/products/search")
    def search_products(
        services: ServicesDep,
        q: Annotated[str, Query(min_length=1, max_length=500, description="What the shopper typed.")],
        k: Annotated[int | None, Query(ge=1, le=100, description="How many products.")] = None,
        min_price: Annotated[float | None, Query(ge=0)] = None,
        max_price: Annotated[float | None, Query(ge=0)] = None,
        category: Annotated[list[str] | None, Query(description="Only these categories.")] = None,
        brand: Annotated[list[str] | None, Query(description="Only these brands.")] = None,
        in_stock: bool = False,
        mode: Annotated[str, Query(pattern="^(" + "|".join(SEARCH_MODES) + ")$")] = "hybrid",
    ) -> SearchResponse:
        """Search the catalog; price, stock and brand phrases in `q` ("under $80") become filters too."""
        try:
            filters = SearchFilters(
                min_price=min_price,
                max_price=max_price,
                categories=tuple(category or ()),
                brands=tuple(brand or ()),
                in_stock=in_stock,
            )
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=f"{exc}; swap min_price and max_price") from exc
        result = services.products.search(
            q,
            k=k or services.settings.search_k,
            filters=filters,
            mode=mode,  # type: ignore[arg-type]
        )
        return SearchResponse.of(result)

    @app.get("/api/products/{product_id}")
    def get_product(services: ServicesDep, product_id: str) -> ProductDetail:
        product = services.catalog.product(product_id)
        if product is None:
            raise HTTPException(status_code=404, detail=f"no product with id {product_id!r}; search to find ids")
        return ProductDetail.of(product)

    @app.get("/api/policies/search")
    def search_policies(
        services: ServicesDep,
        q: Annotated[str, Query(min_length=1, max_length=500)],
        k: Annotated[int, Query(ge=1, le=20)] = 3,
    ) -> list[PassageOut]:
        """The store policy passages that best answer `q` (returns, shipping, warranty...)."""
        return [PassageOut.of(hit) for hit in services.policies.search(q, k=k)]
