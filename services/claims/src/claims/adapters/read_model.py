"""How the legacy system's reimbursements change the read model: one SQL statement per event type.

A payment is a snapshot: the statement keeps, per payment, the newest revision of the events it is
given (the first received among equal ones), and replaces the stored row only with a newer revision;
so the state is the same whatever the order of arrival, and duplicates change nothing. It is a
`Projection`, which the consumer applies a batch at a time; `service_layer/handlers.py` maps the event
type to it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from claims.domain.payments import stored_acts
from extranet_contracts import Envelope
from extranet_contracts.claims import ReimbursementPaid
from extranet_plumbing.consumer import Projection

Columns = Sequence[tuple[str, str]]

_PAYMENT: Columns = (
    ("tenant", "text"),
    ("reference", "text"),
    ("member_number", "text"),
    ("received_on", "date"),
    ("paid_on", "date"),
    ("amount", "numeric"),
    ("payee", "text"),
    ("professional_name", "text"),
    ("masked_iban", "text"),
    ("acts", "jsonb"),
    ("beneficiary_ids", "text[]"),
    ("act_count", "integer"),
    ("revision", "integer"),
    ("changed_at", "timestamptz"),
)
_NAMES = ", ".join(column for column, _ in _PAYMENT)
_UPDATES = ", ".join(f"{column} = EXCLUDED.{column}" for column, _ in _PAYMENT if column not in ("tenant", "reference"))


def _payment(env: Envelope, e: ReimbursementPaid) -> tuple:
    acts = stored_acts(e.member_number, e.acts)
    return (
        env.tenant,
        e.reference,
        e.member_number,
        e.received_on,
        e.paid_on,
        e.amount,
        e.payee.value,
        e.professional_name,
        e.masked_iban,
        json.dumps(acts, ensure_ascii=False),
        sorted({act["beneficiary"]["id"] for act in acts}),
        len(acts),
        e.revision,
        env.time,
    )


reimbursement_paid = Projection(
    "reimbursement_paid",
    _PAYMENT,
    _payment,
    f"""INSERT INTO payments AS p ({_NAMES})
        SELECT DISTINCT ON (tenant, reference) {_NAMES} FROM {{rows}} ORDER BY tenant, reference, revision DESC, seq
        ON CONFLICT (tenant, reference) DO UPDATE SET {_UPDATES}
        WHERE p.revision < EXCLUDED.revision""",
)
