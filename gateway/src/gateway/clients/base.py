"""What every typed client of a service shares: one request, its answer validated against the
service's declared model, and its failures mapped once (`gateway.errors`).

What can fail and what happens then:
- the service is unreachable, or the connection breaks before or during the answer: 503;
- the service does not answer within the configured timeout: 504;
- the service answers 5xx: 503, and the response is closed unread, so that its connection is
  discarded rather than given back to the pool (a server that failed may close it a moment later,
  and the next caller would receive that close instead of an answer);
- the service refuses (4xx): its problem document is passed through (`detail`, `errors`);
- the answer does not match the declared model, is not JSON or is too large: 502.
Logs name the service, the route template and the kind of failure: never a path parameter, a
body or a validation error's input (they may carry personal data).

Over the network, the calls go through aiohttp (its HTTP parser is in C): one pooled session per
service, HTTP/1.1 keep-alive on up to `MAX_CONNECTIONS` connections, an idle connection dropped
after `KEEPALIVE_SECONDS` (before uvicorn's 5 s, so that a connection the server is closing is not
used again). httpx, which the bootstrap configures (base URL, credential header, timeout), is used
as it is when a transport is plugged in its place (tests: an ASGI app, a mock) or without aiohttp.
Measured with 64 concurrent calls (bench/broker_routes.py): httpx 0.28 costs about 2 ms of CPU per
call in the gateway (its pool's bookkeeping, and a failed `import sniffio` on every call), aiohttp
about 0.1 ms.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import quote

import httpx
from fastapi.responses import Response, StreamingResponse
from pydantic import TypeAdapter, ValidationError

from extranet_plumbing.logging import get_logger
from extranet_plumbing.tracing import current_trace_headers
from gateway.errors import UpstreamProblem
from gateway.kept import relayed, upstream_answered

try:
    import aiohttp
    import yarl
except ImportError:  # pragma: no cover - the gateway then calls through httpx
    aiohttp = None

log = get_logger(__name__)
# httpx logs every request at INFO with its URL, which holds path parameters (codes, numbers): not in our logs.
logging.getLogger("httpx").setLevel(logging.WARNING)

# A portal's answer is small; anything larger is not what the service declared.
MAX_ANSWER_BYTES = 4 * 1024 * 1024
MAX_CONNECTIONS = 256  # per service: more than the concurrent calls one gateway process makes
KEEPALIVE_SECONDS = 4.0  # uvicorn closes a connection idle for 5 s
# What httpx adds to every request by default: aiohttp sends its own.
_HTTPX_DEFAULT_HEADERS = frozenset({"accept", "accept-encoding", "connection", "user-agent"})


def segment(value: str) -> str:
    """One path segment, quoted so that it cannot become another path (`/`, `%`, `..` included)."""
    if value in ("", ".", ".."):
        raise ValueError("not a path segment")
    return quote(value, safe="")


def filled(template: str, path: dict[str, str]) -> str:
    """A route's template (`/internal/members/{member}`) with each path parameter quoted as one segment."""
    return template.format(**{name: segment(value) for name, value in path.items()})


@functools.cache
def _adapter(model: Any) -> TypeAdapter:
    return TypeAdapter(model)


# How long a download may wait for its next bytes: an export of tens of thousands of rows is written whole
# before its first byte (`extranet_plumbing.exports`), about 10 s for 100,000 rows on a quiet machine.
DOWNLOAD_READ_SECONDS = 300.0


class ServiceClient:
    """A typed client of one service's internal API (one pooled connection set)."""

    def __init__(self, name: str, client: httpx.AsyncClient) -> None:
        self.name = name
        self._client = client
        # The network path unless a transport was plugged in (an ASGI app, a mock) or aiohttp is missing.
        self._direct = aiohttp is not None and type(client._transport) is httpx.AsyncHTTPTransport
        self._base = str(client.base_url).rstrip("/")
        self._headers = {k: v for k, v in client.headers.items() if k.lower() not in _HTTPX_DEFAULT_HEADERS}
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()
        await self._client.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        route: str,
        model: Any,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
    ) -> Any:
        """The answer validated as `model` (None when `model` is None). `route` names the call in logs.
        `content`: a body passed as it is (an upload; its content-type in `headers`), instead of `json_body`."""
        headers = {**(headers or {}), **current_trace_headers()}  # the service's span continues the gateway's trace
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        if self._direct:
            return await self._request_direct(
                method, path, route=route, model=model, headers=headers, json_body=json_body, params=params, content=content
            )
        request = self._client.build_request(method, path, headers=headers, json=json_body, params=params, content=content)
        try:
            response = await self._client.send(request, stream=True)
        except httpx.TimeoutException:
            log.error("upstream timeout", upstream=self.name, route=route)
            raise UpstreamProblem.timeout() from None
        except httpx.HTTPError as exc:
            log.error("upstream unreachable", upstream=self.name, route=route, error_class=type(exc).__name__)
            raise UpstreamProblem.unavailable() from None
        try:
            return await self._answer(response, route=route, model=model)
        finally:
            # Unread (5xx) or broken: the connection is closed. Fully read: it goes back to the pool.
            await response.aclose()

    async def call(
        self,
        method: str,
        template: str,
        *,
        model: Any,
        token: str | None = None,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        **path: str,
    ) -> Any:
        """`request` to the route `template` as the service declares it (`{name}` for each path
        parameter, given as keyword arguments and quoted whole as one segment); `method template`
        names the call in logs, so the path and its name cannot drift apart."""
        return await self.request(
            method,
            filled(template, path),
            route=f"{method} {template}",
            model=model,
            token=token,
            params=params,
            json_body=json_body,
        )

    async def relay(self, method: str, template: str, *, model: Any, **arguments: Any) -> Relayed:
        """`call` (same arguments), the validated answer given on as the response of a route declared with
        `response_model=model`: serialised once here by its model (the declared fields only, by alias),
        so that FastAPI neither validates nor serialises it again, as it would a returned model."""
        value = await self.call(method, template, model=model, **arguments)
        body = _adapter(model).dump_json(value, by_alias=True)
        relayed(body)  # the gateway may give it again (gateway.kept)
        return Relayed(value, body)

    async def file(
        self,
        template: str,
        *,
        media_types: frozenset[str],
        token: str | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        **path: str,
    ) -> StreamingResponse:
        """`download` of the route `template` as the service declares it, its path parameters quoted as `call`
        quotes them; `GET template` names the call in logs."""
        return await self.download(
            filled(template, path),
            route=f"GET {template}",
            token=token,
            params=params,
            media_types=media_types,
            headers=headers,
        )

    async def download(
        self,
        path: str,
        *,
        route: str,
        token: str | None,
        params: dict[str, Any] | None,
        media_types: frozenset[str],
        headers: dict[str, str] | None = None,
    ) -> StreamingResponse:
        """A file the service streams (an export), streamed on to the caller as it arrives. A refusal
        or a failure before the first byte is mapped as for `request`; a file of another type than
        `media_types` is a bad answer. Through httpx in every case: downloads are few and long, the
        per-call cost that made `request` go through aiohttp does not matter here. `token` None: a caller
        without an account, whose ticket is in `headers` (the online enrollment link's)."""
        limits = self._client.timeout
        # The service writes a file whole before its first byte (an error in its rows then ends it before it
        # starts): the wait for the body is not a read timeout of an answer. Connecting keeps the usual limits.
        timeout = httpx.Timeout(
            connect=limits.connect, read=max(limits.read or 0, DOWNLOAD_READ_SECONDS), write=limits.write, pool=limits.pool
        )
        sent = {**(headers or {}), **current_trace_headers(), **({"authorization": f"Bearer {token}"} if token is not None else {})}
        request = self._client.build_request("GET", path, headers=sent, params=params, timeout=timeout)
        try:
            response = await self._client.send(request, stream=True)
        except httpx.TimeoutException:
            log.error("upstream timeout", upstream=self.name, route=route)
            raise UpstreamProblem.timeout() from None
        except httpx.HTTPError as exc:
            log.error("upstream unreachable", upstream=self.name, route=route, error_class=type(exc).__name__)
            raise UpstreamProblem.unavailable() from None
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        if response.status_code != 200 or media_type not in media_types:
            try:
                if response.status_code == 200:
                    log.error("upstream answer unexpected", upstream=self.name, route=route, status=200)
                    raise UpstreamProblem.bad_answer()
                await self._answer(response, route=route, model=None)  # raises the mapped problem
            finally:
                await response.aclose()

        async def body() -> AsyncIterator[bytes]:
            try:
                async for chunk in response.aiter_raw():
                    yield chunk
            except httpx.HTTPError as exc:  # cut mid-download: the caller gets a truncated file, and the log says so
                log.error("upstream download broken", upstream=self.name, route=route, error_class=type(exc).__name__)
                raise
            finally:
                await response.aclose()

        headers = {"content-disposition": response.headers.get("content-disposition", "attachment")}
        return StreamingResponse(body(), media_type=media_type, headers=headers)

    # --- over the network, with aiohttp -----------------------------------------------------------------

    def _open_session(self) -> aiohttp.ClientSession:
        timeout = self._client.timeout
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=MAX_CONNECTIONS, keepalive_timeout=KEEPALIVE_SECONDS),
            # httpx's timeouts: waiting for a pooled connection and connecting, then each read.
            timeout=aiohttp.ClientTimeout(total=None, connect=timeout.pool, sock_connect=timeout.connect, sock_read=timeout.read),
            headers=self._headers,
            auto_decompress=True,
        )
        return self._session

    async def _request_direct(
        self,
        method: str,
        path: str,
        *,
        route: str,
        model: Any,
        headers: dict[str, str],
        json_body: Any,
        params: dict[str, Any] | None,
        content: bytes | None,
    ) -> Any:
        url = self._base + path
        if params:
            query = str(httpx.QueryParams(params))  # encoded exactly as httpx would
            if query:
                url += "?" + query
        body = content
        if body is None and json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
            headers.setdefault("content-type", "application/json")
        session = self._session or self._open_session()
        try:
            # encoded=True: the path goes as `segment` quoted it, never decoded or requoted on the way.
            async with session.request(method, yarl.URL(url, encoded=True), headers=headers, data=body, allow_redirects=False) as response:
                return await self._answer_direct(response, route=route, model=model)
        except TimeoutError:  # connecting, waiting for the answer or reading it
            log.error("upstream timeout", upstream=self.name, route=route)
            raise UpstreamProblem.timeout() from None
        except aiohttp.ClientPayloadError as exc:
            log.error("upstream answer broken", upstream=self.name, route=route, error_class=type(exc).__name__)
            raise UpstreamProblem.unavailable() from None
        except aiohttp.ClientError as exc:
            log.error("upstream unreachable", upstream=self.name, route=route, error_class=type(exc).__name__)
            raise UpstreamProblem.unavailable() from None

    async def _answer_direct(self, response: aiohttp.ClientResponse, *, route: str, model: Any) -> Any:
        status = response.status
        if status >= 500:
            response.close()  # unread: its connection is closed, not given back to the pool
            log.error("upstream error", upstream=self.name, route=route, status=status)
            raise UpstreamProblem.unavailable()
        if not 200 <= status < 500:
            response.close()
            log.error("upstream answer unexpected", upstream=self.name, route=route, status=status)
            raise UpstreamProblem.bad_answer()
        declared = response.content_length
        if declared is not None and declared > MAX_ANSWER_BYTES:
            response.close()
            log.error("upstream answer too large", upstream=self.name, route=route)
            raise UpstreamProblem.bad_answer()
        if declared is not None:
            content = await response.read()
        else:
            chunks, size = [], 0
            async for chunk in response.content.iter_any():
                size += len(chunk)
                if size > MAX_ANSWER_BYTES:
                    response.close()
                    log.error("upstream answer too large", upstream=self.name, route=route)
                    raise UpstreamProblem.bad_answer()
                chunks.append(chunk)
            content = b"".join(chunks)
        return self._decoded(status, content, response.headers, route=route, model=model)

    # --- through httpx ------------------------------------------------------------------------------------

    async def _answer(self, response: httpx.Response, *, route: str, model: Any) -> Any:
        status = response.status_code
        if status >= 500:
            log.error("upstream error", upstream=self.name, route=route, status=status)
            raise UpstreamProblem.unavailable()
        if not 200 <= status < 500:
            log.error("upstream answer unexpected", upstream=self.name, route=route, status=status)
            raise UpstreamProblem.bad_answer()
        content = await self._read(response, route=route)
        return self._decoded(status, content, response.headers, route=route, model=model)

    def _decoded(self, status: int, content: bytes, headers: Mapping[str, str], *, route: str, model: Any) -> Any:
        upstream_answered(self.name, headers)
        if status >= 400:
            raise UpstreamProblem.refusal(status, _json_or_none(content), headers)
        if model is None:
            return None
        try:
            return _adapter(model).validate_json(content)
        except ValidationError as exc:
            # Locations and error types only: the input may be personal data.
            problems = [{"loc": ".".join(str(p) for p in e["loc"]), "type": e["type"]} for e in exc.errors(include_input=False)]
            log.error("upstream answer does not match its model", upstream=self.name, route=route, problems=problems[:20])
            raise UpstreamProblem.bad_answer() from None

    async def _read(self, response: httpx.Response, *, route: str) -> bytes:
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_ANSWER_BYTES:
            log.error("upstream answer too large", upstream=self.name, route=route)
            raise UpstreamProblem.bad_answer()
        chunks, size = [], 0
        try:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_ANSWER_BYTES:
                    log.error("upstream answer too large", upstream=self.name, route=route)
                    raise UpstreamProblem.bad_answer()
                chunks.append(chunk)
        except httpx.TimeoutException:
            log.error("upstream timeout", upstream=self.name, route=route)
            raise UpstreamProblem.timeout() from None
        except httpx.HTTPError as exc:
            log.error("upstream answer broken", upstream=self.name, route=route, error_class=type(exc).__name__)
            raise UpstreamProblem.unavailable() from None
        return b"".join(chunks)


class Relayed(Response):
    """A service's answer, validated against its model, as the gateway's JSON response (`ServiceClient.relay`);
    `value` is the validated answer."""

    media_type = "application/json"

    def __init__(self, value: Any, content: bytes) -> None:
        super().__init__(content)
        self.value = value


def _json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None
