"""What differs between tenants in the member portal's reimbursements and documents: the letterhead of
their statements, whether the statements keep the francs column of the legacy print, and how many
statements are online. Read from the tenant registry's `[<tenant>.claims]` section (tenants.toml):
changing them is a change to that file, never to code."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict, Field

from extranet_plumbing.tenants import UnknownTenant, tenant


class ClaimsTenant(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="The tenant's name, at the top of its statements")
    address: tuple[str, ...] = Field(default=(), description="The letterhead's address lines")
    phone: str | None = None
    website: str | None = None
    colour: str = Field(default="#1F2A44", pattern=r"^#[0-9A-Fa-f]{6}$")
    legal_notice: str | None = None
    francs: bool = Field(default=False, description="Statements print the amount paid in francs too, as the legacy print does")
    paperless_online_days: int = Field(default=365, ge=1, description="Paperless members: the statements of this many days are online")
    statements_online: int = Field(default=10, ge=1, description="Other members: their last statements online, this many")


@cache
def claims_tenant(code: str) -> ClaimsTenant:
    """The tenant's settings (an unknown tenant, which a verified token cannot name, gets its code as name)."""
    try:
        registered = tenant(code)
    except UnknownTenant:
        return ClaimsTenant(name=code)
    section = registered.section("claims")
    return ClaimsTenant(**{"name": registered.name, "website": registered.website, **section})
