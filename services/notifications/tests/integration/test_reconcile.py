"""Attempts left in progress by a sender that died are settled by the next one: SMS by asking the
provider, email by whether its content had been handed to the relay (rule: then counted as
delivered, at most once). A live sender's attempts are left alone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from notifications.adapters import store
from notifications.service_layer.sender import FOUND_AT_PROVIDER_NOTE, HANDED_OVER_NOTE, LOCK_NAMESPACE, lock_key

CODE = {"code": "864209", "expires_in_minutes": 5}
SMS_TEXT = "MBTP : votre code d'activation est 864209. Il est valable 5 minutes. Ne le communiquez à personne."


async def _in_progress(runtime, owner: uuid.UUID, channel: str, address: str, *, handed_over: bool = False) -> uuid.UUID:
    request_id = uuid.uuid4()
    async with runtime.pool.acquire() as conn:
        await store.record_request(
            conn,
            request_id=request_id,
            tenant="mbtp",
            template="member_activation_code",
            channel=channel,
            recipient_ref="member:1",
            address=address,
            display_name=None,
            locale="fr",
            data=CODE,
            requested_at=datetime.now(UTC),
            traceparent=None,
            tracestate=None,
        )
        await conn.execute(
            "UPDATE deliveries SET status = 'sending', attempts = 1, attempted_at = now(), claimed_by = $2,"
            " handed_over_at = CASE WHEN $3 THEN now() END WHERE request_id = $1",
            request_id,
            owner,
            handed_over,
        )
    return request_id


async def test_interrupted_attempts_are_reconciled(start_service, kit, mailbox, smsbox):
    service = await start_service(reconcile_interval=3600)
    dead, alive = uuid.uuid4(), uuid.uuid4()
    email_unsent = await _in_progress(service, dead, "email", "one@example.fr")
    email_handed_over = await _in_progress(service, dead, "email", "two@example.fr", handed_over=True)
    sms_unsent = await _in_progress(service, dead, "sms", "+33611111111")
    sms_at_provider = await _in_progress(service, dead, "sms", "+33622222222")
    theirs = await _in_progress(service, alive, "email", "three@example.fr")
    # The provider got the second SMS before its sender died (and the same text to another number).
    for to in ("+33622222222", "+33633333333"):
        await service.worker._sms.send(to, SMS_TEXT, "MBTP")
    calls_before = smsbox.create_calls

    async with service.pool.acquire() as other_process:  # a live sender holds its lock
        await other_process.execute("SELECT pg_advisory_lock($1, $2)", LOCK_NAMESPACE, lock_key(alive))
        assert await service.worker.reconcile() == 4
        for request_id in (email_unsent, email_handed_over, sms_unsent, sms_at_provider):
            await kit.wait_status(service, request_id, "delivered")
        assert (await kit.row(service, theirs))["status"] == "sending"
        await other_process.execute("SELECT pg_advisory_unlock($1, $2)", LOCK_NAMESPACE, lock_key(alive))

    rows = {r: await kit.row(service, r) for r in (email_unsent, email_handed_over, sms_unsent, sms_at_provider)}
    assert rows[email_handed_over]["outcome_note"] == HANDED_OVER_NOTE
    assert rows[sms_at_provider]["outcome_note"] == FOUND_AT_PROVIDER_NOTE
    assert rows[email_unsent]["outcome_note"] is None and rows[sms_unsent]["outcome_note"] is None
    assert rows[email_unsent]["attempts"] == 1 and rows[sms_unsent]["attempts"] == 1  # the interrupted one did not count
    assert [m.envelope_to for m in mailbox.messages] == [["one@example.fr"]]
    assert smsbox.create_calls == calls_before + 1 and [m["to"] for m in smsbox.messages].count("+33611111111") == 1
    at_provider = [m["sid"] for m in smsbox.messages if m["to"] == "+33622222222"]
    assert rows[sms_at_provider]["provider_message_id"] == at_provider[0] and len(at_provider) == 1

    # Once the other sender is gone too, its attempt is settled as well.
    assert await service.worker.reconcile() == 1
    await kit.wait_status(service, theirs, "delivered")
    results = await kit.outcomes(expected=5)
    assert len(results) == 5 and {r["type"] for r in results} == {"NotificationDelivered"}
