"""What the enrollment service's routes depend on besides plumbing's: placeholders bound in bootstrap."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends

from enrollment.service_layer.unit_of_work import EnrollmentUnitOfWork
from extranet_plumbing.dependencies import Placeholder, unit_of_work
from extranet_plumbing.sealing import Sealer
from extranet_plumbing.storage import DocumentStore

Clock = Callable[[], datetime]


clock = Placeholder("clock")  # -> Clock
sealer = Placeholder("sealer")  # -> extranet_plumbing.sealing.Sealer (links sealed for the notifications service)
document_store = Placeholder("document_store")  # -> extranet_plumbing.storage.DocumentStore (the files of requests)


FRANCE = ZoneInfo("Europe/Paris")


async def today(now: Annotated[Clock, Depends(clock)]) -> date:
    """The day in France: the tenant's windows are counted in French days."""
    return now().astimezone(FRANCE).date()


Now = Annotated[Clock, Depends(clock)]
Today = Annotated[date, Depends(today)]
Sealing = Annotated[Sealer, Depends(sealer)]
UoW = Annotated[EnrollmentUnitOfWork, Depends(unit_of_work)]
Store = Annotated[DocumentStore, Depends(document_store)]
