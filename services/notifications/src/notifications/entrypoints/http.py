"""Internal HTTP API of the notifications service: health, metrics, and what became of a request
(status only: no address, no template data)."""

# No `from __future__ import annotations`: FastAPI must resolve the route's parameter types.

import uuid

from fastapi import APIRouter, FastAPI, HTTPException

from extranet_plumbing.http import install_conventions
from notifications.adapters import store
from notifications.bootstrap import NotificationsRuntime, build_runtime
from notifications.settings import NotificationsSettings


def create_app(settings: NotificationsSettings | None = None, *, runtime: NotificationsRuntime | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    runtime = runtime or build_runtime(settings)
    app = FastAPI(title="Notifications service (internal)", lifespan=runtime.lifespan)
    app.state.runtime = runtime
    install_conventions(app, {"database": runtime.database_ready, "kafka": runtime.broker_ready})
    router = APIRouter(prefix="/internal")

    @router.get("/stats")
    async def stats() -> dict:
        """Deliveries by channel and status."""
        async with runtime.pool.acquire() as conn:
            return await store.stats(conn)

    @router.get("/deliveries/{request_id}")
    async def delivery(request_id: uuid.UUID) -> dict:
        """What became of one request (its event id is the delivery key)."""
        async with runtime.pool.acquire() as conn:
            found = await store.delivery(conn, request_id)
        if found is None:
            raise HTTPException(404, "No delivery for this request id.")
        return found

    app.include_router(router)
    return app
