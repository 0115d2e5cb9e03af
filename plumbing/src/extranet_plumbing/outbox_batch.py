"""Many events into the transactional outbox at once: the same rows as `add_to_outbox`, written
with one pipelined `executemany` and one notification per topic instead of two statements per
event. For a service that settles many state changes in one transaction (e.g. the notifications
service's group commits); the relay (`outbox.OutboxRelay`) publishes them as any other row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from extranet_contracts import Envelope, Event
from extranet_plumbing.tracing import current_trace_headers


@dataclass(frozen=True)
class OutboxEntry:
    event: Event
    tenant: str
    source: str
    topic: str
    envelope: Envelope | None = None  # as with add_to_outbox: built from the event if not given


async def add_all_to_outbox(conn: asyncpg.Connection, entries: Sequence[OutboxEntry]) -> list[Envelope]:
    """Store every entry's event for publication; call it inside the transaction that changes the state."""
    if not entries:
        return []
    trace_headers = current_trace_headers()
    envelopes, rows = [], []
    for entry in entries:
        event = entry.event
        envelope = entry.envelope or Envelope(
            type=event.TYPE,
            version=event.VERSION,
            source=entry.source,
            tenant=entry.tenant,
            key=event.key(),
            time=datetime.now(UTC),
            traceparent=trace_headers.get("traceparent"),
            tracestate=trace_headers.get("tracestate"),
        )
        headers = [[name, value.decode()] for name, value in envelope.to_headers()]
        rows.append((envelope.id, entry.topic, envelope.key, event.model_dump_json().encode(), json.dumps(headers)))
        envelopes.append(envelope)
    await conn.executemany(
        "INSERT INTO outbox (event_id, topic, key, value, headers) VALUES ($1, $2, $3, $4, $5::jsonb)", rows
    )
    for topic in sorted({entry.topic for entry in entries}):
        await conn.execute("SELECT pg_notify('outbox', $1)", topic)
    return envelopes
