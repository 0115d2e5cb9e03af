"""The employer portal's documents (« Mes documents », guide 003, issue 12) through the portals' API: the
membership forms, contracts and benefits tables the legacy system made available to the company (name,
size, date), and each one's download; and the brochure (« Fiche ») of a product of the company sheet. Declared here one by one; portfolio checks the correspondent's
scope again (a secondary correspondent reads only its contracts' documents and the company's)."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from extranet_contracts.types import ContractNumber
from extranet_plumbing.auth import require_correspondent
from extranet_plumbing.dependencies import Token, Who
from gateway.dependencies import Portfolio
from gateway.errors import Problem, problem_responses
from portfolio.api_documents import DOCUMENT_TYPES, CompanyDocuments, DocumentsQuery

router = APIRouter(prefix="/api", tags=["employer portal"])

NOT_VISIBLE = {
    "model": Problem,
    "description": "Contrat ou document introuvable parmi ceux qui vous sont ouverts",
    "content": {"application/problem+json": {}},
}
LISTED = {**problem_responses(authenticated=True, validated=True), 404: NOT_VISIBLE}
FILE = {200: {"content": {t: {} for t in sorted(DOCUMENT_TYPES)}, "description": "Le document"}, **LISTED}


@router.get("/employer/documents", response_model=CompanyDocuments, summary="Mes documents", responses=LISTED)
async def documents(who: Who, token: Token, portfolio: Portfolio, query: Annotated[DocumentsQuery, Query()]) -> CompanyDocuments:
    """Bulletins d'adhésion, contrats, tableaux de prestations: each document's name, size (« 253,0 ko ») and date, of the
    contracts open to the correspondent (one if asked) and of the whole company."""
    require_correspondent(who)
    return await portfolio.call("GET", "/internal/employer/documents", model=CompanyDocuments, token=token, params=query.params())


@router.get("/employer/documents/{document_id}", response_class=StreamingResponse, summary="Télécharger le document", responses=FILE)
async def document(
    who: Who, token: Token, portfolio: Portfolio, document_id: Annotated[uuid.UUID, Path(description="The document's id, as listed")]
) -> StreamingResponse:
    require_correspondent(who)
    return await portfolio.file(
        "/internal/employer/documents/{document_id}", document_id=str(document_id), token=token, media_types=DOCUMENT_TYPES
    )


@router.get(
    "/employer/contracts/{contract_number}/products/{guarantee_code}/brochure",
    response_class=StreamingResponse,
    summary="Télécharger la fiche d'un produit",
    responses={200: {"content": {"application/pdf": {}}, "description": "La plaquette du produit"}, **LISTED},
)
async def brochure(
    who: Who,
    token: Token,
    portfolio: Portfolio,
    contract_number: ContractNumber,
    guarantee_code: Annotated[str, Path(pattern=r"^[A-Z0-9_-]{2,20}$", description="The product's code, as the company sheet lists it")],
) -> StreamingResponse:
    """The brochure (« Fiche ») of a product of « Vos produits », on a contract open to the correspondent."""
    require_correspondent(who)
    return await portfolio.file(
        "/internal/employer/contracts/{contract_number}/products/{guarantee_code}/brochure",
        contract_number=contract_number,
        guarantee_code=guarantee_code,
        token=token,
        media_types=frozenset({"application/pdf"}),
    )
