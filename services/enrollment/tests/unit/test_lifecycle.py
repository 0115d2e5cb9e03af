"""A request's life as plain rules: which transitions each status allows, and how decisions that come
twice, late or out of order leave the request."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from enrollment.domain import kinds
from enrollment.domain.requests import (
    Decision,
    NotAllowed,
    Outcome,
    Request,
    Status,
    apply_decision,
    cancel,
    decide_as_advisor,
    mark_sent,
    submit,
)

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)


def draft() -> Request:
    return Request(
        id=uuid.uuid4(),
        tenant="mbtp",
        kind=kinds.EMPLOYEE_TERMINATION,
        portal="employer",
        account="corr-1",
        reference="12345678",
        subject=None,
        company_code="12345678",
        contract_number="W1-000123",
        payload={},
        attachments=[],
        status=Status.DRAFT,
        created_at=T0,
    )


def sent() -> Request:
    request = draft()
    submit(request, T0, "corr-1")
    mark_sent(request, T0)
    return request


def at(hours: int, outcome: Outcome, reason: str | None = None) -> Decision:
    return Decision(outcome, T0 + timedelta(hours=hours), reason=reason)


def test_a_draft_is_submitted_once_and_cancelled_only_as_a_draft():
    request = draft()
    submit(request, T0, "corr-1")
    assert request.status == Status.SUBMITTED and request.submitted_at == T0
    with pytest.raises(NotAllowed):
        submit(request, T0, "corr-1")
    with pytest.raises(NotAllowed):
        cancel(request, T0, "corr-1")
    other = draft()
    cancel(other, T0, "corr-1")
    assert other.status == Status.CANCELLED
    assert apply_decision(other, at(1, Outcome.ACCEPTED), T0) is None and other.status == Status.CANCELLED


def test_a_decision_that_comes_before_the_request_is_read_back_still_applies():
    request = draft()
    submit(request, T0, "corr-1")
    assert apply_decision(request, at(1, Outcome.ACCEPTED), T0) is not None
    assert mark_sent(request, T0) is None  # read back later: it stays accepted
    assert request.status == Status.ACCEPTED and request.sent_at == T0


def test_the_same_decision_twice_or_an_older_one_changes_nothing():
    request = sent()
    apply_decision(request, at(2, Outcome.REFUSED, "Pièce manquante"), T0)
    assert apply_decision(request, at(2, Outcome.REFUSED, "Pièce manquante"), T0) is None
    assert apply_decision(request, at(1, Outcome.ACCEPTED), T0) is None  # decided before the refusal
    assert apply_decision(request, at(3, Outcome.ADVISOR), T0) is None  # never back from a final decision
    assert (request.status, request.refusal_reason, len(request.history)) == (Status.REFUSED, "Pièce manquante", 3)


def test_a_later_decision_corrects_the_earlier_one():
    request = sent()
    apply_decision(request, at(1, Outcome.REFUSED, "Pièce manquante"), T0)
    apply_decision(request, at(5, Outcome.ACCEPTED), T0)
    assert (request.status, request.refusal_reason, request.decided_at) == (Status.ACCEPTED, None, T0 + timedelta(hours=5))


def test_an_advisor_decides_only_what_was_left_to_an_advisor():
    request = sent()
    with pytest.raises(NotAllowed):
        decide_as_advisor(request, True, None, T0, "op-1")
    apply_decision(request, at(1, Outcome.ADVISOR), T0)
    assert request.awaiting_advisor and request.status == Status.SENT
    decide_as_advisor(request, False, "Hors délai", T0, "op-1")
    assert not request.awaiting_advisor and request.advisor_decision["reason"] == "Hors délai"
    with pytest.raises(NotAllowed):
        decide_as_advisor(request, True, None, T0, "op-1")


def test_the_window_is_the_tenants():
    rules = kinds.rules("mbtp", kinds.EMPLOYEE_TERMINATION)
    window = rules.window(date(2026, 12, 1))
    assert (window.earliest, window.latest) == (date(2026, 10, 31), date(2027, 3, 3))
    assert date(2027, 3, 3) in window and date(2027, 3, 4) not in window
    assert "DEMISSION" in rules.choices["reason"]


@pytest.mark.parametrize(
    ("nir", "birth_date", "civility", "agrees"),
    [
        ("184056912345690", date(1984, 5, 20), "M", True),
        ("184056912345690", date(1984, 5, 20), "MME", False),  # a man's number
        ("184056912345690", date(1985, 5, 20), "M", False),  # another year
        ("184056912345690", date(1984, 6, 20), "M", False),  # another month
        ("184306912345690", date(1984, 6, 20), "M", True),  # month 30: INSEE's for an unknown month
        ("184156912345690", date(1984, 6, 20), "M", False),  # month 15: none
    ],
)
def test_a_nir_agrees_with_its_persons_sex_and_birth(nir, birth_date, civility, agrees):
    from enrollment.domain.affiliation import nir_disagreement

    assert (nir_disagreement(nir, birth_date, civility) is None) is agrees
