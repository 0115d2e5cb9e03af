"""The employer portal's API (espace entreprise): a primary correspondent's secondary correspondents,
declared from identity's public API."""

from fastapi import APIRouter

from gateway.routes.declared import declare_identity_routes

router = APIRouter(prefix="/api", tags=["employer portal"])
declare_identity_routes(router, "employer")
