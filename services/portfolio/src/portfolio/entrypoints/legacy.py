"""The documents of the brokers' requests for the legacy management system (issue 11): its back office fetches the Kbis
of an address change by the reference `BrokerAddressChangeRequested` carries, and checks it against the event's size
and SHA-256 before deciding.

- GET /internal/legacy/{tenant}/files/{file_id}: the file, streamed from the document store with the type it was checked
  as; to the back office's (operator) service credential alone (the gateway, which acts for the portals' users, is
  refused 403; no credential 401). A reference no request of that tenant keeps is not found (404), as another
  tenant's or a guessed one."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
import uuid
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import StreamingResponse

from extranet_plumbing.dependencies import OperatorCaller
from extranet_plumbing.logging import get_logger
from portfolio.entrypoints.dependencies import UoW
from portfolio.entrypoints.employer_documents import served_file
from portfolio.entrypoints.profile import Documents

router = APIRouter(prefix="/internal/legacy")
log = get_logger(__name__)

Tenant = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_-]{1,39}$", description="The tenant the request's event named")]
FileId = Annotated[uuid.UUID, Path(description="The document's reference, as the request's event carried it")]


@router.get("/{tenant}/files/{file_id}", response_class=StreamingResponse)
async def legacy_file(tenant: Tenant, file_id: FileId, _caller: OperatorCaller, uow: UoW, store: Documents) -> StreamingResponse:
    async with uow:
        found = await uow.broker_requests.document(tenant, file_id)
    if found is not None:
        log.info("request's file fetched by the legacy system", request_id=str(found["request_id"]), media_type=found["media_type"])
    return await served_file(store, tenant, found)
