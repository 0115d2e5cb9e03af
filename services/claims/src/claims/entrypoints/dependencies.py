"""What the claims service's routes depend on besides plumbing's."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
from typing import Annotated

from fastapi import Depends

from claims.service_layer.unit_of_work import ClaimsUnitOfWork
from extranet_plumbing.dependencies import unit_of_work

UoW = Annotated[ClaimsUnitOfWork, Depends(unit_of_work)]
