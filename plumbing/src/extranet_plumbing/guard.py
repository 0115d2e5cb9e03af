"""What every HTTP request must pass before any route sees it: a body no larger than its route
allows (413, answered before reading a body announced too large, and while reading one that grows
too large), and no control character in the path, the query or any JSON string (422 naming the
field). A NUL byte reaching PostgreSQL is an error; a control character reaching a page or a log is
a hazard: neither has a business meaning in this platform's inputs."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from extranet_plumbing.problems import problem_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# C0 controls but tab, line feed and carriage return; DEL; UTF-16 surrogates (invalid alone).
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
DEFAULT_MAX_BODY = 64 * 1024  # JSON bodies of this platform are a few hundred bytes


def _problem(status: int, detail: str, errors: list[dict] | None = None) -> bytes:
    body = problem_body(status, detail=detail, **({"errors": errors} if errors else {}))
    return json.dumps(body, ensure_ascii=False).encode()


def _find_control(value: Any, path: tuple[str, ...]) -> str | None:
    """The dotted path of the first string (or key) holding a forbidden character, if any."""
    if isinstance(value, str):
        return ".".join(path) or "body" if _FORBIDDEN.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if _FORBIDDEN.search(key):
                return ".".join(path) or "body"
            found = _find_control(item, (*path, key))
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_control(item, (*path, str(index)))
            if found:
                return found
    return None


@dataclass(frozen=True)
class BodyLimit:
    """The largest body a path takes and, for an upload, what the refusal tells the user (in French) and
    which form field it names (the file that makes a body too large)."""

    max_bytes: int
    detail: str | None = None
    field: str | None = None

    @property
    def message(self) -> str:
        return self.detail or f"La requête dépasse la taille autorisée ({self.max_bytes} octets)."


def _prefix_pattern(prefix: str) -> re.Pattern[str]:
    """A path prefix as a pattern matched at the start of a path, `*` being any one segment."""
    return re.compile("".join("[^/]+" if part == "*" else re.escape(part) for part in re.split(r"(\*)", prefix)))


class RequestGuard:
    """ASGI middleware: body size limits per path prefix, and control characters refused."""

    def __init__(self, app: Callable, *, max_body: int = DEFAULT_MAX_BODY, limits: Mapping[str, int | BodyLimit] | None = None) -> None:
        self.app = app
        self.max_body = BodyLimit(max_body)
        # Longest prefix first, so that a route with larger uploads can be given its own limit. In a
        # prefix, `*` stands for one path segment (`/internal/brokers/*/address-change`).
        self.limits = [
            (_prefix_pattern(prefix), limit if isinstance(limit, BodyLimit) else BodyLimit(limit))
            for prefix, limit in sorted((limits or {}).items(), key=lambda item: -len(item[0]))
        ]

    def _limit(self, path: str) -> BodyLimit:
        return next((limit for prefix, limit in self.limits if prefix.match(path)), self.max_body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or scope["path"].encode()
        path = unquote(raw_path.decode("latin-1"), errors="replace")
        if _FORBIDDEN.search(path) or _FORBIDDEN.search(unquote(path)):
            await self._answer(send, 422, "L'adresse demandée contient des caractères interdits.", "path")
            return
        for name, value in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True):
            if _FORBIDDEN.search(name) or _FORBIDDEN.search(value):
                await self._answer(send, 422, "Un paramètre contient des caractères interdits.", f"query.{name}")
                return
        headers = {name.lower(): value for name, value in scope.get("headers", [])}
        limit = self._limit(scope["path"])
        announced = headers.get(b"content-length")
        if announced is not None and (not announced.isdigit() or int(announced) > limit.max_bytes):
            await self._answer(send, 413, limit.message, limit.field)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit.max_bytes:
                await self._answer(send, 413, limit.message, limit.field)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and b"json" in headers.get(b"content-type", b""):
            try:
                document = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                document = None  # malformed JSON: the route's validation answers it
            field = _find_control(document, ("body",)) if document is not None else None
            if field:
                await self._answer(send, 422, "Un champ contient des caractères interdits.", field)
                return

        await self.app(scope, replaying(body, receive), send)

    @staticmethod
    async def _answer(send: Send, status: int, detail: str, field: str | None = None) -> None:
        errors = (
            [{"field": field.removeprefix("body.").removeprefix("query."), "in": field.split(".")[0], "message": detail}] if field else None
        )
        body = _problem(status, detail, errors)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


# Swagger UI and ReDoc load their scripts and styles: the strict policy would blank them.
_DOC_PATHS = ("/docs", "/redoc")
_STRICT_CSP = b"default-src 'none'; frame-ancestors 'none'"


class SecurityHeaders:
    """ASGI middleware: every answer carries tokens or personal data, or may: not cached, not
    sniffed, not framed, no referrer."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        documentation = scope["path"].startswith(_DOC_PATHS)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(name, value) for name, value in message.get("headers", []) if name.lower() != b"server"]
                present = {name.lower() for name, _ in headers}
                wanted = [
                    (b"cache-control", b"no-store"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                if not documentation:
                    wanted.append((b"content-security-policy", _STRICT_CSP))
                headers += [(name, value) for name, value in wanted if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def replaying(body: bytes, receive: Receive) -> Receive:
    """`receive` for the next app once the body was read: the whole body at once, then whatever the client sends
    next (its disconnection)."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
