"""The "new document online" email: each new statement of a paperless member is announced once, by
email, through the notifications service (a NotificationRequested in the outbox, in the consumer's
transaction).

Announced only: a member who chose paperless (as the legacy system last said; a statement paid before the
day the option took effect went by post) with an email on file, a statement paid within `FRESH_DAYS` of its
arrival (a replayed history announces nothing), and once per statement (a redelivery or a correction of it
finds it already announced).

The legacy system publishes payments and households' files on separate topics, so a statement may arrive
before the household's preferences or beneficiaries (a new member, a replay), and a payment and its
household's file may be applied at once (two lanes of a chunk, two replicas), each transaction blind to the
other's uncommitted rows. So the payment's statement announces what the household's file, as recorded,
allows, and a sweep (`announcement_sweeper`, every `announcement_sweep_seconds`: 30 s) looks at the
households whose file was written since shortly before the previous sweep (`recorded_at`, migration 004)
and announces their recent statements not announced yet.

Done by the read model's consumer group, in the statement that keeps the payment (`paid_and_announced`):
the payment is validated once, and its inbox row written once. One statement a chunk of payments keeps
their snapshots, picks the recent ones of paperless members with an email, records them in
`documents_announced` (ON CONFLICT DO NOTHING: never twice) and returns the ones recorded now, whose
requests go to the outbox in one insert, in the same transaction.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from claims.adapters.read_model import PAYMENT, PAYMENT_KEY, payment_row, snapshot_sql
from extranet_contracts.notifications import Channel, NotificationRequested, Recipient
from extranet_plumbing.consumer import Projection
from extranet_plumbing.logging import failure
from extranet_plumbing.outbox import OutboxEntry, add_all_to_outbox

if TYPE_CHECKING:
    from collections.abc import Callable

    import asyncpg

    from claims.settings import ClaimsSettings
    from extranet_plumbing.settings import ServiceSettings

FRESH_DAYS = 7
TEMPLATE = "document_available"
# A sweep looks at the households written since this long before the previous one began (a transaction that was
# going on then has committed since): far longer than a chunk's transaction; the first looks back as long.
SWEEP_OVERLAP = timedelta(minutes=2)
log = structlog.get_logger(__name__)

# Who is told: the first ASSURE of the household's beneficiaries `b`, if paperless `p` (as the legacy system last
# said) covers the statement `s` (paid on or after $1, and on or after the day the option took effect).
_RECIPIENT = """
        CROSS JOIN LATERAL (
            SELECT e.value FROM jsonb_array_elements(b.beneficiaries) WITH ORDINALITY AS e(value, n)
            WHERE e.value ->> 'role' = 'ASSURE' ORDER BY e.n LIMIT 1
        ) AS insured
        WHERE s.paid_on >= $1 AND p.paperless AND (p.paperless_since IS NULL OR p.paperless_since <= s.paid_on)
          AND coalesce(insured.value ->> 'email', '') <> ''"""
_RECIPIENT_COLUMNS = (
    "insured.value ->> 'email' AS email, insured.value ->> 'first_name' AS first_name, insured.value ->> 'last_name' AS last_name"
)
# The targets recorded as announced unless they already were; the ones recorded now are returned, with their recipient.
_RECORDED = """,
    announced AS (
        INSERT INTO documents_announced (tenant, reference, announced_at)
        SELECT tenant, reference, changed_at FROM targets
        ON CONFLICT DO NOTHING RETURNING tenant, reference
    )
    SELECT t.tenant, t.reference, t.member_number, t.paid_on, t.email, t.first_name, t.last_name
    FROM targets t JOIN announced a USING (tenant, reference) ORDER BY t.order_key"""

# The payments kept as snapshots (`read_model.snapshot_sql`); then, among the staged ones, the first statement
# of each reference (in the order received) whose household, as recorded, is told.
ANNOUNCE = f"""
    targets AS (
        SELECT DISTINCT ON (s.tenant, s.reference) s.seq AS order_key, s.tenant, s.reference, s.member_number, s.paid_on, s.changed_at,
               {_RECIPIENT_COLUMNS}
        FROM {{rows}} s
        JOIN communication_preferences p ON p.tenant = s.tenant AND p.member_number = s.member_number
        JOIN household_beneficiaries b ON b.tenant = s.tenant AND b.member_number = s.member_number{_RECIPIENT}
        ORDER BY s.tenant, s.reference, s.seq
    ){_RECORDED}"""

# The households whose preferences or beneficiaries were written on or after $2; their recent statements not
# announced yet that they tell of.
_SWEEP = f"""
    WITH households AS (
        SELECT tenant, member_number FROM communication_preferences WHERE recorded_at >= $2
        UNION SELECT tenant, member_number FROM household_beneficiaries WHERE recorded_at >= $2
    ),
    targets AS (
        SELECT s.paid_on AS order_key, s.tenant, s.reference, s.member_number, s.paid_on, s.changed_at, {_RECIPIENT_COLUMNS}
        FROM households h
        JOIN communication_preferences p ON p.tenant = h.tenant AND p.member_number = h.member_number
        JOIN household_beneficiaries b ON b.tenant = h.tenant AND b.member_number = h.member_number
        JOIN payments s ON s.tenant = h.tenant AND s.member_number = h.member_number AND s.paid_on >= $1
            AND NOT EXISTS (SELECT 1 FROM documents_announced d WHERE d.tenant = s.tenant AND d.reference = s.reference){_RECIPIENT}
    ){_RECORDED}"""


async def sweep_announcements(pool: asyncpg.Pool, clock: Callable[[], datetime], settings: ServiceSettings, since: datetime) -> int:
    """Announce the recent statements of the households written on or after `since` that are not yet (see the module);
    the number announced."""
    async with pool.acquire() as conn, conn.transaction():
        announced = await conn.fetch(_SWEEP, _oldest(clock), since)
        await _announce(settings, conn, announced)
    return len(announced)


async def announcement_sweeper(pool: asyncpg.Pool, clock: Callable[[], datetime], settings: ClaimsSettings) -> None:
    """`sweep_announcements` every `settings.announcement_sweep_seconds`, each from `SWEEP_OVERLAP` before the previous
    one began (the database's clock), until cancelled."""
    since = None
    while True:
        try:
            started = await pool.fetchval("SELECT now()")
            await sweep_announcements(pool, clock, settings, (since or started) - SWEEP_OVERLAP)
            since = started
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("announcement sweep failed", **failure(exc))
        await asyncio.sleep(settings.announcement_sweep_seconds)


def paid_and_announced(clock: Callable[[], datetime], settings: ServiceSettings | None = None) -> Projection:
    """A chunk's payments kept and their new statements announced: one COPY, one statement, one outbox insert.
    `settings` name the outbox's topic and the events' source (the bench asks for the topics only)."""
    kept = snapshot_sql("payments", PAYMENT_KEY, PAYMENT)
    statement = f"WITH kept AS ({kept}), {ANNOUNCE}"
    return Projection(
        "reimbursement_paid",
        PAYMENT,
        payment_row,
        statement,
        arguments=lambda: (_oldest(clock),),
        then=functools.partial(_announce, settings),
    )


def _oldest(clock: Callable[[], datetime]) -> date:
    """The first payment day a statement is new from."""
    return clock().date() - timedelta(days=FRESH_DAYS)


async def _announce(settings: ServiceSettings, conn: asyncpg.Connection, announced: list[asyncpg.Record]) -> None:
    """The requests of the statements recorded as announced, in the outbox (`conn`'s transaction)."""
    if not announced:
        return
    topic = settings.topic(NotificationRequested.STREAM)
    await add_all_to_outbox(conn, [OutboxEntry(_request(row), row["tenant"], settings.event_source, topic) for row in announced])
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
