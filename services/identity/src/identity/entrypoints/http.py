"""Internal HTTP API of the identity service, called by the gateway."""

from __future__ import annotations

import re

from fastapi import APIRouter, FastAPI, HTTPException
from pydantic import BaseModel, Field

from extranet_plumbing.http import install_conventions
from extranet_plumbing.logging import get_logger
from extranet_plumbing.runtime import ServiceRuntime
from identity.adapters import credentials
from identity.adapters.security import TokenIssuer, verify_password
from identity.bootstrap import build_runtime
from identity.settings import IdentitySettings

log = get_logger(__name__)
_BROKER_CODE = re.compile(r"^M\d{5}$")


class LoginRequest(BaseModel):
    tenant: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=40)
    identifier: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=256)


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int


def create_app(settings: IdentitySettings | None = None, *, issuer: TokenIssuer | None = None,
               runtime: ServiceRuntime | None = None) -> FastAPI:
    settings = settings or IdentitySettings()
    runtime = runtime or build_runtime(settings)
    issuer = issuer or TokenIssuer.from_file(settings.jwt_private_key_file, settings.access_token_ttl_seconds)
    app = FastAPI(title="Identity service (internal)", lifespan=runtime.lifespan)
    app.state.runtime = runtime
    install_conventions(app, {"database": runtime.database_ready, "kafka": runtime.broker_ready})
    router = APIRouter(prefix="/internal")

    @router.post("/sessions", response_model=AccessToken)
    async def login(request: LoginRequest) -> AccessToken:
        """Identifier + password -> access token. The same answer whether the identifier is unknown or the password wrong."""
        identifier = request.identifier.strip().upper()
        async with runtime.pool.acquire() as conn:
            stored = await credentials.broker_password_hash(conn, request.tenant, identifier) if _BROKER_CODE.match(identifier) else None
            if not await verify_password(stored, request.password):
                log.info("login refused", tenant=request.tenant)
                raise HTTPException(401, "Identifiant ou mot de passe incorrect.")
            await credentials.record_login(conn, request.tenant, identifier)
        token, ttl = issuer.access_token(subject=f"broker:{identifier}", kind="broker", tenant=request.tenant,
                                         scope={"broker_code": identifier})
        log.info("login", tenant=request.tenant, broker_code=identifier)
        return AccessToken(access_token=token, expires_in=ttl)

    app.include_router(router)
    return app
