"""The member portal's reimbursements (Mes remboursements santé): the last three of the home page, the
search, a payment's detail with each act explained, and the payments to health professionals. The
household is the token's: a member names no member number, and claims checks the token again."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from claims.api import (
    REFERENCE_PATTERN,
    LatestReimbursements,
    ReimbursementDetail,
    ReimbursementList,
    ReimbursementQuery,
    StatementsQuery,
)
from extranet_plumbing.auth import require_member
from extranet_plumbing.dependencies import Token, Who
from extranet_plumbing.exports import PDF_MEDIA_TYPE, ZIP_MEDIA_TYPE
from gateway.clients.base import Relayed
from gateway.dependencies import Claims
from gateway.errors import Problem, problem_responses

router = APIRouter(prefix="/api", tags=["member portal"])

LISTED = problem_responses(authenticated=True, validated=True)
FOUND = {
    **LISTED,
    404: {
        "model": Problem,
        "description": "Aucun remboursement de votre foyer sous cette référence",
        "content": {"application/problem+json": {}},
    },
}
Search = Annotated[ReimbursementQuery, Query()]


BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.get(
    "/member/reimbursements/latest",
    response_model=LatestReimbursements,
    summary="Mes trois derniers remboursements",
    responses=problem_responses(authenticated=True, validated=False),
)
async def latest(who: Who, token: Token, claims: Claims) -> Relayed:
    return await claims.latest(token, require_member(who))


@router.get("/member/reimbursements", response_model=ReimbursementList, summary="Mes remboursements : recherche", responses=LISTED)
async def reimbursements(who: Who, token: Token, claims: Claims, query: Search) -> Relayed:
    """The household's payments, newest first: of one beneficiary (an id of `beneficiaries`), paid within a
    period; one page of them, and who of the household can be searched for."""
    return await claims.reimbursements(token, require_member(who), query.params())


@router.get(
    "/member/reimbursements/third-party",
    response_model=ReimbursementList,
    summary="Remboursements aux professionnels de santé (tiers payant)",
    responses=LISTED,
)
async def third_party(who: Who, token: Token, claims: Claims, query: Search) -> Relayed:
    return await claims.reimbursements(token, require_member(who), query.params(), third_party=True)


@router.get(
    "/member/reimbursements/{reference}",
    response_model=ReimbursementDetail,
    summary="Détail d'un remboursement, acte par acte",
    responses=FOUND,
)
async def reimbursement(who: Who, token: Token, claims: Claims, reference: Annotated[str, Path(pattern=REFERENCE_PATTERN)]) -> Relayed:
    """Each act: dates, amounts of the social security and of the mutuelle, what remains for the member,
    the guarantee that applied, and the act explained in plain French."""
    return await claims.reimbursement(token, require_member(who), reference)


@router.get(
    "/member/statements/archive",
    response_class=StreamingResponse,
    summary="Télécharger en une fois tous les relevés de la période",
    responses={**LISTED, 200: {"description": "Un PDF par paiement, dans un zip", "content": {ZIP_MEDIA_TYPE: BINARY}}},
)
async def statement_archive(who: Who, token: Token, claims: Claims, query: Annotated[StatementsQuery, Query()]) -> StreamingResponse:
    """Every statement of the household's payments that the search finds (beneficiary, period), one PDF each."""
    return await claims.statement_archive(token, require_member(who), query.params())


@router.get(
    "/member/statements/{reference}",
    response_class=StreamingResponse,
    summary="Imprimer ce paiement : le relevé de prestations (PDF)",
    responses={**FOUND, 200: {"description": "Le relevé", "content": {PDF_MEDIA_TYPE: BINARY}}},
)
async def statement(
    who: Who, token: Token, claims: Claims, reference: Annotated[str, Path(pattern=REFERENCE_PATTERN)]
) -> StreamingResponse:
    """The statement of one payment on the mutuelle's letterhead, its amounts as the legacy print shows them."""
    return await claims.statement(token, require_member(who), reference)
