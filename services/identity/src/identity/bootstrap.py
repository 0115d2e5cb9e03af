"""The one place where the identity service's parts are chosen and wired together."""

from __future__ import annotations

import hashlib
from pathlib import Path

from extranet_contracts.legacy import BrokerRegistered, CollectiveContractSigned, CompanyRegistered, MemberAffiliated
from extranet_plumbing.auth import TokenVerifier
from extranet_plumbing.service import Service, Subscription
from identity.adapters.captcha import CaptchaVerifier, FriendlyCaptchaVerifier, TestCaptchaVerifier
from identity.adapters.security import TokenIssuer
from identity.domain.secrets import Digester
from identity.service_layer.service import Clock, IdentityService
from identity.settings import IdentitySettings

MIGRATIONS = Path(__file__).parent / "migrations"
CONSUMER_GROUP = "identity-legacy-intake"


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


def build(
    settings: IdentitySettings, *, captcha: CaptchaVerifier | None = None, clock: Clock | None = None, verifier: TokenVerifier | None = None
) -> tuple[Service, Holder]:
    """The service, and a holder whose `.service` has its pool once the service has started."""
    if settings.jwt_private_key_file is None:
        raise RuntimeError("EXTRANET_JWT_PRIVATE_KEY_FILE is not configured: tokens cannot be issued")
    key = Path(settings.jwt_private_key_file).read_bytes()
    issuer = TokenIssuer(key, settings.access_token_ttl_seconds)
    holder = Holder()
    holder.service = IdentityService(
        None, settings, issuer, digester(settings, key), captcha or captcha_verifier(settings), **({"clock": clock} if clock else {})
    )
    identity = holder.service

    async def broker_registered(event: BrokerRegistered, envelope, uow) -> None:
        await identity.broker_registered(
            uow.connection,
            envelope.tenant,
            broker_code=event.broker_code,
            email=str(event.email),
            name=f"{event.contact_first_name} {event.contact_last_name}",
        )

    async def member_affiliated(event: MemberAffiliated, envelope, uow) -> None:
        await identity.member_affiliated(
            uow.connection,
            envelope.tenant,
            member_number=event.member_number,
            last_name=event.primary.last_name,
            first_name=event.primary.first_name,
            birth_dates=[event.primary.birth_date, *(d.birth_date for d in event.dependants)],
            email=str(event.email) if event.email else None,
            mobile_phone=event.mobile_phone,
            postal_code=event.address.postal_code,
            contract_number=event.contract_number,
        )

    async def company_registered(event: CompanyRegistered, envelope, uow) -> None:
        primary = next((c for c in event.contacts if c.primary), None)
        await identity.company_registered(
            uow.connection,
            envelope.tenant,
            company_code=event.company_code,
            legal_name=event.legal_name,
            primary_contact=primary.model_dump(mode="json") if primary else None,
        )

    async def contract_signed(event: CollectiveContractSigned, envelope, uow) -> None:
        await identity.contract_signed(
            uow.connection,
            envelope.tenant,
            company_code=event.company_code,
            contract_number=event.contract_number,
            product=event.product.value,
            category=event.category.value,
        )

    def attach_pool(service: Service) -> list:
        identity.pool = service.pool
        return []

    service = Service(
        settings,
        title="Identity service",
        schema=settings.db_schema,
        migrations=[MIGRATIONS],
        subscriptions=[
            Subscription(
                CONSUMER_GROUP,
                {
                    BrokerRegistered: broker_registered,
                    MemberAffiliated: member_affiliated,
                    CompanyRegistered: company_registered,
                    CollectiveContractSigned: contract_signed,
                },
            )
        ],
        verifier=verifier or TokenVerifier.from_file(settings.jwt_public_key_file),
        relay_outbox=True,
        tasks=attach_pool,
    )
    return service, holder


class Holder:
    service: IdentityService


def bootstrap(
    settings: IdentitySettings | None = None,
    *,
    captcha: CaptchaVerifier | None = None,
    clock: Clock | None = None,
    verifier: TokenVerifier | None = None,
) -> Service:
    """The identity service, wired (its app is `.app`)."""
    from identity.entrypoints.http import create_app  # the routes still live in one function: being split by concern

    app = create_app(settings or IdentitySettings(), verifier=verifier, captcha=captcha, clock=clock)
    return app.state.runtime
