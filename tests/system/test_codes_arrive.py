"""Codes and links of identity really arrive: identity asks, the notifications service sends, and a
real SMTP server and an SMS API server on loopback receive them; the person then uses what came."""

from __future__ import annotations

import re

import asyncpg
import pytest

from extranet_contracts.testing import broker_registered, member_affiliated
from extranet_plumbing.testing import publish_event, wait_until
from identity.adapters.captcha import TEST_SOLUTION
from notifications.bootstrap import bootstrap as notifications_bootstrap
from notifications.settings import NotificationsSettings

MEMBER = member_affiliated(membership_id="ADH-0000077", member_number="73000077", dependants=[])
BROKER = broker_registered(broker_code="M77777")


@pytest.fixture
async def notifications(infra, service_env, mailbox, smsbox):
    settings = NotificationsSettings(
        **{
            **service_env,
            "db_schema": service_env["db_schema"] + "_notifications",
            "smtp_host": mailbox.host,
            "smtp_port": mailbox.smtp_port,
            "sms_api_base_url": smsbox.base_url,
            "twilio_account_sid": smsbox.account_sid,
            "twilio_auth_token": smsbox.auth_token,
            "poll_interval": 0.1,
        }
    )
    async with notifications_bootstrap(settings).running() as service:
        yield service
    conn = await asyncpg.connect(infra.database_url)
    await conn.execute(f"DROP SCHEMA IF EXISTS {settings.db_schema} CASCADE")
    await conn.close()


async def legacy_event(platform, kafka_producer, prefix: str, event) -> None:
    envelope = await publish_event(kafka_producer, prefix + event.STREAM, event)
    pool = platform.identity.pool
    await wait_until(lambda: pool.fetchval("SELECT 1 FROM inbox WHERE event_id = $1", envelope.id))


def mail_to(mailbox, address: str, subject: str):
    for mail in mailbox.messages:
        if address in mail.to and subject in mail.subject:
            return mailbox.read(mail)
    return None


async def test_a_member_activates_with_the_code_received_by_email(platform, notifications, mailbox, kafka_producer, topic_prefix):
    await legacy_event(platform, kafka_producer, topic_prefix, MEMBER)
    started = await platform.gateway.post(
        "/api/members/activation", json={"member_number": "73000077", "contact": "lea.durand@orange.fr", "captcha": TEST_SOLUTION}
    )
    assert started.status_code == 202

    message = await wait_until(lambda: mail_to(mailbox, "lea.durand@orange.fr", "ACTIVER VOTRE ESPACE PAR CODE EMAIL"), timeout=30)
    assert "noreply@mutuelle-mbtp.com" in message["From"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    code = re.search(r"\b(\d{6})\b", text).group(1)
    assert code in html and "5 minutes" in text

    verified = await platform.gateway.post(f"/api/members/activation/{started.json()['activation_id']}/verify", json={"code": code})
    assert verified.status_code == 200, verified.text
    done = await platform.gateway.post(
        "/api/members/activation/complete",
        json={
            "ticket": verified.json()["ticket"],
            "email": "lea.durand@orange.fr",
            "email_confirmation": "lea.durand@orange.fr",
            "password": "Lagune-Ardoise-73!",
            "password_confirmation": "Lagune-Ardoise-73!",
            "mail_preference": "email",
        },
    )
    assert done.status_code == 200, done.text
    login = await platform.gateway.post(
        "/api/auth/login", json={"portal": "member", "identifier": "73000077", "password": "Lagune-Ardoise-73!"}
    )
    assert login.status_code == 200
    assert len([m for m in mailbox.messages if "lea.durand@orange.fr" in m.to]) == 1  # once


async def test_a_member_without_identifier_gets_the_code_by_sms(platform, notifications, smsbox, kafka_producer, topic_prefix):
    await legacy_event(platform, kafka_producer, topic_prefix, MEMBER)
    started = await platform.gateway.post(
        "/api/members/activation", json={"contact": "06.12.34.56.78", "birth_date": "1985-05-12", "captcha": TEST_SOLUTION}
    )
    assert started.status_code == 202
    [sms] = await wait_until(lambda: smsbox.messages, timeout=30)
    assert sms["to"] == "+33612345678"
    code = re.search(r"\b(\d{6})\b", sms["body"]).group(1)
    verified = await platform.gateway.post(f"/api/members/activation/{started.json()['activation_id']}/verify", json={"code": code})
    assert verified.status_code == 200 and verified.json()["member_number"] == "73000077"


async def test_a_new_broker_activates_through_the_link_of_the_email(platform, notifications, mailbox, kafka_producer, topic_prefix):
    await legacy_event(platform, kafka_producer, topic_prefix, BROKER)
    message = await wait_until(
        lambda: mail_to(mailbox, "claire.martin@cabinet-martin.fr", "Activation de votre compte courtier"), timeout=30
    )
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "M77777" in text
    token = re.search(r"token=([A-Za-z0-9_-]+)", text).group(1)
    password = "Courtier-Neuf-2026"
    answer = await platform.gateway.post(
        "/api/auth/password", json={"token": token, "password": password, "password_confirmation": password}
    )
    assert answer.status_code == 200, answer.text
    assert (
        await platform.gateway.post("/api/auth/login", json={"portal": "broker", "identifier": "M77777", "password": password})
    ).status_code == 200
