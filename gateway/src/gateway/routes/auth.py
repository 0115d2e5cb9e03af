"""Routes every portal shares: login, refresh, logout, terms of use, password reset and set,
identifier help, and the account's self-care (`/api/me`). Declared from identity's public API."""

from fastapi import APIRouter

from gateway.routes.declared import declare_identity_routes

router = APIRouter(prefix="/api", tags=["authentication and self-care"])
declare_identity_routes(router, "auth")
