"""Authentication routes shared by the portals."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

router = APIRouter(prefix="/api/auth", tags=["authentication"])


class LoginForm(BaseModel):
    identifier: str = Field(min_length=1, max_length=80, description="Identifiant (broker: M + 5 digits)")
    password: str = Field(min_length=1, max_length=256)
    tenant: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]*$", description="Defaults to the portal's tenant")


class AccessToken(BaseModel):
    access_token: str
    token_type: str
    expires_in: int


@router.post("/login", response_model=AccessToken, summary="Se connecter")
async def login(form: LoginForm, request: Request) -> dict:
    tenant = form.tenant or request.app.state.settings.default_tenant
    return await request.app.state.identity.login(tenant, form.identifier, form.password)
