"""The one place where the gateway's parts are chosen and wired together: a typed client per
service (one pooled HTTP client each, closed when the service stops, sending the gateway's
credential on every call), the portal routers, and the one mapping of upstream failures. Like every
service that checks tokens, the gateway follows the revoked sessions (identity.sessions) on Kafka."""

from __future__ import annotations

import httpx
from starlette.middleware import Middleware

from enrollment.api_files import attachment_body_limit
from extranet_plumbing.auth import TokenVerifier
from extranet_plumbing.dependencies import SERVICE_CREDENTIAL_HEADER, provide
from extranet_plumbing.service import Service
from gateway import dependencies
from gateway.clients.claims import ClaimsClient
from gateway.clients.enrollment import EnrollmentClient
from gateway.clients.identity import IdentityClient
from gateway.clients.portfolio import PortfolioClient
from gateway.errors import UpstreamProblem, upstream_problem
from gateway.kept import KeptAnswers, VersionFollower
from gateway.routes import ROUTERS
from gateway.routes.attachments import LINK_UPLOAD_PATH, MEMBER_UPLOAD_PATH, UPLOAD_PATH
from gateway.routes.broker_profile import ADDRESS_CHANGE_PATH
from gateway.settings import GatewaySettings
from portfolio.api import ADDRESS_CHANGE_BODY_LIMIT

DESCRIPTION = "API des portails de la mutuelle : espace courtier, espace adhérent, espace entreprise, back-office."


def bootstrap(
    settings: GatewaySettings | None = None,
    *,
    verifier: TokenVerifier | None = None,
    transports: dict[str, httpx.AsyncBaseTransport] | None = None,
) -> Service:
    """`transports` lets tests plug a service's ASGI app (or a fake) in place of the network."""
    settings = settings or GatewaySettings()
    transports = transports or {}
    if settings.gateway_credential is None:
        raise RuntimeError("EXTRANET_GATEWAY_CREDENTIAL is not configured: the services would refuse every call of the gateway")
    # Sent on every call: the services believe the tenant and client address from the gateway only.
    credential = {SERVICE_CREDENTIAL_HEADER: settings.gateway_credential.get_secret_value()}

    def upstream(name: str, url: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=url, transport=transports.get(name), timeout=settings.upstream_timeout_seconds, headers=credential
        )

    identity = IdentityClient("identity", upstream("identity", settings.identity_url))
    portfolio = PortfolioClient("portfolio", upstream("portfolio", settings.portfolio_url))
    claims = ClaimsClient("claims", upstream("claims", settings.claims_url))
    enrollment = EnrollmentClient("enrollment", upstream("enrollment", settings.enrollment_url))
    # The services whose read answers the gateway may give again while their read model has not moved (gateway.kept).
    followers = [VersionFollower(portfolio), VersionFollower(claims)] if settings.keep_answers else []
    service = Service(
        settings,
        title="Extranet API",
        description=DESCRIPTION,
        routers=ROUTERS,
        verifier=verifier or TokenVerifier.from_file(settings.jwt_public_key_file),
        dependencies={
            dependencies.identity_client: provide(identity),
            dependencies.portfolio_client: provide(portfolio),
            dependencies.claims_client: provide(claims),
            dependencies.enrollment_client: provide(enrollment),
            dependencies.settings: provide(settings),
        },
        on_stop=[identity.close, portfolio.close, claims.close, enrollment.close],
        tasks=lambda _service: [follower.run() for follower in followers],
        # The address change carries a Kbis of up to 4 MB, a request's attachment a file of as much: those routes
        # alone take such a body.
        body_limits={
            ADDRESS_CHANGE_PATH: ADDRESS_CHANGE_BODY_LIMIT,
            UPLOAD_PATH: attachment_body_limit(),
            MEMBER_UPLOAD_PATH: attachment_body_limit(),
            LINK_UPLOAD_PATH: attachment_body_limit(),
        },
    )
    service.app.add_exception_handler(UpstreamProblem, upstream_problem)
    if followers:
        # Appended, not added: the innermost middleware, inside the span, the request guard and the security headers.
        service.app.user_middleware.append(
            Middleware(KeptAnswers, service=service, followers={follower.name: follower for follower in followers})
        )
    return service
