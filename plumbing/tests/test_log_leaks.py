"""No exception's message reaches a log line (issue 14's audit): background loops that meet an error whose message
quotes personal data log its class and where it was raised, and a traceback without messages. The errors are real,
on a real PostgreSQL and Kafka: asyncpg's DataError quotes the value of the argument it could not encode; an OSError
(an infrastructure error: the consumer pauses, the relay tries again) names the file it could not open, whose name
may hold a member number or a NIR."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import asyncpg
import httpx
import pytest

from extranet_contracts.legacy import BrokerPortfolioCompanyAssigned
from extranet_plumbing.db import migrate
from extranet_plumbing.kafka import ensure_topics
from extranet_plumbing.logging import WITHHELD, failure, get_logger
from extranet_plumbing.outbox import OutboxRelay, add_to_outbox
from extranet_plumbing.testing import consuming, logging_configured, publish_event, wait_until

NIR, IBAN, EMAIL, MEMBER_NUMBER = "185057800608491", "FR7630006000011234567890189", "lea.durand@orange.fr", "73000077"
# What a row or an argument holds; its values, written as a user might (a NIR with dashes escapes the redaction's
# patterns, a member number has none): only withholding the message keeps them out.
SECRET = f"{MEMBER_NUMBER} 1-85-05-78-006-084-91 {NIR} {IBAN} {EMAIL}"
VALUES = (MEMBER_NUMBER, "1-85-05-78-006-084-91", NIR, IBAN, EMAIL, "query argument")
EVENT = BrokerPortfolioCompanyAssigned(broker_code="M30001", company_code="11112222", assigned_on="2026-11-02")


async def data_error(conn: asyncpg.Connection) -> None:
    """asyncpg's DataError: "invalid input for query argument $1: '<the value>' (... an integer)"."""
    await conn.execute("SELECT $1::int", SECRET)


def os_error(directory) -> None:
    """FileNotFoundError: "[Errno 2] No such file or directory: '<the path>'"."""
    (directory / f"{SECRET}.pdf").read_bytes()


def lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def assert_no_values(out: str) -> None:
    for value in VALUES:
        assert value not in out, value


@pytest.fixture
async def topic(infra, db_pool, db_schema, topic_prefix) -> str:
    await migrate(db_pool, db_schema)
    name = f"{topic_prefix}legacy.brokers"
    await ensure_topics(infra.kafka_bootstrap, [name])
    return name


async def test_the_consumer_pausing_on_a_data_error_logs_its_class_not_the_values_it_quotes(
    infra, db_pool, topic_prefix, topic, kafka_producer, capsys, tmp_path
):
    calls = 0

    async def handler(event, envelope, uow) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:  # the batch fails: its events are applied one by one
            await data_error(uow.connection)
        if calls == 2:  # an infrastructure error: the consumer pauses, the batch comes again
            os_error(tmp_path)

    with logging_configured():
        async with consuming(
            infra.kafka_bootstrap,
            group="leaks",
            handlers={BrokerPortfolioCompanyAssigned: handler},
            pool=db_pool,
            producer=kafka_producer,
            topic_prefix=topic_prefix,
            infrastructure_backoff=0.05,
            logger=logging.getLogger("test.faststream"),
        ):
            await publish_event(kafka_producer, topic, EVENT)
            await wait_until(lambda: calls >= 3, timeout=30)  # paused, then the batch came again and was applied
    out = capsys.readouterr().out
    [paused] = [line for line in lines(out) if line["event"] == "infrastructure unavailable, batch will be redelivered"]
    assert paused["error_class"] == "FileNotFoundError" and paused["errno"] == "ENOENT" and "error_at" in paused, paused
    [retried] = [line for line in lines(out) if line["event"] == "batch failed, applying its events one by one"]
    assert retried["error"] == "DataError"
    # FastStream's own line for the batch it hands back ("<class>: <message>", with the traceback) keeps the class only.
    reported = [line for line in lines(out) if line.get("logger") == "test.faststream" and line.get("exception")]
    assert reported and all("DataError" in line["exception"] and WITHHELD in line["exception"] for line in reported), reported
    assert all(WITHHELD in line["event"] for line in reported)
    assert_no_values(out)


class FailsOnceRelay(OutboxRelay):
    """The relay whose first pass meets an OSError naming a file after a person's values (then passes as usual)."""

    directory = None

    async def publish_pending(self) -> int:
        if self.directory is not None:
            directory, self.directory = self.directory, None
            os_error(directory)
        return await super().publish_pending()


async def test_the_outbox_relay_logs_a_failed_pass_by_class_and_publishes_after(
    db_pool, db_schema, topic, kafka_producer, capsys, tmp_path
):
    async with db_pool.acquire() as conn, conn.transaction():
        envelope = await add_to_outbox(conn, EVENT, tenant="mbtp", source="urn:test", topic=topic)
    with logging_configured():
        failing = FailsOnceRelay(db_pool, kafka_producer, schema=db_schema, poll_interval=0.05)
        failing.directory = tmp_path
        relay = asyncio.create_task(failing.run())
        try:
            await wait_until(lambda: db_pool.fetchval("SELECT sent_at IS NOT NULL FROM outbox WHERE event_id = $1", envelope.id))
        finally:
            relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relay
    out = capsys.readouterr().out
    [failed] = [line for line in lines(out) if line["event"] == "outbox relay pass failed"]
    assert failed["error_class"] == "FileNotFoundError" and failed["errno"] == "ENOENT" and "error_at" in failed
    assert_no_values(out)


def test_a_logged_traceback_keeps_its_frames_and_classes_not_its_messages(capsys):
    with logging_configured():
        log = get_logger("test")
        try:
            try:
                raise KeyError(SECRET)
            except KeyError as exc:
                raise ValueError(f"member {MEMBER_NUMBER} has no IBAN {IBAN}") from exc
        except ValueError as exc:
            log.exception("sweep failed")
            log.error("sweep failed", **failure(exc))
            logging.getLogger("asyncio").error(f"Task exception was never retrieved: exception={exc!r}", exc_info=exc)
    out = capsys.readouterr().out
    traced, failed, foreign = lines(out)[-3:]
    assert traced["error_class"] == "ValueError"
    assert "builtins.KeyError (message withheld)" in traced["exception"] and "builtins.ValueError (message withheld)" in traced["exception"]
    assert "test_a_logged_traceback_keeps_its_frames_and_classes_not_its_messages" in traced["exception"]  # where it happened
    assert failed["error_class"] == "ValueError" and failed["error_at"].startswith("test_log_leaks.py:")
    assert foreign["event"] == f"Task exception was never retrieved: exception={WITHHELD}" and foreign["error_class"] == "ValueError"
    assert_no_values(out)


def test_an_os_error_is_logged_with_its_errno_name():
    assert failure(ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")) == {
        "error_class": "ConnectionRefusedError",
        "errno": "ECONNREFUSED",
    }


async def test_an_http_call_through_httpx_leaves_no_url_in_the_log(capsys):
    """httpx logs each request's URL at INFO; a portal's call to the gateway has a member number in its path."""

    async def app(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    with logging_configured():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gateway") as client:
            assert (await client.get(f"/api/broker/members/{MEMBER_NUMBER}")).status_code == 200
        get_logger("test").info("after the call")
    out = capsys.readouterr().out
    assert "after the call" in out and MEMBER_NUMBER not in out and "HTTP Request" not in out
