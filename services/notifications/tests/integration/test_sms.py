"""SMS requests through real Kafka and PostgreSQL and a Twilio-compatible API on loopback."""

from __future__ import annotations

from extranet_plumbing.testing import wait_until


async def test_an_sms_request_makes_one_api_call_with_the_e164_number_and_the_text(start_service, kit, smsbox, mailbox):
    service = await start_service()
    event = kit.notification(
        "member_activation_code", email=None, phone="06 12 34 56 78", channels=("sms",), code="739201", expires_in_minutes=5
    )
    envelope = await kit.request(event)
    await kit.request(event, envelope=envelope)  # redelivered: still one message

    [delivered] = await kit.outcomes(expected=1)
    assert delivered["type"] == "NotificationDelivered" and delivered["channel"] == "sms" and delivered["attempts"] == 1
    [sms] = smsbox.messages
    assert smsbox.create_calls == 1
    assert sms["to"] == "+33612345678" and sms["from"] == "MBTP" and sms["sid"] == delivered["provider_message_id"]
    assert sms["body"] == ("MBTP : votre code d'activation est 739201. Il est valable 5 minutes. Ne le communiquez à personne.")
    row = await kit.row(service, envelope.id)
    assert row["address"] == "+33612345678" and row["data"] is None
    assert not mailbox.messages


async def test_sms_api_500_then_200_is_delivered_once(start_service, kit, smsbox):
    await start_service()
    smsbox.fail_next(2, 500)
    smsbox.fail_next(1, 429)
    envelope = await kit.request(
        kit.notification(
            "document_available",
            email=None,
            phone="+33 7 81 22 33 44",
            channels=("sms",),
            document_title="Relevé de prestations",
            document_date="2026-11-20",
        )
    )
    [delivered] = await kit.outcomes(expected=1)
    assert delivered["type"] == "NotificationDelivered" and delivered["request_id"] == str(envelope.id)
    assert delivered["attempts"] == 4 and smsbox.create_calls == 4 and len(smsbox.messages) == 1


async def test_an_sms_api_4xx_is_permanent_and_not_retried(start_service, kit, smsbox):
    service = await start_service()
    smsbox.fail_next(1, 400, code=21610, message="Attempt to send to unsubscribed recipient +33612345678")
    envelope = await kit.request(
        kit.notification(
            "account_locked", email=None, phone="0612345678", channels=("sms",), link="https://assure.mutuelle-mbtp.com/reset/q1"
        )
    )
    [failed] = await kit.outcomes(expected=1)
    assert failed["type"] == "NotificationFailed" and failed["permanent"] is True and failed["attempts"] == 1
    assert "HTTP 400 error 21610" in failed["reason"] and "612345678" not in failed["reason"]
    await kit.wait_status(service, envelope.id, "failed")
    assert smsbox.create_calls == 1 and not smsbox.messages


async def test_a_landline_is_refused_with_a_clear_reason_and_no_api_call(start_service, kit, smsbox):
    service = await start_service()
    envelope = await kit.request(
        kit.notification(
            "member_activation_code", email=None, phone="04 91 23 41 16", channels=("sms",), code="551122", expires_in_minutes=5
        )
    )
    [failed] = await kit.outcomes(expected=1)
    assert failed == {
        "type": "NotificationFailed",
        "request_id": str(envelope.id),
        "channel": "sms",
        "template": "member_activation_code",
        "attempts": 0,
        "permanent": True,
        "reason": "the phone number is not a mobile number (it is a fixed line number)",
    }
    assert (await kit.row(service, envelope.id))["status"] == "failed"
    assert smsbox.create_calls == 0


async def test_the_preferred_channel_is_used_when_the_request_allows_it(start_service, kit, smsbox, mailbox):
    service = await start_service()
    both = {"channels": ("email", "sms"), "code": "246810", "expires_in_minutes": 5}
    by_sms = await kit.request(kit.notification("member_activation_code", phone="0698765432", preferred="sms", **both))
    by_email = await kit.request(kit.notification("member_activation_code", phone="0698765432", preferred="email", **both))
    # Prefers SMS but the number on file is a landline: email, the other allowed channel.
    landline = await kit.request(kit.notification("member_activation_code", phone="0491234116", preferred="sms", **both))
    # No preference: the requester's order.
    first = await kit.request(kit.notification("member_activation_code", phone="0698765432", **both))
    for envelope in (by_sms, by_email, landline, first):
        await kit.wait_status(service, envelope.id, "delivered")
    channels = {e.id: (await kit.row(service, e.id))["channel"] for e in (by_sms, by_email, landline, first)}
    assert channels == {by_sms.id: "sms", by_email.id: "email", landline.id: "email", first.id: "email"}
    await wait_until(lambda: len(mailbox.messages) == 3 and len(smsbox.messages) == 1)
