"""The one place where the portfolio service's parts are chosen and wired together."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from extranet_contracts import legacy
from extranet_plumbing.consumer import EventConsumer
from extranet_plumbing.runtime import ServiceRuntime
from portfolio.adapters.read_model import HANDLERS
from portfolio.domain.periods import today_in_france
from portfolio.settings import PortfolioSettings

MIGRATIONS = Path(__file__).parent / "migrations"
CONSUMER_GROUP = "portfolio-read-model"
STREAMS = (legacy.BROKERS, legacy.COMPANIES, legacy.CONTRACTS, legacy.MEMBERSHIPS)


def build_runtime(settings: PortfolioSettings) -> ServiceRuntime:
    def consumers(runtime: ServiceRuntime) -> list[EventConsumer]:
        return [
            EventConsumer(
                group_id=runtime.group_id(CONSUMER_GROUP),
                topics=[settings.topic(stream) for stream in STREAMS],
                handlers=HANDLERS,
                pool=runtime.pool,
                producer=runtime.producer,
            )
        ]

    return ServiceRuntime(settings, schema=settings.db_schema, migrations=[MIGRATIONS], consumers=consumers)


Clock = Callable[[], date]
default_clock: Clock = today_in_france
