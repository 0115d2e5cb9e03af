"""What identity's routes depend on besides plumbing's: placeholders bound in bootstrap, and the
headers the gateway adds (the portal's tenant, the client's address), believed from the gateway
alone (its credential, `extranet_plumbing.dependencies.require_gateway`): anyone else gets a 401 or
403 problem, so that no caller picks the tenant or the address it is throttled by."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
from typing import Annotated

from fastapi import Depends, Header

from extranet_plumbing.dependencies import Caller, Placeholder, require_gateway, unit_of_work
from identity.service_layer.common import Tools as ToolsType
from identity.service_layer.unit_of_work import IdentityUnitOfWork

tools = Placeholder("tools")  # -> ToolsType


Tools = Annotated[ToolsType, Depends(tools)]
UoW = Annotated[IdentityUnitOfWork, Depends(unit_of_work)]


async def tenant(x_tenant: Annotated[str, Header(alias="X-Tenant", pattern=r"^[a-z0-9][a-z0-9-]*$")], caller: Caller) -> str:
    """The portal's tenant, as the gateway says it."""
    require_gateway(caller)
    return x_tenant


async def client_ip(caller: Caller, x_client_ip: Annotated[str | None, Header(alias="X-Client-IP")] = None) -> str | None:
    """The client's address, as the gateway says it (absent: the throttling has no address)."""
    if x_client_ip is not None:
        require_gateway(caller)
    return x_client_ip


Tenant = Annotated[str, Depends(tenant)]
ClientIP = Annotated[str | None, Depends(client_ip)]
