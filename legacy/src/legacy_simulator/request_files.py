"""The files a portal's request names by reference (an affiliation's supporting documents, a member's files for
« Écrivez-nous »), fetched by the legacy system from the service that keeps them (enrollment's
`GET /internal/legacy/{tenant}/files/{file_id}`, with the back office's service credential) and checked against the
event's size and SHA-256 before the request is decided. A file that cannot be found or whose bytes are not those the
event describes gets the request refused with a reason the requester can act on.

    EXTRANET_ENROLLMENT_URL        where enrollment answers (default http://127.0.0.1:8103)
    EXTRANET_OPERATOR_CREDENTIAL   the back office's service credential (none: no file is fetched)

The broker's Kbis is named by portfolio's reference, in portfolio's store: not fetched here."""

from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

import httpx

from extranet_contracts import Event
from extranet_contracts.requests import AffiliationRequested, DocumentReference, MessageSent
from extranet_plumbing.logging import get_logger

log = get_logger(__name__)

UNREADABLE = "Une pièce jointe de votre demande n'a pas pu être lue par nos services : envoyez-la de nouveau avec une nouvelle demande."
CREDENTIAL_HEADER = "X-Service-Credential"


def references(event: Event) -> list[DocumentReference]:
    """The files the request names that enrollment keeps."""
    if isinstance(event, AffiliationRequested):
        return list(event.attachments)
    if isinstance(event, MessageSent):
        return [*([event.attachment] if event.attachment else []), *event.attachments]
    return []


@dataclass(frozen=True)
class Received:
    """A file fetched for a request: its reference and whether its bytes are what the event said."""

    file_id: str
    size: int
    sha256: str
    matches: bool


@dataclass
class RequestFiles:
    """Enrollment's files, fetched with the back office's credential; a failure of the service is retried (`attempts`
    times, `pause` seconds apart) and then raised: the request is decided once its files can be read, never refused
    because the service was down. `received` keeps what was fetched for each request (its id -> files)."""

    client: httpx.AsyncClient
    attempts: int = 5
    pause: float = 1.0
    received: dict[str, list[Received]] = field(default_factory=dict)

    @classmethod
    def over(cls, base_url: str, credential: str, *, transport: Any = None, **options: Any) -> RequestFiles:
        client = httpx.AsyncClient(base_url=base_url, headers={CREDENTIAL_HEADER: credential}, transport=transport, timeout=30.0)
        return cls(client, **options)

    @classmethod
    def from_env(cls) -> RequestFiles | None:
        credential = os.environ.get("EXTRANET_OPERATOR_CREDENTIAL", "")
        if not credential:
            return None
        return cls.over(os.environ.get("EXTRANET_ENROLLMENT_URL", "http://127.0.0.1:8103"), credential)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def refusal(self, tenant: str, request_id: str, event: Event) -> str | None:
        """Every file of the request fetched and checked: None when all are there as described, else why it is refused."""
        named = references(event)
        if not named:
            return None
        got = [await self._fetch(tenant, reference) for reference in named]
        self.received[request_id] = got
        if all(r.matches for r in got):
            log.info("request's files read", request_id=request_id, files=len(got))
            return None
        log.warning("request's file unreadable", request_id=request_id, unreadable=sum(not r.matches for r in got))
        return UNREADABLE

    async def _fetch(self, tenant: str, reference: DocumentReference) -> Received:
        path = f"/internal/legacy/{tenant}/files/{reference.file_id}"
        for attempt in range(1, self.attempts + 1):
            try:
                response = await self.client.get(path)
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
                    raise RuntimeError(f"enrollment refuses the back office's credential ({response.status_code})")
                if response.status_code < 500:
                    return Received(str(reference.file_id), 0, "", False)
                failure = f"status {response.status_code}"
            if attempt == self.attempts:
                raise RuntimeError(f"enrollment did not serve a request's file ({failure})")
            log.warning("request's file not fetched: retrying", attempt=attempt, failure=failure)
            await asyncio.sleep(self.pause)
        raise AssertionError("unreachable")
