"""The member portal's API (espace adhérent): account activation, declared from identity's public API."""

from fastapi import APIRouter

from gateway.routes.declared import declare_identity_routes

router = APIRouter(prefix="/api", tags=["member portal"])
declare_identity_routes(router, "member")
