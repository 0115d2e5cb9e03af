"""What the gateway's routes may ask for with FastAPI `Depends`: the typed clients and settings
(placeholders bound by `gateway.bootstrap`), the portal's tenant, the client's address, and the
caller's verified bearer token."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
from typing import Annotated

from fastapi import Depends, Query, Request

from extranet_plumbing.dependencies import Placeholder, Token, Who
from gateway.clients.claims import ClaimsClient
from gateway.clients.enrollment import EnrollmentClient
from gateway.clients.identity import IdentityClient
from gateway.clients.portfolio import PortfolioClient
from gateway.settings import GatewaySettings

# The same rule as identity's X-Tenant header: a tenant is a lower-case slug.
TENANT_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"


identity_client = Placeholder("identity_client")  # -> IdentityClient
portfolio_client = Placeholder("portfolio_client")  # -> PortfolioClient
claims_client = Placeholder("claims_client")  # -> ClaimsClient
enrollment_client = Placeholder("enrollment_client")  # -> EnrollmentClient
settings = Placeholder("settings")  # -> GatewaySettings


Identity = Annotated[IdentityClient, Depends(identity_client)]
Portfolio = Annotated[PortfolioClient, Depends(portfolio_client)]
Claims = Annotated[ClaimsClient, Depends(claims_client)]
Enrollment = Annotated[EnrollmentClient, Depends(enrollment_client)]
Settings = Annotated[GatewaySettings, Depends(settings)]


async def portal_tenant(
    config: Settings,
    tenant: Annotated[
        str | None, Query(pattern=TENANT_PATTERN, description="Tenant of the portal (the gateway's default if absent)")
    ] = None,
) -> str:
    return tenant or config.default_tenant


async def client_address(request: Request) -> str | None:
    """The address of the peer that called the gateway (for throttling in identity)."""
    return request.client.host if request.client else None


async def verified_token(token: Token, _who: Who) -> str:
    """The caller's bearer token, once verified here (the service verifies it again)."""
    return token


PortalTenant = Annotated[str, Depends(portal_tenant)]
ClientAddress = Annotated[str | None, Depends(client_address)]
VerifiedToken = Annotated[str, Depends(verified_token)]
