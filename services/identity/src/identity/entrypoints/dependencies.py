"""What identity's routes depend on besides plumbing's: placeholders bound in bootstrap, and the
headers the gateway adds (the portal's tenant, the client's address)."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
from typing import Annotated

from fastapi import Depends, Header

from extranet_plumbing.dependencies import NotWired, unit_of_work
from identity.service_layer.common import Tools as ToolsType
from identity.service_layer.unit_of_work import IdentityUnitOfWork


def tools() -> ToolsType:
    raise NotWired("tools")


Tools = Annotated[ToolsType, Depends(tools)]
UoW = Annotated[IdentityUnitOfWork, Depends(unit_of_work)]
Tenant = Annotated[str, Header(alias="X-Tenant", pattern=r"^[a-z0-9][a-z0-9-]*$")]
ClientIP = Annotated[str | None, Header(alias="X-Client-IP")]
