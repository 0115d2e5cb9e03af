"""Sending: claim due deliveries, send them with a bounded number in flight per channel, and settle
each attempt with its outcome event, so that every request ends as one message sent (or one
`NotificationFailed`), whatever fails and whenever the process dies.

An attempt, for each delivery:
1. claim: the row goes `pending` → `sending` with its attempt count and time, committed *before*
   anything is sent (`FOR UPDATE SKIP LOCKED`: several senders share the work);
2. send: email over a reused SMTP connection, SMS through the provider's API; for an email, the
   moment its content is handed to the relay is recorded first (`handed_over_at`, committed);
3. settle, in one transaction with the outcome event (outbox): `delivered`; `failed` (permanent
   failure, or the last attempt); or back to `pending` at `now() + backoff with jitter` — the
   schedule is in the table, so retries survive a restart.
Claims, hand-over marks and settlements of concurrent messages share their commits (group commit).

Interrupted attempts (the process died between 1 and 3) are reconciled by the next sender that
sees them (each sender holds a PostgreSQL advisory lock for as long as it lives, so a free lock
means a dead sender):
- SMS: the provider is asked whether it has the message (same number, same text, since the
  request, a sid no other delivery claims); delivered if so, otherwise sent again.
- email, content never handed over: nothing reached the relay; sent again.
- email, content handed over: SMTP cannot be asked whether the relay took it. Rule: **counted as
  delivered (at most once)** — a doubled activation code or link is worse than a rare lost one,
  which the person can ask again ("générer un nouveau code"). The same rule settles a connection
  lost while waiting for the relay's answer to the content. The row keeps a note saying so.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

import asyncpg
from opentelemetry import trace
from prometheus_client import Counter, Gauge, Histogram

from extranet_contracts.notifications import Channel, NotificationDelivered, NotificationFailed
from extranet_plumbing.errors import INFRASTRUCTURE_ERRORS
from extranet_plumbing.kafka import ensure_topics
from extranet_plumbing.logging import failure, get_logger
from extranet_plumbing.outbox import OutboxEntry, add_all_to_outbox
from extranet_plumbing.retry import RetryPolicy
from extranet_plumbing.tracing import context_from_headers
from notifications.adapters import store
from notifications.adapters.mime import build_email
from notifications.adapters.sms import TwilioSms
from notifications.adapters.smtp import OutgoingEmail, SmtpRelay
from notifications.adapters.store import Attempt, Ended
from notifications.adapters.templates import TemplateProblem, Templates
from notifications.domain.failures import DeliveryFailure, GiveUp, TemporaryFailure, UncertainDelivery, after_failure
from notifications.service_layer.intake import SOURCE, outcome_envelope
from notifications.settings import NotificationsSettings

log = get_logger(__name__)
_tracer = trace.get_tracer(__name__)

OUTCOMES = Counter("extranet_notifications_total", "Notification attempts by outcome", ["channel", "outcome"])
SEND_SECONDS = Histogram("extranet_notification_send_seconds", "Time to hand a message to the relay or the SMS API", ["channel"])
IN_FLIGHT = Gauge("extranet_notifications_in_flight", "Messages being sent", ["channel"])

LOCK_NAMESPACE = 0x6E6F7469  # "noti": advisory locks of live sender processes
HANDED_OVER_NOTE = "interrupted after the content was handed to the SMTP relay: counted as delivered (at most once)"
FOUND_AT_PROVIDER_NOTE = "interrupted attempt found at the SMS provider"


def lock_key(worker: uuid.UUID) -> int:
    return int.from_bytes(worker.bytes[:4], "big", signed=True)


def message_id(request_id: uuid.UUID, sender_email: str) -> str:
    """The email's Message-ID carries the delivery key."""
    return f"<{request_id}@{sender_email.rpartition('@')[2] or 'notifications.local'}>"


# --- outcomes of one attempt -----------------------------------------------------------------------
@dataclass(frozen=True)
class Delivered:
    attempt: Attempt
    provider_message_id: str | None
    note: str | None = None


@dataclass(frozen=True)
class Failed:
    attempt: Attempt
    reason: str
    permanent: bool


@dataclass(frozen=True)
class Retried:
    attempt: Attempt
    delay: float
    reason: str
    check_provider: bool


@dataclass(frozen=True)
class Unsent:
    """The attempt never reached the relay or the provider: back to pending, not counted."""

    attempt: Attempt


Outcome = Delivered | Failed | Retried | Unsent


class HandOverNotRecorded(Exception):
    """The hand-over mark could not be committed: the content must not go out."""


T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """Items from concurrent senders written together: each `submit` waits for the commit of the
    batch it joined; while one batch commits, the next one gathers."""

    def __init__(self, name: str, flush: Callable[[list[T]], Awaitable[Any]], *, retry_forever: bool, linger: float = 0.0) -> None:
        self._name = name
        self._linger = linger  # wait this long for more items before a commit (fewer, larger commits)
        self._flush = flush
        self._retry_forever = retry_forever
        self._items: list[tuple[T, asyncio.Future]] = []
        self._wake = asyncio.Event()

    async def submit(self, item: T) -> Any:
        future = asyncio.get_running_loop().create_future()
        self._items.append((item, future))
        self._wake.set()
        return await future

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._linger:
                await asyncio.sleep(self._linger)
            while self._items:
                batch, self._items = self._items, []
                await self._commit(batch)

    async def _commit(self, batch: list[tuple[T, asyncio.Future]]) -> None:
        delay = 0.2
        while True:
            try:
                result = await self._flush([item for item, _ in batch])
            except INFRASTRUCTURE_ERRORS as exc:
                if not self._retry_forever:
                    self._resolve(batch, exc=exc)
                    return
                log.warning("database unavailable, will retry", what=self._name, error=type(exc).__name__, retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            except Exception as exc:
                log.error("group commit failed", what=self._name, **failure(exc))
                self._resolve(batch, exc=exc)
                return
            self._resolve(batch, result=result)
            return

    @staticmethod
    def _resolve(batch: list[tuple[Any, asyncio.Future]], *, result: Any = None, exc: BaseException | None = None) -> None:
        for _, future in batch:
            if not future.done():
                future.set_exception(exc) if exc else future.set_result(result)

    async def drain(self) -> None:
        while self._items:
            await asyncio.sleep(0.01)


class HeldConnection:
    """A connection kept for one kind of statement (claims, marks, settlements): no pool round trip
    (acquire, reset) per batch. Replaced after an infrastructure error."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def use(self):
        async with self._lock:
            if self._conn is None:
                self._conn = await self._pool.acquire()
            try:
                yield self._conn
            except INFRASTRUCTURE_ERRORS:
                await self.close()
                raise

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await self._pool.release(conn, timeout=2)


class DeliveryWorker:
    """One sender process's loops: a claim loop per channel, the reconciler, the group commits."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: NotificationsSettings,
        *,
        templates: Templates,
        relay: SmtpRelay,
        sms: TwilioSms,
        outcomes_topic: str,
    ) -> None:
        self.worker_id = uuid.uuid4()
        self._pool = pool
        self._settings = settings
        self._templates = templates
        self._relay = relay
        self._sms = sms
        self._outcomes_topic = outcomes_topic
        self._retry = RetryPolicy(attempts=settings.max_attempts, base_delay=settings.retry_base_delay, max_delay=settings.retry_max_delay)
        self._limits = {Channel.EMAIL: settings.email_concurrency, Channel.SMS: settings.sms_concurrency}
        self._in_flight: dict[Channel, set[asyncio.Task]] = {channel: set() for channel in Channel}
        self._wake: dict[Channel, asyncio.Event] = {channel: asyncio.Event() for channel in Channel}
        self._claims, self._marks, self._settlements = HeldConnection(pool), HeldConnection(pool), HeldConnection(pool)
        self._handover: GroupCommit[uuid.UUID, None] = GroupCommit("hand-over marks", self._mark_handed_over, retry_forever=False)
        # Settling may wait a little (the message is sent, its connection free): larger transactions.
        self._settler: GroupCommit[Outcome, None] = GroupCommit("settlements", self._settle, retry_forever=True, linger=0.003)

    # --- lifecycle ---------------------------------------------------------------------------------
    async def run(self) -> None:
        """Send until cancelled; on cancellation, let messages in flight finish (`stop_grace`)."""
        async with self._pool.acquire() as lock_conn:
            await lock_conn.execute("SELECT pg_advisory_lock($1, $2)", LOCK_NAMESPACE, lock_key(self.worker_id))
            await lock_conn.add_listener("deliveries", self._on_notify)
            commits = [asyncio.create_task(self._handover.run()), asyncio.create_task(self._settler.run())]
            loops: list[asyncio.Task] = []
            try:
                log.info("sender started", worker=str(self.worker_id))
                try:
                    await ensure_topics(self._settings.kafka_bootstrap, [self._outcomes_topic], with_dlq=False)
                except Exception as exc:  # the relay retries; the topic may be created on first publish
                    log.warning("cannot create the outcomes topic", error_class=type(exc).__name__)
                await self._reconcile_safely()
                loops = [asyncio.create_task(self._claim_loop(channel)) for channel in Channel]
                loops.append(asyncio.create_task(self._reconcile_loop()))
                await asyncio.gather(*loops)
            finally:
                for task in loops:
                    task.cancel()
                await asyncio.gather(*loops, return_exceptions=True)
                await self._finish_in_flight()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._settler.drain(), 5)
                for task in commits:
                    task.cancel()
                await asyncio.gather(*commits, return_exceptions=True)
                for held in (self._claims, self._marks, self._settlements):
                    await held.close()
                with contextlib.suppress(Exception):
                    await self._relay.close()
                    await self._sms.close()
                with contextlib.suppress(Exception):
                    await lock_conn.remove_listener("deliveries", self._on_notify)
                log.info("sender stopped", worker=str(self.worker_id))

    async def _finish_in_flight(self) -> None:
        tasks = [task for tasks in self._in_flight.values() for task in tasks]
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=self._settings.stop_grace)
        for task in pending:  # left `sending`: the next sender reconciles them
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        for channel in Channel:
            if payload in (channel.value, ""):
                self._wake[channel].set()

    # --- claiming ----------------------------------------------------------------------------------
    async def _claim_loop(self, channel: Channel) -> None:
        limit, batch = self._limits[channel], self._settings.claim_batch
        in_flight, wake = self._in_flight[channel], self._wake[channel]
        # Claim in chunks rather than one row per freed slot, unless nearly idle.
        worth_claiming = max(1, min(batch, limit // 4))
        while True:
            wake.clear()
            free = limit - len(in_flight)
            wanted = min(free, batch)
            claimed: list[Attempt] = []
            if wanted >= worth_claiming or (wanted > 0 and len(in_flight) < worth_claiming):
                try:
                    async with self._claims.use() as conn:
                        claimed = await store.claim(conn, channel.value, wanted, self.worker_id)
                except INFRASTRUCTURE_ERRORS as exc:
                    log.warning("cannot claim deliveries", channel=channel.value, error=type(exc).__name__)
                    await asyncio.sleep(self._settings.poll_interval * 4)
                    continue
                except Exception as exc:
                    log.error("claim failed", channel=channel.value, **failure(exc))
                    await asyncio.sleep(self._settings.poll_interval * 4)
                    continue
                for attempt in claimed:
                    task = asyncio.create_task(self._deliver(attempt))
                    in_flight.add(task)
                    task.add_done_callback(self._done_callback(channel))
                IN_FLIGHT.labels(channel.value).set(len(in_flight))
                if claimed and len(claimed) == wanted:
                    continue  # there may be more due
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self._settings.poll_interval)

    def _done_callback(self, channel: Channel) -> Callable[[asyncio.Task], None]:
        def done(task: asyncio.Task) -> None:
            self._in_flight[channel].discard(task)
            IN_FLIGHT.labels(channel.value).set(len(self._in_flight[channel]))
            self._wake[channel].set()
            if not task.cancelled() and task.exception() is not None:
                log.error("delivery task failed", channel=channel.value, error_class=type(task.exception()).__name__)

        return done

    # --- one attempt -------------------------------------------------------------------------------
    async def _deliver(self, attempt: Attempt) -> None:
        context = context_from_headers([(k, v) for k, v in (("traceparent", attempt.traceparent), ("tracestate", attempt.tracestate)) if v])
        with _tracer.start_as_current_span(
            f"notification {attempt.channel} send",
            context=context,
            kind=trace.SpanKind.CLIENT,
            attributes={
                "notification.request_id": str(attempt.request_id),
                "notification.template": attempt.template,
                "notification.attempt": attempt.attempts,
            },
        ) as span:
            with SEND_SECONDS.labels(attempt.channel).time():
                outcome = await self._attempt(attempt)
            # What came of it, as the operator reads a trace: a failed or retried attempt is an error (its reason is in
            # the outcome event and the log line, not on the span).
            span.set_attribute("notification.outcome", type(outcome).__name__.lower())
            if isinstance(outcome, Failed | Retried):
                span.set_status(trace.Status(trace.StatusCode.ERROR))
        await self._settler.submit(outcome)

    async def _attempt(self, attempt: Attempt) -> Outcome:
        try:
            if attempt.channel == Channel.EMAIL.value:
                return await self._send_email(attempt)
            return await self._send_sms(attempt)
        except TemplateProblem as exc:  # templates changed since intake
            return Failed(attempt, str(exc)[:500], permanent=True)
        except DeliveryFailure as exc:
            decision = after_failure(exc, attempt.attempts, self._retry)
            if isinstance(decision, GiveUp):
                return Failed(attempt, decision.reason, decision.permanent)
            return Retried(attempt, decision.delay, decision.reason, decision.check_provider)
        except HandOverNotRecorded:
            return Unsent(attempt)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug or a surprise of a library: retried like a temporary failure
            log.error("unexpected error while sending", request_id=str(attempt.request_id), **failure(exc))
            decision = after_failure(TemporaryFailure(f"unexpected {type(exc).__name__}"), attempt.attempts, self._retry)
            if isinstance(decision, GiveUp):
                return Failed(attempt, decision.reason, decision.permanent)
            return Retried(attempt, decision.delay, decision.reason, False)

    def _email(self, attempt: Attempt) -> OutgoingEmail:
        tenant = self._templates.tenant(attempt.tenant)
        rendered = self._templates.email(attempt.template, attempt.tenant, attempt.data, attempt.recipient)
        ident = message_id(attempt.request_id, tenant.sender_email)
        content = build_email(
            sender=(tenant.sender_name, tenant.sender_email),
            recipient=(attempt.display_name, attempt.address),
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            message_id=ident,
            language=attempt.locale,
        )
        return OutgoingEmail(envelope_from=tenant.sender_email, envelope_to=attempt.address, content=content, message_id=ident)

    async def _send_email(self, attempt: Attempt) -> Outcome:
        email = self._email(attempt)

        async def before_handover() -> None:
            try:
                await self._handover.submit(attempt.request_id)
            except Exception as exc:
                raise HandOverNotRecorded(type(exc).__name__) from None

        try:
            await self._relay.send(email, before_handover)
        except UncertainDelivery as exc:
            log.warning("email outcome uncertain, counted as delivered", request_id=str(attempt.request_id), reason=exc.reason)
            return Delivered(attempt, email.message_id, f"uncertain ({exc.reason}): counted as delivered (at most once)")
        return Delivered(attempt, email.message_id)

    def _sms_text(self, attempt: Attempt) -> tuple[str, str]:
        tenant = self._templates.tenant(attempt.tenant)
        body = self._templates.sms(attempt.template, attempt.tenant, attempt.data, attempt.recipient)
        return body, tenant.sms_sender or self._settings.sms_from

    async def _send_sms(self, attempt: Attempt) -> Outcome:
        body, sender = self._sms_text(attempt)
        if attempt.check_provider:  # the previous attempt may have reached the provider
            sid = await self._already_sent(attempt, body)
            if sid:
                return Delivered(attempt, sid, FOUND_AT_PROVIDER_NOTE)
        sid = await self._sms.send(attempt.address, body, sender)
        return Delivered(attempt, sid)

    async def _already_sent(self, attempt: Attempt, body: str) -> str | None:
        sids = await self._sms.find_sent(attempt.address, body, since=attempt.requested_at - timedelta(minutes=2))
        if not sids:
            return None
        async with self._pool.acquire() as conn:
            taken = await store.sids_in_use(conn, sids)
        return next((sid for sid in sids if sid not in taken), None)

    # --- group commits -----------------------------------------------------------------------------
    async def _mark_handed_over(self, request_ids: list[uuid.UUID]) -> None:
        async with self._marks.use() as conn:
            await store.mark_handed_over(conn, request_ids)

    async def _settle(self, outcomes: list[Outcome], owner: uuid.UUID | None = None) -> None:
        owner = owner or self.worker_id
        async with self._settlements.use() as conn, conn.transaction():
            ended = await store.settle(
                conn,
                owner,
                delivered=[(o.attempt.request_id, o.provider_message_id, o.note) for o in outcomes if isinstance(o, Delivered)],
                failed=[(o.attempt.request_id, o.reason, o.permanent) for o in outcomes if isinstance(o, Failed)],
                retried=[(o.attempt.request_id, o.delay, o.reason, o.check_provider) for o in outcomes if isinstance(o, Retried)],
                unsent=[o.attempt.request_id for o in outcomes if isinstance(o, Unsent)],
            )
            entries = []
            for end in ended:
                event = self._outcome_event(end)
                entries.append(
                    OutboxEntry(
                        event,
                        end.tenant,
                        SOURCE,
                        self._outcomes_topic,
                        envelope=outcome_envelope(event, end.tenant, end.traceparent, end.tracestate),
                    )
                )
            await add_all_to_outbox(conn, entries)
        self._count(outcomes)

    @staticmethod
    def _outcome_event(end: Ended) -> NotificationDelivered | NotificationFailed:
        if end.delivered:
            return NotificationDelivered(
                request_id=str(end.request_id),
                channel=Channel(end.channel),
                template=end.template,
                attempts=max(end.attempts, 1),
                provider_message_id=end.provider_message_id,
            )
        return NotificationFailed(
            request_id=str(end.request_id),
            channel=Channel(end.channel),
            template=end.template,
            attempts=end.attempts,
            permanent=end.permanent,
            reason=(end.reason or "failed")[:500],
        )

    @staticmethod
    def _count(outcomes: list[Outcome]) -> None:
        for o in outcomes:
            channel = o.attempt.channel
            if isinstance(o, Delivered):
                OUTCOMES.labels(channel, "uncertain" if o.note and o.note.startswith("uncertain") else "delivered").inc()
                log.info(
                    "notification delivered",
                    request_id=str(o.attempt.request_id),
                    channel=channel,
                    template=o.attempt.template,
                    attempts=o.attempt.attempts,
                    note=o.note,
                )
            elif isinstance(o, Failed):
                OUTCOMES.labels(channel, "failed_permanent" if o.permanent else "failed_after_retries").inc()
                log.warning(
                    "notification failed",
                    request_id=str(o.attempt.request_id),
                    channel=channel,
                    template=o.attempt.template,
                    attempts=o.attempt.attempts,
                    permanent=o.permanent,
                    reason=o.reason,
                )
            elif isinstance(o, Retried):
                OUTCOMES.labels(channel, "retried").inc()
                log.info(
                    "notification will be retried",
                    request_id=str(o.attempt.request_id),
                    channel=channel,
                    attempt=o.attempt.attempts,
                    retry_in=round(o.delay, 2),
                    reason=o.reason,
                )

    # --- reconciling interrupted attempts ------------------------------------------------------------
    async def _reconcile_loop(self) -> None:
        while True:
            await asyncio.sleep(self._settings.reconcile_interval)
            await self._reconcile_safely()

    async def _reconcile_safely(self) -> None:
        try:
            await self.reconcile()
        except Exception as exc:
            log.warning("reconciliation pass failed, will try again", error_class=type(exc).__name__)

    async def reconcile(self) -> int:
        """Settle the attempts of dead senders; return how many."""
        settled = 0
        async with self._pool.acquire() as conn:
            for owner in await store.other_owners(conn, self.worker_id):
                key = lock_key(owner)
                if not await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", LOCK_NAMESPACE, key):
                    continue  # alive: its attempts are its own business
                try:
                    attempts = await store.in_progress(conn, owner)
                    outcomes = [o for o in await asyncio.gather(*[self._interrupted(a) for a in attempts]) if o is not None]
                    if outcomes:
                        await self._settle(outcomes, owner)
                    settled += len(outcomes)
                    log.info(
                        "interrupted attempts reconciled",
                        dead_worker=str(owner),
                        count=len(outcomes),
                        delivered=sum(isinstance(o, Delivered) for o in outcomes),
                        resent=sum(isinstance(o, Unsent) for o in outcomes),
                    )
                finally:
                    await conn.execute("SELECT pg_advisory_unlock($1, $2)", LOCK_NAMESPACE, key)
        if settled:
            for event in self._wake.values():
                event.set()
        return settled

    async def _interrupted(self, attempt: Attempt) -> Outcome | None:
        if attempt.channel == Channel.EMAIL.value:
            if attempt.handed_over_at is None:
                return Unsent(attempt)
            tenant = self._templates.tenants.get(attempt.tenant)
            ident = message_id(attempt.request_id, tenant.sender_email if tenant else "")
            return Delivered(attempt, ident, HANDED_OVER_NOTE)
        try:
            body, _sender = self._sms_text(attempt)
        except TemplateProblem:
            return Unsent(attempt)  # the next attempt fails it for good
        try:
            sid = await self._already_sent(attempt, body)
        except TemporaryFailure:
            return None  # the provider cannot say now: next pass
        return Delivered(attempt, sid, FOUND_AT_PROVIDER_NOTE) if sid else Unsent(attempt)
