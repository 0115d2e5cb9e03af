"""The intake handler with a fake unit of work (no Kafka, no database): what is recorded, what is
published, what is refused for the dead-letter topic."""

from __future__ import annotations

import uuid

import pytest

from extranet_contracts import Envelope
from extranet_contracts.notifications import NotificationFailed, NotificationRequested
from extranet_plumbing.consumer import RejectEvent
from extranet_plumbing.sealing import Opener, Sealer, new_key_pair
from extranet_plumbing.testing import FakeUnitOfWork
from notifications.adapters.templates import Templates
from notifications.service_layer.intake import Intake


class FakeDeliveries:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, dict] = {}
        self.woken: list[str] = []

    async def record_request(self, *, request_id: uuid.UUID, **values) -> bool:
        if request_id in self.rows:
            return False
        self.rows[request_id] = values
        return True

    async def wake_senders(self, channel: str) -> None:
        self.woken.append(channel)


def request(template: str = "member_activation_code", **recipient) -> NotificationRequested:
    channels = ["sms"] if "phone" in recipient else ["email"]
    return NotificationRequested(
        recipient={"reference": "member:73000042", **recipient},
        channels=channels,
        template=template,
        data={"code": "123456", "expires_in_minutes": 5},
    )


def envelope_of(event: NotificationRequested) -> Envelope:
    return Envelope(type=event.TYPE, version=event.VERSION, source="urn:test", tenant="mbtp", key=event.key())


@pytest.fixture
def intake() -> Intake:
    return Intake(Templates())


async def test_a_sendable_request_is_recorded_once_and_wakes_the_sender(intake):
    uow = FakeUnitOfWork(deliveries=FakeDeliveries())
    event = request(email="lea.durand@example.fr")
    envelope = envelope_of(event)
    await intake(event, envelope, uow)
    await intake(event, envelope, uow)  # redelivered: its delivery exists already
    assert list(uow.deliveries.rows) == [envelope.id]
    assert uow.deliveries.rows[envelope.id]["channel"] == "email" and uow.deliveries.woken == ["email"]
    assert uow.published == []


async def test_an_sms_to_a_landline_fails_at_once_with_an_outcome_event(intake):
    uow = FakeUnitOfWork(deliveries=FakeDeliveries())
    event = request(phone="04 91 00 00 00")
    envelope = envelope_of(event)
    await intake(event, envelope, uow)
    [(outcome, tenant)] = uow.published
    assert isinstance(outcome, NotificationFailed) and outcome.permanent and tenant == "mbtp"
    assert outcome.request_id == str(envelope.id) and "mobile" in outcome.reason
    assert "0491" not in outcome.reason  # the reason never carries the number
    assert uow.deliveries.woken == []


async def test_an_unknown_template_is_refused_for_the_dead_letter_topic(intake):
    uow = FakeUnitOfWork(deliveries=FakeDeliveries())
    event = request("no_such_template", email="lea.durand@example.fr")
    with pytest.raises(RejectEvent, match="unknown template"):
        await intake(event, envelope_of(event), uow)
    assert uow.deliveries.rows == {}


async def test_sealed_codes_are_opened_with_the_services_key_and_never_travel_in_clear():
    private, public = new_key_pair()
    intake = Intake(Templates(), opener=Opener(private))
    uow = FakeUnitOfWork(deliveries=FakeDeliveries())
    event = NotificationRequested(
        recipient={"reference": "member:73000042", "email": "lea.durand@example.fr"},
        channels=["email"],
        template="member_activation_code",
        data={"expires_in_minutes": 5},
        sealed_data=Sealer(public).seal({"code": "654321"}, context="member_activation_code|member:73000042"),
    )
    assert "654321" not in event.model_dump_json()
    envelope = envelope_of(event)
    await intake(event, envelope, uow)
    assert uow.deliveries.rows[envelope.id]["data"] == {"expires_in_minutes": 5, "code": "654321"}


async def test_sealed_data_for_another_message_or_without_a_key_is_refused():
    private, public = new_key_pair()
    moved = NotificationRequested(
        recipient={"reference": "member:73000099", "email": "someone@example.fr"},
        channels=["email"],
        template="member_activation_code",
        data={"expires_in_minutes": 5},
        sealed_data=Sealer(public).seal({"code": "654321"}, context="member_activation_code|member:73000042"),
    )
    with pytest.raises(RejectEvent, match="cannot be opened"):
        await Intake(Templates(), opener=Opener(private))(moved, envelope_of(moved), FakeUnitOfWork(deliveries=FakeDeliveries()))
    with pytest.raises(RejectEvent, match="no opening key"):
        await Intake(Templates())(moved, envelope_of(moved), FakeUnitOfWork(deliveries=FakeDeliveries()))
