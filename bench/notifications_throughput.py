"""Benchmark: how fast the notifications service sends email and SMS, each exactly once.

Against the loopback servers of the embedded stack, each in its own process (devstack-mailbox:
SMTP keeping every message as an .eml file; devstack-smsbox: Twilio's Messages API), it measures
in the same run:
  - the baseline for email: a bare aiosmtplib loop sending the same mails over one connection;
  - the baseline for SMS: the bare twilio client creating the same messages, as many at once as the
    service keeps in flight;
  - the service's sender (claim, attempt recorded before sending, render, send, settle with the
    outcome event in the outbox, outbox relayed to Kafka), on N email then M SMS requests recorded
    directly as pending rows of its `deliveries` table (`--via-kafka`: published as
    `NotificationRequested` events instead, so the intake consumer is measured too).
Duplicates and losses are counted at the servers (by Message-ID, by text). Prints every figure and
its ratio to the baseline. Not a test: it never fails on a figure.

    .venv/bin/python bench/notifications_throughput.py [--emails 2000] [--sms 1000] [--via-kafka]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import aiosmtplib
import asyncpg
from pydantic import SecretStr
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from devstack.config import SMS_ACCOUNT_SID, SMS_AUTH_TOKEN, find_root
from devstack.infra import ensure_infra
from extranet_contracts import Envelope
from extranet_contracts.notifications import REQUESTS, NotificationRequested
from extranet_plumbing.kafka import new_producer
from extranet_plumbing.logging import configure_logging
from notifications.adapters.mime import build_email
from notifications.adapters.templates import Templates
from notifications.bootstrap import bootstrap
from notifications.service_layer.sender import message_id
from notifications.settings import NotificationsSettings

TENANT, TEMPLATE = "mbtp", "member_activation_code"
CPU: dict[str, float] = {}  # CPU seconds of this process (the service) per message, by channel


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.loads(response.read())


def start_box(args: list[str], ready_port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            get_json(f"http://127.0.0.1:{ready_port}/health/ready")
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{args[0]} did not start")


def code(i: int, kind: str) -> str:
    return f"{(1 if kind == 'email' else 5)}{i:05d}"


async def email_baseline(smtp_port: int, contents: list[tuple[str, bytes]]) -> float:
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=smtp_port, start_tls=False, local_hostname="bench.local")
    await smtp.connect()
    started = time.perf_counter()
    for recipient, content in contents:
        await smtp.sendmail("noreply@mutuelle-mbtp.com", [recipient], content)
    elapsed = time.perf_counter() - started
    await smtp.quit()
    return len(contents) / elapsed


async def sms_baseline(base_url: str, messages: list[tuple[str, str]], concurrency: int) -> float:
    http = AsyncTwilioHttpClient()
    client = Client(SMS_ACCOUNT_SID, SMS_AUTH_TOKEN, http_client=http)
    client.api.base_url = base_url
    api = client.api.v2010.account.messages
    queue = list(messages)

    async def worker() -> None:
        while queue:
            to, body = queue.pop()
            await api.create_async(to=to, from_="MBTP", body=body)

    started = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(concurrency)])
    elapsed = time.perf_counter() - started
    await http.close()
    return len(messages) / elapsed


def rows_for(kind: str, count: int) -> list[tuple]:
    now = datetime.now(UTC)
    rows = []
    for i in range(count):
        address = f"adherent{i}@example.fr" if kind == "email" else f"+3361{i:07d}"
        rows.append(
            (
                uuid.uuid4(),
                TENANT,
                TEMPLATE,
                kind,
                f"member:{i}",
                address,
                None,
                "fr",
                json.dumps({"code": code(i, kind), "expires_in_minutes": 5}),
                now,
            )
        )
    return rows


async def service_run(runtime, kind: str, count: int, producer=None, prefix: str = "") -> tuple[float, list[uuid.UUID]]:
    """Requests of one kind in, all delivered: the rate, and the request ids."""
    started, cpu = time.perf_counter(), time.process_time()
    if producer is None:
        rows = rows_for(kind, count)
        async with runtime.pool.acquire() as conn, conn.transaction():
            await conn.executemany(
                "INSERT INTO deliveries (request_id, tenant, template, channel, recipient_ref, address, display_name,"
                " locale, data, requested_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)",
                rows,
            )
            await conn.execute("SELECT pg_notify('deliveries', $1)", kind)
        ids = [row[0] for row in rows]
    else:
        ids, sent = [], []
        for i in range(count):
            recipient = (
                {"reference": f"member:{i}", "email": f"adherent{i}@example.fr"}
                if kind == "email"
                else {"reference": f"member:{i}", "phone": f"+3361{i:07d}"}
            )
            event = NotificationRequested(
                recipient=recipient, channels=[kind], template=TEMPLATE, data={"code": code(i, kind), "expires_in_minutes": 5}
            )
            envelope = Envelope(type=event.TYPE, version=event.VERSION, source="urn:bench", tenant=TENANT, key=event.key())
            sent.append(
                await producer.send(
                    prefix + REQUESTS, value=event.model_dump_json().encode(), key=envelope.key.encode(), headers=envelope.to_headers()
                )
            )
            ids.append(envelope.id)
        await asyncio.gather(*sent)
    while True:
        done = await runtime.pool.fetchval("SELECT count(*) FROM deliveries WHERE channel = $1 AND status IN ('delivered', 'failed')", kind)
        if done >= count:
            break
        await asyncio.sleep(0.05)
    rate = count / (time.perf_counter() - started)
    CPU[kind] = (time.process_time() - cpu) / count
    failed = await runtime.pool.fetchval("SELECT count(*) FROM deliveries WHERE channel = $1 AND status = 'failed'", kind)
    if failed:
        print(f"  ({failed} {kind} requests failed)")
    return rate, ids


async def main(infra) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--sms", type=int, default=1000)
    parser.add_argument("--via-kafka", action="store_true", help="publish NotificationRequested events instead of rows")
    args = parser.parse_args()
    configure_logging("bench", "WARNING", "console")
    os.environ.update(infra.kafka_env())  # every Kafka client here acts as the super user (its topics have a prefix)
    root = find_root()
    work = Path(tempfile.mkdtemp(prefix="bench-notifications-", dir=root / ".stack" if (root / ".stack").is_dir() else None))
    smtp_port, mail_web, sms_port = free_port(), free_port(), free_port()
    boxes = [
        start_box(["devstack.mailbox", "--dir", str(work / "mail"), "--smtp-port", str(smtp_port), "--http-port", str(mail_web)], mail_web),
        start_box(["devstack.smsbox", "--dir", str(work / "sms"), "--port", str(sms_port)], sms_port),
    ]
    prefix, schema = f"bench{uuid.uuid4().hex[:6]}.", f"bench_{uuid.uuid4().hex[:6]}"
    settings = NotificationsSettings(
        kafka_bootstrap=infra.kafka_bootstrap,
        database_url=SecretStr(infra.database_url),
        topic_prefix=prefix,
        db_schema=schema,
        log_level="WARNING",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        sms_api_base_url=f"http://127.0.0.1:{sms_port}",
        twilio_account_sid=SMS_ACCOUNT_SID,
        twilio_auth_token=SecretStr(SMS_AUTH_TOKEN),
    )
    runtime = bootstrap(settings)
    producer = None
    try:
        templates = Templates()
        tenant = templates.tenant(TENANT)
        mails = []
        for i in range(args.emails):
            rendered = templates.email(TEMPLATE, TENANT, {"code": code(i, "email"), "expires_in_minutes": 5}, {})
            mails.append(
                (
                    f"adherent{i}@example.fr",
                    build_email(
                        sender=(tenant.sender_name, tenant.sender_email),
                        recipient=(None, f"adherent{i}@example.fr"),
                        subject=rendered.subject,
                        text=rendered.text,
                        html=rendered.html,
                        message_id=f"<baseline-{i}@bench>",
                    ),
                )
            )
        texts = [
            (f"+3362{i:07d}", templates.sms(TEMPLATE, TENANT, {"code": code(i, "sms"), "expires_in_minutes": 5}, {}))
            for i in range(args.sms)
        ]

        base_email = await email_baseline(smtp_port, mails)
        base_sms = await sms_baseline(f"http://127.0.0.1:{sms_port}", texts, settings.sms_concurrency)

        await runtime.start()
        if args.via_kafka:
            producer = new_producer(infra.kafka_bootstrap)
            await producer.start()
        email_rate, email_ids = await service_run(runtime, "email", args.emails, producer, prefix)
        sms_rate, sms_ids = await service_run(runtime, "sms", args.sms, producer, prefix)

        received_mail = Counter(m["message_id"] for m in get_json(f"http://127.0.0.1:{mail_web}/api/messages"))
        wanted_mail = {message_id(i, tenant.sender_email) for i in email_ids}
        mail_dupes = sum(n - 1 for mid, n in received_mail.items() if mid in wanted_mail)
        mail_lost = len(wanted_mail - set(received_mail))
        received_sms = Counter(m["body"] for m in get_json(f"http://127.0.0.1:{sms_port}/api/messages") if m["to"].startswith("+3361"))
        sms_dupes = sum(n - 1 for n in received_sms.values())
        sms_lost = args.sms - len(received_sms)
        how = "published on Kafka (intake included)" if args.via_kafka else "recorded as pending rows"
        print(f"requests                    {args.emails} emails, {args.sms} SMS, {how}")
        print("servers                     devstack-mailbox (SMTP, .eml files), devstack-smsbox (Twilio API), own processes")
        print(f"baseline email              {base_email:8.0f} emails/s  (bare aiosmtplib loop, one connection)")
        print(
            f"service email               {email_rate:8.0f} emails/s  ({settings.smtp_connections} SMTP connections, "
            f"{settings.email_concurrency} in flight)"
        )
        print(f"ratio email                 {email_rate / base_email:8.2f}")
        print(
            f"service CPU per email       {CPU['email'] * 1000:8.2f} ms    (this process: sender, outbox relay"
            + (", intake, and publishing the requests)" if args.via_kafka else ")")
        )
        print(f"baseline SMS                {base_sms:8.0f} SMS/s     (bare twilio client, {settings.sms_concurrency} at once)")
        print(f"service SMS                 {sms_rate:8.0f} SMS/s     ({settings.sms_concurrency} in flight)")
        print(f"ratio SMS                   {sms_rate / base_sms:8.2f}")
        print(f"service CPU per SMS         {CPU['sms'] * 1000:8.2f} ms")
        print(f"duplicates                  {mail_dupes} emails, {sms_dupes} SMS")
        print(f"lost                        {mail_lost} emails, {sms_lost} SMS")
    finally:
        if producer is not None:
            await producer.stop()
        if runtime.pool is not None:
            await runtime.stop()
            conn = await asyncpg.connect(infra.database_url)
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            await conn.close()
        for box in boxes:
            box.terminate()
            box.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
        infra.stop()


if __name__ == "__main__":
    # Outside the event loop: starting the infrastructure may set up Kafka's users with a loop of its own.
    infrastructure = ensure_infra()
    try:  # the event loop the service runs on under uvicorn (`loop="auto"`), for the baselines too
        import uvloop
    except ImportError:
        asyncio.run(main(infrastructure))
    else:
        uvloop.run(main(infrastructure))
