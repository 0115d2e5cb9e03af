"""The revocation list every token-checking service keeps: a revoked session's tokens are refused
until they expire and then forgotten; "every token of the account before T" spares later ones; and
the follower makes the service ready only once it has read the stream up to its end at start."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from extranet_contracts.sessions import IDENTITY_SESSIONS, SessionsRevoked
from extranet_plumbing.auth import Principal
from extranet_plumbing.kafka import ensure_topics
from extranet_plumbing.revocations import RevocationFollower, RevocationList
from extranet_plumbing.settings import ServiceSettings
from extranet_plumbing.testing import infra_kafka, publish_event, wait_until

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ACCOUNT = uuid.uuid4()


class Clock:
    def __init__(self) -> None:
        self.now = NOW.timestamp()

    def __call__(self) -> float:
        return self.now


def who(session: uuid.UUID | None, *, issued: datetime = NOW, account: uuid.UUID = ACCOUNT) -> Principal:
    return Principal(
        subject=str(account), kind="broker", tenant="mbtp", session_id=str(session) if session else None, issued_at=issued.timestamp()
    )


def revoked(*sessions: uuid.UUID, until: datetime = NOW + timedelta(minutes=11), before: datetime | None = None) -> SessionsRevoked:
    return SessionsRevoked(account_id=ACCOUNT, session_ids=list(sessions), issued_before=before, until=until, reason="logout")


def test_a_revoked_session_is_refused_until_its_tokens_expire_then_forgotten():
    clock, gone, other = Clock(), uuid.uuid4(), uuid.uuid4()
    revocations = RevocationList(clock)
    revocations.add(revoked(gone))
    assert revocations.is_revoked(who(gone)) and not revocations.is_revoked(who(other))
    clock.now += 10 * 60
    assert revocations.is_revoked(who(gone))
    clock.now += 2 * 60  # past `until`: every token of the session has expired anyway
    assert not revocations.is_revoked(who(gone))
    revocations.purge(force=True)
    assert len(revocations) == 0


def test_an_expired_revocation_is_not_even_kept():
    revocations = RevocationList(Clock())
    revocations.add(revoked(uuid.uuid4(), until=NOW - timedelta(seconds=1)))
    assert len(revocations) == 0


def test_every_token_issued_before_an_instant_is_refused_and_later_ones_pass():
    revocations = RevocationList(Clock())
    revocations.add(revoked(before=NOW))
    assert revocations.is_revoked(who(uuid.uuid4(), issued=NOW - timedelta(minutes=3)))
    assert revocations.is_revoked(who(uuid.uuid4(), issued=NOW))
    assert not revocations.is_revoked(who(uuid.uuid4(), issued=NOW + timedelta(seconds=1)))
    assert not revocations.is_revoked(who(uuid.uuid4(), issued=NOW - timedelta(minutes=3), account=uuid.uuid4()))


def test_a_revocation_names_something():
    with pytest.raises(ValueError):
        revoked()


@pytest.fixture
def settings(infra, topic_prefix) -> ServiceSettings:
    return ServiceSettings(**infra_kafka(infra), topic_prefix=topic_prefix, service_name="test")


async def test_the_follower_is_ready_only_once_it_has_read_what_the_stream_held(settings, kafka_settings, kafka_producer):
    topic = settings.topic(IDENTITY_SESSIONS)
    await ensure_topics(kafka_settings, [topic], with_dlq=False)
    sessions = [uuid.uuid4() for _ in range(30)]
    for session in sessions:
        await publish_event(kafka_producer, topic, revoked(session, until=datetime.now(UTC) + timedelta(minutes=11)))
    revocations = RevocationList()
    follower = RevocationFollower(settings, revocations)
    assert not await follower.ready()
    task = asyncio.create_task(follower.run())
    try:
        await wait_until(follower.ready, timeout=20)
        # Ready means caught up: everything published before the start is known.
        assert all(revocations.is_revoked(who(s, issued=datetime.now(UTC))) for s in sessions)
        later = uuid.uuid4()
        await publish_event(kafka_producer, topic, revoked(later, until=datetime.now(UTC) + timedelta(minutes=11)))
        await wait_until(lambda: revocations.is_revoked(who(later, issued=datetime.now(UTC))), timeout=5)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_the_follower_is_not_ready_while_the_stream_cannot_be_read(infra, unique):
    settings = ServiceSettings(**{**infra_kafka(infra), "kafka_password": SecretStr("wrong")}, topic_prefix=f"t{unique}.")
    follower = RevocationFollower(settings, RevocationList())
    task = asyncio.create_task(follower.run())
    try:
        await asyncio.sleep(2)
        assert not await follower.ready()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
