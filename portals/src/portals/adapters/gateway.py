"""The gateway's API as the portals call it, on the server side: one pooled HTTP client, the tenant
of the portal on the routes that take one, the browser's address (X-Forwarded-For, believed by a
gateway that trusts the portals), the session's access token, and each answer checked against the
model the service declares (`identity.api`, `portfolio.api`).

What can fail: a refusal (4xx) becomes `GatewayProblem` with its French message and the fields at
fault, shown next to the form's fields; a gateway that does not answer, answers 5xx or something
that is not the declared model becomes `GatewayUnavailable` (the page says to try again later)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
from pydantic import TypeAdapter, ValidationError

from extranet_plumbing.http import FORMAT_OPENINGS, LENGTH_OPENINGS
from extranet_plumbing.logging import get_logger
from extranet_plumbing.tracing import current_trace_headers

log = get_logger(__name__)

# Messages of pydantic's validation in English (a gateway from before plumbing's French messages), as opposed
# to the services' own French refusals: the user reads a French sentence instead.
_ENGLISH = re.compile(r"^(String|Input|Value|Field|List|Date|Datetime|Extra|Object|Unable|value|Invalid|Missing)\b")
# The gateway's French messages about a value's form (« Format invalide (motif attendu : ^[0-9]{5}$). », the codes
# allowed) say what the API expects, not what to type in the form: they are « Saisie invalide. », which a page
# replaces with what to check in its field. The others (« Ce champ est obligatoire. », a length) are shown as they are.
INVALID_VALUE = "Saisie invalide."
# Fields of a request that no form shows (the link's token, the activation's ticket): their refusal is the summary.
UNSEEN_FIELDS = {"token", "ticket"}


DOWNLOAD_READ_SECONDS = 300.0  # as the gateway's (gateway.clients.base)


class GatewayProblem(Exception):
    """A refusal of the gateway: status, the message for the user, and messages by field."""

    def __init__(self, status: int, detail: str | None, fields: dict[str, str], paths: dict[str, str] | None = None) -> None:
        super().__init__(f"gateway refused: {status}")
        self.status, self.detail, self.fields = status, detail, fields
        # Messages by the field's whole path (`dependants.1.nir`, `file.3`: a line of a list or of a file)
        self.paths = paths if paths is not None else dict(fields)

    @property
    def message(self) -> str:
        """What the form's summary says: the refusal itself, unless a field shows it already."""
        french = bool(self.detail) and not _ENGLISH.match(self.detail) and self.detail != "One or more fields are invalid."
        shown_by_a_field = self.detail in self.fields.values() and not set(self.fields) & UNSEEN_FIELDS
        if french and not shown_by_a_field:
            return self.detail
        if self.fields:
            return "Certains champs sont à corriger."
        return "Votre demande n'a pas pu aboutir."


class GatewayUnavailable(Exception):
    pass


def _french(message: str) -> str:
    return INVALID_VALUE if _ENGLISH.match(message or "") or (message or "").startswith(FORMAT_OPENINGS) else message


def generic(message: str) -> bool:
    """A refusal in the gateway's general words (« Saisie invalide. », a length): a page that knows better
    what its field wants (« de 10 à 4 000 caractères ») says that instead."""
    return message == INVALID_VALUE or message.startswith(LENGTH_OPENINGS)


def problem_of(response: httpx.Response) -> GatewayProblem:
    try:
        body = response.json()
    except ValueError:
        body = {}
    fields: dict[str, str] = {}
    paths: dict[str, str] = {}
    for error in body.get("errors") or []:
        path = str(error.get("field") or "")
        message = _french(str(error.get("message") or ""))
        name = path.split(".")[0]
        if name and name not in fields:
            fields[name] = message
        if path and path not in paths:
            paths[path] = message
    return GatewayProblem(response.status_code, body.get("detail"), fields, paths)


class GatewayClient:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def close(self) -> None:
        await self._client.aclose()

    async def call(
        self,
        method: str,
        path: str,
        *,
        model: Any = None,
        json: Any = None,
        data: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        params: dict[str, str] | None = None,
        token: str | None = None,
        tenant: str | None = None,
        client_ip: str | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """`data` and `files`: a multipart form (the broker's address change and its Kbis); `content` and
        `headers`: a body sent as it is (a CSV file) and headers of the route (an invitation's token)."""
        headers = {**(headers or {}), **_headers(token, client_ip)}
        query = dict(params or {})
        if tenant:
            query["tenant"] = tenant
        try:
            response = await self._client.request(
                method, path, json=json, data=data, files=files, content=content, params=query, headers=headers
            )
        except httpx.HTTPError as exc:
            log.warning("gateway unreachable", path=_shape(path), error_class=type(exc).__name__)
            raise GatewayUnavailable(path) from None
        if response.status_code >= 500:
            log.warning("gateway failed", path=_shape(path), status=response.status_code)
            raise GatewayUnavailable(path)
        if response.status_code >= 400:
            raise problem_of(response)
        if model is None:
            return None
        try:
            return TypeAdapter(model).validate_json(response.content)
        except ValidationError:
            log.error("gateway answer does not match its model", path=_shape(path))
            raise GatewayUnavailable(path) from None

    async def download(self, path: str, *, params: dict[str, str], token: str | None, headers: dict[str, str] | None = None) -> Download:
        """A file the gateway streams (an export, a statement): refused or failed before its first byte
        as `call`; else its type, name and body, passed on to the browser as they arrive."""
        # The gateway passes on a file its service writes whole before the first byte (a large export):
        # waiting for it is not an answer's read timeout (the gateway waits as long: DOWNLOAD_READ_SECONDS).
        limits = self._client.timeout
        timeout = httpx.Timeout(
            connect=limits.connect, read=max(limits.read or 0, DOWNLOAD_READ_SECONDS), write=limits.write, pool=limits.pool
        )
        # `headers`: a route's own (an invitation's token: the employee has no session's token)
        request = self._client.build_request(
            "GET", path, params=params, headers={**(headers or {}), **_headers(token, None)}, timeout=timeout
        )
        try:
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            log.warning("gateway unreachable", path=_shape(path), error_class=type(exc).__name__)
            raise GatewayUnavailable(path) from None
        if response.status_code != 200:
            try:
                await response.aread()
            finally:
                await response.aclose()
            if response.status_code >= 500 or response.status_code < 400:
                log.warning("gateway failed", path=_shape(path), status=response.status_code)
                raise GatewayUnavailable(path)
            raise problem_of(response)
        return Download(response)


class Download:
    """A file on its way from the gateway: `body()` yields its bytes and closes the answer at the end."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self.media_type = response.headers.get("content-type", "application/octet-stream")
        self.disposition = response.headers.get("content-disposition", "attachment")

    async def body(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.aiter_bytes():  # decoded: no content-encoding is passed on
                yield chunk
        finally:
            await self._response.aclose()

    async def close(self) -> None:
        await self._response.aclose()


def _headers(token: str | None, client_ip: str | None) -> dict[str, str]:
    headers = current_trace_headers()  # the gateway's span continues the page's trace
    if token:
        headers["authorization"] = f"Bearer {token}"
    if client_ip:
        headers["x-forwarded-for"] = client_ip
    return headers


def _shape(path: str) -> str:
    """A gateway path as logs may show it: every segment holding a digit (a member number, a reference, a
    company code) replaced by `{…}`."""
    return "/".join("{…}" if any(c.isdigit() for c in segment) else segment for segment in path.split("/"))
