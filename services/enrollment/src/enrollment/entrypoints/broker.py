"""Internal HTTP API of the broker's requests made through the engine (guide 000, « Mon profil »), called by the
gateway with the broker's token, checked again here (a broker's own office only: the token's broker code).

- POST /internal/requests/broker-contact   « Modifier mes points de contact »: contact person, email (twice), phone
"""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
from fastapi import APIRouter

from enrollment.api import BrokerContactChange, RequestDetail
from enrollment.domain import access
from enrollment.entrypoints.dependencies import Now, UoW
from enrollment.entrypoints.http import detail, refusals
from enrollment.service_layer import broker_requests
from extranet_plumbing.dependencies import Who

router = APIRouter(prefix="/internal")


@router.post("/requests/broker-contact", response_model=RequestDetail, status_code=201)
async def broker_contact(body: BrokerContactChange, who: Who, uow: UoW, now: Now) -> dict:
    """The office's new contact person, email and phone, sent to the legacy system at once; in « Mes demandes »."""
    with refusals():
        return detail(
            await broker_requests.change_contact(
                uow,
                access.requester(who),
                last_name=body.contact_last_name,
                first_name=body.contact_first_name,
                email=body.email,
                email_confirmation=body.email_confirmation,
                phone=body.phone,
                now=now(),
            )
        )
