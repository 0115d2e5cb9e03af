"""Internal HTTP API of the notifications service: what became of a request (status only: no
address, no template data), and counts by channel and status."""

# No `from __future__ import annotations`: FastAPI must resolve the route's parameter types.
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from extranet_plumbing.dependencies import unit_of_work
from notifications.service_layer.unit_of_work import NotificationsUnitOfWork

UoW = Annotated[NotificationsUnitOfWork, Depends(unit_of_work)]
router = APIRouter(prefix="/internal")


@router.get("/stats")
async def stats(uow: UoW) -> dict:
    """Deliveries by channel and status."""
    async with uow:
        return await uow.deliveries.stats()


@router.get("/deliveries/{request_id}")
async def delivery(request_id: uuid.UUID, uow: UoW) -> dict:
    """What became of one request (its event id is the delivery key)."""
    async with uow:
        found = await uow.deliveries.delivery(request_id)
    if found is None:
        raise HTTPException(404, "No delivery for this request id.")
    return found
