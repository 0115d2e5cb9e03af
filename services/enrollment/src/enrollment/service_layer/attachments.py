"""Files attached to a request (the affiliation wizard's supporting documents, guide 003: « joindre les
pièces »): sent while the request is a draft, checked by their bytes (PDF, PNG, JPEG; the store's size
limit), kept in the document store under a random key, listed on the request (name, size, type, date)
and sent to the legacy system by reference in the request's event (its key, type, size and SHA-256).

Who may read one: whoever may see the request (the requester's account, company on the contracts
granted, or household; an operator of the tenant once it is submitted); anyone else finds nothing (404),
as for the request itself. A file is served with the type it was checked as, never with the name's.

The termination pack (`enrollment.documents.termination_pack`) is read the same way: by the correspondent
whose termination the legacy system accepted, or an operator.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from enrollment.adapters.files import RequestFiles
from enrollment.api_files import FILE_FIELD
from enrollment.documents.termination_pack import Termination
from enrollment.domain import kinds
from enrollment.domain.access import Requester
from enrollment.domain.requests import Request, Status
from enrollment.service_layer.errors import Refused
from enrollment.service_layer.requests import NOT_FOUND, _own
from enrollment.service_layer.unit_of_work import EnrollmentUnitOfWork
from extranet_plumbing.logging import get_logger
from extranet_plumbing.storage import DocumentRefused, DocumentStore, check_document

log = get_logger(__name__)

MAX_ATTACHMENTS = 10
# The kinds that take files while they are drafts, and what the portal calls the file.
ATTACHABLE = {kinds.AFFILIATION: "La pièce justificative"}
ATTACHMENT_NOT_FOUND = "Pièce jointe introuvable."


async def attach(
    uow: EnrollmentUnitOfWork,
    store: DocumentStore,
    who: Requester,
    request_id: uuid.UUID,
    name: str | None,
    data: bytes,
    *,
    max_bytes: int,
    now: datetime,
) -> Request:
    """The file added to the requester's draft; the draft's other files kept. A file that could not be recorded
    is removed from the store again."""
    async with uow:
        label = _attachable(await _own(uow, who, request_id, lock=False))
    try:
        document = check_document(FILE_FIELD, label, name, data, max_bytes=max_bytes)
    except DocumentRefused as refused:
        raise Refused(422, refused.message, refused.field) from None
    key = await store.put(who.tenant, document.data)
    try:
        async with uow:
            request = await _own(uow, who, request_id)
            _attachable(request)
            if len(request.attachments) >= MAX_ATTACHMENTS:
                raise Refused(422, f"Une demande compte au plus {MAX_ATTACHMENTS} pièces jointes.", FILE_FIELD)
            request.attachments = [
                *request.attachments,
                {
                    "file_id": str(key),
                    "name": document.name,
                    "media_type": document.media_type,
                    "size": document.size,
                    "sha256": document.sha256,
                    "uploaded_at": now.isoformat(),
                },
            ]
            await uow.requests.save(request)
            await uow.commit()
            return request
    except BaseException:
        await store.delete(who.tenant, key)
        raise


async def detach(uow: EnrollmentUnitOfWork, store: DocumentStore, who: Requester, request_id: uuid.UUID, file_id: uuid.UUID) -> Request:
    """A file taken off the requester's draft (and out of the store)."""
    async with uow:
        request = await _own(uow, who, request_id)
        _attachable(request)
        _find(request, file_id)
        request.attachments = [a for a in request.attachments if a["file_id"] != str(file_id)]
        await uow.requests.save(request)
        await uow.commit()
    await store.delete(who.tenant, file_id)
    return request


async def forget(store: DocumentStore, request: Request) -> None:
    """A cancelled draft's files leave the store (the request still lists what was attached; nothing serves them)."""
    for attached in request.attachments:
        if attached.get("name") is not None:  # kept here
            await store.delete(request.tenant, attached["file_id"])


async def requesters_attachment(uow: EnrollmentUnitOfWork, who: Requester, request_id: uuid.UUID, file_id: uuid.UUID) -> dict[str, Any]:
    """A file of one of the requester's requests (what it is; the route streams it from the store)."""
    async with uow:
        return _find(await _own(uow, who, request_id, lock=False), file_id)


async def requesters_attachments(uow: EnrollmentUnitOfWork, who: Requester, request_id: uuid.UUID) -> list[dict[str, Any]]:
    """The files kept on one of the requester's requests, in the order they were joined."""
    async with uow:
        request = await _own(uow, who, request_id, lock=False)
    return [a for a in request.attachments if a.get("name") is not None]


async def operators_attachment(uow: EnrollmentUnitOfWork, tenant: str, request_id: uuid.UUID, file_id: uuid.UUID) -> dict[str, Any]:
    """A file of a request of the tenant, as the back office opens it (a draft is nobody's business yet)."""
    async with uow:
        request = await uow.requests.get(request_id, tenant=tenant)
    if request is None or request.status == Status.DRAFT:
        raise Refused(404, NOT_FOUND)
    return _find(request, file_id)


async def legacy_file(uow: EnrollmentUnitOfWork, tenant: str, file_id: uuid.UUID) -> dict[str, Any]:
    """A file by the reference a request's event carried, for the legacy system: the request must have been sent to it."""
    async with uow:
        found = await RequestFiles(uow.connection).sent(tenant, file_id)
    if found is None:
        raise Refused(404, ATTACHMENT_NOT_FOUND)
    request_id, attached = found
    log.info("request's file fetched by the legacy system", request_id=str(request_id), media_type=attached["media_type"])
    return attached


def _attachable(request: Request) -> str:
    if request.kind not in ATTACHABLE:
        raise Refused(422, "Cette demande ne prend pas de pièce jointe.", FILE_FIELD)
    if request.status != Status.DRAFT:
        raise Refused(409, "Cette demande a déjà été envoyée : ses pièces jointes ne changent plus.")
    return ATTACHABLE[request.kind]


def _find(request: Request, file_id: uuid.UUID) -> dict[str, Any]:
    found = next((a for a in request.attachments if a.get("file_id") == str(file_id) and a.get("name") is not None), None)
    if found is None:
        raise Refused(404, ATTACHMENT_NOT_FOUND)
    return found


# --- the termination pack -------------------------------------------------------------------------------------

PACK_NOT_READY = "L'attestation de radiation est disponible une fois la radiation acceptée par la mutuelle."


async def requesters_termination(uow: EnrollmentUnitOfWork, who: Requester, request_id: uuid.UUID) -> Termination:
    """What the pack of one of the correspondent's accepted terminations says."""
    async with uow:
        return await _termination(uow, await _own(uow, who, request_id, lock=False))


async def operators_termination(uow: EnrollmentUnitOfWork, tenant: str, request_id: uuid.UUID) -> Termination:
    async with uow:
        request = await uow.requests.get(request_id, tenant=tenant)
        if request is None or request.status == Status.DRAFT:
            raise Refused(404, NOT_FOUND)
        return await _termination(uow, request)


async def _termination(uow: EnrollmentUnitOfWork, request: Request) -> Termination:
    if request.kind != kinds.EMPLOYEE_TERMINATION:
        raise Refused(404, "Cette demande n'est pas une radiation.")
    if request.status != Status.ACCEPTED or request.decided_at is None:
        raise Refused(409, PACK_NOT_READY)
    payload = request.payload
    reasons = kinds.rules(request.tenant, kinds.EMPLOYEE_TERMINATION).choices.get("reason", {})
    company = await uow.invitations.company_name(request.tenant, request.company_code) or request.company_code
    return Termination(
        request_id=str(request.id),
        company_name=company,
        company_code=request.company_code,
        contract_number=request.contract_number,
        employee=request.subject or payload["member_number"],
        member_number=payload["member_number"],
        last_day=date.fromisoformat(payload["effective_date"]),
        reason_code=payload["reason"],
        reason=reasons.get(payload["reason"], payload["reason"]),
        decided_at=request.decided_at,
    )
