"""The simulated contributions (issue 12): every contract has its employer as a payer of its active group,
each schedule's payments add up to what it says is paid, and a payer long overdue is in pre-litigation."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from extranet_contracts.legacy import (
    CollectiveContractSigned,
    ContributionPaid,
    ContributionPayerRecorded,
    ContributionScheduled,
    PreLitigation,
)
from legacy_simulator.contributions import PRE_LITIGATION_AFTER_DAYS
from legacy_simulator.generator import generate
from legacy_simulator.sizes import SizeSpec

TODAY = date(2026, 12, 1)
EVENTS = list(generate(SizeSpec("custom", brokers=2, companies=15, insured=200), seed=11, tenant="mbtp", today=TODAY))


def of(kind):
    return [e for _, e in EVENTS if isinstance(e, kind)]


def test_every_contract_has_its_employer_paying_for_its_active_group():
    payers = {(p.contract_number, p.insured_group.value, p.share.value) for p in of(ContributionPayerRecorded)}
    for contract in of(CollectiveContractSigned):
        assert (contract.contract_number, "A", "EMPLOYEUR") in payers


def test_the_payments_of_a_schedule_add_up_to_what_it_says_is_paid():
    paid = defaultdict(Decimal)
    for payment in of(ContributionPaid):
        paid[payment.schedule_id] += payment.amount
        assert payment.paid_on <= TODAY
    schedules = of(ContributionScheduled)
    assert len({s.schedule_id for s in schedules}) == len(schedules)
    for schedule in schedules:
        assert paid[schedule.schedule_id] == schedule.amount_paid <= schedule.amount_due
        assert schedule.period_start <= TODAY and schedule.amount_due > 0
    assert any(s.amount_paid < s.amount_due and s.due_date < TODAY for s in schedules)  # some are unpaid


def test_a_payer_long_overdue_is_in_pre_litigation():
    overdue = defaultdict(list)
    for s in of(ContributionScheduled):
        if s.amount_paid < s.amount_due and s.due_date < TODAY:
            overdue[s.payer_id].append(s.due_date)
    for payer in of(ContributionPayerRecorded):
        late = min(overdue[payer.payer_id], default=None)
        litigious = late is not None and (TODAY - late).days > PRE_LITIGATION_AFTER_DAYS
        assert (payer.pre_litigation is PreLitigation.IN_PROGRESS) is litigious
        if litigious:
            assert payer.pre_litigation_date == late + timedelta(days=PRE_LITIGATION_AFTER_DAYS)


def test_every_envelope_is_stamped_by_today_with_the_contract_as_key():
    for envelope, event in EVENTS:
        if isinstance(event, ContributionPayerRecorded | ContributionScheduled | ContributionPaid):
            assert envelope.key == event.contract_number and envelope.time.date() <= TODAY
