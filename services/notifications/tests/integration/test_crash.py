"""The service killed in the middle of a batch and started again: no message lost, none doubled.

The service runs as its own process (`notifications-service`), and is killed with SIGKILL while
it has messages at every stage: settled, handed to the SMTP server whose reply is held back,
claimed and waiting for an SMTP connection, kept by the SMS provider whose answer is held back,
and still pending. Then the same command starts again on the same database.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import asyncpg
import pytest

from extranet_plumbing.testing import wait_until
from notifications.service_layer.sender import FOUND_AT_PROVIDER_NOTE, HANDED_OVER_NOTE

EMAILS, SMS = 60, 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def service_process(service_env, mailbox, smsbox, tmp_path):
    """Start `notifications-service` as a child process (call again to restart); killed after the test."""
    procs: list[subprocess.Popen] = []
    command = Path(sys.executable).with_name("notifications-service")
    env = {
        **os.environ,
        "EXTRANET_KAFKA_BOOTSTRAP": service_env["kafka_bootstrap"],
        "EXTRANET_DATABASE_URL": service_env["database_url"].get_secret_value(),
        "EXTRANET_TOPIC_PREFIX": service_env["topic_prefix"],
        "EXTRANET_DB_SCHEMA": service_env["db_schema"],
        "EXTRANET_HTTP_PORT": str(_free_port()),
        "EXTRANET_LOG_FORMAT": "json",
        "EXTRANET_SMTP_HOST": mailbox.host,
        "EXTRANET_SMTP_PORT": str(mailbox.smtp_port),
        "EXTRANET_SMTP_CONNECTIONS": "4",
        "EXTRANET_EMAIL_CONCURRENCY": "24",
        "EXTRANET_SMS_CONCURRENCY": "16",
        "EXTRANET_SMS_API_BASE_URL": smsbox.base_url,
        "EXTRANET_TWILIO_ACCOUNT_SID": smsbox.account_sid,
        "EXTRANET_TWILIO_AUTH_TOKEN": smsbox.auth_token,
        "EXTRANET_RETRY_BASE_DELAY": "0.2",
        "EXTRANET_RETRY_MAX_DELAY": "0.5",
        "EXTRANET_POLL_INTERVAL": "0.1",
        "EXTRANET_RECONCILE_INTERVAL": "1",
        "EXTRANET_SMTP_TIMEOUT": "30",
    }
    log = tmp_path / "notifications-service.log"

    def start() -> subprocess.Popen:
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                [str(command)], env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        procs.append(proc)
        return proc

    start.log = log
    yield start
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


async def _snapshot(conn) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT channel, status, handed_over_at IS NOT NULL AS handed_over, count(*) AS n FROM deliveries"
        " GROUP BY channel, status, handed_over"
    )
    result: Counter = Counter()
    for r in rows:
        result[f"{r['channel']}:{r['status']}" + (":handed_over" if r["handed_over"] and r["status"] == "sending" else "")] += r["n"]
    return dict(result)


async def test_killed_in_the_middle_of_a_batch_and_restarted_no_message_lost_none_doubled(
    service_process, kit, service_env, mailbox, smsbox
):
    mailbox.hold(after=12)  # the 13th message on: kept, but the server's reply never comes
    smsbox.hold(after=6)
    codes = {f"{100000 + i}" for i in range(EMAILS + SMS)}
    email_codes, sms_codes = sorted(codes)[:EMAILS], sorted(codes)[EMAILS:]
    sent = []
    for i, code in enumerate(email_codes):
        sent.append(
            await kit.request(kit.notification("member_activation_code", email=f"adherent{i}@example.fr", code=code, expires_in_minutes=5))
        )
    for i, code in enumerate(sms_codes):
        sent.append(
            await kit.request(
                kit.notification(
                    "member_activation_code", email=None, phone=f"06 12 34 {i:02d} 99", channels=("sms",), code=code, expires_in_minutes=5
                )
            )
        )

    proc = service_process()
    conn = await asyncpg.connect(service_env["database_url"].get_secret_value(), server_settings={"search_path": service_env["db_schema"]})
    try:
        # Every SMTP connection stuck on a held reply, more emails claimed behind them, SMS held too.
        await wait_until(lambda: mailbox.held == 4 and smsbox.held >= 4, timeout=60)

        async def settled_down() -> dict | None:  # every attempt in progress is one the servers hold
            snapshot = await _snapshot(conn)
            held = snapshot.get("sms:sending") == smsbox.held and snapshot.get("email:sending:handed_over") == mailbox.held
            return snapshot if held and snapshot.get("email:delivered", 0) >= 12 else None

        await wait_until(settled_down, timeout=20)
        await asyncio.sleep(0.2)
        at_kill = await _snapshot(conn)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert at_kill.get("email:sending:handed_over") == 4, at_kill  # uncertain: the server has them
        assert at_kill.get("email:sending", 0) > 0, at_kill  # claimed, never handed over
        assert at_kill.get("email:delivered", 0) >= 12 and at_kill.get("sms:sending", 0) >= 4, at_kill
        assert at_kill.get("email:pending", 0) + at_kill.get("sms:pending", 0) > 0, at_kill  # not even claimed yet
        mailbox.release()
        smsbox.release()

        restarted = service_process()

        async def all_delivered() -> bool:
            return await conn.fetchval("SELECT count(*) FROM deliveries WHERE status = 'delivered'") == EMAILS + SMS

        await wait_until(all_delivered, timeout=60)
        assert restarted.poll() is None
        notes = Counter(r["outcome_note"] for r in await conn.fetch("SELECT outcome_note FROM deliveries"))
    finally:
        await conn.close()

    await asyncio.sleep(0.5)  # anything sent twice would have arrived by now
    by_id = Counter(m.message_id for m in mailbox.messages)
    assert by_id == {f"<{e.id}@mutuelle-mbtp.com>": 1 for e in sent[:EMAILS]}, "emails lost or doubled"
    texts = Counter(m["body"].split(" est ")[1][:6] for m in smsbox.messages)
    assert texts == {code: 1 for code in sms_codes}, "SMS lost or doubled"
    assert notes[HANDED_OVER_NOTE] == 4 and notes[FOUND_AT_PROVIDER_NOTE] == at_kill["sms:sending"]
    results = await kit.outcomes(expected=EMAILS + SMS, timeout=30)
    assert Counter(r["type"] for r in results) == {"NotificationDelivered": EMAILS + SMS}
    assert {r["request_id"] for r in results} == {str(e.id) for e in sent}

    # Never a code in a log line (the logs are JSON lines, personal data redacted).
    logged = service_process.log.read_text()
    assert "sender started" in logged and "interrupted attempts reconciled" in logged
    assert not [code for code in codes if re.search(rf"(?<![\w.]){code}(?!\w)", logged)]
    for line in logged.splitlines():
        if line.startswith("{"):
            json.loads(line)
