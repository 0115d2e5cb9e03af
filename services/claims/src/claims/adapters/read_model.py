"""How the legacy system's events change the read model: one SQL statement per event type.

A payment, a household's contract, its beneficiaries and its preferences are snapshots: the statement
keeps, per key, the newest revision of the events it is given (the first received among equal ones),
and replaces the stored row only with a newer revision; so the state is the same whatever the order of
arrival, and duplicates change nothing. Each is a `Projection`, which the consumer applies a batch at a
time; `service_layer/handlers.py` maps the event types to them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from claims.domain.households import masked_beneficiaries
from claims.domain.payments import stored_acts_json
from extranet_contracts import Envelope
from extranet_contracts.claims import ReimbursementPaid
from extranet_contracts.households import CommunicationPreferencesRecorded, HouseholdBeneficiariesRecorded, MemberContractRecorded
from extranet_plumbing.consumer import Projection

Columns = Sequence[tuple[str, str]]


def snapshot_sql(table: str, key: tuple[str, ...], columns: Columns, *, recorded_at: bool = False) -> str:
    """The statement that keeps, per `key`, the row of the newest revision of `{rows}` (`columns` name `revision`);
    with `recorded_at`, a row it writes says when (the table's column, by default now() on insert)."""
    names = ", ".join(column for column, _ in columns)
    keys = ", ".join(key)
    updates = ", ".join(
        [f"{column} = EXCLUDED.{column}" for column, _ in columns if column not in key] + ["recorded_at = now()"] * recorded_at
    )
    return f"""INSERT INTO {table} AS t ({names})
        SELECT DISTINCT ON ({keys}) {names} FROM {{rows}} ORDER BY {keys}, revision DESC, seq
        ON CONFLICT ({keys}) DO UPDATE SET {updates}
        WHERE t.revision < EXCLUDED.revision"""


def snapshot(
    name: str, table: str, key: tuple[str, ...], columns: Columns, row: Callable[[Envelope, Any], tuple], *, recorded_at: bool = False
) -> Projection:
    """A projection that keeps, per `key`, the row of the newest revision (`columns` name `revision`)."""
    return Projection(name, columns, row, snapshot_sql(table, key, columns, recorded_at=recorded_at))


PAYMENT: Columns = (
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


def payment_row(env: Envelope, e: ReimbursementPaid) -> tuple:
    acts, beneficiaries = stored_acts_json(e.member_number, e.acts)
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
        acts,
        sorted(set(beneficiaries)),
        len(beneficiaries),
        e.revision,
        env.time,
    )


# A payment's snapshot; the service applies it together with the announcement of a new statement
# (`service_layer.documents.paid_and_announced`), in the same statement.
PAYMENT_KEY = ("tenant", "reference")


def _document(column: str) -> Columns:
    return (("tenant", "text"), ("member_number", "text"), (column, "jsonb"), ("revision", "integer"), ("changed_at", "timestamptz"))


def _contract(env: Envelope, e: MemberContractRecorded) -> tuple:
    contract = e.model_dump(mode="json", exclude={"member_number", "revision"})
    return env.tenant, e.member_number, json.dumps(contract, ensure_ascii=False), e.revision, env.time


def _beneficiaries(env: Envelope, e: HouseholdBeneficiariesRecorded) -> tuple:
    kept = masked_beneficiaries(e.member_number, e.beneficiaries)
    return env.tenant, e.member_number, json.dumps(kept, ensure_ascii=False), e.revision, env.time


def _preferences(env: Envelope, e: CommunicationPreferencesRecorded) -> tuple:
    matrix = e.model_dump(mode="json", include={"technical", "commercial", "partners", "other"})
    return env.tenant, e.member_number, json.dumps(matrix), e.paperless, e.paperless_since, e.revision, env.time


HOUSEHOLD = ("tenant", "member_number")
member_contract_recorded = snapshot("member_contract_recorded", "member_contracts", HOUSEHOLD, _document("contract"), _contract)
household_beneficiaries_recorded = snapshot(
    "household_beneficiaries_recorded", "household_beneficiaries", HOUSEHOLD, _document("beneficiaries"), _beneficiaries, recorded_at=True
)
communication_preferences_recorded = snapshot(
    "communication_preferences_recorded",
    "communication_preferences",
    HOUSEHOLD,
    (
        ("tenant", "text"),
        ("member_number", "text"),
        ("matrix", "jsonb"),
        ("paperless", "boolean"),
        ("paperless_since", "date"),
        ("revision", "integer"),
        ("changed_at", "timestamptz"),
    ),
    _preferences,
    recorded_at=True,
)
