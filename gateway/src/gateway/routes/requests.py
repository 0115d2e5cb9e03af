"""Every portal's follow-up of its requests (« Suivi », « Historique des demandes »): the requester's own
requests by year and type, with their status and history. The requester is the token's (a broker, a member,
a company correspondent); enrollment checks it again. The employer portal's requests, which it also makes
here, are in `employer.py`."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from enrollment.api import BeneficiaryAddition, MessageForm, PaperlessChoice, RequestDetail, RequestForm, RequestList, RequestQuery
from extranet_plumbing.auth import require_broker, require_member
from extranet_plumbing.dependencies import Token, Who
from gateway.dependencies import Enrollment
from gateway.errors import Problem, problem_responses

router = APIRouter(prefix="/api")


def _problem(description: str) -> dict:
    return {"model": Problem, "description": description, "content": {"application/problem+json": {}}}


LISTED = problem_responses(authenticated=True, validated=True)
FOUND = {**LISTED, 404: _problem("Aucune de vos demandes sous cet identifiant")}
History = Annotated[RequestQuery, Query()]
RequestId = Annotated[uuid.UUID, Path(description="The request's id")]


@router.get("/broker/requests", response_model=RequestList, summary="Mes demandes (suivi)", tags=["broker portal"], responses=LISTED)
async def broker_requests(who: Who, token: Token, enrollment: Enrollment, query: History) -> RequestList:
    """The broker's requests (address and contact changes), newest first, of a year and a type if asked."""
    require_broker(who)
    return await enrollment.my_requests(token, query.params())


@router.get(
    "/broker/requests/{request_id}",
    response_model=RequestDetail,
    summary="Une demande et son historique",
    tags=["broker portal"],
    responses=FOUND,
)
async def broker_request(who: Who, token: Token, enrollment: Enrollment, request_id: RequestId) -> RequestDetail:
    require_broker(who)
    return await enrollment.my_request(token, str(request_id))


@router.get(
    "/member/requests", response_model=RequestList, summary="Mes demandes (services en ligne)", tags=["member portal"], responses=LISTED
)
async def member_requests(who: Who, token: Token, enrollment: Enrollment, query: History) -> RequestList:
    """The household's requests, newest first, with their status: the list at the bottom of « Services en ligne »."""
    require_member(who)
    return await enrollment.my_requests(token, query.params())


@router.get(
    "/member/requests/{request_id}",
    response_model=RequestDetail,
    summary="Une demande et son historique",
    tags=["member portal"],
    responses=FOUND,
)
async def member_request(who: Who, token: Token, enrollment: Enrollment, request_id: RequestId) -> RequestDetail:
    require_member(who)
    return await enrollment.my_request(token, str(request_id))


@router.post(
    "/member/requests/tp-card",
    status_code=201,
    response_model=RequestDetail,
    summary="Recevoir ma carte mutuelle par courrier",
    tags=["member portal"],
    responses={**problem_responses(authenticated=True, validated=False), 409: _problem("Une demande de carte est déjà en cours")},
)
async def member_tp_card(who: Who, token: Token, enrollment: Enrollment) -> RequestDetail:
    """« Envoi de carte mutuelle »: the household's third-party payment card, sent by post; followed in « Mes demandes »."""
    require_member(who)
    return await enrollment.order_tp_card(token, {})


# --- the member's online services (guide 004), each sent at once and followed in « Mes demandes » ----------------

SENT = {**LISTED, 409: _problem("Une demande du même type est déjà en cours, ou votre employeur la traite")}


@router.post(
    "/member/requests/paperless",
    status_code=201,
    response_model=RequestDetail,
    summary="Option zéro papier",
    tags=["member portal"],
    responses=SENT,
)
async def member_paperless(who: Who, token: Token, enrollment: Enrollment, body: PaperlessChoice) -> RequestDetail:
    """No more paper statements at home (then a year of statements online), or paper statements again."""
    require_member(who)
    return await enrollment.member_request(token, "paperless", body.model_dump(mode="json"))


@router.get(
    "/member/requests/forms/message",
    response_model=RequestForm,
    summary="Écrivez-nous : les sujets",
    tags=["member portal"],
    responses=problem_responses(authenticated=True, validated=False),
)
async def message_form(who: Who, token: Token, enrollment: Enrollment) -> RequestForm:
    require_member(who)
    return await enrollment.form(token, "message")


@router.post(
    "/member/requests/message",
    status_code=201,
    response_model=RequestDetail,
    summary="Écrivez-nous",
    tags=["member portal"],
    responses=LISTED,
)
async def member_message(who: Who, token: Token, enrollment: Enrollment, body: MessageForm) -> RequestDetail:
    """A message on a subject of the list, answered at the email given; a file already kept may be attached by reference."""
    require_member(who)
    return await enrollment.member_request(token, "message", body.model_dump(mode="json"))


@router.get(
    "/member/requests/forms/add-beneficiary",
    response_model=RequestForm,
    summary="Ajouter un bénéficiaire : dates d'effet possibles",
    tags=["member portal"],
    responses=problem_responses(authenticated=True, validated=False),
)
async def add_beneficiary_form(who: Who, token: Token, enrollment: Enrollment) -> RequestForm:
    require_member(who)
    return await enrollment.form(token, "add_beneficiary")


@router.post(
    "/member/requests/add-beneficiary",
    status_code=201,
    response_model=RequestDetail,
    summary="Ajouter un bénéficiaire",
    tags=["member portal"],
    responses=SENT,
)
async def member_add_beneficiary(who: Who, token: Token, enrollment: Enrollment, body: BeneficiaryAddition) -> RequestDetail:
    """A spouse (NIR required) or child (NIR, or covered under a parent's), the NIR agreeing with the birth date and
    sex, covered from a date within the window; a member of a collective contract asks their employer."""
    require_member(who)
    return await enrollment.member_request(token, "add-beneficiary", body.model_dump(mode="json"))
