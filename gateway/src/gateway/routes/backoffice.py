"""The back office's API (operators of the mutual insurer): identity's routes, declared from its public
API; and the requests of the portals: list and filter them, open one, and decide those the legacy system
left to an advisor (the decision goes to the legacy system, which publishes the outcome).

Operators log in on the `backoffice` portal with an account made by `identity-admin create-operator`;
enrollment checks again that the token is an operator's."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from enrollment.api import AdvisorDecision, BackofficeList, BackofficeQuery, RequestDetail
from enrollment.domain.access import operator
from extranet_plumbing.dependencies import Token, Who
from gateway.dependencies import Enrollment
from gateway.errors import Problem, problem_responses
from gateway.routes.declared import declare_identity_routes

router = APIRouter(prefix="/api", tags=["back office"])
declare_identity_routes(router, "backoffice")

LISTED = problem_responses(authenticated=True, validated=True)
FOUND = {**LISTED, 404: {"model": Problem, "description": "Demande introuvable", "content": {"application/problem+json": {}}}}
RequestId = Annotated[uuid.UUID, Path(description="The request's id")]


@router.get("/backoffice/requests", response_model=BackofficeList, summary="Demandes des portails", responses=LISTED)
async def requests(who: Who, token: Token, enrollment: Enrollment, query: Annotated[BackofficeQuery, Query()]) -> BackofficeList:
    """The tenant's requests (drafts excepted), newest first, by year, type, status, portal, or those left to an advisor."""
    operator(who)
    return await enrollment.backoffice_requests(token, query.model_dump(mode="json", exclude_none=True))


@router.get("/backoffice/requests/{request_id}", response_model=RequestDetail, summary="Une demande et son historique", responses=FOUND)
async def request(who: Who, token: Token, enrollment: Enrollment, request_id: RequestId) -> RequestDetail:
    operator(who)
    return await enrollment.backoffice_request(token, str(request_id))


@router.post(
    "/backoffice/requests/{request_id}/decision",
    response_model=RequestDetail,
    summary="Accepter ou refuser une demande confiée à un conseiller",
    responses={
        **FOUND,
        409: {"model": Problem, "description": "La demande n'attend pas de conseiller", "content": {"application/problem+json": {}}},
    },
)
async def decide(who: Who, token: Token, enrollment: Enrollment, request_id: RequestId, body: AdvisorDecision) -> RequestDetail:
    """Accept, or refuse with the reason the requester will read; the legacy system applies it and its outcome follows."""
    operator(who)
    return await enrollment.backoffice_decision(token, str(request_id), body.model_dump(mode="json"))
