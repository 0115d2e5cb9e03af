"""The "new document online" email: each new statement of a paperless member is announced once, by
email, through the notifications service (a NotificationRequested in the outbox, in the consumer's
transaction). Its own consumer group, so that the read model's projections stay set-based.

Announced only: a member who chose paperless (as the legacy system last said) with an email on file, a
statement paid within `FRESH_DAYS` of its arrival (a replayed history announces nothing), and once per
statement (a redelivery or a correction of it finds it already announced).

A projection, applied a chunk of payments at a time: the payments older than the window are dropped in
Python before anything is written (a replayed history costs the consumer's validation and inbox rows
only); the recent ones are copied to the staging table, and one statement picks those of paperless members
with an email, records them in `documents_announced` (ON CONFLICT DO NOTHING: never twice) and returns
the ones recorded now, whose requests go to the outbox in one insert."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from extranet_contracts import Envelope
from extranet_contracts.claims import ReimbursementPaid
from extranet_contracts.notifications import Channel, NotificationRequested, Recipient
from extranet_plumbing.consumer import Handlers, Projection
from extranet_plumbing.outbox import OutboxEntry, add_all_to_outbox

if TYPE_CHECKING:
    from collections.abc import Callable

    import asyncpg

    from extranet_plumbing.settings import ServiceSettings

DOCUMENTS_GROUP = "claims-documents"
FRESH_DAYS = 7
TEMPLATE = "document_available"
log = structlog.get_logger(__name__)

# The first statement of each reference (in the order received) whose household is paperless, as the legacy
# system last said, and whose primary insured (the first ASSURE of its beneficiaries) has an email; recorded
# as announced unless it already was; the ones recorded now are returned, with their recipient.
ANNOUNCE = """
    WITH staged AS (DELETE FROM pg_temp.{staging} RETURNING *),
    targets AS (
        SELECT DISTINCT ON (s.tenant, s.reference) s.seq, s.tenant, s.reference, s.member_number, s.paid_on, s.announced_at,
               insured.value ->> 'email' AS email, insured.value ->> 'first_name' AS first_name, insured.value ->> 'last_name' AS last_name
        FROM staged s
        JOIN communication_preferences p ON p.tenant = s.tenant AND p.member_number = s.member_number AND p.paperless
        JOIN household_beneficiaries b ON b.tenant = s.tenant AND b.member_number = s.member_number
        CROSS JOIN LATERAL (
            SELECT e.value FROM jsonb_array_elements(b.beneficiaries) WITH ORDINALITY AS e(value, n)
            WHERE e.value ->> 'role' = 'ASSURE' ORDER BY e.n LIMIT 1
        ) AS insured
        WHERE coalesce(insured.value ->> 'email', '') <> ''
        ORDER BY s.tenant, s.reference, s.seq
    ),
    announced AS (
        INSERT INTO documents_announced (tenant, reference, announced_at)
        SELECT tenant, reference, announced_at FROM targets
        ON CONFLICT DO NOTHING RETURNING tenant, reference
    )
    SELECT t.tenant, t.reference, t.member_number, t.paid_on, t.email, t.first_name, t.last_name
    FROM targets t JOIN announced a USING (tenant, reference) ORDER BY t.seq"""


@dataclass(frozen=True)
class AnnounceStatements(Projection):
    """The announcements of a chunk of payments: one COPY of the recent ones, one statement, one outbox insert."""

    clock: Callable[[], datetime] | None = None
    settings: ServiceSettings | None = None

    @property
    def statement(self) -> str:
        return ANNOUNCE.format(staging=self.staging_table)

    async def apply(self, conn: asyncpg.Connection, items: Sequence[tuple[Envelope, Any]]) -> None:
        oldest = self.clock().date() - timedelta(days=FRESH_DAYS)
        recent = [(envelope, event) for envelope, event in items if event.paid_on >= oldest]
        if not recent:
            return  # a replayed history: nothing written
        await conn.copy_records_to_table(
            self.staging_table,
            schema_name="pg_temp",
            records=[(seq, *self.row(envelope, event)) for seq, (envelope, event) in enumerate(recent)],
        )
        announced = await conn.fetch(self.statement)
        topic = self.settings.topic(NotificationRequested.STREAM)
        await add_all_to_outbox(conn, [OutboxEntry(_request(row), row["tenant"], self.settings.event_source, topic) for row in announced])
        if announced:
            log.info("statements announced", template=TEMPLATE, count=len(announced))


def _request(row: Any) -> NotificationRequested:
    return NotificationRequested(
        recipient=Recipient(
            reference=f"member:{row['member_number']}", email=row["email"], display_name=f"{row['first_name']} {row['last_name']}"
        ),
        channels=[Channel.EMAIL],
        template=TEMPLATE,
        data={"document_title": f"Relevé de prestations n° {row['reference']}", "document_date": row["paid_on"].isoformat()},
    )


def _row(envelope: Envelope, event: ReimbursementPaid) -> tuple:
    return (envelope.tenant, event.reference, event.member_number, event.paid_on, envelope.time)


def handlers(clock: Callable[[], datetime], settings: ServiceSettings | None = None) -> Handlers:
    """`settings` name the outbox's topic and the events' source (the bench asks for the topics only)."""
    announce = AnnounceStatements(
        "claims_announcements",
        (("tenant", "text"), ("reference", "text"), ("member_number", "text"), ("paid_on", "date"), ("announced_at", "timestamptz")),
        _row,
        "{rows}",  # the statement is `ANNOUNCE`, which returns the statements announced
        clock=clock,
        settings=settings,
    )
    return {ReimbursementPaid: announce}
