"""The files of a request on the internal API (called by the gateway with the user's token, checked again
here): a requester's supporting documents sent with a draft (multipart, one file a time), listed in the
request's `attachments`, read back by whoever may see the request; the termination pack of an accepted
termination.

- POST   /internal/requests/{request_id}/attachments                 multipart, field `file` (201: the request)
- DELETE /internal/requests/{request_id}/attachments/{file_id}       a draft's file removed (the request)
- GET    /internal/requests/{request_id}/attachments/{file_id}       the file, with the type it was checked as
- GET    /internal/requests/{request_id}/termination-pack            the attestation de radiation (PDF)
- GET    /internal/backoffice/requests/{request_id}/attachments/{file_id}, /termination-pack: the same for an operator
- GET    /internal/legacy/{tenant}/files/{file_id}                   a sent request's file by its reference, for the legacy
                                                                     system (its back office's credential, no user token)
"""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import StreamingResponse

from enrollment.api import RequestDetail
from enrollment.api_files import ATTACHMENT_FORM
from enrollment.documents import termination_pack
from enrollment.domain import access
from enrollment.entrypoints.dependencies import Now, Store, UoW
from enrollment.entrypoints.http import detail, refusals
from enrollment.service_layer import attachments
from extranet_plumbing.dependencies import OperatorCaller, Who
from extranet_plumbing.exports import in_thread
from extranet_plumbing.storage import DocumentStore, content_disposition, read_form, served

router = APIRouter(prefix="/internal")

RequestId = Annotated[uuid.UUID, Path(description="The request's id")]
FileId = Annotated[uuid.UUID, Path(description="The file's id, as the request lists it")]
NOT_A_FORM = "Le fichier doit être envoyé dans un formulaire multipart/form-data (champ « file »)."
PDF = "application/pdf"
Tenant = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_-]{1,39}$", description="The tenant the request's event named")]


@router.post(
    "/requests/{request_id}/attachments", response_model=RequestDetail, status_code=201, openapi_extra={"requestBody": ATTACHMENT_FORM}
)
async def attach(request_id: RequestId, request: Request, who: Who, uow: UoW, store: Store, now: Now) -> dict:
    """A supporting document added to the requester's draft (PDF, PNG or JPEG told by its bytes, within the size limit)."""
    me = access.requester(who)
    form = await read_form(request.headers.get("content-type", ""), await request.body())
    if form is None:
        raise HTTPException(415, NOT_A_FORM)
    name, data = form[1].get(attachments.FILE_FIELD, (None, b""))
    with refusals():
        changed = await attachments.attach(uow, store, me, request_id, name, data, max_bytes=uow.settings.documents_max_bytes, now=now())
    return detail(changed)


@router.delete("/requests/{request_id}/attachments/{file_id}", response_model=RequestDetail)
async def detach(request_id: RequestId, file_id: FileId, who: Who, uow: UoW, store: Store) -> dict:
    me = access.requester(who)
    with refusals():
        return detail(await attachments.detach(uow, store, me, request_id, file_id))


@router.get("/requests/{request_id}/attachments/{file_id}", response_class=StreamingResponse)
async def requesters_file(request_id: RequestId, file_id: FileId, who: Who, uow: UoW, store: Store) -> StreamingResponse:
    me = access.requester(who)
    with refusals():
        found = await attachments.requesters_attachment(uow, me, request_id, file_id)
    return await _served(store, who.tenant, found)


@router.get("/backoffice/requests/{request_id}/attachments/{file_id}", response_class=StreamingResponse)
async def operators_file(request_id: RequestId, file_id: FileId, who: Who, uow: UoW, store: Store) -> StreamingResponse:
    access.operator(who)
    with refusals():
        found = await attachments.operators_attachment(uow, who.tenant, request_id, file_id)
    return await _served(store, who.tenant, found)


@router.get("/requests/{request_id}/termination-pack", response_class=StreamingResponse)
async def requesters_pack(request_id: RequestId, who: Who, uow: UoW, now: Now) -> StreamingResponse:
    """« Attestation de radiation » of an accepted termination (the correspondent who asked for it)."""
    me = access.correspondent(who)
    with refusals():
        found = await attachments.requesters_termination(uow, me, request_id)
    return await _pack(who.tenant, found, now())


@router.get("/backoffice/requests/{request_id}/termination-pack", response_class=StreamingResponse)
async def operators_pack(request_id: RequestId, who: Who, uow: UoW, now: Now) -> StreamingResponse:
    access.operator(who)
    with refusals():
        found = await attachments.operators_termination(uow, who.tenant, request_id)
    return await _pack(who.tenant, found, now())


@router.get("/legacy/{tenant}/files/{file_id}", response_class=StreamingResponse)
async def legacy_file(tenant: Tenant, file_id: FileId, _caller: OperatorCaller, uow: UoW, store: Store) -> StreamingResponse:
    """A request's file by the reference its event carried (`file_id`), for the legacy management system: its
    back office's credential only (the gateway, which acts for the portals' users, is refused), and only a file of
    a request sent to it. Served with the type it was checked as; the caller checks it against the event's SHA-256."""
    with refusals():
        found = await attachments.legacy_file(uow, tenant, file_id)
    return await _served(store, tenant, found)


async def _served(store: DocumentStore, tenant: str, found: dict) -> StreamingResponse:
    """The file streamed from the store, with the type it was checked as (never the name's)."""
    return await served(
        store,
        tenant,
        found["file_id"],
        media_type=found["media_type"],
        name=found["name"],
        size=found["size"],
        missing=attachments.ATTACHMENT_NOT_FOUND,
    )


async def _pack(tenant: str, termination: termination_pack.Termination, now: datetime) -> StreamingResponse:
    letterhead = termination_pack.Letterhead.of(tenant)
    pdf = await in_thread(termination_pack.termination_pack, termination, letterhead, now.date())
    headers = {"content-disposition": content_disposition(termination_pack.filename(termination)), "content-length": str(len(pdf))}
    return StreamingResponse(iter([pdf]), media_type=PDF, headers=headers)
