"""The one place where the identity service's parts are chosen and wired together."""

from __future__ import annotations

from pathlib import Path

from extranet_plumbing.runtime import ServiceRuntime
from identity.settings import IdentitySettings

MIGRATIONS = Path(__file__).parent / "migrations"


def build_runtime(settings: IdentitySettings) -> ServiceRuntime:
    return ServiceRuntime(settings, schema=settings.db_schema, migrations=[MIGRATIONS], relay_outbox=True)
