"""The back office's API (operators of the mutual insurer): no route yet; its routes go here."""

from fastapi import APIRouter

from gateway.routes.declared import declare_identity_routes

router = APIRouter(prefix="/api", tags=["back office"])
declare_identity_routes(router, "backoffice")
