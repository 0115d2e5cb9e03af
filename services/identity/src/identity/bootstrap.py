"""The one place where the identity service's parts are chosen and wired together."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from fastapi import Request
from fastapi.responses import JSONResponse

from extranet_plumbing.auth import TokenVerifier
from extranet_plumbing.dependencies import provide
from extranet_plumbing.http import problem
from extranet_plumbing.sealing import Sealer
from extranet_plumbing.service import Service, Subscription
from identity.adapters.captcha import CaptchaVerifier, FriendlyCaptchaVerifier, TestCaptchaVerifier
from identity.adapters.security import TokenIssuer
from identity.domain.secrets import Digester
from identity.domain.tenants import load_tenants
from identity.entrypoints import dependencies, http
from identity.service_layer import contract_groups
from identity.service_layer.common import Clock, Tools
from identity.service_layer.errors import Refused
from identity.service_layer.handlers import LEGACY_INTAKE_GROUP, OUTCOME_HANDLERS, OUTCOMES_GROUP, legacy_handlers
from identity.service_layer.unit_of_work import IdentityUnitOfWork
from identity.settings import IdentitySettings

MIGRATIONS = Path(__file__).parent / "migrations"


def captcha_verifier(settings: IdentitySettings) -> CaptchaVerifier:
    if settings.captcha_mode == "test":
        return TestCaptchaVerifier()
    if settings.captcha_secret is None:
        raise RuntimeError("EXTRANET_CAPTCHA_SECRET is required for FriendlyCaptcha (or EXTRANET_CAPTCHA_MODE=test, for tests only)")
    return FriendlyCaptchaVerifier(
        secret=settings.captcha_secret.get_secret_value(), sitekey=settings.captcha_sitekey, api_url=settings.captcha_api_url
    )


def digester(settings: IdentitySettings, issuer_key: bytes) -> Digester:
    if settings.hash_key is not None:
        return Digester(settings.hash_key.get_secret_value().encode())
    # Derived from the signing key, under a label of its own: one secret fewer to distribute.
    return Digester(hashlib.sha256(b"extranet-identity-digests\0" + issuer_key).digest())


def sealer(settings: IdentitySettings) -> Sealer:
    if settings.notifications_seal_key_file is None:
        raise RuntimeError("EXTRANET_NOTIFICATIONS_SEAL_KEY_FILE is not configured: codes and links cannot be sent sealed")
    return Sealer.from_file(settings.notifications_seal_key_file)


def tools_for(settings: IdentitySettings, *, captcha: CaptchaVerifier | None = None, clock: Clock | None = None) -> Tools:
    """The collaborators of the use cases, from the settings (and what tests replace)."""
    if settings.jwt_private_key_file is None:
        raise RuntimeError("EXTRANET_JWT_PRIVATE_KEY_FILE is not configured: tokens cannot be issued")
    key = Path(settings.jwt_private_key_file).read_bytes()
    return Tools(
        settings=settings,
        tenants=load_tenants(settings.tenants_file),
        issuer=TokenIssuer(key, settings.access_token_ttl_seconds),
        digest=digester(settings, key),
        captcha=captcha or captcha_verifier(settings),
        clock=clock or (lambda: datetime.now(UTC)),
        sealer=sealer(settings),
    )


async def refused(_request: Request, exc: Refused) -> JSONResponse:
    """A refusal of a use case as the portals show it: a problem document, with the field at fault."""
    extra = {"errors": [{"field": exc.field, "message": exc.message}]} if exc.field else {}
    return problem(exc.status, detail=exc.message, **extra)


def bootstrap(
    settings: IdentitySettings | None = None,
    *,
    captcha: CaptchaVerifier | None = None,
    clock: Clock | None = None,
    verifier: TokenVerifier | None = None,
) -> Service:
    """The identity service, wired (its app is `.app`, its pool `.pool` once started)."""
    settings = settings or IdentitySettings()
    tools = tools_for(settings, captcha=captcha, clock=clock)
    service = Service(
        settings,
        title="Identity service",
        schema=settings.db_schema,
        migrations=[MIGRATIONS],
        unit_of_work=IdentityUnitOfWork,
        subscriptions=[Subscription(LEGACY_INTAKE_GROUP, legacy_handlers(tools)), Subscription(OUTCOMES_GROUP, OUTCOME_HANDLERS)],
        routers=http.ROUTERS,
        verifier=verifier or TokenVerifier.from_file(settings.jwt_public_key_file),
        dependencies={dependencies.tools: provide(tools)},
        relay_outbox=True,
        # The contracts recorded before identity kept their insured groups get them from the legacy log (once).
        tasks=lambda service: [contract_groups.backfill(service)],
    )
    service.app.add_exception_handler(Refused, refused)
    return service
