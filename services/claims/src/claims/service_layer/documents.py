"""The "new document online" email: each new statement of a paperless member is announced once, by
email, through the notifications service (a NotificationRequested in the outbox, in the consumer's
transaction).

Announced only: a member who chose paperless (as the legacy system last said) with an email on file, a
statement paid within `FRESH_DAYS` of its arrival (a replayed history announces nothing), and once per
statement (a redelivery or a correction of it finds it already announced).

Done by the read model's consumer group, in the statement that keeps the payment (`paid_and_announced`):
the payment is validated once, and its inbox row written once. One statement a chunk of payments keeps
their snapshots, picks the recent ones of paperless members with an email, records them in
`documents_announced` (ON CONFLICT DO NOTHING: never twice) and returns the ones recorded now, whose
requests go to the outbox in one insert, in the same transaction.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from claims.adapters.read_model import PAYMENT, PAYMENT_KEY, payment_row, snapshot_sql
from extranet_contracts.notifications import Channel, NotificationRequested, Recipient
from extranet_plumbing.consumer import Projection
from extranet_plumbing.outbox import OutboxEntry, add_all_to_outbox

if TYPE_CHECKING:
    from collections.abc import Callable

    import asyncpg

    from extranet_plumbing.settings import ServiceSettings

FRESH_DAYS = 7
TEMPLATE = "document_available"
log = structlog.get_logger(__name__)

# The payments kept as snapshots (`read_model.snapshot_sql`); then, among the staged ones paid on or after $1,
# the first statement of each reference (in the order received) whose household is paperless, as the legacy
# system last said, and whose primary insured (the first ASSURE of its beneficiaries) has an email; recorded
# as announced unless it already was; the ones recorded now are returned, with their recipient.
ANNOUNCE = """
    targets AS (
        SELECT DISTINCT ON (s.tenant, s.reference) s.seq, s.tenant, s.reference, s.member_number, s.paid_on, s.changed_at,
               insured.value ->> 'email' AS email, insured.value ->> 'first_name' AS first_name, insured.value ->> 'last_name' AS last_name
        FROM {rows} s
        JOIN communication_preferences p ON p.tenant = s.tenant AND p.member_number = s.member_number AND p.paperless
        JOIN household_beneficiaries b ON b.tenant = s.tenant AND b.member_number = s.member_number
        CROSS JOIN LATERAL (
            SELECT e.value FROM jsonb_array_elements(b.beneficiaries) WITH ORDINALITY AS e(value, n)
            WHERE e.value ->> 'role' = 'ASSURE' ORDER BY e.n LIMIT 1
        ) AS insured
        WHERE s.paid_on >= $1 AND coalesce(insured.value ->> 'email', '') <> ''
        ORDER BY s.tenant, s.reference, s.seq
    ),
    announced AS (
        INSERT INTO documents_announced (tenant, reference, announced_at)
        SELECT tenant, reference, changed_at FROM targets
        ON CONFLICT DO NOTHING RETURNING tenant, reference
    )
    SELECT t.tenant, t.reference, t.member_number, t.paid_on, t.email, t.first_name, t.last_name
    FROM targets t JOIN announced a USING (tenant, reference) ORDER BY t.seq"""


def paid_and_announced(clock: Callable[[], datetime], settings: ServiceSettings | None = None) -> Projection:
    """A chunk's payments kept and their new statements announced: one COPY, one statement, one outbox insert.
    `settings` name the outbox's topic and the events' source (the bench asks for the topics only)."""
    kept = snapshot_sql("payments", PAYMENT_KEY, PAYMENT)

    def oldest() -> tuple[date]:
        return (clock().date() - timedelta(days=FRESH_DAYS),)

    async def announce(conn: asyncpg.Connection, announced: list[asyncpg.Record]) -> None:
        if not announced:
            return
        topic = settings.topic(NotificationRequested.STREAM)
        await add_all_to_outbox(conn, [OutboxEntry(_request(row), row["tenant"], settings.event_source, topic) for row in announced])
        log.info("statements announced", template=TEMPLATE, count=len(announced))

    return Projection("reimbursement_paid", PAYMENT, payment_row, f"WITH kept AS ({kept}), {ANNOUNCE}", arguments=oldest, then=announce)


def _request(row: Any) -> NotificationRequested:
    return NotificationRequested(
        recipient=Recipient(
            reference=f"member:{row['member_number']}", email=row["email"], display_name=f"{row['first_name']} {row['last_name']}"
        ),
        channels=[Channel.EMAIL],
        template=TEMPLATE,
        data={"document_title": f"Relevé de prestations n° {row['reference']}", "document_date": row["paid_on"].isoformat()},
    )
