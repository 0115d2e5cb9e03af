"""The Prometheus metrics every service shares (served on /metrics, drawn by deploy/grafana's dashboard).

Label values are names the code chooses (a consumer group, an event type of the catalogue, a topic, a route
template, a method, a status), never what a request or an event carries: no path, no id, no personal data.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import asyncpg
from prometheus_client import Counter, Gauge, Histogram

from extranet_plumbing.logging import get_logger
from extranet_plumbing.tracing import UNOBSERVED_PATHS

log = get_logger(__name__)

# --- consumers -----------------------------------------------------------------------------------
EVENTS_HANDLED = Counter("extranet_events_handled_total", "Events applied", ["consumer_group", "event_type"])
EVENTS_DUPLICATE = Counter("extranet_events_duplicate_total", "Redelivered events ignored", ["consumer_group"])
EVENTS_FAILED = Counter(
    "extranet_events_failed_total", "Attempts to apply an event that failed (retried, then dead-lettered)", ["consumer_group", "event_type"]
)
EVENTS_DEAD_LETTERED = Counter(
    "extranet_events_dead_lettered_total",
    "Events sent to a dead-letter topic",
    ["consumer_group", "topic", "reason", "event_type"],
)
CONSUMER_LAG = Gauge(
    "extranet_consumer_lag", "Records of a partition not yet committed by the consumer group", ["consumer_group", "topic", "partition"]
)
UNKNOWN_TYPE = "unknown"  # an event type no catalogue entry names (a label never takes a value read from outside)

# --- outbox --------------------------------------------------------------------------------------
OUTBOX_PENDING = Gauge("extranet_outbox_pending", "Outbox rows not yet published", ["schema"])
OUTBOX_OLDEST_AGE = Gauge("extranet_outbox_oldest_age_seconds", "Age of the oldest outbox row not yet published", ["schema"])

# --- HTTP ----------------------------------------------------------------------------------------
HTTP_REQUEST_SECONDS = Histogram(
    "extranet_http_request_duration_seconds",
    "HTTP requests by route template, method and status",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
UNMATCHED_ROUTE = "unmatched"  # no route chose the request (a 404): never its path


class RequestDurations:
    """ASGI middleware beside RequestSpans: each request's duration in `extranet_http_request_duration_seconds` by the
    route template the router chose (`scope["route"]`, as RequestSpans names its span), method and status; a request
    no route took is `unmatched`, one that raised before answering a 500. Never the path: it may hold personal data."""

    def __init__(self, app: Any, *, excluded: tuple[str, ...] = UNOBSERVED_PATHS) -> None:
        self.app = app
        self._excluded = excluded

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self._excluded):
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def sent(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sent)
        finally:
            template = getattr(scope.get("route"), "path", None) or UNMATCHED_ROUTE
            HTTP_REQUEST_SECONDS.labels(template, scope["method"], str(status)).observe(time.perf_counter() - started)


# --- refreshers ----------------------------------------------------------------------------------
LAG_INTERVAL = 15.0
OUTBOX_INTERVAL = 5.0


async def refresh_lag(group: str, consumer: Any, shown: set[tuple[str, int]]) -> None:
    """The lag of each partition assigned to `consumer` (an AIOKafkaConsumer): its end offset less the group's
    committed one. `shown` holds the partitions set before, so that a partition gone elsewhere is dropped."""
    assignment = list(consumer.assignment())
    ends = await consumer.end_offsets(assignment) if assignment else {}
    now = set()
    for tp in assignment:
        committed = await consumer.committed(tp)
        CONSUMER_LAG.labels(group, tp.topic, str(tp.partition)).set(max(ends.get(tp, 0) - (committed or 0), 0))
        now.add((tp.topic, tp.partition))
    for topic, partition in shown - now:
        with contextlib.suppress(KeyError):
            CONSUMER_LAG.remove(group, topic, str(partition))
    shown.clear()
    shown.update(now)


async def watch_lag(group: str, consumer_of: Callable[[], Any], interval: float | None = None) -> None:
    """Refresh a group's lag every `interval` (LAG_INTERVAL) seconds until cancelled, beside the consumption (its own requests:
    one for the end offsets, one per assigned partition for the committed offset)."""
    shown: set[tuple[str, int]] = set()
    while True:
        consumer = consumer_of()
        if consumer is not None:
            try:
                await refresh_lag(group, consumer, shown)
            except Exception as exc:  # Kafka away or a rebalance under way: the next round tries again
                log.info("consumer lag not refreshed", consumer_group=group, error_class=type(exc).__name__)
        await asyncio.sleep(interval or LAG_INTERVAL)


async def refresh_outbox(conn: asyncpg.Connection, schema: str) -> None:
    """The outbox's pending rows and the age of the oldest, for `schema`."""
    row = await conn.fetchrow(  # both through the partial index of pending rows (outbox_pending, by seq)
        "SELECT (SELECT count(*) FROM outbox WHERE sent_at IS NULL) AS pending,"
        " coalesce((SELECT extract(epoch FROM now() - created_at) FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT 1), 0) AS age"
    )
    OUTBOX_PENDING.labels(schema).set(row["pending"])
    OUTBOX_OLDEST_AGE.labels(schema).set(float(row["age"]))
