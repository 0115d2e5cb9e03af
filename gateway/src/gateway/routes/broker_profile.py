"""The broker portal's profile (espace courtier, « Mon profil »): the office as the legacy system knows
it, and the postal address change with its Kbis, which becomes a request to the legacy system.

The address change is a multipart form of up to 4 MB of Kbis: this route alone takes such a body
(`ADDRESS_CHANGE_BODY_LIMIT`, in the bootstrap: a 413 naming the Kbis before reading more). The form
is passed on to portfolio as the broker sent it: portfolio reads it, checks every field and the
file's content, and answers with the fields at fault in French."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
import re

from fastapi import APIRouter, Request

from enrollment.api import BrokerContactChange, RequestDetail
from extranet_plumbing.auth import require_broker
from extranet_plumbing.dependencies import Token, Who
from gateway.dependencies import Enrollment, Portfolio
from gateway.errors import Problem, problem_responses
from portfolio.api import ADDRESS_CHANGE_FORM, AddressChangeAccepted, BrokerProfile

router = APIRouter(prefix="/api", tags=["broker portal"])

ADDRESS_CHANGE_PATH = "/api/broker/address-change"
_PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]*$")


def _problem(description: str) -> dict:
    return {"model": Problem, "description": description, "content": {"application/problem+json": {}}}


@router.get(
    "/broker/profile",
    response_model=BrokerProfile,
    summary="Profil du courtier",
    responses={
        **problem_responses(authenticated=True, validated=False),
        404: _problem("Cabinet pas encore enregistré par la mutuelle"),
    },
)
async def profile(who: Who, token: Token, portfolio: Portfolio) -> BrokerProfile:
    """Office name, broker code, ORIAS number, contact person, email, phone and postal address, as the
    legacy system last published them, and the address change waiting for the back office, if any."""
    return await portfolio.broker_profile(token, require_broker(who))


@router.post(
    "/broker/address-change",
    status_code=202,
    response_model=AddressChangeAccepted,
    summary="Demande de changement d'adresse postale du cabinet",
    responses={
        **problem_responses(authenticated=True, validated=True),
        413: _problem("Formulaire trop volumineux (le Kbis dépasse 4 Mo)"),
    },
    openapi_extra={"requestBody": ADDRESS_CHANGE_FORM},
)
async def address_change(request: Request, who: Who, token: Token, portfolio: Portfolio) -> AddressChangeAccepted:
    """The new address (street, complement, lieu-dit, postal code, city), the desired effective date
    (from today to six months ahead) and an extract of the Kbis (PDF, PNG, JPG or JPEG, recognised by
    its content, 4 MB at most): a request the back office validates. Answers with the request's id and
    a confirmation to show."""
    broker_code = require_broker(who)  # checked here before asking portfolio, which checks again
    content_type = request.headers.get("content-type", "")
    if not _PRINTABLE_ASCII.match(content_type):
        content_type = ""  # no form's type (a boundary is ASCII): portfolio answers that the body is no form
    return await portfolio.request_address_change(token, broker_code, await request.body(), content_type)


@router.post(
    "/broker/contact-change",
    status_code=201,
    response_model=RequestDetail,
    summary="Demande de modification des points de contact du cabinet",
    responses={
        **problem_responses(authenticated=True, validated=True),
        409: _problem("Une modification des points de contact est déjà en cours de validation"),
    },
)
async def contact_change(body: BrokerContactChange, who: Who, token: Token, enrollment: Enrollment) -> RequestDetail:
    """« Modifier mes points de contact »: the contact person (last and first name), the new email typed twice and
    the office's phone (absent: unchanged), each checked with a French refusal naming the field. A request sent to
    the legacy system at once (one at a time), followed in « Mes demandes »; the profile shows it once applied."""
    require_broker(who)  # checked here before asking enrollment, which checks again
    return await enrollment.broker_contact_change(token, body.model_dump(mode="json", exclude_none=True))
