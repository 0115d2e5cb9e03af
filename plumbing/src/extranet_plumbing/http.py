"""HTTP conventions shared by the internal APIs and the gateway: RFC 9457 problem documents,
health and metrics endpoints, tracing."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from extranet_plumbing.guard import DEFAULT_MAX_BODY, BodyLimit, RequestGuard, SecurityHeaders
from extranet_plumbing.logging import get_logger

PROBLEM_JSON = "application/problem+json"
log = get_logger(__name__)


class FieldRefused(ValueError):
    """A value the domain refuses (a search criterion, a date out of its window): the field at fault
    and a message for the user, in French. Answered as a 422 naming the field (`refused_as_field`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def field_error(field: str, message: str, *, location: str = "query") -> RequestValidationError:
    """A 422 problem naming `field` (of the query, or `location`: "body", "path") with `message`."""
    return RequestValidationError([{"loc": (location, field), "msg": message, "type": "value_error"}])


@contextlib.contextmanager
def refused_as_field(*, location: str = "query") -> Iterator[None]:
    """A `FieldRefused` raised in the block, answered as a 422 naming the field."""
    try:
        yield
    except FieldRefused as refused:
        raise field_error(refused.field, refused.message, location=location) from None


def problem(status: int, title: str | None = None, detail: str | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title or HTTPStatus(status).phrase, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        return ".".join(parts[1:]) or parts[0]
    return ".".join(parts)


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"field": _field(error["loc"]), "in": str(error["loc"][0]) if error["loc"] else None, "message": error["msg"]}
        for error in exc.errors()
    ]
    return problem(422, "Invalid request", "One or more fields are invalid.", errors=errors)


async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != HTTPStatus(exc.status_code).phrase else None
    return problem(exc.status_code, detail=detail)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", path=request.url.path, error_class=type(exc).__name__)
    return problem(500, detail="An unexpected error occurred.")


def install_conventions(
    app: FastAPI,
    readiness: Mapping[str, Callable[[], Awaitable[bool]]] | None = None,
    *,
    max_body: int = DEFAULT_MAX_BODY,
    body_limits: Mapping[str, int | BodyLimit] | None = None,
) -> FastAPI:
    """Problem documents for every error, /health and /metrics, OpenTelemetry spans, the request
    guard (body size, control characters) and the security headers."""
    app.add_middleware(RequestGuard, max_body=max_body, limits=body_limits)
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
    app.include_router(health_router(readiness or {}))
    # One span per request; not one more for each ASGI message received and sent (http receive/send).
    FastAPIInstrumentor.instrument_app(app, excluded_urls="health/.*,metrics", exclude_spans=["receive", "send"])
    return app


def health_router(readiness: Mapping[str, Callable[[], Awaitable[bool]]]) -> APIRouter:
    router = APIRouter(tags=["operations"], include_in_schema=False)

    @router.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "up"}

    @router.get("/health/ready")
    async def ready() -> Response:
        results = {}
        for name, check in readiness.items():
            try:
                results[name] = bool(await check())
            except Exception:
                results[name] = False
        ok = all(results.values())
        return JSONResponse({"status": "up" if ok else "down", "checks": results}, status_code=200 if ok else 503)

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
