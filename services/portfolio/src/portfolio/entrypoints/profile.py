"""The broker portal's profile, on the internal API (called by the gateway with the broker's token,
checked again here: a broker reads and changes only their own profile).

- GET  /internal/brokers/{broker_code}/profile: office name, broker code, ORIAS, contact person,
  email, phone and address as the legacy system last published them, and the address change pending.
- POST /internal/brokers/{broker_code}/address-change: a multipart form (the address, the desired
  effective date, the Kbis) that becomes a request to the legacy system (202). Every field at fault
  is named in a 422 problem, with a French sentence.

The form is read by `extranet_plumbing.storage.read_form` (the standard library's MIME parser), the
Kbis checked by its bytes by `check_document`, the platform's one rule for uploaded files.
"""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from extranet_plumbing.auth import require_broker
from extranet_plumbing.dependencies import Placeholder, Who
from extranet_plumbing.http import problem
from extranet_plumbing.storage import read_form
from portfolio.adapters.storage import DocumentStore
from portfolio.api import ADDRESS_CHANGE_FORM, AddressChangeAccepted, BrokerProfile
from portfolio.domain.address_change import AddressChangeRefused, FieldError, address_change
from portfolio.domain.documents import DocumentRefused, check_document
from portfolio.entrypoints.dependencies import Today, UoW
from portfolio.service_layer.address_change import ADDRESS_CHANGE_SUBMITTED, request_address_change

router = APIRouter(prefix="/internal")

KBIS_FIELD = "kbis"
NOT_REGISTERED = "Votre profil n'est pas encore disponible : le cabinet n'est pas encore enregistré par la mutuelle."
NOT_A_FORM = "Le formulaire doit être envoyé en multipart/form-data."
SEVERAL_ERRORS = "Certains champs sont à corriger."


document_store = Placeholder("document_store")  # -> DocumentStore


Documents = Annotated[DocumentStore, Depends(document_store)]


@router.get("/brokers/{broker_code}/profile", response_model=BrokerProfile)
async def broker_profile(broker_code: str, who: Who, uow: UoW) -> dict:
    require_broker(who, broker_code)
    async with uow:
        profile = await uow.profiles.broker_profile(who.tenant, broker_code)
    if profile is None:
        raise HTTPException(404, NOT_REGISTERED)
    return profile


@router.post(
    "/brokers/{broker_code}/address-change",
    status_code=202,
    response_model=AddressChangeAccepted,
    openapi_extra={"requestBody": ADDRESS_CHANGE_FORM},
)
async def broker_address_change(
    broker_code: str, request: Request, who: Who, uow: UoW, today: Today, store: Documents
) -> dict | JSONResponse:
    require_broker(who, broker_code)
    form = await read_form(request.headers.get("content-type", ""), await request.body())
    if form is None:
        return refusal([FieldError("body", NOT_A_FORM)])
    fields, files = form
    errors: list[FieldError] = []
    try:
        change = address_change(fields, today())
    except AddressChangeRefused as refused:
        errors.extend(refused.errors)
    name, data = files.get(KBIS_FIELD, (None, b""))
    try:
        kbis = check_document(KBIS_FIELD, "Le Kbis", name, data)
    except DocumentRefused as refused:
        errors.append(FieldError(refused.field, refused.message))
    if errors:
        return refusal(errors)
    request_id = await request_address_change(
        uow, store, tenant=who.tenant, broker_code=broker_code, requested_by=who.subject, change=change, kbis=kbis
    )
    return {"request_id": request_id, "status": "submitted", "message": ADDRESS_CHANGE_SUBMITTED}


def refusal(errors: list[FieldError]) -> JSONResponse:
    """A 422 problem naming every field at fault, in the words the portal shows."""
    detail = errors[0].message if len(errors) == 1 else SEVERAL_ERRORS
    return problem(422, detail=detail, errors=[{"field": e.field, "in": "body", "message": e.message} for e in errors])
