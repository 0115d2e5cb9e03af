"""HTTP conventions shared by the internal APIs and the gateway: RFC 9457 problem documents,
health and metrics endpoints, tracing."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping
from http import HTTPStatus
from typing import Any, get_args

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from opentelemetry import trace
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic_core.core_schema import ErrorType
from starlette.exceptions import HTTPException as StarletteHTTPException

from extranet_plumbing.guard import DEFAULT_MAX_BODY, BodyLimit, RequestGuard, SecurityHeaders
from extranet_plumbing.logging import get_logger
from extranet_plumbing.metrics import RequestDurations
from extranet_plumbing.problems import UNEXPECTED_DETAIL, problem_body
from extranet_plumbing.tracing import RequestSpans

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
    """A problem document (`extranet_plumbing.problems`: its title in French by status unless given)."""
    body = problem_body(status, title, detail, **extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        return ".".join(parts[1:]) or parts[0]
    return ".".join(parts)


# --- pydantic's refusals in French -----------------------------------------------------------------------------
# A message says what is expected from the schema (a length, a pattern, the values allowed), never the value sent:
# it may be personal data (a NIR, an IBAN). Our own validators' messages (French already) are kept as they are.

# The openings of the messages about a value's form (it cannot be read as what is expected, or is not one of the
# values allowed): a form may say better what to type in its field (the portals do).
FORMAT_OPENINGS = (
    "Format invalide",
    "Date invalide",
    "Date et heure invalides",
    "Heure invalide",
    "Valeur non autorisée",
    "Valeur invalide",
)
# The openings of the messages about a length (of a text, of a list).
LENGTH_OPENINGS = ("Ce champ doit comporter", "Ce champ ne peut pas être vide")
INVALID_VALUE = "Valeur invalide."
TO_CORRECT = "Certains champs sont à corriger."
# pydantic's own error types (those of our validators, `PydanticCustomError`, are not among them: their text is ours)
_PYDANTIC_TYPES = frozenset(get_args(ErrorType))
_OURS_PREFIX = "Value error, "


def _plural(count: Any, word: str) -> str:
    return f"{count} {word}{'s' if isinstance(count, int) and count > 1 else ''}"


def _choices(expected: Any) -> str:
    """pydantic's "'A', 'B' or 'C'" as "'A', 'B' ou 'C'"."""
    text = str(expected)
    head, sep, last = text.rpartition("' or '")
    return f"{head}' ou '{last}" if sep else text


_DATE = "Date invalide : format attendu AAAA-MM-JJ."
_DATETIME = "Date et heure invalides : format attendu AAAA-MM-JJTHH:MM:SS."
_TIME = "Heure invalide : format attendu HH:MM:SS."
_INTEGER = "Format invalide : un nombre entier est attendu."
_NUMBER = "Format invalide : un nombre est attendu."
_TEXT = "Format invalide : un texte est attendu."
_LIST = "Format invalide : une liste est attendue."
_OBJECT = "Format invalide : un objet est attendu."
_CHOICE = "Valeur non autorisée : choisissez parmi {expected}."

_MESSAGES: dict[str, str | Callable[[dict[str, Any]], str]] = {
    "missing": "Ce champ est obligatoire.",
    "extra_forbidden": "Ce champ n'est pas attendu.",
    "json_invalid": "Le contenu envoyé n'est pas un JSON valide.",
    "string_too_short": lambda c: (
        "Ce champ ne peut pas être vide."
        if c.get("min_length") == 1
        else f"Ce champ doit comporter au moins {_plural(c.get('min_length'), 'caractère')}."
    ),
    "string_too_long": lambda c: f"Ce champ doit comporter au plus {_plural(c.get('max_length'), 'caractère')}.",
    "too_short": lambda c: f"Ce champ doit comporter au moins {_plural(c.get('min_length'), 'élément')}.",
    "too_long": lambda c: f"Ce champ doit comporter au plus {_plural(c.get('max_length'), 'élément')}.",
    "string_pattern_mismatch": "Format invalide (motif attendu : {pattern}).",
    "string_type": _TEXT,
    "string_unicode": _TEXT,
    "string_not_ascii": "Format invalide : seuls les caractères ASCII sont acceptés.",
    "int_type": _INTEGER,
    "int_parsing": _INTEGER,
    "int_from_float": _INTEGER,
    "int_parsing_size": _INTEGER,
    "float_type": _NUMBER,
    "float_parsing": _NUMBER,
    "decimal_type": _NUMBER,
    "decimal_parsing": _NUMBER,
    "finite_number": "Format invalide : un nombre fini est attendu.",
    "decimal_max_digits": "La valeur doit comporter au plus {max_digits} chiffres.",
    "decimal_max_places": "La valeur doit comporter au plus {decimal_places} chiffres après la virgule.",
    "decimal_whole_digits": "La valeur doit comporter au plus {whole_digits} chiffres avant la virgule.",
    "bool_type": "Format invalide : vrai ou faux (true, false) attendu.",
    "bool_parsing": "Format invalide : vrai ou faux (true, false) attendu.",
    "greater_than": "La valeur doit être supérieure à {gt}.",
    "greater_than_equal": "La valeur doit être supérieure ou égale à {ge}.",
    "less_than": "La valeur doit être inférieure à {lt}.",
    "less_than_equal": "La valeur doit être inférieure ou égale à {le}.",
    "multiple_of": "La valeur doit être un multiple de {multiple_of}.",
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "date_past": "La date doit être passée.",
    "date_future": "La date doit être à venir.",
    "datetime_type": _DATETIME,
    "datetime_parsing": _DATETIME,
    "datetime_object_invalid": _DATETIME,
    "datetime_from_date_parsing": _DATETIME,
    "datetime_past": "La date doit être passée.",
    "datetime_future": "La date doit être à venir.",
    "timezone_naive": "Date et heure invalides : sans fuseau horaire attendu.",
    "timezone_aware": "Date et heure invalides : fuseau horaire attendu.",
    "time_type": _TIME,
    "time_parsing": _TIME,
    "time_delta_type": "Format invalide : une durée est attendue.",
    "time_delta_parsing": "Format invalide : une durée est attendue.",
    "enum": _CHOICE,
    "literal_error": _CHOICE,
    "union_tag_invalid": "Valeur non autorisée : choisissez parmi {expected_tags}.",
    "uuid_type": "Format invalide : un identifiant (UUID) est attendu.",
    "uuid_parsing": "Format invalide : un identifiant (UUID) est attendu.",
    "url_type": "Format invalide : une adresse web (URL) est attendue.",
    "url_parsing": "Format invalide : une adresse web (URL) est attendue.",
    "url_scheme": "Format invalide : une adresse web (URL) est attendue.",
    "url_too_long": "Adresse web (URL) trop longue : au plus {max_length} caractères.",
    "list_type": _LIST,
    "tuple_type": _LIST,
    "set_type": _LIST,
    "iterable_type": _LIST,
    "dict_type": _OBJECT,
    "model_type": _OBJECT,
    "model_attributes_type": _OBJECT,
    "dataclass_type": _OBJECT,
}


# The checks of a value's form that answer in English (`ValueError`s): the shared types of extranet_contracts
# ("invalid NIR (social security number): <stdnum's reason>") and pydantic's EmailStr (whose reason may quote
# the address). Said in French, without their reason.
_ENGLISH_LABELS = {"NIR (social security number)": "numéro de sécurité sociale (NIR)", "IBAN": "IBAN", "SIRET": "numéro SIRET"}


def _english_check(message: str) -> str | None:
    if message.startswith("value is not a valid email address"):
        return "Format invalide : adresse e-mail incorrecte."
    if message.startswith("invalid "):
        label = _ENGLISH_LABELS.get(message.removeprefix("invalid ").split(":", 1)[0])
        return f"Format invalide : {label} incorrect." if label else "Format invalide."
    return None


def french_message(error: Mapping[str, Any]) -> str:
    """A validation error's message in French, from its pydantic `type` and `ctx` (never from the value sent);
    the message of one of our own validators (a `ValueError` raised in French, a `PydanticCustomError`) as it is."""
    kind, message = str(error.get("type") or ""), str(error.get("msg") or "")
    if kind == "value_error":
        return _english_check(message.removeprefix(_OURS_PREFIX)) or message.removeprefix(_OURS_PREFIX) or INVALID_VALUE
    if kind not in _PYDANTIC_TYPES:
        return message or INVALID_VALUE  # ours
    template = _MESSAGES.get(kind, INVALID_VALUE)
    context = {
        name: (_choices(value) if name in ("expected", "expected_tags") else value) for name, value in (error.get("ctx") or {}).items()
    }
    if callable(template):
        return template(context)
    try:
        return template.format(**context)
    except (KeyError, IndexError, ValueError):
        return INVALID_VALUE


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"field": _field(error["loc"]), "in": str(error["loc"][0]) if error["loc"] else None, "message": french_message(error)}
        for error in exc.errors()
    ]
    return problem(422, detail=TO_CORRECT, errors=errors)


async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != HTTPStatus(exc.status_code).phrase else None
    return problem(exc.status_code, detail=detail)


async def _unexpected_error(_request: Request, _exc: Exception) -> JSONResponse:
    """The answer to an error nothing else handled (logged by `UnexpectedErrors`, which calls this)."""
    return problem(500, detail=UNEXPECTED_DETAIL)


class UnexpectedErrors:
    """ASGI middleware, innermost of the conventions': an exception no handler took is logged by its class and the
    route's template only (`unhandled error`, error_class, route) — never its message, its traceback or their locals,
    which may hold a NIR, an IBAN or what a user typed — and answered by the app's `Exception` handler (a problem
    document, a portal's error page); it is not raised further. Raised further, Starlette's ServerErrorMiddleware
    raises it again after answering, uvicorn logs it whole (« Exception in ASGI application » and the traceback) and
    the request's span records its message and stack. The span gets `error.type` (the class) instead."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        error_class = None
        try:
            await self.app(scope, receive, sending)
        except Exception as exc:  # the point: nothing of it goes further than its class
            error_class = type(exc).__name__
        if error_class is not None:  # answered once the exception and its frames (their locals) are gone
            await self._answer(scope, receive, send, error_class, started)

    async def _answer(self, scope: Any, receive: Any, send: Any, error_class: str, started: bool) -> None:
        route = getattr(scope.get("route"), "path", None)
        log.error("unhandled error", error_class=error_class, route=route, method=scope.get("method"))
        trace.get_current_span().set_attribute("error.type", error_class)
        if started:  # part of the answer is gone: nothing else can be said
            return
        app = scope.get("app")
        handler = getattr(app, "exception_handlers", {}).get(Exception) or _unexpected_error
        try:
            response = await handler(Request(scope, receive), _Unexpected(error_class))
        except Exception:
            response = problem(500, detail=UNEXPECTED_DETAIL)
        await response(scope, receive, send)


class _Unexpected(Exception):
    """What an `Exception` handler receives from `UnexpectedErrors`: the class's name only."""


def install_conventions(
    app: FastAPI,
    readiness: Mapping[str, Callable[[], Awaitable[bool]]] | None = None,
    *,
    max_body: int = DEFAULT_MAX_BODY,
    body_limits: Mapping[str, int | BodyLimit] | None = None,
) -> FastAPI:
    """Problem documents for every error, /health and /metrics, OpenTelemetry spans, the request
    guard (body size, control characters) and the security headers."""
    app.add_middleware(UnexpectedErrors)  # first added: innermost, inside the spans, the headers and the guard
    app.add_middleware(RequestGuard, max_body=max_body, limits=body_limits)
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
    app.include_router(health_router(readiness or {}))
    app.add_middleware(RequestSpans)  # last added: outermost of these, around the guard and the headers
    app.add_middleware(RequestDurations)  # its latency histogram by route template (metrics)
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
