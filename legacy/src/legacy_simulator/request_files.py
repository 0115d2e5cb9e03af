"""The files a portal's request names by reference (an affiliation's supporting documents, a member's files for
« Écrivez-nous », the Kbis of a broker's address change), fetched by the legacy system from the service that keeps them
(enrollment's or portfolio's `GET /internal/legacy/{tenant}/files/{file_id}`, with the back office's service credential)
and checked against the event's size, type and SHA-256 before the request is decided. A file that cannot be found or
whose bytes are not those the event describes gets the request refused with a reason the requester can act on.

    EXTRANET_ENROLLMENT_URL        where enrollment answers (default http://127.0.0.1:8103)
    EXTRANET_PORTFOLIO_URL         where portfolio answers (default http://127.0.0.1:8102): the brokers' Kbis
    EXTRANET_OPERATOR_CREDENTIAL   the back office's service credential (none: no file is fetched)"""

from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

import httpx

from extranet_contracts import Event
from extranet_contracts.requests import AffiliationRequested, BrokerAddressChangeRequested, DocumentReference, MessageSent
from extranet_plumbing.logging import get_logger

log = get_logger(__name__)

UNREADABLE = "Une pièce jointe de votre demande n'a pas pu être lue par nos services : envoyez-la de nouveau avec une nouvelle demande."
KBIS_UNREADABLE = "L'extrait Kbis joint à votre demande n'a pas pu être lu par nos services : faites une nouvelle demande avec le Kbis."
CREDENTIAL_HEADER = "X-Service-Credential"
ENROLLMENT, PORTFOLIO = "enrollment", "portfolio"


def references(event: Event) -> list[DocumentReference]:
    """The files the request names (kept by `keeper(event)`)."""
    if isinstance(event, AffiliationRequested):
        return list(event.attachments)
    if isinstance(event, MessageSent):
        return [*([event.attachment] if event.attachment else []), *event.attachments]
    if isinstance(event, BrokerAddressChangeRequested):
        return [event.kbis]
    return []


def keeper(event: Event) -> str:
    """The service that keeps the request's files: portfolio a broker's Kbis, enrollment the others."""
    return PORTFOLIO if isinstance(event, BrokerAddressChangeRequested) else ENROLLMENT


@dataclass(frozen=True)
class Received:
    """A file fetched for a request: its reference and whether its bytes are what the event said."""

    file_id: str
    size: int
    sha256: str
    matches: bool


@dataclass
class RequestFiles:
    """Enrollment's files (`client`) and portfolio's (`portfolio`: none, the brokers' Kbis are not fetched), fetched with
    the back office's credential; a failure of the service is retried (`attempts` times, `pause` seconds apart) and then
    raised: the request is decided once its files can be read, never refused because the service was down. `received`
    keeps what was fetched for each request (its id -> files)."""

    client: httpx.AsyncClient
    attempts: int = 5
    pause: float = 1.0
    received: dict[str, list[Received]] = field(default_factory=dict)
    portfolio: httpx.AsyncClient | None = None

    @classmethod
    def over(
        cls,
        base_url: str,
        credential: str,
        *,
        transport: Any = None,
        portfolio_url: str | None = None,
        portfolio_transport: Any = None,
        **options: Any,
    ) -> RequestFiles:
        """Enrollment at `base_url`, portfolio at `portfolio_url` (none: not fetched); the transports a test's apps."""
        portfolio = _client(portfolio_url, credential, portfolio_transport) if portfolio_url else None
        return cls(_client(base_url, credential, transport), portfolio=portfolio, **options)

    @classmethod
    def from_env(cls) -> RequestFiles | None:
        credential = os.environ.get("EXTRANET_OPERATOR_CREDENTIAL", "")
        if not credential:
            return None
        return cls.over(
            os.environ.get("EXTRANET_ENROLLMENT_URL", "http://127.0.0.1:8103"),
            credential,
            portfolio_url=os.environ.get("EXTRANET_PORTFOLIO_URL", "http://127.0.0.1:8102"),
        )

    async def aclose(self) -> None:
        await self.client.aclose()
        if self.portfolio is not None:
            await self.portfolio.aclose()

    async def refusal(self, tenant: str, request_id: str, event: Event) -> str | None:
        """Every file of the request fetched and checked: None when all are there as described, else why it is refused."""
        named, service = references(event), keeper(event)
        client = self.portfolio if service == PORTFOLIO else self.client
        if not named or client is None:
            return None
        got = [await self._fetch(client, service, tenant, reference) for reference in named]
        self.received[request_id] = got
        if all(r.matches for r in got):
            log.info("request's files read", request_id=request_id, files=len(got), service=service)
            return None
        log.warning("request's file unreadable", request_id=request_id, unreadable=sum(not r.matches for r in got), service=service)
        return KBIS_UNREADABLE if isinstance(event, BrokerAddressChangeRequested) else UNREADABLE

    async def _fetch(self, client: httpx.AsyncClient, service: str, tenant: str, reference: DocumentReference) -> Received:
        path = f"/internal/legacy/{tenant}/files/{reference.file_id}"
        for attempt in range(1, self.attempts + 1):
            try:
                response = await client.get(path)
            except httpx.HTTPError as exc:
                failure = type(exc).__name__
            else:
                if response.status_code == 200:
                    data = response.content
                    digest = hashlib.sha256(data).hexdigest()
                    matches = len(data) == reference.size and digest == reference.sha256
                    matches = matches and response.headers.get("content-type", "").split(";")[0] == reference.media_type
                    return Received(str(reference.file_id), len(data), digest, matches)
                if response.status_code in (401, 403):
                    raise RuntimeError(f"{service} refuses the back office's credential ({response.status_code})")
                if response.status_code < 500:
                    return Received(str(reference.file_id), 0, "", False)
                failure = f"status {response.status_code}"
            if attempt == self.attempts:
                raise RuntimeError(f"{service} did not serve a request's file ({failure})")
            log.warning("request's file not fetched: retrying", attempt=attempt, failure=failure, service=service)
            await asyncio.sleep(self.pause)
        raise AssertionError("unreachable")


def _client(base_url: str, credential: str, transport: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_url, headers={CREDENTIAL_HEADER: credential}, transport=transport, timeout=30.0)
