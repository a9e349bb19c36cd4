"""The FastAPI app: any subset of the services, or all of them with the web page."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import psycopg
from fastapi import Depends, FastAPI, HTTPException, Request, Security
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import APIKeyHeader

from fashion_assets.settings import Settings

from . import clip_service, rag_service, vector_service, vlm_service
from .catalog import table_version
from .state import ServiceState, State

SERVICES = {
    "clip": clip_service.router,
    "vector": vector_service.router,
    "vlm": vlm_service.router,
    "rag": rag_service.router,
}
PAGE = Path(__file__).parent / "static" / "index.html"


#: The admin key scheme (`/docs` shows an Authorize button for it).
API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False,
                       description="FASHION_API_KEY; admin endpoints are closed when it is unset.")  # fmt: skip


async def require_key(s: State, x_api_key: Annotated[str | None, Security(API_KEY)] = None) -> None:
    """Write/admin endpoints need X-API-Key = FASHION_API_KEY (and are closed when unset); async,
    as it does no I/O (a plain def would take a thread-pool hand-off)."""
    expected = s.settings.fashion_api_key
    if not expected:
        raise HTTPException(403, "admin endpoints are disabled: set FASHION_API_KEY")
    if not x_api_key or not secrets.compare_digest(x_api_key, expected):
        raise HTTPException(401, "missing or wrong X-API-Key")


def create_app(
    services: Sequence[str] = tuple(SERVICES), settings: Settings | None = None
) -> FastAPI:
    """An app with the named services (`all` of them serve the web page too)."""
    unknown = set(services) - set(SERVICES)
    if unknown:
        raise ValueError(f"unknown services {sorted(unknown)}; choose from {sorted(SERVICES)}")
    state = ServiceState(settings or Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        state.close()

    app = FastAPI(
        title="fashion_assets services",
        description="CLIP embeddings, vector search, VLM chat and RAG styling recommendations.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.services = state

    @app.exception_handler(psycopg.DataError)
    async def invalid_value(request: Request, exc: psycopg.DataError) -> JSONResponse:
        """A value PostgreSQL cannot hold (a NUL in an item id, say) is the client's error."""
        return JSONResponse({"detail": f"invalid value: {str(exc).splitlines()[0]}"}, 422)

    origins = [o.strip() for o in state.settings.fashion_cors_origins.split(",") if o.strip()]
    if origins:
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", "X-API-Key"])  # fmt: skip
    for name in services:
        app.include_router(SERVICES[name])

    @app.get("/health", tags=["admin"])
    def health(s: State) -> dict[str, Any]:
        """Whether the database answers, and which vectors are live."""
        with s.connection() as conn:
            return {
                "database": "ok",
                "services": list(services),
                "item_vectors": table_version(conn, "clip"),
                "tower_vectors": table_version(conn, "tower"),
            }

    @app.post("/admin/reload", tags=["admin"], dependencies=[Depends(require_key)])
    def reload(s: State) -> dict[str, str]:
        """Drop the loaded models; the next request loads them again from the settings."""
        s.__dict__.pop("encoder", None)
        s.vlm = None
        return {"reloaded": "encoder, vlm"}

    if set(services) == set(SERVICES):

        @app.get("/", include_in_schema=False)
        def page() -> FileResponse:
            return FileResponse(PAGE, media_type="text/html")

    return app
