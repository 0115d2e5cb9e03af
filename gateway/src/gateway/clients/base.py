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
"""

from __future__ import annotations

import functools
import json
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from extranet_plumbing.logging import get_logger
from gateway.errors import UpstreamProblem

log = get_logger(__name__)

# A portal's answer is small; anything larger is not what the service declared.
MAX_ANSWER_BYTES = 4 * 1024 * 1024


def segment(value: str) -> str:
    """One path segment, quoted so that it cannot become another path (`/`, `%`, `..` included)."""
    if value in ("", ".", ".."):
        raise ValueError("not a path segment")
    return quote(value, safe="")


@functools.cache
def _adapter(model: Any) -> TypeAdapter:
    return TypeAdapter(model)


class ServiceClient:
    """A typed client of one service's internal API (one pooled `httpx.AsyncClient`)."""

    def __init__(self, name: str, client: httpx.AsyncClient) -> None:
        self.name = name
        self._client = client

    async def close(self) -> None:
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
        headers = dict(headers or {})
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
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

    async def _answer(self, response: httpx.Response, *, route: str, model: Any) -> Any:
        status = response.status_code
        if status >= 500:
            log.error("upstream error", upstream=self.name, route=route, status=status)
            raise UpstreamProblem.unavailable()
        if not 200 <= status < 500:
            log.error("upstream answer unexpected", upstream=self.name, route=route, status=status)
            raise UpstreamProblem.bad_answer()
        content = await self._read(response, route=route)
        if status >= 400:
            raise UpstreamProblem.refusal(status, _json_or_none(content), response.headers)
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


def _json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None
