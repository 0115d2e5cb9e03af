"""The one place where the portfolio service's parts are chosen and wired together."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import structlog

from extranet_plumbing.auth import TokenVerifier
from extranet_plumbing.dependencies import provide
from extranet_plumbing.read_cache import ReadModelCache
from extranet_plumbing.service import Service, Subscription
from portfolio.adapters.storage import DocumentStore, LocalFolderStore
from portfolio.api import ADDRESS_CHANGE_BODY_LIMIT
from portfolio.domain.employer import NirDigest
from portfolio.domain.periods import today_in_france
from portfolio.entrypoints import dependencies, employer, employer_documents, exports, http, legacy, profile
from portfolio.entrypoints.dependencies import Clock
from portfolio.service_layer.handlers import READ_MODEL_GROUP, read_model_handlers
from portfolio.service_layer.unit_of_work import PortfolioUnitOfWork
from portfolio.settings import PortfolioSettings

MIGRATIONS = Path(__file__).parent / "migrations"
log = structlog.get_logger(__name__)


def nir_digest_of(settings: PortfolioSettings) -> NirDigest:
    """The keyed NIR digest: the settings' key, else one derived from the gateway credential under a label of
    its own; without either (a benchmark, a bare test), a key of this process only: digests made by an earlier
    process are then never found (logged)."""
    if settings.nir_search_key is not None:
        return NirDigest(settings.nir_search_key.get_secret_value().encode())
    if settings.gateway_credential is not None and settings.gateway_credential.get_secret_value():
        return NirDigest(
            hashlib.sha256(b"extranet-portfolio-nir-search\0" + settings.gateway_credential.get_secret_value().encode()).digest()
        )
    log.warning("nir_search_key_unset", effect="NIR searches find only the memberships this process projected")
    return NirDigest(secrets.token_bytes(32))


def bootstrap(
    settings: PortfolioSettings | None = None,
    *,
    clock: Clock = today_in_france,
    verifier: TokenVerifier | None = None,
    documents: DocumentStore | None = None,
    nir_digest: NirDigest | None = None,
) -> Service:
    settings = settings or PortfolioSettings()
    nir_digest = nir_digest or nir_digest_of(settings)
    answers = ReadModelCache("portfolio", day=clock)
    return Service(
        settings,
        title="Portfolio service (internal)",
        schema=settings.db_schema,
        migrations=[MIGRATIONS],
        unit_of_work=PortfolioUnitOfWork,
        subscriptions=[Subscription(READ_MODEL_GROUP, read_model_handlers(nir_digest), counts_changes=True)],
        routers=[http.router, exports.router, profile.router, employer.router, employer_documents.router, legacy.router],
        verifier=verifier or TokenVerifier.from_file(settings.jwt_public_key_file),
        dependencies={
            dependencies.clock: provide(clock),
            dependencies.answers: provide(answers),
            profile.document_store: provide(documents or LocalFolderStore(settings.documents_dir)),
            employer.nir_digest: provide(nir_digest),
        },
        # Requests made in the broker portal go to the legacy system through the outbox (portal.requests).
        relay_outbox=True,
        read_caches=[answers],
        # The address change carries a Kbis of up to 4 MB: that route alone takes such a body.
        body_limits={"/internal/brokers/*/address-change": ADDRESS_CHANGE_BODY_LIMIT},
    )
