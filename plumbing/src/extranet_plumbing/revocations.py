"""Revoked sessions, as every token-checking service knows them: an in-memory list of the sessions
(and accounts) whose access tokens are refused before they expire, fed by a follower of identity's
`identity.sessions` stream.

The follower reads the whole stream from the beginning at start, without a consumer group: every
replica needs every revocation, and the topic keeps only what can still matter (a retention longer
than an access token's lifetime). The service is ready once the follower has read up to the end
the topic had when it started; until then a revoked token could pass. An entry is forgotten once
the tokens it names have expired (`until`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import Counter, Gauge
from pydantic import ValidationError

from extranet_contracts import Envelope, EnvelopeError
from extranet_contracts.sessions import IDENTITY_SESSIONS, SessionsRevoked
from extranet_plumbing.auth import Principal
from extranet_plumbing.kafka import client_kwargs, partitions_of
from extranet_plumbing.logging import get_logger
from extranet_plumbing.settings import ServiceSettings

log = get_logger(__name__)

REVOCATIONS_READ = Counter("extranet_session_revocations_total", "Session revocations read from identity.sessions")
REVOCATIONS_KEPT = Gauge("extranet_session_revocations_kept", "Revoked sessions and accounts still remembered")


class RevocationList:
    """The sessions whose access tokens are refused, each until its tokens have expired anyway."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._sessions: dict[str, float] = {}  # session id -> until (epoch seconds)
        self._accounts: dict[str, tuple[float, float]] = {}  # account id -> (tokens issued at or before, until)
        self._next_purge = 0.0

    def __len__(self) -> int:
        return len(self._sessions) + len(self._accounts)

    def add(self, event: SessionsRevoked) -> None:
        until = event.until.timestamp()
        if until <= self._clock():
            return  # its tokens have expired already
        for session_id in event.session_ids:
            key = str(session_id)
            self._sessions[key] = max(until, self._sessions.get(key, 0.0))
        if event.issued_before is not None:
            account = str(event.account_id)
            before, kept_until = self._accounts.get(account, (0.0, 0.0))
            self._accounts[account] = (max(before, event.issued_before.timestamp()), max(until, kept_until))
        self.purge()

    def is_revoked(self, principal: Principal) -> bool:
        now = self._clock()
        if principal.session_id is not None and self._sessions.get(principal.session_id, 0.0) > now:
            return True
        account = self._accounts.get(principal.subject)
        if account is not None and account[1] > now:
            before, _ = account
            return principal.issued_at is None or principal.issued_at <= before
        return False

    def purge(self, *, force: bool = False) -> None:
        """Forget every entry whose tokens have expired (at most once a minute unless forced)."""
        now = self._clock()
        if now < self._next_purge and not force:
            return
        self._next_purge = now + 60
        self._sessions = {k: until for k, until in self._sessions.items() if until > now}
        self._accounts = {k: entry for k, entry in self._accounts.items() if entry[1] > now}
        REVOCATIONS_KEPT.set(len(self))


class RevocationFollower:
    """Reads `identity.sessions` (with the settings' prefix) from the beginning into a `RevocationList`,
    then follows it; `caught_up` once it has read what the topic held at start. Reconnects with
    backoff after any failure (reading everything again: adding a revocation twice changes nothing)."""

    def __init__(self, settings: ServiceSettings, revocations: RevocationList, *, stream: str = IDENTITY_SESSIONS) -> None:
        self.settings = settings
        self.revocations = revocations
        self.topic = settings.topic(stream)
        self.caught_up = asyncio.Event()

    async def ready(self) -> bool:
        return self.caught_up.is_set()

    async def run(self) -> None:
        delay = 0.5
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Kafka unreachable, topic missing, refused: try again
                log.warning("session revocations: cannot follow the stream", topic=self.topic, error_class=type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            else:  # pragma: no cover - _follow returns only when cancelled
                return

    async def _follow(self) -> None:
        consumer = AIOKafkaConsumer(
            **client_kwargs(self.settings),
            client_id=f"{self.settings.service_name}-revocations",
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=200,
        )
        await consumer.start()
        try:
            partitions = await partitions_of(self.settings, self.topic)
            if not partitions:
                raise LookupError("topic not found")
            assigned = [TopicPartition(self.topic, p) for p in sorted(partitions)]
            consumer.assign(assigned)
            await consumer.seek_to_beginning(*assigned)
            ends = await consumer.end_offsets(assigned)
            while True:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        self._apply(record)
                if not self.caught_up.is_set() and all([await consumer.position(tp) >= ends[tp] for tp in assigned]):
                    self.caught_up.set()
                    log.info("session revocations caught up", topic=self.topic, kept=len(self.revocations))
                self.revocations.purge()
        finally:
            await consumer.stop()

    def _apply(self, record) -> None:
        try:
            envelope = Envelope.from_headers(record.headers or [])
            if envelope.type != SessionsRevoked.TYPE:
                return
            event = SessionsRevoked.model_validate_json(record.value)
        except (EnvelopeError, ValidationError, ValueError):
            # Nothing to dead-letter to (no write access): noted, skipped. Never the values.
            log.error("session revocations: unreadable record skipped", topic=self.topic, partition=record.partition, offset=record.offset)
            return
        self.revocations.add(event)
        REVOCATIONS_READ.inc()
