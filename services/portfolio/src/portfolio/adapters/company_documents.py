"""The employer portal's documents (« Mes documents », guide 003): their projection from
`CompanyDocumentIssued` (a snapshot per document, the newest revision wins, in any order) and the
repository a correspondent's routes read, limited to what it may see (the company's documents without
a contract, and those of the contracts it may see)."""

from __future__ import annotations

import uuid

import asyncpg

from extranet_plumbing.consumer import Projection
from portfolio.adapters.employer import Visible
from portfolio.adapters.read_model import _snapshot

_DOCUMENT = (
    ("tenant", "text"),
    ("document_id", "uuid"),
    ("company_code", "text"),
    ("contract_number", "text"),
    ("kind", "text"),
    ("name", "text"),
    ("media_type", "text"),
    ("size", "bigint"),
    ("sha256", "text"),
    ("storage_key", "uuid"),
    ("issued_on", "date"),
    ("revision", "integer"),
    ("changed_at", "timestamptz"),
)

company_document_issued = Projection(
    "company_documents",
    _DOCUMENT,
    lambda env, e: (
        env.tenant,
        e.document_id,
        e.company_code,
        e.contract_number,
        e.kind.value,
        e.name,
        e.media_type,
        e.size,
        e.sha256,
        e.storage_key,
        e.issued_on,
        e.revision,
        env.time,
    ),
    _snapshot("company_documents", ("tenant", "document_id"), tuple(c for c, _ in _DOCUMENT), "d"),
)

_COLUMNS = "document_id, contract_number, kind, name, media_type, size, sha256, storage_key, issued_on"
_VISIBLE = "tenant = $1 AND company_code = $2 AND (contract_number IS NULL OR contract_number = ANY($3::text[]))"


class CompanyDocuments:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def listed(self, visible: Visible, contract_number: str | None = None) -> list[asyncpg.Record]:
        """The documents the correspondent may see (of one contract and the company's, if asked), by kind, newest first."""
        contracts = [contract_number] if contract_number is not None else list(visible.contracts)
        return await self._conn.fetch(
            f"SELECT {_COLUMNS} FROM company_documents WHERE {_VISIBLE} ORDER BY kind, issued_on DESC, name",
            visible.tenant,
            visible.company_code,
            contracts,
        )

    async def one(self, visible: Visible, document_id: uuid.UUID) -> asyncpg.Record | None:
        """One document the correspondent may see, or None (another company's, or of a contract not granted)."""
        return await self._conn.fetchrow(
            f"SELECT {_COLUMNS} FROM company_documents WHERE {_VISIBLE} AND document_id = $4",
            visible.tenant,
            visible.company_code,
            list(visible.contracts),
            document_id,
        )
