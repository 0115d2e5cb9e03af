"""The employer portal's documents on the internal API (« Mes documents », guide 003), called by the gateway
with the correspondent's token, checked again here: a correspondent lists and downloads only its company's
documents, of the contracts it may see (a secondary correspondent, those granted to it) and those of the whole
company; anyone else is refused (403), and a document outside what it may see is not found (404) alike.

- GET /internal/employer/documents[?contract_number=]: the sections (membership forms, contracts, benefits tables).
- GET /internal/employer/documents/{document_id}: the file, streamed from the document store with its type.
- GET /internal/employer/contracts/{contract_number}/products/{guarantee_code}/brochure: a product's brochure (« Fiche »
  of the company sheet's « Vos produits »), of a contract the correspondent sees, as its documents are."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import StreamingResponse

from extranet_plumbing.storage import DocumentStore, served
from portfolio.api_documents import KIND_LABELS, CompanyDocuments, DocumentsQuery, size_label
from portfolio.entrypoints.dependencies import UoW
from portfolio.entrypoints.employer import NOT_VISIBLE, Asking
from portfolio.entrypoints.profile import Documents

router = APIRouter(prefix="/internal/employer")
NOT_FOUND = "Document introuvable parmi ceux qui vous sont ouverts."


@router.get("/documents", response_model=CompanyDocuments)
async def documents(asking: Asking, uow: UoW, query: Annotated[DocumentsQuery, Query()]) -> dict:
    async with uow:
        visible = await uow.employer.visible(*asking)
        if query.contract_number is not None and query.contract_number not in visible.contracts:
            raise HTTPException(404, NOT_VISIBLE)
        rows = await uow.company_documents.listed(visible, query.contract_number)
    sections = {kind: [] for kind in KIND_LABELS}
    for row in rows:
        sections[row["kind"]].append(
            {
                "id": str(row["document_id"]),
                "name": row["name"],
                "size": row["size"],
                "size_label": size_label(row["size"]),
                "media_type": row["media_type"],
                "issued_on": row["issued_on"],
                "contract_number": row["contract_number"],
            }
        )
    return {"sections": [{"kind": kind, "label": label, "documents": sections[kind]} for kind, label in KIND_LABELS.items()]}


@router.get("/documents/{document_id}", response_class=StreamingResponse)
async def document(
    document_id: Annotated[uuid.UUID, Path(description="The document's id")], asking: Asking, uow: UoW, store: Documents
) -> StreamingResponse:
    async with uow:
        found = await uow.company_documents.one(await uow.employer.visible(*asking), document_id)
    return await served_file(store, asking[0], found)


@router.get("/contracts/{contract_number}/products/{guarantee_code}/brochure", response_class=StreamingResponse)
async def brochure(
    contract_number: Annotated[str, Path(pattern=r"^[A-Z0-9][A-Z0-9-]{3,19}$")],
    guarantee_code: Annotated[str, Path(pattern=r"^[A-Z0-9_-]{2,20}$")],
    asking: Asking,
    uow: UoW,
    store: Documents,
) -> StreamingResponse:
    async with uow:
        found = await uow.employer.brochure(await uow.employer.visible(*asking), contract_number, guarantee_code)
    return await served_file(store, asking[0], found)


async def served_file(store: DocumentStore, tenant: str, found: Mapping[str, Any] | None) -> StreamingResponse:
    """A file of the store (one the legacy system deposited, a broker's Kbis), streamed with its type and name; 404 for none
    (or not deposited yet: announced, nothing to give)."""
    if found is None:
        raise HTTPException(404, NOT_FOUND)
    return await served(store, tenant, found["storage_key"], media_type=found["media_type"], name=found["name"], missing=NOT_FOUND)
