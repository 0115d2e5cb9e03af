"""The claims read model fed by real Kafka into a real PostgreSQL: reimbursements in, duplicates, corrections
in any order, an invalid event dead-lettered with its cause and without its values."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from claims.service_layer.handlers import READ_MODEL_GROUP
from extranet_contracts.envelope import Envelope
from extranet_contracts.testing import reimbursement_paid
from extranet_plumbing.kafka import dlq_topic
from extranet_plumbing.testing import publish_event, read_topic, wait_until

PAID = reimbursement_paid()
FULL_IBAN = "FR7630003000011234567891189"


@pytest.fixture
def topic(service_env) -> str:
    return service_env["topic_prefix"] + "legacy.claims"


async def applied(service) -> int:
    return await service.pool.fetchval("SELECT count(*) FROM inbox WHERE consumer_group = $1", service.group_id(READ_MODEL_GROUP))


async def payment(service, reference: str = "35507436") -> dict | None:
    row = await service.pool.fetchrow("SELECT * FROM payments WHERE reference = $1", reference)
    return dict(row) if row else None


async def test_a_reimbursement_lands_in_the_read_model_to_the_cent(claims, kafka_producer, topic):
    envelope = await publish_event(kafka_producer, topic, PAID)
    row = await wait_until(lambda: payment(claims))
    assert (row["tenant"], row["member_number"], row["amount"], row["payee"], row["revision"]) == (
        "mbtp",
        "73000042",
        Decimal("15.60"),
        "ASSURE",
        1,
    )
    assert row["masked_iban"] == "FR76*******************1189" and row["changed_at"] == envelope.time
    acts = json.loads(row["acts"])
    assert [a["mutuelle_amount"] for a in acts] == ["9.00", "6.60"] and acts[0]["mandatory_deductible"] == "2.00"
    assert row["act_count"] == 2 and len(row["beneficiary_ids"]) == 2
    async with claims.unit_of_work() as uow:
        (read,) = await uow.reimbursements.latest("mbtp", "73000042", 3)
        assert await uow.reimbursements.latest("marseille", "73000042", 3) == []  # another tenant's household
    assert read.totals.expense == read.totals.mandatory + read.totals.mutuelle + read.totals.remaining == Decimal("48.86")


async def test_the_same_event_delivered_twice_is_applied_once(claims, kafka_producer, topic):
    envelope = await publish_event(kafka_producer, topic, PAID)
    await publish_event(kafka_producer, topic, PAID, envelope=envelope)
    await publish_event(kafka_producer, topic, reimbursement_paid(reference="35507437"))
    await wait_until(lambda: _count(claims, 2))
    assert await claims.pool.fetchval("SELECT count(*) FROM payments") == 2
    assert await applied(claims) == 2  # the copy left no trace


async def _count(service, n: int) -> bool:
    return await applied(service) >= n


def corrected(revision: int, mutuelle: str, remaining_for_lea: str):
    """The consultation with the mutuelle paying `mutuelle` (the pharmacy act unchanged)."""
    consultation, pharmacy = PAID.acts
    expense = consultation.mandatory_amount + Decimal(mutuelle) + Decimal(remaining_for_lea)
    acts = [consultation.model_copy(update={"mutuelle_amount": Decimal(mutuelle), "expense": expense}), pharmacy]
    return reimbursement_paid(
        acts=[a.model_dump(mode="json") for a in acts], amount=str(Decimal(mutuelle) + Decimal("6.60")), revision=revision
    )


async def test_a_correction_wins_whatever_the_order(claims, kafka_producer, topic):
    # The correction first, then the original late, then a third revision, then the second again.
    await publish_event(kafka_producer, topic, corrected(2, "10.00", "2.00"))
    await publish_event(kafka_producer, topic, PAID)
    await wait_until(lambda: _count(claims, 2))
    assert (await payment(claims))["amount"] == Decimal("16.60")
    await publish_event(kafka_producer, topic, corrected(3, "11.00", "0.00"))
    await publish_event(kafka_producer, topic, corrected(2, "10.00", "2.00"))
    await wait_until(lambda: _count(claims, 4))
    row = await payment(claims)
    assert (row["revision"], row["amount"]) == (3, Decimal("17.60"))
    assert json.loads(row["acts"])[0]["mutuelle_amount"] == "11.00"


async def test_a_burst_of_revisions_of_one_payment_keeps_the_newest(claims, kafka_producer, topic):
    for revision in (4, 2, 5, 1, 3):
        await publish_event(kafka_producer, topic, corrected(revision, f"{revision}.00", "2.00"))
    await wait_until(lambda: _count(claims, 5))
    assert ((await payment(claims))["revision"], (await payment(claims))["amount"]) == (5, Decimal("11.60"))


async def test_an_invalid_reimbursement_is_dead_lettered_with_its_cause_and_without_its_values(claims, kafka_producer, topic, infra):
    with_full_iban = {**PAID.model_dump(mode="json"), "masked_iban": FULL_IBAN}
    too_much = PAID.model_dump(mode="json")
    too_much["acts"][0]["mutuelle_amount"] = "12.34"  # the mandatory scheme and the mutuelle would pay 31.34 of 30.00
    for value in (with_full_iban, too_much):
        envelope = Envelope(type="ReimbursementPaid", version=1, source="urn:test", tenant="mbtp", key=PAID.reference)
        await kafka_producer.send_and_wait(topic, value=json.dumps(value).encode(), key=b"35507436", headers=envelope.to_headers())
    await publish_event(kafka_producer, topic, reimbursement_paid(reference="35507437"))  # the consumer goes on
    await wait_until(lambda: payment(claims, "35507437"))
    # The one consumer group of the topic (the read model, which also announces new statements) says why it could not
    # apply them, once each.
    dead = await read_topic(infra.kafka_bootstrap, dlq_topic(topic), expected=2)
    assert [dict(r.headers)["x-dlq-consumer-group"] for r in dead] == [claims.group_id("claims-read-model").encode()] * 2
    assert await payment(claims) is None
    causes = [dict(record.headers) for record in dead]
    assert all(h["x-dlq-exception-class"] == b"ValidationError" for h in causes)
    first, second = (h["x-dlq-exception-message"].decode() for h in causes)
    assert "masked_iban" in first and "masked IBAN" in first and FULL_IBAN not in first and "3000" not in first
    assert "acts.0" in second and "paid more than the expense" in second and "12.34" not in second
    assert json.loads(dead[0].value)["masked_iban"] == FULL_IBAN  # the message itself is kept unchanged, for a replay
