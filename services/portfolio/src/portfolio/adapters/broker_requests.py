"""The requests brokers made in the portal, kept with the reference of their document (a repository of
the unit of work). The document's bytes are in the `DocumentStore`, never in the database."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True)
class StoredDocument:
    """Where a request's document is kept, and what it is."""

    file_id: uuid.UUID
    name: str
    media_type: str
    size: int
    sha256: str


class BrokerRequests:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def add(
        self,
        *,
        request_id: uuid.UUID,
        tenant: str,
        broker_code: str,
        kind: str,
        payload: dict,
        document: StoredDocument | None,
        created_by: str,
    ) -> None:
        await self._conn.execute(
            """INSERT INTO broker_requests (id, tenant, broker_code, kind, payload, document_file_id, document_name,
                                            document_media_type, document_size, document_sha256, created_by)
               VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11)""",
            request_id,
            tenant,
            broker_code,
            kind,
            json.dumps(payload),
            document.file_id if document else None,
            document.name if document else None,
            document.media_type if document else None,
            document.size if document else None,
            document.sha256 if document else None,
            created_by,
        )

    async def document(self, tenant: str, file_id: uuid.UUID) -> dict | None:
        """The document a request of the tenant keeps under this reference (the `file_id` its event carried): where it is
        in the store (`storage_key`), its name and type; None for a reference no request of the tenant has."""
        row = await self._conn.fetchrow(
            """SELECT id AS request_id, document_file_id AS storage_key, document_name AS name, document_media_type AS media_type
               FROM broker_requests WHERE tenant = $1 AND document_file_id = $2""",
            tenant,
            file_id,
        )
        return dict(row) if row is not None else None
