"""Answers the gateway relayed, given again without asking the service while the service's read model has
not changed since it computed them.

A service whose reads come from its read model (`extranet_plumbing.read_cache.ReadModelCache`) says in
`X-Read-Model-Version` which version of it an answer was computed from, and answers
`GET /internal/read-model/version` with the current one: a long poll that returns as soon as a change
commits (PostgreSQL notifies it), `VersionFollower` keeps asking it. `KeptAnswers`, an ASGI middleware inside
the conventions (spans, guard, headers), keeps the 200 answer of a GET when it is exactly one relayed answer
(`ServiceClient.relay`) of the one call the request made upstream, and that answer carried a version; it
gives it again to the same bearer token, for the same path and query, while that version is the current
one. Otherwise the request goes through the routes as usual. A search sent as a POST so that its criteria
(a NIR, a name) stay out of URLs is kept the same way, by the digest of its JSON body: only an answer
computed from a read model carries a version (`ReadModelCache.respond`), never the answer of a change.

What a kept answer still checks, on every request: the token (signature recognised, not expired) and its
session (not revoked), exactly as `principal` does; a kept answer was authorised once by the route and the
service that owns the data, for that very token and request, and the service's answer cannot differ
while its read model and day have not changed (its own `ReadModelCache` relies on the same). Keyed by the
token's whole text: nobody else's token, and no other path or query, can reach it.

What it gives up: a change reaches the gateway's kept answers one notification later than the read model
(a few milliseconds: the commit's notification, one read of the count, the long poll's answer); while the
service cannot be asked (down, or its notifications lost), nothing is given again. Bounded in number and
size (least recently used out first: 20,000 answers, 64 MiB of bodies, none over 256 KiB)."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter

from extranet_plumbing.auth import InvalidToken
from extranet_plumbing.guard import replaying
from extranet_plumbing.logging import get_logger
from extranet_plumbing.read_cache import MAX_WAIT_SECONDS, VERSION_HEADER, VERSION_PATH, ReadModelVersion

if TYPE_CHECKING:
    from extranet_plumbing.service import Service
    from gateway.clients.base import ServiceClient

log = get_logger(__name__)
KEPT = Counter("extranet_gateway_kept_answers_total", "Relayed answers given again (hit) or asked upstream (miss)", ["outcome"])
QUICK_ANSWER_SECONDS = 0.05  # an unchanged version answered sooner than this: the next poll waits as long
MAX_KEPT_QUERY_BODY = 16 * 1024  # a search's criteria; a larger body is never a kept read


class Exchange:
    """What one request of the gateway asked upstream: how many calls, and the last one's service, version and
    relayed body."""

    __slots__ = ("body", "calls", "service", "version")

    def __init__(self) -> None:
        self.calls = 0
        self.service: str | None = None
        self.version: str | None = None
        self.body: bytes | None = None


_exchange: ContextVar[Exchange | None] = ContextVar("gateway_exchange", default=None)


def upstream_answered(service: str, headers: Mapping[str, str]) -> None:
    """Called by `ServiceClient` for every answer a service gives (any status)."""
    exchange = _exchange.get()
    if exchange is not None:
        exchange.calls += 1
        exchange.service = service
        exchange.version = headers.get(VERSION_HEADER)
        exchange.body = None


def relayed(body: bytes) -> None:
    """Called by `ServiceClient.relay` with the body it gives on."""
    exchange = _exchange.get()
    if exchange is not None:
        exchange.body = body


class VersionFollower:
    """The current version of one service's read model, followed by long polls; unknown while the service
    cannot be asked. `servable(version)`: that version is the current one, heard from less than one poll ago."""

    def __init__(self, client: ServiceClient, *, wait: float = 4.0, retry_seconds: float = 1.0) -> None:
        self.name = client.name
        self._client = client
        self._wait = min(wait, MAX_WAIT_SECONDS)
        self._retry_seconds = retry_seconds
        self._current: str | None = None
        self._heard = 0.0

    def servable(self, version: str) -> bool:
        return version == self._current and time.monotonic() - self._heard < self._wait + 2.0

    async def run(self) -> None:
        failures = 0
        while True:
            params: dict[str, Any] = {"wait": self._wait if self._current is not None else 0}
            if self._current is not None:
                params["after"] = self._current
            asked = time.monotonic()
            try:
                answer = await self._client.call("GET", VERSION_PATH, model=ReadModelVersion, params=params)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # down, refused, too slow: nothing is given again until it answers
                self._current = None
                failures += 1
                if failures == 1:
                    log.warning("read model version unavailable", upstream=self.name, error_class=type(exc).__name__)
                await asyncio.sleep(min(self._retry_seconds * failures, 10.0))
                continue
            if failures:
                log.info("read model version followed again", upstream=self.name)
            failures = 0
            unchanged = answer.version == self._current
            self._current = answer.version
            self._heard = time.monotonic()
            if unchanged and self._heard - asked < QUICK_ANSWER_SECONDS:
                await asyncio.sleep(QUICK_ANSWER_SECONDS)  # a service that does not hold the poll: not a busy loop


@dataclass(slots=True)
class _Kept:
    service: str
    version: str
    headers: list[tuple[bytes, bytes]]
    body: bytes
    route: Any


class KeptAnswers:
    """ASGI middleware (see the module's docstring). `service`: the gateway's `Service` (its token verifier and
    revoked sessions); `followers`: by service name, those whose answers may be kept."""

    def __init__(
        self,
        app: Any,
        *,
        service: Service,
        followers: Mapping[str, VersionFollower],
        max_entries: int = 20_000,
        max_body: int = 256 * 1024,
        max_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.app = app
        self._service = service
        self._followers = dict(followers)
        self._entries: OrderedDict[tuple[bytes, str, bytes, bytes], _Kept] = OrderedDict()
        self._max_entries = max_entries
        self._max_body = max_body
        self._max_bytes = max_bytes
        self._bytes = 0  # the bodies kept
        self._hits = KEPT.labels("hit")
        self._misses = KEPT.labels("miss")

    def __len__(self) -> int:
        return len(self._entries)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        method = scope["method"] if scope["type"] == "http" else None
        token = _bearer(scope) if method in ("GET", "POST") and self._followers else None
        if token is None:
            await self.app(scope, receive, send)
            return
        criteria = b""
        if method == "POST":
            try:
                body = await _small_json_body(scope, receive)
            except _ClientGone:
                return
            if body is None:  # not a search's criteria: as usual
                await self.app(scope, receive, send)
                return
            criteria = hashlib.sha256(body).digest()
            receive = replaying(body, receive)
        key = (token, scope.get("raw_path") or scope["path"], scope.get("query_string", b""), criteria)
        kept = self._entries.get(key)
        if kept is not None:
            follower = self._followers.get(kept.service)
            if follower is not None and follower.servable(kept.version) and self._admits(token):
                self._entries.move_to_end(key)
                self._hits.inc()
                scope["route"] = kept.route  # the span's name
                await send({"type": "http.response.start", "status": 200, "headers": kept.headers})
                await send({"type": "http.response.body", "body": kept.body})
                return
            self._forget(key)
        self._misses.inc()
        exchange = Exchange()
        reset = _exchange.set(exchange)
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                if message["status"] == 200 and exchange.calls == 1 and exchange.body is not None and exchange.version:
                    started.update(message)
            elif started:
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            _exchange.reset(reset)
        if not started or exchange.service not in self._followers:
            return
        body = b"".join(chunks)
        if body != exchange.body or len(body) > self._max_body:  # the route gave something else than the relayed answer
            return
        if key in self._entries:  # a concurrent request for the same key kept it meanwhile
            self._forget(key)
        self._entries[key] = _Kept(exchange.service, exchange.version, list(started.get("headers", [])), body, scope.get("route"))
        self._bytes += len(body)
        while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
            self._forget(next(iter(self._entries)))

    def _forget(self, key: tuple[bytes, str, bytes, bytes]) -> None:
        self._bytes -= len(self._entries.pop(key).body)

    def _admits(self, token: bytes) -> bool:
        """As `principal`: a token verified (recognised, not expired) of a session not revoked."""
        verifier = self._service.verifier
        if verifier is None:
            return False
        try:
            who = verifier.verify(token.decode("latin-1"))
        except InvalidToken:
            return False
        return not self._service.revocations.is_revoked(who)


def _bearer(scope: Any) -> bytes | None:
    for name, value in scope.get("headers") or ():
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            token = token.strip()
            return token if scheme.lower() == b"bearer" and token else None
    return None


class _ClientGone(Exception):
    """The client disconnected while sending its body."""


async def _small_json_body(scope: Any, receive: Any) -> bytes | None:
    """The whole body of a JSON request that says its length, at most MAX_KEPT_QUERY_BODY; None otherwise
    (nothing read then)."""
    length = content_type = None
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            length = value
        elif name == b"content-type":
            content_type = value
    if content_type is None or content_type.split(b";")[0].strip().lower() != b"application/json":
        return None
    if length is None or not length.isdigit() or int(length) > MAX_KEPT_QUERY_BODY:
        return None
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise _ClientGone
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
