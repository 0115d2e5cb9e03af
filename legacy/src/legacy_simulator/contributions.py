"""A collective contract's contributions as the legacy system keeps them (guide 003, « Cotisations »): a
payer per insured group that pays (the employer, sometimes the employees for their own share), the
schedules (échéances) of the last six months and the current one, and the payments (règlements).

Drawn from a generator of its own per contract, so that the rest of the simulated portfolio stays the
same as without them; yielded with the day each happened (to stamp its envelope)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from extranet_contracts.base import Event
from extranet_contracts.households import Frequency, PaymentMode
from extranet_contracts.legacy import (
    ContributionPaid,
    ContributionPayerRecorded,
    ContributionScheduled,
    ContributionShare,
    PreLitigation,
)
from extranet_contracts.types import InsuredGroup

MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.HALF_YEARLY: 6, Frequency.YEARLY: 12}
HISTORY_DAYS = 182  # kept short: the bench set has some 20,000 contracts
UNPAID_SHARE = 0.04
PARTLY_PAID_SHARE = 0.04
PRE_LITIGATION_AFTER_DAYS = 45


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def contract_contributions(
    rng: random.Random,
    *,
    contract_number: str,
    company_code: str,
    groups: list[InsuredGroup],
    effective: date,
    headcount: int,
    today: date,
) -> Iterator[tuple[date, Event]]:
    suffix = contract_number.replace("-", "")
    for group in groups:
        if group is not InsuredGroup.ACTIVE and rng.random() < 0.5:
            continue  # not every group pays separately
        shares = [ContributionShare.EMPLOYER] + ([ContributionShare.EMPLOYEE] if rng.random() < 0.3 else [])
        for share in shares:
            payer_id = f"PAY-{suffix}-{group.value}{'S' if share is ContributionShare.EMPLOYEE else 'E'}"
            frequency = rng.choice([Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.QUARTERLY, Frequency.YEARLY])
            mode = rng.choice([PaymentMode.DIRECT_DEBIT, PaymentMode.TRANSFER, PaymentMode.CHEQUE])
            people = max(1, round(headcount * (0.9 if group is InsuredGroup.ACTIVE else 0.05)))
            per_month = (
                Decimal(people)
                * Decimal(rng.randint(3_000, 9_000))
                / 100
                * (Decimal("0.6") if share is ContributionShare.EMPLOYER else Decimal("0.4"))
            )
            yield from _schedules(rng, contract_number, company_code, group, payer_id, frequency, mode, per_month, effective, today, suffix)


def _schedules(
    rng: random.Random,
    contract_number: str,
    company_code: str,
    group: InsuredGroup,
    payer_id: str,
    frequency: Frequency,
    mode: PaymentMode,
    per_month: Decimal,
    effective: date,
    today: date,
    suffix: str,
) -> Iterator[tuple[date, Event]]:
    step = MONTHS[frequency]
    start = max(effective, today - timedelta(days=HISTORY_DAYS)).replace(day=1)
    overdue_since: date | None = None
    common = {"contract_number": contract_number, "company_code": company_code, "insured_group": group}
    while start <= today:
        end = _add_months(start, step) - timedelta(days=1)
        due = start + timedelta(days=9)
        amount = (per_month * step).quantize(Decimal("0.01"))
        schedule_id = f"ECH-{suffix}-{group.value}{payer_id[-1]}{start:%y%m}"
        paid = Decimal("0.00")
        last_day = min(start, today)
        if due <= today:
            draw = rng.random()
            paid = (
                Decimal(0)
                if draw < UNPAID_SHARE
                else (amount / 2).quantize(Decimal("0.01"))
                if draw < UNPAID_SHARE + PARTLY_PAID_SHARE
                else amount
            )
            if paid:
                paid_on = min(
                    due - timedelta(days=rng.randint(0, 8))
                    if mode is PaymentMode.DIRECT_DEBIT
                    else due + timedelta(days=rng.randint(-5, 20)),
                    today,
                )
                last_day = max(last_day, paid_on)
                payment = ContributionPaid(
                    **common,
                    payment_id=f"REG-{schedule_id[4:]}",
                    schedule_id=schedule_id,
                    paid_on=paid_on,
                    amount=paid,
                    payment_mode=mode,
                    revision=1,
                )
                yield paid_on, payment
            if paid < amount and overdue_since is None:
                overdue_since = due
        yield (
            last_day,
            ContributionScheduled(
                **common,
                schedule_id=schedule_id,
                payer_id=payer_id,
                period_start=start,
                period_end=end,
                due_date=due,
                amount_due=amount,
                amount_paid=paid,
                revision=1,
            ),
        )
        start = end + timedelta(days=1)
    litigious = overdue_since is not None and (today - overdue_since).days > PRE_LITIGATION_AFTER_DAYS
    since = overdue_since + timedelta(days=PRE_LITIGATION_AFTER_DAYS) if litigious and overdue_since else None
    yield (
        min(since or effective, today),
        ContributionPayerRecorded(
            **common,
            payer_id=payer_id,
            share=ContributionShare.EMPLOYER if payer_id.endswith("E") else ContributionShare.EMPLOYEE,
            frequency=frequency,
            payment_mode=mode,
            pre_litigation=PreLitigation.IN_PROGRESS if litigious else PreLitigation.NONE,
            pre_litigation_date=since,
            revision=1,
        ),
    )
