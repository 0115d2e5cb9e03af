"""The employer portal's documents (« Mes documents », guide 003, issue 12) through the portals' API: the
membership forms, contracts and benefits tables the legacy system made available to the company (name,
size, date), and each one's download. Declared here one by one; portfolio checks the correspondent's
scope again (a secondary correspondent reads only its contracts' documents and the company's)."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from extranet_plumbing.auth import require_correspondent
from extranet_plumbing.dependencies import Token, Who
from gateway.clients.base import segment
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
    return await portfolio.download(
        f"/internal/employer/documents/{segment(str(document_id))}",
        route="GET /internal/employer/documents/{document_id}",
        token=token,
        params=None,
        media_types=DOCUMENT_TYPES,
    )
