"""Requests that could never be sent go to the dead-letter topic with the cause; the rest goes on."""

from __future__ import annotations


async def test_unknown_template_or_missing_data_goes_to_the_dead_letter_topic_with_the_cause(start_service, kit, mailbox):
    service = await start_service()
    unknown = await kit.request(kit.notification("birthday_wishes", name="Léa"))
    missing = await kit.request(
        kit.notification("member_activation_code", email="secret.person@example.fr", expires_in_minutes=5)
    )  # no code
    no_sms = await kit.request(
        kit.notification(
            "broker_activation", email=None, phone="0612345678", channels=("sms",), broker_code="M12345", link="https://x.example/a"
        )
    )
    stranger = await kit.request(kit.notification("password_reset", link="https://x.example/r/6"), tenant="nowhere")
    fine = await kit.request(kit.notification("password_reset", link="https://x.example/r/7"))

    letters = {h["ce_id"]: h for h in await kit.dead_letters(expected=4)}
    assert letters[str(unknown.id)]["x-dlq-exception-message"] == "unknown template 'birthday_wishes'"
    assert letters[str(missing.id)]["x-dlq-exception-message"] == "template 'member_activation_code' (email.txt): 'code' is undefined"
    assert letters[str(no_sms.id)]["x-dlq-exception-message"] == "template 'broker_activation' has no version for sms"
    assert letters[str(stranger.id)]["x-dlq-exception-message"] == "the event's tenant is not in the tenant registry"
    assert letters[str(stranger.id)]["x-dlq-exception-class"] == "UnknownTenant"  # refused by the consumer, before the intake
    assert all(h["x-dlq-exception-class"] == "RejectEvent" for k, h in letters.items() if k != str(stranger.id))
    assert not any("secret.person" in h["x-dlq-exception-message"] for h in letters.values())

    await kit.wait_status(service, fine.id, "delivered")
    for envelope in (unknown, missing, no_sms, stranger):
        assert await kit.row(service, envelope.id) is None
    assert len(mailbox.messages) == 1
