"""A broker asks for the office's postal address to change (broker portal, profile): the Kbis is kept,
the request recorded and published for the legacy system's back office in one transaction.

The legacy system owns the broker's address: nothing changes in the portal's read model until the
legacy system publishes the broker again (BrokerRegistered). Until then the profile shows the request
as pending. Validating it, or not, is the back office's (the requests engine follows its answers).
"""

from __future__ import annotations

import uuid

from extranet_contracts.requests import BrokerAddressChangeRequested, DocumentReference
from portfolio.adapters.broker_requests import StoredDocument
from portfolio.adapters.storage import DocumentStore
from portfolio.domain.address_change import AddressChange
from portfolio.domain.documents import Document
from portfolio.service_layer.unit_of_work import PortfolioUnitOfWork

ADDRESS_CHANGE = "address_change"
ADDRESS_CHANGE_SUBMITTED = (
    "Votre demande de changement d'adresse a bien été transmise. Elle sera validée par notre service gestion au vu de l'extrait Kbis joint."
)


async def request_address_change(
    uow: PortfolioUnitOfWork,
    store: DocumentStore,
    *,
    tenant: str,
    broker_code: str,
    requested_by: str,
    change: AddressChange,
    kbis: Document,
) -> uuid.UUID:
    """Keep the Kbis, record the request and publish BrokerAddressChangeRequested; the request's id."""
    request_id = uuid.uuid4()
    async with uow:
        file_id = await store.put(tenant, kbis.data)
        try:
            await uow.broker_requests.add(
                request_id=request_id,
                tenant=tenant,
                broker_code=broker_code,
                kind=ADDRESS_CHANGE,
                payload={"address": change.address.model_dump(mode="json"), "effective_date": change.effective_date.isoformat()},
                document=StoredDocument(file_id=file_id, name=kbis.name, media_type=kbis.media_type, size=kbis.size, sha256=kbis.sha256),
                created_by=requested_by,
            )
            event = BrokerAddressChangeRequested(
                request_id=request_id,
                broker_code=broker_code,
                address=change.address,
                effective_date=change.effective_date,
                kbis=DocumentReference(file_id=file_id, media_type=kbis.media_type, size=kbis.size, sha256=kbis.sha256),
            )
            await uow.publish(event, tenant=tenant)
        except Exception:
            await store.delete(tenant, file_id)  # nothing refers to it: the request was not recorded
            raise
        # Should the commit fail, the file stays without a request: harmless, never shown to anyone.
        await uow.commit()
    return request_id
