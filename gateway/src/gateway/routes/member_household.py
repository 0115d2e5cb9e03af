"""The member portal's contract and beneficiaries pages (Mon contrat, Bénéficiaires), the communication
preferences, the statements online, and the tenant's content (news, FAQ, contact, legal notices). The household is the token's: a member names no member number,
and claims checks the token again."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from claims.api import Beneficiaries, CommunicationPreferences, Contact, Faq, LegalNotices, MemberContract, News, OnlineStatements
from extranet_plumbing.auth import require_member
from extranet_plumbing.dependencies import Token, Who
from extranet_plumbing.exports import PDF_MEDIA_TYPE
from gateway.clients.base import Relayed
from gateway.dependencies import Claims
from gateway.errors import Problem, problem_responses

router = APIRouter(prefix="/api", tags=["member portal"])

READ = problem_responses(authenticated=True, validated=False)


def _missing(description: str) -> dict:
    return {**READ, 404: {"model": Problem, "description": description, "content": {"application/problem+json": {}}}}


@router.get(
    "/member/contract",
    response_model=MemberContract,
    summary="Mon contrat : garanties, cotisation",
    responses=_missing("Aucun contrat enregistré pour le foyer"),
)
async def contract(who: Who, token: Token, claims: Claims) -> Relayed:
    """Contract number and kind, subscription date, guarantee history, the current guarantee (brochure,
    benefits table), the contribution block; a member of a collective contract is told to ask their employer."""
    return await claims.contract(token, require_member(who))


@router.get(
    "/member/contract/benefits-table",
    response_class=StreamingResponse,
    summary="Télécharger le tableau des prestations de ma garantie",
    responses={
        **_missing("Aucun contrat ou aucune garantie en cours"),
        200: {"description": "Le tableau des prestations", "content": {PDF_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}},
    },
)
async def benefits_table(who: Who, token: Token, claims: Claims) -> StreamingResponse:
    return await claims.benefits_table(token, require_member(who))


@router.get(
    "/member/beneficiaries",
    response_model=Beneficiaries,
    summary="Les bénéficiaires de mon contrat",
    responses=_missing("Aucun bénéficiaire enregistré pour le foyer"),
)
async def beneficiaries(who: Who, token: Token, claims: Claims) -> Relayed:
    """Each beneficiary with their details; social security number and IBAN for benefits masked."""
    return await claims.beneficiaries(token, require_member(who))


@router.get("/member/preferences", response_model=CommunicationPreferences, summary="Mes choix d'envoi des informations", responses=READ)
async def preferences(who: Who, token: Token, claims: Claims) -> Relayed:
    """Technical, commercial, partners and other information × email, post, SMS; and the paperless option."""
    return await claims.preferences(token, require_member(who))


@router.get("/member/statements", response_model=OnlineStatements, summary="Mes relevés de prestations en ligne", responses=READ)
async def statements(who: Who, token: Token, claims: Claims) -> Relayed:
    """Paperless: the statements of the last year; otherwise the last ten."""
    return await claims.statements(token, require_member(who))


@router.get("/member/news", response_model=News, summary="Actualités de la mutuelle (page d'accueil)", responses=READ)
async def news(who: Who, token: Token, claims: Claims) -> Relayed:
    return await claims.news(token, require_member(who))


@router.get("/member/faq", response_model=Faq, summary="Foire aux questions", responses=READ)
async def faq(who: Who, token: Token, claims: Claims) -> Relayed:
    return await claims.faq(token, require_member(who))


@router.get("/member/contact", response_model=Contact, summary="Nous contacter : coordonnées de la mutuelle", responses=READ)
async def contact(who: Who, token: Token, claims: Claims) -> Relayed:
    return await claims.contact(token, require_member(who))


@router.get("/member/legal-notices", response_model=LegalNotices, summary="Mentions légales", responses=READ)
async def legal_notices(who: Who, token: Token, claims: Claims) -> Relayed:
    return await claims.legal_notices(token, require_member(who))
