"""Temporary failures retried with backoff (persisted: they survive a restart), permanent ones not."""

from __future__ import annotations

import asyncio
from collections import Counter

from extranet_plumbing.testing import wait_until


async def test_smtp_down_for_a_while_then_up_delivers_every_pending_mail_once(start_service, kit, mailbox):
    service = await start_service(max_attempts=50)
    mailbox.stop_smtp()
    sent = [
        await kit.request(
            kit.notification(
                "member_activation_link",
                email=f"adherent{i}@example.fr",
                link=f"https://espace.mutuelle-marseille.com/activation/{i}",
                expires_in_hours=48,
            ),
            tenant="marseille",
        )
        for i in range(6)
    ]

    async def all_retried() -> bool:
        rows = [await kit.row(service, e.id) for e in sent]
        return all(r and r["attempts"] >= 2 and r["status"] in ("pending", "sending") for r in rows)

    await wait_until(all_retried, timeout=20)
    row = await kit.row(service, sent[0].id)
    assert "SMTP relay unreachable" in row["last_error"]
    mailbox.start_smtp()
    for envelope in sent:
        await kit.wait_status(service, envelope.id, "delivered", timeout=20)
    await asyncio.sleep(0.5)
    assert Counter(m.message_id for m in mailbox.messages) == {f"<{e.id}@mutuelle-marseille.com>": 1 for e in sent}
    results = await kit.outcomes(expected=6)
    assert {r["type"] for r in results} == {"NotificationDelivered"} and len(results) == 6
    assert all(r["attempts"] >= 2 for r in results)


async def test_smtp_4xx_is_retried_and_5xx_is_permanent(start_service, kit, mailbox):
    service = await start_service()
    mailbox.refuse("greylisted@example.fr", 451, "4.7.1 Greylisted, try again later", times=2)
    mailbox.refuse("nobody@example.fr", 550, "5.1.1 <nobody@example.fr>: Recipient address rejected")
    later = await kit.request(kit.notification("password_reset", email="greylisted@example.fr", link="https://x.example/r/2"))
    never = await kit.request(kit.notification("password_reset", email="nobody@example.fr", link="https://x.example/r/3"))
    results = {r["request_id"]: r for r in await kit.outcomes(expected=2)}
    assert results[str(later.id)]["type"] == "NotificationDelivered" and results[str(later.id)]["attempts"] == 3
    failed = results[str(never.id)]
    assert failed["type"] == "NotificationFailed" and failed["permanent"] is True and failed["attempts"] == 1
    assert failed["reason"].startswith("SMTP 550 at RCPT TO: 5.1.1") and "nobody@example.fr" not in failed["reason"]
    await asyncio.sleep(1.0)  # longer than any backoff here: a permanent failure is not tried again
    assert mailbox.rcpt_attempts("nobody@example.fr") == 1 and mailbox.rcpt_attempts("greylisted@example.fr") == 3
    assert (await kit.row(service, never.id))["status"] == "failed"


async def test_temporary_failures_end_as_failed_after_the_limit(start_service, kit, mailbox):
    await start_service(max_attempts=3)
    mailbox.refuse("full@example.fr", 452, "4.2.2 Mailbox full")
    envelope = await kit.request(kit.notification("password_reset", email="full@example.fr", link="https://x.example/r/4"))
    [failed] = await kit.outcomes(expected=1)
    assert failed["type"] == "NotificationFailed" and failed["request_id"] == str(envelope.id)
    assert failed["permanent"] is False and failed["attempts"] == 3
    assert failed["reason"] == "gave up after 3 attempts: SMTP 452 at RCPT TO: 4.2.2 Mailbox full"
    assert mailbox.rcpt_attempts("full@example.fr") == 3


async def test_retries_survive_a_restart_of_the_service(start_service, kit, mailbox):
    first = await start_service(retry_base_delay=3.0, retry_max_delay=3.0)
    mailbox.stop_smtp()
    envelope = await kit.request(kit.notification("password_reset", link="https://x.example/r/5"))
    row = await wait_until(lambda: _retry_scheduled(kit, first, envelope.id))
    await first.stop()
    mailbox.start_smtp()

    second = await start_service()
    delivered = await kit.wait_status(second, envelope.id, "delivered", timeout=20)
    assert delivered["attempts"] == row["attempts"] + 1
    assert delivered["finished_at"] >= row["next_attempt_at"]  # the persisted schedule was kept
    assert [m.message_id for m in mailbox.messages] == [f"<{envelope.id}@mutuelle-mbtp.com>"]


async def _retry_scheduled(kit, runtime, request_id):
    row = await kit.row(runtime, request_id)
    return row if row and row["status"] == "pending" and row["attempts"] >= 1 else None
